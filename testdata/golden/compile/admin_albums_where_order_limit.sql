-- role: admin
-- query: { albums(where: {title: {_ilike: "%rock%"}}, order_by: [{artist: {name: asc}}, {id: desc}], limit: 5, offset: 2) { id title artist { name } } }

-- albums (query)
SELECT coalesce(json_agg("_0"."root" ORDER BY "_0"."__o0" ASC NULLS LAST, "_0"."__o1" DESC NULLS FIRST), '[]') AS "root" FROM (SELECT row_to_json("_2") AS "root", "_1"."__o0", "_1"."__o1" FROM (SELECT "_3".*, (SELECT "_4"."name" FROM "public"."artists" AS "_4" WHERE ("_4"."id" = "_3"."artist_id") AND true) AS "__o0", "_3"."id" AS "__o1" FROM "public"."albums" AS "_3" WHERE true AND ((("_3"."title" ILIKE $1::varchar))) ORDER BY "__o0" ASC NULLS LAST, "__o1" DESC NULLS FIRST LIMIT $2::int8 OFFSET $3::int8) AS "_1" CROSS JOIN LATERAL (SELECT "_1"."id" AS "id", "_1"."title" AS "title", (SELECT row_to_json("_6") AS "root" FROM (SELECT "_7".* FROM "public"."artists" AS "_7" WHERE true AND ("_7"."id" = "_1"."artist_id")) AS "_5" CROSS JOIN LATERAL (SELECT "_5"."name" AS "name") AS "_6") AS "artist") AS "_2") AS "_0";
-- $1: constant "%rock%" as text
-- $2: constant "5" as text
-- $3: constant "2" as text
