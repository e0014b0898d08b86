-- role: employee
-- query: query Q($country: String, $min: numeric) { customers(where: {_and: [{country: {_eq: $country}}, {invoices: {total: {_gt: $min}}}]}) { id last_name } }
-- variables: {"country": "Brazil", "min": "10"}

-- customers (query)
SELECT coalesce(json_agg("_0"."root"), '[]') AS "root" FROM (SELECT row_to_json("_2") AS "root" FROM (SELECT "_3".* FROM "public"."customers" AS "_3" WHERE (("_3"."support_rep_id" = $1::int4)) AND ((((("_3"."country" = $2::varchar))) AND (EXISTS (SELECT 1 FROM "public"."invoices" AS "_4" WHERE ("_4"."customer_id" = "_3"."id") AND (EXISTS (SELECT 1 FROM "public"."customers" AS "_5" WHERE ("_5"."id" = "_4"."customer_id") AND ("_5"."support_rep_id" = $3::int4))) AND ((("_4"."total" > $4::numeric)))))))) AS "_1" CROSS JOIN LATERAL (SELECT "_1"."id" AS "id", "_1"."last_name" AS "last_name") AS "_2") AS "_0";
-- $1: session variable x-hasura-user-id
-- $2: variable $country as text
-- $3: session variable x-hasura-user-id
-- $4: variable $min as text
