-- role: admin
-- query: { albums(where: {title: {_ilike: "%rock%"}}, order_by: [{artist: {name: asc}}, {id: desc}], limit: 5, offset: 2) { id title artist { name } } }

-- albums (query)
SELECT coalesce(json_agg("_0"."root" ORDER BY "_0"."__o0" ASC NULLS LAST, "_0"."__o1" DESC NULLS FIRST), '[]') AS "root" FROM (SELECT (SELECT row_to_json("_3") FROM (SELECT "_1"."id" AS "id", "_1"."title" AS "title", "_2"."root" AS "artist") AS "_3") AS "root", "_1"."__o0", "_1"."__o1" FROM (SELECT "_4".*, (SELECT "_5"."name" FROM "public"."artists" AS "_5" WHERE ("_5"."id" = "_4"."artist_id") AND true LIMIT 1) AS "__o0", "_4"."id" AS "__o1" FROM "public"."albums" AS "_4" WHERE true AND ((("_4"."title" ILIKE $1::varchar))) ORDER BY "__o0" ASC NULLS LAST, "__o1" DESC NULLS FIRST LIMIT $2::int8 OFFSET $3::int8) AS "_1" LEFT JOIN LATERAL (SELECT "_6"."root" FROM (SELECT (SELECT row_to_json("_8") FROM (SELECT "_7"."name" AS "name") AS "_8") AS "root" FROM (SELECT "_9".* FROM "public"."artists" AS "_9" WHERE true AND ("_9"."id" = "_1"."artist_id") LIMIT 1) AS "_7") AS "_6") AS "_2" ON true) AS "_0";
-- $1: constant "%rock%" as text
-- $2: constant "5" as text
-- $3: constant "2" as text
