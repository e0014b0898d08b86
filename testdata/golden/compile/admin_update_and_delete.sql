-- role: admin
-- query: mutation M($id: Int!) { update_albums(where: {id: {_eq: $id}}, _set: {title: "x"}) { affected_rows } delete_tracks_by_pk(id: 1) { id } }
-- variables: {"id": 3}

-- update_albums (mutation)
WITH "_0" AS (UPDATE "public"."albums" AS "_t" SET "title" = $1::varchar WHERE true AND ((("_t"."id" = $2::int4))) RETURNING "_t".*) SELECT CASE WHEN true THEN true ELSE ('hasgen: permission check failed ' || statement_timestamp())::boolean END AS "ok", (SELECT row_to_json("_1") FROM (SELECT (SELECT count(*) FROM "_0") AS "affected_rows") AS "_1") AS "root";
-- $1: constant "x" as text
-- $2: variable $id as text

-- delete_tracks_by_pk (mutation)
WITH "_0" AS (DELETE FROM "public"."tracks" AS "_t" WHERE true AND ("_t"."id" = $1::int4) RETURNING "_t".*) SELECT true AS "ok", (SELECT "_1"."root" FROM (SELECT row_to_json("_3") AS "root" FROM (SELECT "_4".* FROM "_0" AS "_4" WHERE true LIMIT 1) AS "_2" CROSS JOIN LATERAL (SELECT "_2"."id" AS "id") AS "_3") AS "_1") AS "root";
-- $1: constant "1" as text
