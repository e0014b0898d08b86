package model

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
)

// TestFunctionNames checks Hasura's names for a tracked function: <fn>
// (schema-prefixed outside public), custom_name and custom_root_fields,
// <fn>_args, arg_<n> for unnamed arguments, and who sees it.
func TestFunctionNames(t *testing.T) {
	int4 := introspect.Type{Schema: "pg_catalog", Name: "int4", Kind: introspect.TypeBase, SQL: "integer"}
	jsonT := introspect.Type{Schema: "pg_catalog", Name: "json", Kind: introspect.TypeBase, SQL: "json"}
	s := &introspect.Schema{Version: introspect.SnapshotVersion, Schemas: []string{"public", "shop"},
		Tables: []introspect.Table{{Schema: "shop", Name: "items", Kind: introspect.KindTable,
			Columns: []introspect.Column{{Name: "id", Position: 1, Type: int4}}}},
		Functions: []introspect.Function{
			{Schema: "shop", Name: "cheap", ReturnSchema: "shop", ReturnTable: "items", Volatility: "stable",
				Args: []introspect.Arg{{Type: int4}, {Name: "s", Type: jsonT}, {Type: int4, HasDefault: true}}},
			{Schema: "shop", Name: "restock", ReturnSchema: "shop", ReturnTable: "items", Volatility: "volatile"},
		}}
	yaml := `- name: default
  tables:
    - table: {schema: shop, name: items}
      select_permissions:
        - {role: buyer, permission: {columns: [id], filter: {}}}
        - {role: clerk, permission: {columns: [id], filter: {}}}
  functions:
    - function: {schema: shop, name: cheap}
      configuration: {session_argument: s}
    - function: {schema: shop, name: restock}
      configuration: {custom_name: restockItems, custom_root_fields: {function: restock_now}}
      permissions: [{role: clerk}]
`
	md, err := metadata.LoadFS(fstest.MapFS{"databases.yaml": {Data: []byte(yaml)}}, "databases.yaml", s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(s, md)
	if err != nil {
		t.Fatal(err)
	}
	type fn struct {
		Field, Aggregate, ArgsType string
		Args                       []string
		Required, Mutation         bool
		Roles                      []string
		Buyer, Clerk               bool
	}
	var got []fn
	for _, f := range p.Functions {
		var args []string
		for _, a := range f.UserArgs() {
			args = append(args, a.Field)
		}
		got = append(got, fn{f.Field, f.AggregateField, f.ArgsType, args, ArgsRequired(f.Args), f.Mutation, f.Roles(),
			p.FunctionVisible(f, "buyer"), p.FunctionVisible(f, "clerk")})
	}
	want := []fn{
		// The session argument is not in args; the first unnamed
		// argument has no default, so args is required.
		{Field: "restock_now", Aggregate: "restockItems_aggregate", ArgsType: "restockItems_args", Mutation: true,
			Roles: []string{"clerk"}, Clerk: true},
		{Field: "shop_cheap", Aggregate: "shop_cheap_aggregate", ArgsType: "shop_cheap_args", Args: []string{"arg_1", "arg_2"},
			Required: true, Roles: []string{"buyer", "clerk"}, Buyer: true, Clerk: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("functions (-want +got):\n%s", d)
	}
}
