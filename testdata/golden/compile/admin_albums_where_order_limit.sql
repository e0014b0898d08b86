-- role: admin
-- query: { albums(where: {title: {_ilike: "%rock%"}}, order_by: [{artist: {name: asc}}, {id: desc}], limit: 5, offset: 2) { id title artist { name } } }

-- albums (query)
SELECT coalesce(json_agg("_0"."root" ORDER BY "_0"."__o0" ASC NULLS LAST, "_0"."__o1" DESC NULLS FIRST), '[]') AS "root" FROM (SELECT row_to_json("_4") AS "root", "_1"."__o0", "_1"."__o1" FROM (SELECT "_5".*, (SELECT "_6"."name" FROM "public"."artists" AS "_6" WHERE ("_6"."id" = "_5"."artist_id") AND true) AS "__o0", "_5"."id" AS "__o1" FROM "public"."albums" AS "_5" WHERE true AND ((("_5"."title" ILIKE $1::varchar))) ORDER BY "__o0" ASC NULLS LAST, "__o1" DESC NULLS FIRST LIMIT $2::int8 OFFSET $3::int8) AS "_1" LEFT JOIN (SELECT "_7".* FROM "public"."artists" AS "_7" WHERE true) AS "_2" ON ("_2"."id" = "_1"."artist_id") CROSS JOIN LATERAL (SELECT "_2"."name" AS "name") AS "_3" CROSS JOIN LATERAL (SELECT "_1"."id" AS "id", "_1"."title" AS "title", CASE WHEN "_2"."id" IS NOT NULL THEN row_to_json("_3") END AS "artist") AS "_4") AS "_0";
-- $1: constant "%rock%" as text
-- $2: constant "5" as text
-- $3: constant "2" as text
