package events

// Capture: the SQL that makes each change of a table with event triggers
// an event in hdb_catalog.event_log, in the writing transaction. The
// triggers and functions have Hasura's names (notify_hasura_<trigger>_<OP>
// in hdb_catalog), so installing replaces the ones a Hasura deployment
// left, and Hasura would replace ours. Each function's COMMENT holds the
// hash of its body: Check compares the database with the config by it.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Querier reads the catalog: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// captureTrigger is one Postgres trigger of an event trigger: one
// operation of it.
type captureTrigger struct {
	name   string // notify_hasura_<trigger>_<OP>, the trigger's and its function's
	schema string
	table  string
	op     string // INSERT, UPDATE or DELETE
	body   string // the function's body, between its dollar quotes
	hash   string // hex sha256 of body
}

// commentPrefix starts the COMMENT of every function hasgen installs; the
// body's hash follows.
const commentPrefix = "hasgen event trigger "

func (c *captureTrigger) qualifiedTable() string {
	return pgx.Identifier{c.schema, c.table}.Sanitize()
}

func (c *captureTrigger) function() string {
	return pgx.Identifier{"hdb_catalog", c.name}.Sanitize()
}

func (c *captureTrigger) key() string { return c.name + " on " + c.schema + "." + c.table }

// tgtype is pg_trigger.tgtype of the trigger: FOR EACH ROW (1), AFTER (no
// BEFORE bit), and the operation's bit.
func (c *captureTrigger) tgtype() int16 {
	switch c.op {
	case "INSERT":
		return 1 | 4
	case "DELETE":
		return 1 | 8
	default:
		return 1 | 16
	}
}

// captureTriggers lists the Postgres triggers of cfg, sorted by name.
func captureTriggers(cfg *Config) []*captureTrigger {
	var out []*captureTrigger
	if cfg == nil {
		return nil
	}
	for i := range cfg.Triggers {
		t := &cfg.Triggers[i]
		for _, o := range []struct {
			op   string
			spec *Operation
		}{{"INSERT", t.Insert}, {"UPDATE", t.Update}, {"DELETE", t.Delete}} {
			if o.spec == nil {
				continue
			}
			body := functionBody(t, o.op, o.spec)
			sum := sha256.Sum256([]byte(body))
			out = append(out, &captureTrigger{
				name: "notify_hasura_" + t.Name + "_" + o.op, schema: t.Schema, table: t.Table,
				op: o.op, body: body, hash: hex.EncodeToString(sum[:]),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// rowExpr is the JSON of the row rec (OLD or NEW) with the payload
// columns, all of them when cols is nil.
func rowExpr(rec string, cols []string) string {
	if cols == nil {
		return "row_to_json(" + rec + ")"
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = rec + "." + pgx.Identifier{c}.Sanitize()
	}
	return "(SELECT row_to_json(r) FROM (SELECT " + strings.Join(sel, ", ") + ") AS r)"
}

// recordExpr is the record of the watched columns of rec, the whole row
// when cols is nil.
func recordExpr(rec string, cols []string) string {
	if cols == nil {
		return rec
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = rec + "." + pgx.Identifier{c}.Sanitize()
	}
	// ROW(x) of one column is still a record once assigned to a record
	// variable.
	return "ROW(" + strings.Join(sel, ", ") + ")"
}

// functionBody is the plpgsql of the trigger function of t's operation op.
//
// An update fires only when a watched column changed. The comparison is
// IS DISTINCT FROM (a NULL that becomes a value is a change, which
// Hasura's <> misses); a column type without equality (json, point)
// makes it fail with undefined_function, and then the rows' stored bytes
// are compared (*<>), as Hasura falls back to: an equal value written
// differently (1.0 and 1.00) then counts as a change.
func functionBody(t *Trigger, op string, spec *Operation) string {
	var b strings.Builder
	if op == "UPDATE" {
		b.WriteString("\nDECLARE\n  _old record;\n  _new record;\n  _changed boolean;\nBEGIN\n")
		fmt.Fprintf(&b, "  _old := %s;\n  _new := %s;\n", recordExpr("OLD", spec.Columns), recordExpr("NEW", spec.Columns))
		b.WriteString(`  BEGIN
    _changed := _old IS DISTINCT FROM _new;
  EXCEPTION WHEN undefined_function THEN
    _changed := _old *<> _new;
  END;
  IF NOT _changed THEN
    RETURN NULL;
  END IF;
`)
	} else {
		b.WriteString("\nBEGIN\n")
	}
	oldRow, newRow := "NULL", "NULL"
	if op != "INSERT" {
		oldRow = rowExpr("OLD", spec.Payload)
	}
	if op != "DELETE" {
		newRow = rowExpr("NEW", spec.Payload)
	}
	fmt.Fprintf(&b, `  PERFORM hdb_catalog.insert_event_log(CAST(TG_TABLE_SCHEMA AS text), CAST(TG_TABLE_NAME AS text),
    CAST(%s AS text), TG_OP, json_build_object('old', %s, 'new', %s));
  RETURN NULL;
END;
`, quoteLiteral(t.Name), oldRow, newRow)
	return b.String()
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// dollarQuote returns a dollar-quote tag that body does not contain.
func dollarQuote(body string) string {
	tag := "$hasgen$"
	for i := 1; strings.Contains(body, tag); i++ {
		tag = fmt.Sprintf("$hasgen%d$", i)
	}
	return tag
}

// InstallSQL is the migration that captures cfg's events: Hasura's event
// catalog (CatalogSQL), then for each operation of each trigger a plpgsql
// function hdb_catalog."notify_hasura_<trigger>_<OP>" and a trigger of the
// same name AFTER that operation FOR EACH ROW on the table, which calls
// hdb_catalog.insert_event_log with {"old", "new"} (limited to the payload
// columns when set). An update fires only when a watched column changed.
// The notify_hasura_* triggers no longer in cfg (Hasura's or hasgen's) are
// dropped, with their functions. It runs in one transaction (it holds
// BEGIN and COMMIT) and running it again changes nothing.
func InstallSQL(cfg *Config) string {
	triggers := captureTriggers(cfg)
	var b strings.Builder
	b.WriteString(`-- hasgen event triggers: each change of a table with event triggers is
-- written to hdb_catalog.event_log in the same transaction (Hasura's
-- catalog and trigger names). Written by hasgen from the metadata's
-- event_triggers; running it again changes nothing.
BEGIN;
SELECT pg_advisory_xact_lock(hashtext(` + quoteLiteral(CatalogLockKey) + `));

`)
	b.WriteString(CatalogSQL)
	b.WriteString("\n")
	b.WriteString(dropOthersSQL(triggers))
	for _, c := range triggers {
		q := dollarQuote(c.body)
		fmt.Fprintf(&b, "\n-- %s: %s of %s\n", c.name, c.op, c.qualifiedTable())
		fmt.Fprintf(&b, "CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS %s%s%s;\n", c.function(), q, c.body, q)
		fmt.Fprintf(&b, "COMMENT ON FUNCTION %s() IS %s;\n", c.function(), quoteLiteral(commentPrefix+c.hash))
		fmt.Fprintf(&b, "DROP TRIGGER IF EXISTS %s ON %s;\n", pgx.Identifier{c.name}.Sanitize(), c.qualifiedTable())
		fmt.Fprintf(&b, "CREATE TRIGGER %s AFTER %s ON %s FOR EACH ROW EXECUTE PROCEDURE %s();\n",
			pgx.Identifier{c.name}.Sanitize(), c.op, c.qualifiedTable(), c.function())
	}
	b.WriteString("\nCOMMIT;\n")
	return b.String()
}

// notCloneSQL leaves out the copies of a partitioned table's trigger on
// its partitions (which Postgres makes and drops with it): a trigger of
// the same name on the parent. pg_trigger.tgparentid says it only from
// PostgreSQL 13.
const notCloneSQL = `NOT EXISTS (SELECT FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_trigger AS pt ON pt.tgrelid = i.inhparent AND pt.tgname = t.tgname
        WHERE i.inhrelid = t.tgrelid)`

// dropOthersSQL drops the notify_hasura_* triggers whose function is in
// hdb_catalog and that are not among keep (by name and table), then the
// notify_hasura_* functions of hdb_catalog that no trigger uses and that
// are not kept.
func dropOthersSQL(keep []*captureTrigger) string {
	keepTriggers, keepFunctions := "", ""
	if len(keep) > 0 {
		rows := make([]string, len(keep))
		names := make([]string, len(keep))
		for i, c := range keep {
			rows[i] = fmt.Sprintf("(%s, %s, %s)", quoteLiteral(c.name), quoteLiteral(c.schema), quoteLiteral(c.table))
			names[i] = quoteLiteral(c.name)
		}
		keepTriggers = "\n      AND (t.tgname::text, n.nspname::text, c.relname::text) NOT IN (" + strings.Join(rows, ", ") + ")"
		keepFunctions = "\n      AND p.proname::text NOT IN (" + strings.Join(names, ", ") + ")"
	}
	return `-- Drop the event triggers that are no longer declared.
DO $hasgen$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT t.tgname, n.nspname, c.relname
    FROM pg_catalog.pg_trigger AS t
    JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal AND t.tgname LIKE 'notify\_hasura\_%'
      AND p.pronamespace = 'hdb_catalog'::regnamespace
      AND ` + notCloneSQL + keepTriggers + `
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %I.%I', r.tgname, r.nspname, r.relname);
  END LOOP;
  FOR r IN
    SELECT p.oid::regprocedure AS fn
    FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'hdb_catalog'::regnamespace AND p.proname LIKE 'notify\_hasura\_%'
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t WHERE t.tgfoid = p.oid)` + keepFunctions + `
  LOOP
    EXECUTE format('DROP FUNCTION %s', r.fn);
  END LOOP;
END
$hasgen$;
`
}

// UninstallSQL is the migration that stops capturing events: it drops
// every notify_hasura_* trigger whose function is in hdb_catalog (cfg's
// and any other, Hasura's included) and those functions. The event
// catalog stays: its pending events and logs are data. It runs in one
// transaction and running it again changes nothing.
func UninstallSQL(cfg *Config) string {
	var b strings.Builder
	b.WriteString(`-- hasgen event triggers removed: changes are no longer captured. The
-- event catalog (hdb_catalog.event_log and its logs) is kept.
BEGIN;

CREATE SCHEMA IF NOT EXISTS hdb_catalog;
`)
	b.WriteString(dropOthersSQL(nil))
	b.WriteString("\nCOMMIT;\n")
	return b.String()
}

// CheckError is the difference between the event triggers installed in
// the database and a Config. Each entry names a Postgres trigger as
// "notify_hasura_<trigger>_<OP> on schema.table"; a stale one says why.
type CheckError struct {
	// Missing are triggers of the config not installed, or installed on
	// another table.
	Missing []string
	// Stale are installed triggers whose function differs from the
	// config's (another body, a changed column list, an edit by hand) or
	// that are disabled or fire at another time.
	Stale []string
	// Extra are notify_hasura_* triggers installed that the config does not
	// declare: their events would have no trigger to deliver them.
	Extra []string
	// Catalog is set when Hasura's event catalog is not installed.
	Catalog bool
}

// Error names every difference, one per line after a summary.
func (e *CheckError) Error() string {
	var b strings.Builder
	b.WriteString("the installed event triggers do not match the metadata (hasgen triggers install updates them)")
	if e.Catalog {
		b.WriteString("\n  missing: the event catalog (hdb_catalog.event_log, hdb_catalog.insert_event_log)")
	}
	for _, l := range []struct {
		what  string
		items []string
	}{{"missing", e.Missing}, {"stale", e.Stale}, {"extra", e.Extra}} {
		for _, it := range l.items {
			b.WriteString("\n  " + l.what + ": " + it)
		}
	}
	return b.String()
}

// checkSQL lists the notify_hasura_* triggers whose function is in
// hdb_catalog, with the function's body and comment.
const checkSQL = `SELECT t.tgname::text, n.nspname::text, c.relname::text, t.tgtype, t.tgenabled::text,
  p.prosrc, coalesce(obj_description(p.oid, 'pg_proc'), '')
FROM pg_catalog.pg_trigger AS t
JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace AS pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND t.tgname LIKE 'notify\_hasura\_%' AND pn.nspname = 'hdb_catalog'
  AND ` + notCloneSQL

// catalogCheckSQL says whether the event log and insert_event_log exist.
const catalogCheckSQL = `SELECT to_regclass('hdb_catalog.event_log') IS NOT NULL
  AND to_regprocedure('hdb_catalog.insert_event_log(text, text, text, text, json)') IS NOT NULL`

// Check compares the event triggers installed in the database with cfg:
// nil when every trigger of cfg is installed as InstallSQL writes it (the
// hash of its function body in the function's comment, and the body
// itself unchanged), none other is, and the catalog exists; else a
// *CheckError naming each difference. Other errors are the database's.
func Check(ctx context.Context, q Querier, cfg *Config) error {
	var hasCatalog bool
	rows, err := q.Query(ctx, catalogCheckSQL)
	if err != nil {
		return fmt.Errorf("check event catalog: %w", err)
	}
	hasCatalog, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[bool])
	if err != nil {
		return fmt.Errorf("check event catalog: %w", err)
	}
	type installed struct {
		tgtype           int16
		enabled, src, cm string
	}
	got := map[string]installed{}
	rows, err = q.Query(ctx, checkSQL)
	if err != nil {
		return fmt.Errorf("check event triggers: %w", err)
	}
	var name, schema, table string
	var in installed
	_, err = pgx.ForEachRow(rows, []any{&name, &schema, &table, &in.tgtype, &in.enabled, &in.src, &in.cm}, func() error {
		got[name+" on "+schema+"."+table] = in
		return nil
	})
	if err != nil {
		return fmt.Errorf("check event triggers: %w", err)
	}
	ce := &CheckError{Catalog: !hasCatalog}
	for _, c := range captureTriggers(cfg) {
		in, ok := got[c.key()]
		if !ok {
			ce.Missing = append(ce.Missing, c.key())
			continue
		}
		delete(got, c.key())
		sum := sha256.Sum256([]byte(in.src))
		switch {
		case in.cm != commentPrefix+c.hash:
			ce.Stale = append(ce.Stale, c.key()+" (its function is not the one the metadata declares)")
		case hex.EncodeToString(sum[:]) != c.hash:
			ce.Stale = append(ce.Stale, c.key()+" (its function was changed since it was installed)")
		case in.enabled != "O" && in.enabled != "A":
			// D is disabled, R fires only in replica sessions.
			ce.Stale = append(ce.Stale, c.key()+" (disabled)")
		case in.tgtype != c.tgtype():
			ce.Stale = append(ce.Stale, c.key()+" (it does not fire AFTER "+c.op+" FOR EACH ROW)")
		}
	}
	for k := range got {
		ce.Extra = append(ce.Extra, k)
	}
	sort.Strings(ce.Extra)
	if !ce.Catalog && len(ce.Missing)+len(ce.Stale)+len(ce.Extra) == 0 {
		return nil
	}
	return ce
}
