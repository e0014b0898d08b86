-- role: customer
-- query: subscription { invoices(order_by: {id: asc}) { id total } }

-- invoices (live query poll)
/* hasgen poll */ SELECT "_subs"."id", "_res"."root" FROM unnest($1::int4[], $2::json[]) AS "_subs"("id", "vars") LEFT JOIN LATERAL (SELECT coalesce(json_agg("_0"."root" ORDER BY "_0"."__o0" ASC NULLS LAST), '[]') AS "root" FROM (SELECT row_to_json("_2") AS "root", "_1"."__o0" FROM (SELECT "_3".*, "_3"."id" AS "__o0" FROM "public"."invoices" AS "_3" WHERE (("_3"."customer_id" = (("_subs"."vars"->>0))::int4))) AS "_1" CROSS JOIN LATERAL (SELECT "_1"."id" AS "id", "_1"."total" AS "total") AS "_2") AS "_0") AS "_res" ON true;
-- $1: session variable x-hasura-user-id
