-- role: employee
-- query: { invoices_aggregate(where: {billing_country: {_in: ["USA", "Canada"]}}) { aggregate { count sum { total } max { invoice_date } } nodes { id } } }

-- invoices_aggregate (query)
SELECT (SELECT row_to_json("_3") FROM (SELECT (SELECT row_to_json("_4") FROM (SELECT "_0"."a0" AS "count", (SELECT row_to_json("_5") FROM (SELECT "_0"."a1" AS "total") AS "_5") AS "sum", (SELECT row_to_json("_6") FROM (SELECT "_0"."a2" AS "invoice_date") AS "_6") AS "max") AS "_4") AS "aggregate", "_0"."a3" AS "nodes") AS "_3") AS "root" FROM (SELECT count(*) AS "a0", sum("_1"."total") AS "a1", max("_1"."invoice_date") AS "a2", coalesce(json_agg(row_to_json("_2")), '[]') AS "a3" FROM (SELECT "_7".* FROM "public"."invoices" AS "_7" WHERE (EXISTS (SELECT 1 FROM "public"."customers" AS "_8" WHERE ("_8"."id" = "_7"."customer_id") AND ("_8"."support_rep_id" = $1::int4))) AND ((("_7"."billing_country" = ANY($2::varchar[]))))) AS "_1" CROSS JOIN LATERAL (SELECT "_1"."id" AS "id") AS "_2") AS "_0";
-- $1: session variable x-hasura-user-id
-- $2: constant ["USA","Canada"] as text[]
