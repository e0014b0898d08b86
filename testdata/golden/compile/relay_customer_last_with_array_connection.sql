-- role: customer
-- query: { customers_connection(last: 1) { edges { node { id invoices_connection(first: 1) { edges { node { id } } } } } } }

-- customers_connection (query)
WITH "_1" AS (SELECT "_2".*, "_2"."id" AS "__o0" FROM "public"."customers" AS "_2" WHERE (("_2"."id" = $1::int4)) ORDER BY "__o0" DESC NULLS FIRST LIMIT $2::int8) SELECT (SELECT row_to_json("_3") FROM (SELECT (SELECT coalesce(json_agg((SELECT row_to_json("_7") FROM (SELECT row_to_json("_6") AS "node") AS "_7") ORDER BY "_4"."__o0" ASC NULLS LAST), '[]') FROM "_1" AS "_4" LEFT JOIN LATERAL (WITH "_9" AS (SELECT "_10".*, "_10"."id" AS "__o0" FROM "public"."invoices" AS "_10" WHERE (("_10"."customer_id" = $3::int4)) AND ("_10"."customer_id" = "_4"."id") ORDER BY "__o0" ASC NULLS LAST LIMIT $4::int8) SELECT (SELECT row_to_json("_11") FROM (SELECT (SELECT coalesce(json_agg((SELECT row_to_json("_14") FROM (SELECT row_to_json("_13") AS "node") AS "_14") ORDER BY "_12"."__o0" ASC NULLS LAST), '[]') FROM "_9" AS "_12" CROSS JOIN LATERAL (SELECT regexp_replace(encode(convert_to(json_build_array(1, 'public'::text, 'invoices'::text, "_12"."id")::text, 'UTF8'), 'base64'), '\n', '', 'g') AS "id") AS "_13") AS "edges") AS "_11") AS "root") AS "_5" ON true CROSS JOIN LATERAL (SELECT regexp_replace(encode(convert_to(json_build_array(1, 'public'::text, 'customers'::text, "_4"."id")::text, 'UTF8'), 'base64'), '\n', '', 'g') AS "id", "_5"."root" AS "invoices_connection") AS "_6") AS "edges") AS "_3") AS "root";
-- $1: session variable x-hasura-user-id
-- $2: constant "1" as text
-- $3: session variable x-hasura-user-id
-- $4: constant "1" as text
