package compile_test

import (
	"encoding/base64"
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
	"github.com/hasgen/hasgen/templates"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// loadRelayFixture is loadFixture over the Relay schemas.
func loadRelayFixture(t *testing.T) *fixture {
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
	f := &fixture{c: compile.New(cs, compile.Options{Relay: true}), schemas: map[string]*ast.Schema{}}
	for _, role := range append([]string{model.AdminRole}, p.Roles...) {
		sdl, err := templates.RelaySDL(p, role)
		if err != nil {
			t.Fatal(err)
		}
		sch, gerr := gqlparser.LoadSchema(&ast.Source{Name: role, Input: string(sdl)})
		if gerr != nil {
			t.Fatalf("relay schema of %s: %v", role, gerr)
		}
		f.schemas[role] = sch
	}
	return f
}

// TestRelaySQL compiles Relay fields and compares their statements with
// testdata/golden/compile/relay_<case>.sql: one statement per root field,
// the role's filter in every table read, every value a parameter.
func TestRelaySQL(t *testing.T) {
	f := loadRelayFixture(t)
	id := base64.StdEncoding.EncodeToString([]byte(`[1, "public", "invoices", 98]`))
	cases := []struct {
		name, role, query, variables string
	}{
		{"customer_connection_after", "customer",
			`query ($after: String) { invoices_connection(first: 2, after: $after, order_by: {total: desc}) { edges { cursor node { id total } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
			`{"after": "` + base64.StdEncoding.EncodeToString([]byte(`{"total" : 5.94, "id" : 98}`)) + `"}`},
		{"customer_last_with_array_connection", "customer",
			`{ customers_connection(last: 1) { edges { node { id invoices_connection(first: 1) { edges { node { id } } } } } } }`, ""},
		{"customer_node", "customer",
			`query ($id: ID!) { node(id: $id) { id __typename ... on invoices { total } } }`, `{"id": "` + id + `"}`},
		{"customer_connection_subscription", "customer",
			`subscription { invoices_connection(first: 10) { edges { node { id } } } }`, ""},
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
				fmt.Fprintf(&b, "\n-- %s (%s)\n%s;\n", fld.Key, kindName(fld.Kind), fld.SQL)
				for i, prm := range fld.Params {
					fmt.Fprintf(&b, "-- $%d: %s\n", i+1, describe(prm))
				}
			}
			golden.Compare(t, filepath.Join(golden.Dir(t), "compile", "relay_"+c.name+".sql"), []byte(b.String()))
		})
	}
}
