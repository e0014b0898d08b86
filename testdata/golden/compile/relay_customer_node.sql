-- role: customer
-- query: query ($id: ID!) { node(id: $id) { id __typename ... on invoices { total } } }
-- variables: {"id": "WzEsICJwdWJsaWMiLCAiaW52b2ljZXMiLCA5OF0="}

-- node (query)
SELECT "_r"."root" FROM (SELECT row_to_json("_1") AS "root" FROM (SELECT "_2".* FROM "public"."invoices" AS "_2" WHERE (("_2"."customer_id" = $1::int4)) AND ("_2"."id" = (convert_from(decode($2::text, 'base64'), 'UTF8')::json ->> 3)::int4)) AS "_0" CROSS JOIN LATERAL (SELECT regexp_replace(encode(convert_to(json_build_array(1, 'public'::text, 'invoices'::text, "_0"."id")::text, 'UTF8'), 'base64'), '\n', '', 'g') AS "id", 'invoices'::text AS "__typename", "_0"."total" AS "total") AS "_1") AS "_r";
-- $1: session variable x-hasura-user-id
-- $2: variable $id as text
