package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The start-up check that the database still matches the generated
// catalog: every table and column the generated code reads or writes
// exists with a compatible type, and every function it calls exists. A
// server generated before a migration dropped a column would otherwise
// serve, and fail each request that touches it.

// Schema check modes (HASGEN_SCHEMA_CHECK).
const (
	// SchemaCheckFail, the default, refuses to start while the database
	// differs, listing the differences.
	SchemaCheckFail = "fail"
	// SchemaCheckWarn logs the differences and serves; /healthz?strict
	// answers 503 with them until the database matches.
	SchemaCheckWarn = "warn"
	// SchemaCheckOff skips the check (/healthz?strict still runs it).
	SchemaCheckOff = "off"
)

// SchemaDiff is one difference between the generated catalog and the
// database.
type SchemaDiff struct {
	// Table is "schema.name"; Column is empty for the table itself.
	// Function is set instead of Table for a function.
	Table    string
	Column   string
	Function string
	// Expected is what the generated code uses; Found what the database
	// has ("missing" when it has nothing).
	Expected string
	Found    string
}

// String says the difference on one line.
func (d SchemaDiff) String() string {
	switch {
	case d.Function != "":
		return fmt.Sprintf("function %s: expected %s, found %s", d.Function, d.Expected, d.Found)
	case d.Column == "":
		return fmt.Sprintf("table %s: expected %s, found %s", d.Table, d.Expected, d.Found)
	}
	return fmt.Sprintf("table %s, column %s: expected %s, found %s", d.Table, d.Column, d.Expected, d.Found)
}

// SchemaMismatchError is the start-up error of a database that differs
// from the generated catalog.
type SchemaMismatchError struct{ Diffs []SchemaDiff }

func (e *SchemaMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the database does not match the generated catalog (regenerate with hasgen generate, or set HASGEN_SCHEMA_CHECK=warn to serve anyway): %d difference(s):", len(e.Diffs))
	for _, d := range e.Diffs {
		b.WriteString("\n  ")
		b.WriteString(d.String())
	}
	return b.String()
}

// querier is what CheckSchema runs on: a pool or a connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// CheckSchema compares the tables, columns and functions of the generated
// catalog with the database's, and returns the differences, sorted. A
// column's type is compatible when it is the same type (its modifiers
// aside: varchar(10) for varchar(20)) or a domain over it.
func CheckSchema(ctx context.Context, db querier, tables []*catalog.Table) ([]SchemaDiff, error) {
	var schemas, names, cols, types []string
	fnSet := map[[2]string]bool{}
	for _, t := range tables {
		schemas, names, cols, types = append(schemas, t.Schema), append(names, t.Name), append(cols, ""), append(types, "")
		for _, c := range t.Columns {
			schemas, names, cols, types = append(schemas, t.Schema), append(names, t.Name), append(cols, c.Name), append(types, c.Type)
		}
		for _, f := range t.Functions {
			fnSet[[2]string{f.Schema, f.Name}] = true
		}
		for _, cf := range t.ComputedFields {
			fnSet[[2]string{cf.Schema, cf.Function}] = true
		}
	}
	var diffs []SchemaDiff
	rows, err := db.Query(ctx, schemaCheckSQL, schemas, names, cols, types)
	if err != nil {
		return nil, fmt.Errorf("schema check: %w", err)
	}
	for rows.Next() {
		var schema, name, col, typ string
		var tableFound, colFound, typeKnown, compatible bool
		var found *string
		if err := rows.Scan(&schema, &name, &col, &typ, &tableFound, &colFound, &typeKnown, &compatible, &found); err != nil {
			rows.Close()
			return nil, fmt.Errorf("schema check: %w", err)
		}
		table := schema + "." + name
		switch {
		case col == "" && !tableFound:
			diffs = append(diffs, SchemaDiff{Table: table, Expected: "a table or view", Found: "missing"})
		case col == "" || !tableFound:
			// The table itself is there; or it is missing, said once.
		case !colFound:
			diffs = append(diffs, SchemaDiff{Table: table, Column: col, Expected: typ, Found: "missing"})
		case !typeKnown:
			diffs = append(diffs, SchemaDiff{Table: table, Column: col, Expected: typ + " (a type the database does not have)", Found: deref(found)})
		case !compatible:
			diffs = append(diffs, SchemaDiff{Table: table, Column: col, Expected: typ, Found: deref(found)})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("schema check: %w", err)
	}
	if len(fnSet) > 0 {
		var fs, fn []string
		for k := range fnSet {
			fs, fn = append(fs, k[0]), append(fn, k[1])
		}
		rows, err := db.Query(ctx, functionCheckSQL, fs, fn)
		if err != nil {
			return nil, fmt.Errorf("schema check: %w", err)
		}
		for rows.Next() {
			var schema, name string
			if err := rows.Scan(&schema, &name); err != nil {
				rows.Close()
				return nil, fmt.Errorf("schema check: %w", err)
			}
			diffs = append(diffs, SchemaDiff{Function: schema + "." + name, Expected: "a function", Found: "missing"})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("schema check: %w", err)
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].String() < diffs[j].String() })
	return diffs, nil
}

func deref(s *string) string {
	if s == nil {
		return "missing"
	}
	return *s
}

// schemaCheckSQL looks up each (schema, table, column, type) of the
// catalog; an empty column stands for the table itself.
const schemaCheckSQL = `SELECT e.s, e.t, e.c, e.ty,
  cl.oid IS NOT NULL,
  a.attnum IS NOT NULL,
  e.ty = '' OR to_regtype(NULLIF(e.ty, '')) IS NOT NULL,
  coalesce(a.atttypid = to_regtype(NULLIF(e.ty, '')) OR ty.typbasetype = to_regtype(NULLIF(e.ty, '')) OR bt.typbasetype = a.atttypid, false),
  format_type(a.atttypid, a.atttypmod)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(s, t, c, ty, i)
LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = e.s
LEFT JOIN pg_catalog.pg_class cl ON cl.relnamespace = n.oid AND cl.relname = e.t
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = cl.oid AND a.attname = e.c AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type bt ON bt.oid = to_regtype(NULLIF(e.ty, ''))
ORDER BY e.i`

// functionCheckSQL returns the (schema, name) pairs with no function.
const functionCheckSQL = `SELECT e.s, e.f
FROM unnest($1::text[], $2::text[]) AS e(s, f)
WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = e.s AND p.proname = e.f)
ORDER BY 1, 2`

// startSchemaCheck runs the check at start as cfg.SchemaCheck says: an
// error in fail mode when the database differs; differences logged in
// warn mode. A database it cannot query is left to /healthz.
func startSchemaCheck(ctx context.Context, cfg Config, db querier, tables []*catalog.Table, log *slog.Logger) error {
	if cfg.SchemaCheck == SchemaCheckOff {
		return nil
	}
	diffs, err := CheckSchema(ctx, db, tables)
	if err != nil {
		log.Warn("the schema check could not run", "error", err)
		return nil
	}
	if len(diffs) == 0 {
		return nil
	}
	mismatch := &SchemaMismatchError{Diffs: diffs}
	if cfg.SchemaCheck == SchemaCheckWarn {
		for _, d := range diffs {
			log.Warn("the database does not match the generated catalog", "difference", d.String())
		}
		return nil
	}
	return mismatch
}

// strictHealth is /healthz?strict: the database answers and matches the
// generated catalog; else 503 with the differences, one per line.
func strictHealth(w http.ResponseWriter, r *http.Request, db *pgxpool.Pool, tables []*catalog.Table) {
	diffs, err := CheckSchema(r.Context(), db, tables)
	if err != nil {
		http.Error(w, "ERROR: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if len(diffs) > 0 {
		var b strings.Builder
		b.WriteString("ERROR: the database does not match the generated catalog\n")
		for _, d := range diffs {
			b.WriteString(d.String())
			b.WriteString("\n")
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(b.String()))
		return
	}
	w.Write([]byte("OK"))
}

// checkSchemaCheckMode checks a HASGEN_SCHEMA_CHECK value.
func checkSchemaCheckMode(mode string) error {
	switch mode {
	case SchemaCheckFail, SchemaCheckWarn, SchemaCheckOff:
		return nil
	}
	return fmt.Errorf("HASGEN_SCHEMA_CHECK=%q: want fail, warn or off", mode)
}

// printMismatch writes a start-up schema mismatch as plain lines, which
// a JSON log line would hide in one escaped string.
func printMismatch(w io.Writer, err error) {
	var m *SchemaMismatchError
	if errors.As(err, &m) {
		fmt.Fprintln(w, m.Error())
	}
}
