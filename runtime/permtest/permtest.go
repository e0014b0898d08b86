// Package permtest runs the permission tests hasgen generates into a
// project (permtest/<table>_test.go): rows a role must not see or change
// are inserted next to rows it must, and the project's own engine, in
// process, is asked as that role with its session variables.
//
// A generated test reads:
//
//	h := permtest.New(t, "../sql/schema.sql", project)
//	h.Insert("public", "messages", permtest.Row{"id": "1001", "author_id": "1", ...})
//	h.Select(permtest.Select{Role: "user", Session: ..., Field: "messages", ...})
//
// The database is a fresh one from package pgtest: on $DATABASE_URL's
// server when it is set, else on a throwaway cluster started from the
// local initdb and pg_ctl (the test package's TestMain calls pgtest.Main).
// It holds the project's sql/schema.sql: the tracked tables' columns and
// keys, without foreign keys, so a test inserts only the rows it needs.
package permtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Harness is one test's database and the project's engine over it.
type Harness struct {
	t      testing.TB
	pool   *pgxpool.Pool
	engine *engine.Engine
}

// New creates a fresh database from schemaSQL (the project's
// sql/schema.sql) and the project's engine over it, as runtime.NewEngine
// builds it for the server with its default configuration. Both go when
// the test ends.
func New(t testing.TB, schemaSQL string, p runtime.Project) *Harness {
	t.Helper()
	url := pgtest.NewDatabase(t, schemaSQL)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("permtest: connect: %v", err)
	}
	t.Cleanup(pool.Close)
	// The server's engine as its defaults make it: the environment of the
	// test run (HASURA_GRAPHQL_*) does not change what a role may see.
	cfg, err := runtime.ProjectConfig(p, []string{"--database-url", url}, func(string) string { return "" })
	if err != nil {
		t.Fatalf("permtest: configuration: %v", err)
	}
	e, err := runtime.NewEngine(cfg, p, pool)
	if err != nil {
		t.Fatalf("permtest: engine: %v", err)
	}
	return &Harness{t: t, pool: pool, engine: e}
}

// Row is a row to insert: column name → the value's text (as Postgres
// reads it for the column's type), or nil for NULL.
type Row map[string]any

// Insert inserts row into schema.table, every value a bind parameter.
func (h *Harness) Insert(schema, table string, row Row) {
	h.t.Helper()
	cols := slices.Sorted(func(yield func(string) bool) {
		for c := range row {
			if !yield(c) {
				return
			}
		}
	})
	var sql strings.Builder
	fmt.Fprintf(&sql, "INSERT INTO %s.%s (", catalog.QuoteIdent(schema), catalog.QuoteIdent(table))
	args := make([]any, len(cols))
	for i, c := range cols {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString(catalog.QuoteIdent(c))
		args[i] = row[c]
	}
	sql.WriteString(") VALUES (")
	for i := range cols {
		if i > 0 {
			sql.WriteString(", ")
		}
		fmt.Fprintf(&sql, "$%d", i+1)
	}
	sql.WriteString(")")
	// A string is sent in text format, which Postgres reads as the
	// column's type, whatever the type (pgx: chooseParameterFormatCode).
	if _, err := h.pool.Exec(context.Background(), sql.String(), args...); err != nil {
		h.t.Fatalf("permtest: insert into %s.%s %v: %v", schema, table, row, err)
	}
}

// Key is a primary-key column: its GraphQL field and whether its values
// are written as GraphQL strings (quoted) or numbers.
type Key struct {
	Field  string
	Quoted bool
}

// Select is what a role may read of a table, and the rows it must and
// must not see among those the test inserted.
type Select struct {
	Role    string
	Session map[string]string
	// Field is the table's select root field; Aggregate its aggregate
	// field, "" when the role may not aggregate.
	Field, Aggregate string
	// Keys are the primary-key columns; a row is named by their values'
	// text, in that order.
	Keys []Key
	// Columns are the fields the role may select; Hidden the columns it
	// may not, which its schema must not have.
	Columns, Hidden []string
	// Allowed are the rows the role must see, Forbidden those it must not.
	Allowed, Forbidden [][]string
	// Relationships are the relationships that lead to the table from a
	// table the role sees every row of.
	Relationships []Relationship
}

// Relationship is a relationship into the table, from Parent whose rows
// the role sees all of: through it the same rows come back, no others.
type Relationship struct {
	// Parent is the parent table's select root field, ParentKeys its
	// primary key, Name the relationship's field.
	Parent     string
	ParentKeys []Key
	Name       string
	// Parents are, for each row of Allowed then Forbidden, its parent's
	// key.
	Parents [][]string
}

// Select checks s: the allowed rows come back, the forbidden ones do not,
// through the root field, the aggregate and the relationships; the hidden
// columns are refused.
func (h *Harness) Select(s Select) {
	h.t.Helper()
	subjects := append(slices.Clone(s.Allowed), s.Forbidden...)
	where := whereKeys(s.Keys, subjects)
	keys := fields(s.Keys)
	q := fmt.Sprintf("{ %s(where: %s) { %s } }", s.Field, where, strings.Join(union(keys, s.Columns), " "))
	got := rowKeys(h.t, s.Keys, h.data(s.Role, s.Session, q)[s.Field])
	h.compare(s.Role+": "+s.Field, got, s.Allowed, s.Forbidden)

	if s.Aggregate != "" {
		q := fmt.Sprintf("{ %s(where: %s) { aggregate { count } } }", s.Aggregate, where)
		agg, _ := h.data(s.Role, s.Session, q)[s.Aggregate].(map[string]any)
		count, _ := agg["aggregate"].(map[string]any)["count"].(json.Number)
		if string(count) != fmt.Sprint(len(s.Allowed)) {
			h.t.Errorf("%s: %s counts %s rows of the %d inserted, want %d (the allowed ones)", s.Role, s.Aggregate, count, len(subjects), len(s.Allowed))
		}
	}

	for _, col := range s.Hidden {
		q := fmt.Sprintf("{ %s { %s } }", s.Field, col)
		if out := h.do(s.Role, s.Session, q); !strings.Contains(string(out), `"validation-failed"`) {
			h.t.Errorf("%s: column %s of %s must not be selectable; got %s", s.Role, col, s.Field, out)
		}
	}

	for _, r := range s.Relationships {
		h.relationship(s, r, subjects)
	}
}

// relationship checks that under their parents the allowed rows come back
// and the forbidden ones do not.
func (h *Harness) relationship(s Select, r Relationship, subjects [][]string) {
	h.t.Helper()
	var parents [][]string
	for _, p := range r.Parents {
		if !slices.ContainsFunc(parents, func(q []string) bool { return slices.Equal(p, q) }) {
			parents = append(parents, p)
		}
	}
	// One parent a query: the role's limit on the parent table, if any,
	// does not hide one.
	pkeys := fields(r.ParentKeys)
	under := map[string][]string{} // each parent's rows, by its key
	for _, p := range parents {
		q := fmt.Sprintf("{ %s(where: %s) { %s %s { %s } } }", r.Parent, whereKeys(r.ParentKeys, [][]string{p}),
			strings.Join(pkeys, " "), r.Name, strings.Join(fields(s.Keys), " "))
		rows, _ := h.data(s.Role, s.Session, q)[r.Parent].([]any)
		if len(rows) != 1 {
			h.t.Fatalf("%s: parent %v did not come back from %s, which the role sees all of: %s", s.Role, p, r.Parent, q)
		}
		m, _ := rows[0].(map[string]any)
		var children []any
		switch v := m[r.Name].(type) {
		case []any:
			children = v
		case map[string]any:
			children = []any{v}
		}
		under[keyOf(h.t, r.ParentKeys, m)] = rowKeys(h.t, s.Keys, children)
	}
	path := s.Role + ": " + r.Parent + "." + r.Name
	for i, sub := range subjects {
		got := under[strings.Join(r.Parents[i], ",")]
		allowed := i < len(s.Allowed)
		if in := slices.Contains(got, strings.Join(sub, ",")); in != allowed {
			h.t.Errorf("%s: row %v %s under its parent %v (got %v)", path, sub, verb(allowed), r.Parents[i], got)
		}
	}
}

func verb(allowed bool) string {
	if allowed {
		return "must come back"
	}
	return "must not come back"
}

// Mutation is an update or delete a role may run, and the rows it must
// and must not change among those the test inserted.
type Mutation struct {
	Role    string
	Session map[string]string
	// Field is the mutation root field (update_<t> or delete_<t>), Select
	// the table's select root field (read back as admin).
	Field, Select string
	Keys          []Key
	// Set is, for an update, the _set argument's column and its value as
	// a GraphQL literal, and Want the value's text as it reads back.
	SetColumn, SetValue, Want string
	Allowed, Forbidden        [][]string
}

// Update checks that an update as the role changes the allowed rows and
// leaves the forbidden ones as they were.
func (h *Harness) Update(m Mutation) {
	h.t.Helper()
	subjects := append(slices.Clone(m.Allowed), m.Forbidden...)
	where := whereKeys(m.Keys, subjects)
	before := h.read(m, where)
	q := fmt.Sprintf("mutation { %s(where: %s, _set: {%s: %s}) { affected_rows } }", m.Field, where, m.SetColumn, m.SetValue)
	h.affected(m, q)
	after := h.read(m, where)
	for i, sub := range subjects {
		k := strings.Join(sub, ",")
		if i < len(m.Allowed) {
			if after[k] != m.Want {
				h.t.Errorf("%s: %s did not set %s of row %v: %q, want %q", m.Role, m.Field, m.SetColumn, sub, after[k], m.Want)
			}
		} else if after[k] != before[k] {
			h.t.Errorf("%s: %s changed %s of row %v, which it must not: %q → %q", m.Role, m.Field, m.SetColumn, sub, before[k], after[k])
		}
	}
}

// Delete checks that a delete as the role removes the allowed rows and
// leaves the forbidden ones.
func (h *Harness) Delete(m Mutation) {
	h.t.Helper()
	subjects := append(slices.Clone(m.Allowed), m.Forbidden...)
	where := whereKeys(m.Keys, subjects)
	h.affected(m, fmt.Sprintf("mutation { %s(where: %s) { affected_rows } }", m.Field, where))
	q := fmt.Sprintf("{ %s(where: %s) { %s } }", m.Select, where, strings.Join(fields(m.Keys), " "))
	left := rowKeys(h.t, m.Keys, h.data(session.AdminRole, nil, q)[m.Select])
	for i, sub := range subjects {
		gone := !slices.Contains(left, strings.Join(sub, ","))
		if allowed := i < len(m.Allowed); gone != allowed {
			if allowed {
				h.t.Errorf("%s: %s left row %v, which it may delete", m.Role, m.Field, sub)
			} else {
				h.t.Errorf("%s: %s deleted row %v, which it must not", m.Role, m.Field, sub)
			}
		}
	}
}

// affected runs mutation q as m's role and checks it touched exactly the
// allowed rows' number.
func (h *Harness) affected(m Mutation, q string) {
	h.t.Helper()
	res, _ := h.data(m.Role, m.Session, q)[m.Field].(map[string]any)
	if n, _ := res["affected_rows"].(json.Number); string(n) != fmt.Sprint(len(m.Allowed)) {
		h.t.Errorf("%s: %s affected %s rows of the %d inserted, want %d (the allowed ones)", m.Role, m.Field, n, len(m.Allowed)+len(m.Forbidden), len(m.Allowed))
	}
}

// read returns the set column's text of each subject, as admin.
func (h *Harness) read(m Mutation, where string) map[string]string {
	h.t.Helper()
	q := fmt.Sprintf("{ %s(where: %s) { %s %s } }", m.Select, where, strings.Join(fields(m.Keys), " "), m.SetColumn)
	rows, _ := h.data(session.AdminRole, nil, q)[m.Select].([]any)
	out := map[string]string{}
	for _, r := range rows {
		row, _ := r.(map[string]any)
		out[keyOf(h.t, m.Keys, row)] = text(row[m.SetColumn])
	}
	return out
}

// compare reports allowed rows missing from got and forbidden rows in it.
func (h *Harness) compare(what string, got []string, allowed, forbidden [][]string) {
	h.t.Helper()
	for _, a := range allowed {
		if !slices.Contains(got, strings.Join(a, ",")) {
			h.t.Errorf("%s: allowed row %v did not come back (got %v)", what, a, got)
		}
	}
	for _, f := range forbidden {
		if slices.Contains(got, strings.Join(f, ",")) {
			h.t.Errorf("%s: forbidden row %v came back", what, f)
		}
	}
}

// do runs query as role and returns the response body.
func (h *Harness) do(role string, vars map[string]string, query string) []byte {
	s := &session.Session{Role: role, Vars: map[string]string{}}
	for k, v := range vars {
		s.Vars[session.VarName(k)] = v
	}
	return h.engine.Do(context.Background(), s, &wire.Request{Query: query})
}

// data runs query as role and returns its data; errors fail the test.
func (h *Harness) data(role string, vars map[string]string, query string) map[string]any {
	h.t.Helper()
	out := h.do(role, vars, query)
	var res struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil || len(res.Errors) > 0 || res.Data == nil {
		h.t.Fatalf("%s: %s\n→ %s", role, query, out)
	}
	return res.Data
}

// whereKeys is a where argument matching the rows of keys.
func whereKeys(keys []Key, rows [][]string) string {
	var b strings.Builder
	b.WriteString("{_or: [")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{")
		for j, k := range keys {
			if j > 0 {
				b.WriteString(", ")
			}
			v := r[j]
			if k.Quoted {
				q, _ := json.Marshal(v)
				v = string(q)
			}
			fmt.Fprintf(&b, "%s: {_eq: %s}", k.Field, v)
		}
		b.WriteString("}")
	}
	b.WriteString("]}")
	return b.String()
}

func fields(keys []Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Field
	}
	return out
}

// union is a then the names of b not in a.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// rowKeys names each row of v (a JSON list of objects) by its key.
func rowKeys(t testing.TB, keys []Key, v any) []string {
	t.Helper()
	rows, _ := v.([]any)
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		m, _ := r.(map[string]any)
		out = append(out, keyOf(t, keys, m))
	}
	sort.Strings(out)
	return out
}

// keyOf is a row's key values' text, joined by commas.
func keyOf(t testing.TB, keys []Key, row map[string]any) string {
	t.Helper()
	parts := make([]string, len(keys))
	for i, k := range keys {
		v, ok := row[k.Field]
		if !ok {
			t.Fatalf("permtest: key %s missing from %v", k.Field, row)
		}
		parts[i] = text(v)
	}
	return strings.Join(parts, ",")
}

// text is a JSON value as the text the test inserted it as.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return string(v)
	case bool:
		return fmt.Sprint(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
