-- role: customer
-- query: subscription { invoices_connection(first: 10) { edges { node { id } } } }

-- invoices_connection (live query poll)
/* hasgen poll */ SELECT "_subs"."id", "_res"."root" FROM unnest($1::int4[], $2::json[]) AS "_subs"("id", "vars") LEFT JOIN LATERAL (WITH "_1" AS (SELECT "_2".*, "_2"."id" AS "__o0" FROM "public"."invoices" AS "_2" WHERE (("_2"."customer_id" = (("_subs"."vars"->>0))::int4)) ORDER BY "__o0" ASC NULLS LAST LIMIT (("_subs"."vars"->>1))::int8) SELECT (SELECT row_to_json("_3") FROM (SELECT (SELECT coalesce(json_agg((SELECT row_to_json("_6") FROM (SELECT row_to_json("_5") AS "node") AS "_6") ORDER BY "_4"."__o0" ASC NULLS LAST), '[]') FROM "_1" AS "_4" CROSS JOIN LATERAL (SELECT regexp_replace(encode(convert_to(json_build_array(1, 'public'::text, 'invoices'::text, "_4"."id")::text, 'UTF8'), 'base64'), '\n', '', 'g') AS "id") AS "_5") AS "edges") AS "_3") AS "root") AS "_res" ON true;
-- $1: session variable x-hasura-user-id
-- $2: constant "10" as text
