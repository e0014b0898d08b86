package introspect

// The catalog queries Load runs, in the order it runs them. Each reads one
// kind of object for every relation of the chosen schemas at once, so the
// number of round trips does not grow with the schema. Schema names are
// always the parameter $1 (text[]); no identifier is ever spliced into SQL.
//
// Every name is qualified with pg_catalog so that objects in the user's
// schemas cannot shadow the catalogs. OIDs join the results together in Go
// but never reach the Schema.

// pinSettingsSQL fixes, for the rest of Load's (sub)transaction, every
// setting that changes how Postgres prints a type, a default or a
// constraint: with an empty search_path every name outside pg_catalog is
// schema-qualified, whatever the caller's search_path.
const pinSettingsSQL = `SELECT
	pg_catalog.set_config('search_path', '', true),
	pg_catalog.set_config('DateStyle', 'ISO, YMD', true),
	pg_catalog.set_config('IntervalStyle', 'postgres', true),
	pg_catalog.set_config('TimeZone', 'UTC', true),
	pg_catalog.set_config('extra_float_digits', '1', true),
	pg_catalog.set_config('bytea_output', 'hex', true),
	pg_catalog.set_config('quote_all_identifiers', 'off', true)`

// missingSchemasSQL returns the names in $1 that are not schemas.
const missingSchemasSQL = `SELECT s.name
FROM pg_catalog.unnest($1::text[]) AS s(name)
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n WHERE n.nspname = s.name)`

// relationFilter selects the relations Load lists: tables, views,
// materialized views, partitioned tables and foreign tables of the chosen
// schemas, but not partitions (they are reached through their parent). It
// expects pg_class as c and pg_namespace as n.
const relationFilter = `n.nspname = ANY ($1::text[])
	AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
	AND NOT c.relispartition`

// relationsSQL returns one row per relation:
//
//	oid, schema, name, relkind, comment, events, instead
//
// events is pg_relation_is_updatable with INSTEAD OF triggers and rules
// counted: a bitmask of 4 (UPDATE), 8 (INSERT) and 16 (DELETE). It is 0 for
// a foreign table whose wrapper has no handler, on which the function would
// fail. instead is the same bitmask for the events that a view's INSTEAD OF
// triggers or unconditional DO INSTEAD rules handle: those accept every
// column, not only the automatically updatable ones.
const relationsSQL = `SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text,
	coalesce(d.description, ''),
	CASE WHEN c.relkind <> 'f' OR EXISTS (
			SELECT FROM pg_catalog.pg_foreign_table ft
			JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
			JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
			WHERE ft.ftrelid = c.oid AND w.fdwhandler <> 0)
		THEN pg_catalog.pg_relation_is_updatable(c.oid, true)
		ELSE 0
	END,
	CASE WHEN c.relkind = 'v' THEN
		(SELECT coalesce(pg_catalog.bit_or(
				CASE WHEN t.tgtype & 4 <> 0 THEN 8 ELSE 0 END |
				CASE WHEN t.tgtype & 16 <> 0 THEN 4 ELSE 0 END |
				CASE WHEN t.tgtype & 8 <> 0 THEN 16 ELSE 0 END), 0)
			FROM pg_catalog.pg_trigger t
			WHERE t.tgrelid = c.oid AND t.tgtype & 64 <> 0) |
		(SELECT coalesce(pg_catalog.bit_or(
				CASE r.ev_type WHEN '2' THEN 4 WHEN '3' THEN 8 WHEN '4' THEN 16 ELSE 0 END), 0)
			FROM pg_catalog.pg_rewrite r
			WHERE r.ev_class = c.oid AND r.is_instead AND r.ev_qual::text = '<>')
		ELSE 0
	END
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d
	ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
WHERE ` + relationFilter

// columnsSQL returns one row per visible column of the relations:
//
//	relation oid, name, position, type oid, attndims, type SQL, not null,
//	default, identity, generated, comment, auto-updatable
//
// position counts visible columns only. The default is empty for a
// generated column, whose expression is generation instead. auto-updatable
// is pg_column_is_updatable without triggers, asked of views only: whether
// the column maps to a base-table column Postgres can write through.
const columnsSQL = `SELECT a.attrelid, a.attname::text,
	pg_catalog.row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
	a.atttypid, a.attndims, pg_catalog.format_type(a.atttypid, a.atttypmod),
	a.attnotnull,
	CASE WHEN a.attgenerated = '' THEN coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '') ELSE '' END,
	CASE WHEN a.attgenerated <> '' THEN coalesce(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '') ELSE '' END,
	a.attidentity::text, a.attgenerated::text,
	coalesce(d.description, ''),
	CASE WHEN c.relkind = 'v' THEN pg_catalog.pg_column_is_updatable(c.oid, a.attnum, false) ELSE false END
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description d
	ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = a.attnum
WHERE ` + relationFilter + `
	AND a.attnum > 0 AND NOT a.attisdropped`

// constraintsSQL returns the primary key, unique, foreign key and check
// constraints of the relations:
//
//	relation oid, name, contype, columns, ref schema, ref table,
//	ref columns, on update, on delete, definition
//
// Columns are in constraint order. Constraints with a parent are left out:
// they are the copies Postgres makes on partitions and, for a foreign key
// that references a partitioned table, one per referenced partition.
const constraintsSQL = `SELECT con.conrelid, con.conname::text, con.contype::text,
	ARRAY(SELECT a.attname::text
		FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
		ORDER BY k.ord),
	coalesce(rn.nspname::text, ''), coalesce(rc.relname::text, ''),
	ARRAY(SELECT a.attname::text
		FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
		ORDER BY k.ord),
	con.confupdtype::text, con.confdeltype::text,
	CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_constraintdef(con.oid) ELSE '' END
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE ` + relationFilter + `
	AND con.contype IN ('p', 'u', 'f', 'c')
	AND con.conparentid = 0`

// isArraySQL tells a true array type (int4[]) from a fixed-length type with
// an element (point) and from int2vector and oidvector, as format_type
// does. It expects pg_type as t.
const isArraySQL = `(t.typtype = 'b' AND t.typelem <> 0 AND t.typlen = -1 AND t.typstorage <> 'p')`

// typesSQL returns the types Load needs to describe: those in $2 (used by
// columns and arguments) and the enums and domains of the chosen schemas,
// followed through array elements and domain bases:
//
//	oid, schema, name, typtype, is array, element oid, base oid, base dims,
//	base SQL, not null, default, comment, enum labels,
//	check names, check definitions
//
// Base fields are a domain's; labels are an enum's in sort order. The two
// check arrays are a domain's CHECK constraints, pairwise.
const typesSQL = `WITH RECURSIVE seed(oid) AS (
	SELECT pg_catalog.unnest($2::pg_catalog.oid[])
	UNION
	SELECT t.oid
	FROM pg_catalog.pg_type t
	JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
	WHERE n.nspname = ANY ($1::text[]) AND t.typtype IN ('e', 'd')
), closure(oid) AS (
	SELECT oid FROM seed
	UNION
	SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END
	FROM closure
	JOIN pg_catalog.pg_type t ON t.oid = closure.oid
	WHERE t.typtype = 'd' OR ` + isArraySQL + `
)
SELECT t.oid, n.nspname::text, t.typname::text, t.typtype::text,
	` + isArraySQL + `, t.typelem, t.typbasetype, t.typndims,
	CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) ELSE '' END,
	t.typnotnull,
	coalesce(pg_catalog.pg_get_expr(t.typdefaultbin, 0), ''),
	coalesce(d.description, ''),
	ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
		WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
	ARRAY(SELECT con.conname::text FROM pg_catalog.pg_constraint con
		WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.oid),
	ARRAY(SELECT pg_catalog.pg_get_constraintdef(con.oid) FROM pg_catalog.pg_constraint con
		WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.oid)
FROM closure
JOIN pg_catalog.pg_type t ON t.oid = closure.oid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_description d
	ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objsubid = 0`
