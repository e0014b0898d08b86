-- role: customer
-- query: query Q($id: Int!) { customers_by_pk(id: $id) { id email } }
-- variables: {"id": 7}

-- customers_by_pk (query)
SELECT "_r"."root" FROM (SELECT row_to_json("_1") AS "root" FROM (SELECT "_2".* FROM "public"."customers" AS "_2" WHERE (("_2"."id" = $1::int4)) AND ("_2"."id" = $2::int4)) AS "_0" CROSS JOIN LATERAL (SELECT "_0"."id" AS "id", "_0"."email" AS "email") AS "_1") AS "_r";
-- $1: session variable x-hasura-user-id
-- $2: variable $id as text
