package compile_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// fixture is graphql-bench's Chinook (the committed introspection
// snapshot) with the test permissions of testdata/fixtures/chinook: role
// customer sees its own customer row, invoices and lines; role employee
// the customers it supports. No database is involved.
type fixture struct {
	c       *compile.Compiler
	schemas map[string]*ast.Schema
}

func loadFixture(t *testing.T) *fixture {
	t.Helper()
	root := filepath.Join(golden.Dir(t), "..", "..")
	s, err := introspect.LoadSnapshotFile(filepath.Join(golden.Dir(t), "introspect", "chinook_graphql_bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Load(filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml"), s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := catalog.NewSchema(templates.Descriptors(p)...)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{c: compile.New(cs, compile.Options{}), schemas: map[string]*ast.Schema{}}
	for _, role := range append([]string{model.AdminRole}, p.Roles...) {
		sdl, err := templates.SDL(p, role)
		if err != nil {
			t.Fatal(err)
		}
		sch, gerr := gqlparser.LoadSchema(&ast.Source{Name: role, Input: string(sdl)})
		if gerr != nil {
			t.Fatalf("schema of %s: %v", role, gerr)
		}
		f.schemas[role] = sch
	}
	return f
}

// compile validates query for role (as the engine does before compiling)
// and compiles it with the variables.
func (f *fixture) compile(t *testing.T, role, query, variables string) (*compile.Plan, error) {
	t.Helper()
	doc, gerr := gqlparser.LoadQueryWithRules(f.schemas[role], query, nil)
	if gerr != nil {
		t.Fatalf("query does not validate for %s: %v", role, gerr)
	}
	vars, err := wire.ParseVariables([]byte(variables))
	if err != nil {
		t.Fatal(err)
	}
	return f.c.Operation(role, doc, doc.Operations[0], vars.Values)
}

// TestOperationSQL compiles queries, mutations and subscriptions for each
// role and compares the statements and their parameters with
// testdata/golden/compile/<case>.sql. The role filters must appear in every
// table the statements read; a change to the SQL shows here as a diff.
func TestOperationSQL(t *testing.T) {
	f := loadFixture(t)
	cases := []struct {
		name, role, query, variables string
	}{
		{"admin_albums_where_order_limit", "admin",
			`{ albums(where: {title: {_ilike: "%rock%"}}, order_by: [{artist: {name: asc}}, {id: desc}], limit: 5, offset: 2) { id title artist { name } } }`, ""},
		{"customer_own_row_with_invoices", "customer",
			`{ customers { id first_name invoices(order_by: {invoice_date: desc}, limit: 2) { id total invoice_lines { track { name } } } } }`, ""},
		{"customer_by_pk_with_variables", "customer",
			`query Q($id: Int!) { customers_by_pk(id: $id) { id email } }`, `{"id": 7}`},
		{"employee_customers_where_relationship", "employee",
			`query Q($country: String, $min: numeric) { customers(where: {_and: [{country: {_eq: $country}}, {invoices: {total: {_gt: $min}}}]}) { id last_name } }`,
			`{"country": "Brazil", "min": "10"}`},
		{"employee_aggregate", "employee",
			`{ invoices_aggregate(where: {billing_country: {_in: ["USA", "Canada"]}}) { aggregate { count sum { total } max { invoice_date } } nodes { id } } }`, ""},
		{"admin_distinct_on_and_aggregate_order", "admin",
			`{ artists(distinct_on: [name], order_by: [{name: asc}, {albums_aggregate: {count: desc}}]) { name albums_aggregate { aggregate { count } } } }`, ""},
		{"admin_insert_nested", "admin",
			`mutation { insert_albums_one(object: {title: "New", artist: {data: {name: "Someone"}}, tracks: {data: [{name: "One", media_type_id: 1, milliseconds: 1, unit_price: 0.99}]}}) { id title artist { name } } }`, ""},
		{"admin_update_and_delete", "admin",
			`mutation M($id: Int!) { update_albums(where: {id: {_eq: $id}}, _set: {title: "x"}) { affected_rows } delete_tracks_by_pk(id: 1) { id } }`, `{"id": 3}`},
		{"customer_live_query", "customer",
			`subscription { invoices(order_by: {id: asc}) { id total } }`, ""},
		{"customer_stream", "customer",
			`subscription { invoices_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id total } }`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := f.compile(t, c.role, c.query, c.variables)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "-- role: %s\n-- query: %s\n", c.role, c.query)
			if c.variables != "" {
				fmt.Fprintf(&b, "-- variables: %s\n", c.variables)
			}
			for _, fld := range p.Fields {
				sts := fld.Mutations
				if len(sts) == 0 {
					sts = []compile.Statement{fld.Statement}
				}
				for _, st := range sts {
					fmt.Fprintf(&b, "\n-- %s (%s)\n%s;\n", fld.Key, kindName(fld.Kind), st.SQL)
					for i, prm := range st.Params {
						fmt.Fprintf(&b, "-- $%d: %s\n", i+1, describe(prm))
					}
				}
			}
			golden.Compare(t, filepath.Join(golden.Dir(t), "compile", c.name+".sql"), []byte(b.String()))
		})
	}
}

// TestOperationErrors: what a role's permissions do not allow is refused
// with Hasura's error, at the field's path, and nothing is compiled.
func TestOperationErrors(t *testing.T) {
	f := loadFixture(t)
	cases := []struct {
		name, role, query, variables string
		want                         wire.Error
	}{
		{"distinct_on must match order_by", "admin", `{ albums(distinct_on: [title], order_by: {id: asc}) { id } }`, "",
			wire.Error{Code: wire.CodeValidationFailed, Path: "$.selectionSet.albums.args", Message: `"distinct_on" columns must match initial "order_by" columns`}},
		{"negative limit", "admin", `{ albums(limit: -1) { id } }`, "",
			wire.Error{Code: wire.CodeValidationFailed, Path: "$.selectionSet.albums.args.limit", Message: "unexpected negative value"}},
		{"two cursor columns", "admin", `subscription { albums_stream(batch_size: 1, cursor: {initial_value: {id: 1, title: "a"}}) { id } }`, "",
			wire.Error{Code: wire.CodeValidationFailed, Path: "$.selectionSet.albums_stream.args.cursor", Message: "multiple column cursors are not supported yet"}},
		{"null _is_null", "customer", `{ customers(where: {email: {_is_null: null}}) { id } }`, "",
			wire.Error{Code: wire.CodeValidationFailed, Path: "$.selectionSet.customers.args.where.email._is_null", Message: `unexpected null value for type "Boolean"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := f.compile(t, c.role, c.query, c.variables)
			if err == nil {
				t.Fatalf("compiled %d fields, want error %q", len(p.Fields), c.want.Message)
			}
			got := wire.First(err)
			if got.Code != c.want.Code || got.Path != c.want.Path || got.Message != c.want.Message {
				t.Fatalf("got {%s %s %q}, want {%s %s %q}", got.Code, got.Path, got.Message, c.want.Code, c.want.Path, c.want.Message)
			}
		})
	}
}

func kindName(k compile.FieldKind) string {
	switch k {
	case compile.FieldQuery:
		return "query"
	case compile.FieldMutation:
		return "mutation"
	case compile.FieldLive:
		return "live query poll"
	case compile.FieldStream:
		return "stream poll"
	}
	return fmt.Sprint(k)
}

// describe says where a parameter's value comes from.
func describe(p catalog.Param) string {
	switch {
	case p.Session != "":
		return "session variable " + p.Session
	case p.Var != "":
		s := "variable $" + p.Var
		for _, k := range p.Path {
			s += fmt.Sprintf(".%v", k)
		}
		return s + " as " + encodings[p.Encoding]
	case p.Literal != nil:
		return "literal with its variables as " + encodings[p.Encoding]
	}
	v, _ := json.Marshal(p.Const)
	return fmt.Sprintf("constant %s as %s", v, encodings[p.Encoding])
}

var encodings = map[catalog.Encoding]string{
	catalog.EncodeText: "text", catalog.EncodeJSON: "json", catalog.EncodeTextList: "text[]",
	catalog.EncodeArrayLit: "array literal", catalog.EncodeJSONPath: "json path", catalog.EncodeJSONList: "json[]",
	catalog.EncodeArray: "array",
}
