-- role: customer
-- query: subscription { invoices_connection(first: 10) { edges { node { id } } } }

-- invoices_connection (live query poll)
/* hasgen poll */ SELECT "_subs"."id", "_res"."root" FROM unnest($1::int4[], $2::json[]) AS "_subs"("id", "vars") LEFT JOIN LATERAL (WITH "_1" AS (SELECT "_3".*, row_number() OVER (ORDER BY "_3"."__o0" ASC NULLS LAST) AS "__rn" FROM (SELECT "_4".*, "_4"."id" AS "__o0" FROM "public"."invoices" AS "_4" WHERE (("_4"."customer_id" = (("_subs"."vars"->>0))::int4)) ORDER BY "__o0" ASC NULLS LAST) AS "_3"), "_2" AS (SELECT "_5".* FROM "_1" AS "_5" ORDER BY "_5"."__rn" LIMIT (("_subs"."vars"->>1))::int8) SELECT (SELECT row_to_json("_6") FROM (SELECT (SELECT coalesce(json_agg((SELECT row_to_json("_8") FROM (SELECT (SELECT row_to_json("_9") FROM (SELECT regexp_replace(encode(convert_to(json_build_array(1, 'public'::text, 'invoices'::text, "_7"."id")::text, 'UTF8'), 'base64'), '\n', '', 'g') AS "id") AS "_9") AS "node") AS "_8") ORDER BY "_7"."__rn"), '[]') FROM "_2" AS "_7") AS "edges") AS "_6") AS "root") AS "_res" ON true;
-- $1: session variable x-hasura-user-id
-- $2: constant "10" as text
