package compile

// Streams: <t>_stream(batch_size, cursor: {initial_value: {col: v},
// ordering}, where). Hasura's semantics: each poll sends a subscriber the
// rows after its cursor (col > cursor, or < for DESC) in cursor order, at
// most batch_size of them with ties included, and moves the cursor to the
// last row's value; nothing is sent when there are no new rows.
//
// Unlike Hasura, no row is ever skipped when writers commit out of cursor
// order (T1 takes id 5, T2 takes id 6 and commits, a poll sees 6 and
// moves past 5, T1 commits 5). Each poll delivers rows only up to a safe
// frontier F, below which no row can still appear:
//
//   - every poll k also returns t_k = clock_timestamp() (taken after its
//     snapshot), H_k = max(col) over the whole table (visible to it), and
//     the horizon h_k = the earliest transaction start among the sessions
//     that may still write rows: for an integer cursor the sessions
//     holding a write lock on the table (a sequence value is taken after
//     the INSERT locks the table), for any other cursor every session of
//     the database in a transaction (a now() default is the writer's
//     transaction start); NULL when there is none, -infinity when one is
//     not visible (no privilege to see it, a prepared transaction);
//   - F_k = max{ H_j : t_j <= h_k } over the recorded samples and poll k
//     itself (when h_k is NULL or >= t_k): a transaction that started
//     after t_j can only take values above H_j, so when every writer
//     still in progress started after t_j, nothing at or below H_j can
//     still appear. F never decreases: earlier frontiers are facts too.
//
// Rows are delivered while col <= F, so delivery stays in exact cursor
// order with no gap and no duplicate. While rows are held back the batch
// is polled again sooner (50 ms for a 1 s interval, backing off), so that
// they arrive soon after the writer in progress ends. Samples and
// frontiers are facts about the table, so the batches of a group share
// them: with many batches polled at different instants, samples are
// dense and little is held back. The statement computes F itself, from
// the samples and earlier frontiers passed as parameters, so that it
// filters its rows with the F of its own snapshot:
//
//	WITH RECURSIVE "_rel" (the table and its partitions),
//	  "_h" AS MATERIALIZED (SELECT clock_timestamp() AS "t", max(col) AS "H", <horizon> AS "h"),
//	  "_f" AS MATERIALIZED (SELECT greatest(max of frontiers $4, max of samples $5/$6 with t <= h, H if h is NULL or >= t) AS "F"),
//	  "_k" (the positions of the samples still useful: above F)
//	SELECT "_subs"."id", "_res".*, "_h".*, "_f"."F", ...
//	FROM "_h", "_f", "_k", unnest($1::int4[], $2::json[], $3::text[]) AS "_subs"("id", "vars", "cursor")
//	LEFT JOIN LATERAL (<the subscriber's next batch, col > cursor AND col <= F>) AS "_res" ON true

import (
	"strconv"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Hasura's errors for the cursor argument.
const (
	msgOneCursorColumn   = "one streaming column field is expected"
	msgMultipleCursorCol = "multiple column cursors are not supported yet"
)

// Stream is what a stream's poll needs besides its statement: where each
// subscriber's batch size and initial cursor come from, bound once when
// it subscribes.
type Stream struct {
	Batch, Initial catalog.Param
	// Inner, for a stream inside a root field namespace, is its response
	// key there: each batch of rows is sent as {"<Inner>": rows} under
	// the Field's Key, the namespace's.
	Inner string

	table   *catalog.Table
	col     *catalog.Column
	dir     string // ASC or DESC
	integer bool   // the cursor is int2, int4 or int8: the lock horizon
}

// CursorValue returns the database value of a subscriber's initial cursor
// value v: an enum table's value upper-cased in the schema is mapped back
// (enumcase.go).
func (s *Stream) CursorValue(v string) string {
	if s.col != nil && s.col.EnumValues != nil {
		return UpperEnum(s.col, v)
	}
	return v
}

// compileStream writes a stream's per-subscriber subquery: the next batch
// of rows after "_subs"."cursor", up to "_f"."F", as the JSON array
// "root", the new cursor "cursor" (the last row's value, as text) and the
// number of rows "n".
func (c *compiler) compileStream(ref rootRef, f *collected) *Stream {
	t := ref.table
	perm := t.SelectFor(c.role)
	path := c.rootPath(f.alias)
	if perm == nil {
		c.fail(path, wire.CodeValidationFailed, "field '%s' not found in type: 'subscription_root'", f.field.Name)
		return nil
	}
	sp := &Stream{table: t, dir: "ASC"}
	var cols []field
	for _, item := range c.items(c.arg(f.field, "cursor")) {
		for _, cf := range c.fields(item) {
			switch c.names.Default(cf.name) {
			case "initial_value":
				cols = append(cols, c.fields(cf.v)...)
			case "ordering":
				if cf.v.enum() == "DESC" {
					sp.dir = "DESC"
				}
			}
		}
	}
	switch {
	case len(cols) == 0:
		c.fail(path+".args.cursor", wire.CodeValidationFailed, msgOneCursorColumn)
		return nil
	case len(cols) > 1:
		c.fail(path+".args.cursor", wire.CodeValidationFailed, msgMultipleCursorCol)
		return nil
	}
	col := t.Column(cols[0].name)
	if col == nil || !perm.Allows(col.Name) {
		c.fail(path+".args.cursor", wire.CodeValidationFailed, "field '%s' not found in type: '%s_stream_cursor_value_input'", cols[0].name, t.Type)
		return nil
	}
	sp.col = col
	sp.integer = col.Type == "int2" || col.Type == "int4" || col.Type == "int8"
	if cols[0].v.isNull() {
		sp.Initial = catalog.Param{}
	} else {
		sp.Initial = c.param(cols[0].v, catalog.EncodeText)
	}
	batch := c.arg(f.field, "batch_size")
	if n, ok := batch.literalInt(); ok && n < 0 {
		c.fail(path+".args.batch_size", wire.CodeValidationFailed, "unexpected negative value")
		return nil
	}
	sp.Batch = c.param(batch, catalog.EncodeText)

	w := c.w
	a := w.Alias()
	last, after := "max", " > "
	if sp.dir == "DESC" {
		last, after = "min", " < "
	}
	w.Write(`SELECT coalesce(json_agg(`, a, `."root" ORDER BY `, a, `."__o0" `, sp.dir, `), '[]') AS "root", (`,
		last, `(`, a, `."__o0"))::text AS "cursor", count(*) AS "n" FROM (`)
	args := selectArgs{
		where: c.arg(f.field, "where"),
		limit: batch,
		ties:  true,
		order: []orderItem{{dir: sp.dir, col: col.Name, expr: func(x string) { w.Write(x, ".", col.SQL()) }}},
		cond: func(x string) {
			w.Write(`(`, x, `.`, col.SQL(), after, `("_subs"."cursor")::`, col.Type, ` OR "_subs"."cursor" IS NULL) AND `,
				x, `.`, col.SQL(), ` <= ("_f"."F")::`, col.Type)
		},
	}
	c.rows(t, perm, f.sels, f.field.Definition.Type.Name(), args, nil, path)
	w.Write(`) AS `, a)
	return sp
}

// fetchWithTies writes a stream's limit: the batch size (capped by the
// permission's limit), ties included.
func (c *compiler) fetchWithTies(perm *catalog.SelectPermission, args selectArgs) {
	w := c.w
	w.WriteString(" FETCH FIRST (")
	if perm.Limit > 0 {
		w.WriteString("least(")
	}
	w.Param(c.param(args.limit, catalog.EncodeText), "int8")
	if perm.Limit > 0 {
		w.Write(", ", strconv.Itoa(perm.Limit), ")")
	}
	w.WriteString(") ROWS WITH TIES")
}

// The horizons of the frontier: the earliest start of the transactions
// that may still write rows, NULL for none, -infinity for unknown.
const (
	// lockHorizon (integer cursors): the sessions holding a write lock
	// on the table or one of its partitions. A lock held by a prepared
	// transaction, or by a session whose transaction start this role may
	// not see, is unknown.
	lockHorizon = `SELECT CASE WHEN bool_or("_a"."xact_start" IS NULL) THEN '-infinity'::timestamptz ELSE min("_a"."xact_start") END` +
		` FROM pg_catalog.pg_locks AS "_l" LEFT JOIN pg_catalog.pg_stat_activity AS "_a" ON "_a"."pid" = "_l"."pid"` +
		` WHERE "_l"."locktype" = 'relation' AND "_l"."granted"` +
		` AND "_l"."database" = (SELECT "oid" FROM pg_catalog.pg_database WHERE "datname" = current_database())` +
		` AND "_l"."relation" IN (SELECT "oid" FROM "_rel")` +
		` AND "_l"."mode" IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')` +
		` AND "_l"."pid" IS DISTINCT FROM pg_backend_pid()`
	// activityHorizon (other cursors): every session of the database in
	// a transaction, but this server's own polls (read-only statements
	// that start with PollMarker) and autovacuum. A session this role
	// may not see, or a prepared transaction, is unknown.
	activityHorizon = `SELECT CASE WHEN bool_or("_a"."xact_start" IS NULL)` +
		` OR EXISTS (SELECT 1 FROM pg_catalog.pg_prepared_xacts WHERE "database" = current_database())` +
		` THEN '-infinity'::timestamptz ELSE min("_a"."xact_start") END` +
		` FROM pg_catalog.pg_stat_activity AS "_a"` +
		` WHERE "_a"."datname" = current_database() AND "_a"."pid" <> pg_backend_pid()` +
		` AND "_a"."backend_type" NOT IN ('autovacuum worker', 'walsender')` +
		` AND ("_a"."xact_start" IS NOT NULL OR "_a"."query" = '<insufficient privilege>')` +
		` AND NOT ("_a"."state" = 'active' AND left("_a"."query", 17) = '/* hasgen poll */')`
)

// statement wraps a stream's per-subscriber subquery into the poll
// statement of a batch of subscribers. Parameters: $1 row ids, $2 each
// row's parameter values, $3 its cursor, $4 the group's frontiers (F of
// polls that ran concurrently; usually one), $5 and $6 its samples
// (t_j, H_j).
func (sp *Stream) statement(field string) string {
	typ := sp.col.Type
	horizon := activityHorizon
	if sp.integer {
		horizon = lockHorizon
	}
	return PollMarker +
		`WITH RECURSIVE "_rel"("oid") AS (SELECT ` + catalog.QuoteLiteral(sp.table.SQL()) + `::regclass::oid` +
		` UNION SELECT "_i"."inhrelid" FROM pg_catalog.pg_inherits AS "_i" JOIN "_rel" ON "_i"."inhparent" = "_rel"."oid"),` +
		` "_h" AS MATERIALIZED (SELECT clock_timestamp() AS "t",` +
		` (SELECT max("_m".` + sp.col.SQL() + `) FROM ` + sp.table.SQL() + ` AS "_m")::text AS "H", (` + horizon + `) AS "h"),` +
		` "_f" AS MATERIALIZED (SELECT (greatest((SELECT max(("_c")::` + typ + `) FROM unnest($4::text[]) AS "_c"),` +
		` (SELECT max(("_p"."v")::` + typ + `) FROM unnest($5::timestamptz[], $6::text[]) AS "_p"("t", "v") WHERE "_p"."t" <= "_h"."h"),` +
		` CASE WHEN "_h"."h" IS NULL OR "_h"."h" >= "_h"."t" THEN ("_h"."H")::` + typ + ` END))::text AS "F" FROM "_h"),` +
		` "_k" AS MATERIALIZED (SELECT array_agg("_p"."i") AS "i"` +
		` FROM unnest($5::timestamptz[], $6::text[]) WITH ORDINALITY AS "_p"("t", "v", "i"), "_f"` +
		` WHERE "_f"."F" IS NULL OR ("_p"."v")::` + typ + ` > ("_f"."F")::` + typ + `)` +
		` SELECT "_subs"."id", "_res"."root", "_res"."cursor", "_res"."n", "_h"."t", "_h"."H", "_f"."F",` +
		` ("_h"."H" IS NOT NULL AND ("_f"."F" IS NULL OR ("_h"."H")::` + typ + ` > ("_f"."F")::` + typ + `)) AS "held", "_k"."i"` +
		` FROM "_h" CROSS JOIN "_f" CROSS JOIN "_k" CROSS JOIN unnest($1::int4[], $2::json[], $3::text[]) AS "_subs"("id", "vars", "cursor")` +
		` LEFT JOIN LATERAL (` + field + `) AS "_res" ON true`
}
