package model

import (
	"strings"
	"testing"

	"github.com/hasgen/hasgen/introspect"
)

func TestScalarName(t *testing.T) {
	base := func(schema, name string) introspect.Type {
		return introspect.Type{Schema: schema, Name: name, Kind: introspect.TypeBase}
	}
	cases := []struct {
		typ  introspect.Type
		want string
	}{
		{base("pg_catalog", "int4"), "Int"},
		{base("pg_catalog", "text"), "String"},
		{base("pg_catalog", "varchar"), "String"},
		{base("pg_catalog", "bool"), "Boolean"},
		{base("pg_catalog", "float4"), "Float"},
		{base("pg_catalog", "int2"), "smallint"},
		{base("pg_catalog", "int8"), "bigint"},
		{base("pg_catalog", "float8"), "float8"},
		{base("pg_catalog", "numeric"), "numeric"},
		{base("pg_catalog", "timestamptz"), "timestamptz"},
		{base("pg_catalog", "bpchar"), "bpchar"},
		{base("pg_catalog", "jsonb"), "jsonb"},
		{introspect.Type{Schema: "public", Name: "mpaa_rating", Kind: introspect.TypeEnum}, "mpaa_rating"},
		{introspect.Type{Schema: "billing", Name: "state", Kind: introspect.TypeEnum}, "state"},
		{introspect.Type{Schema: "billing", Name: "address", Kind: introspect.TypeComposite}, "address_scalar"},
		{introspect.Type{Schema: "billing", Name: "address", Kind: introspect.TypeComposite, Dims: 1}, "address_scalar"},
		{introspect.Type{Schema: "public", Name: "address", Kind: introspect.TypeComposite}, "address_scalar"},
		{introspect.Type{Schema: "public", Name: "year", Kind: introspect.TypeDomain, Base: &introspect.Type{Schema: "pg_catalog", Name: "int4", Kind: introspect.TypeBase}}, "Int"},
		{introspect.Type{Schema: "public", Name: "bıgınt", Kind: introspect.TypeDomain, Base: &introspect.Type{Schema: "pg_catalog", Name: "int8", Kind: introspect.TypeBase}}, "bigint"},
		{introspect.Type{Schema: "pg_catalog", Name: "text", Kind: introspect.TypeBase, Dims: 1}, "String"},
	}
	for _, c := range cases {
		if got := ScalarName(c.typ); got != c.want {
			t.Errorf("ScalarName(%s.%s) = %q, want %q", c.typ.Schema, c.typ.Name, got, c.want)
		}
	}
}

func TestSQLType(t *testing.T) {
	cases := []struct {
		typ  introspect.Type
		want string
	}{
		{introspect.Type{Schema: "pg_catalog", Name: "int4"}, "int4"},
		{introspect.Type{Schema: "pg_catalog", Name: "text", Dims: 2}, "text[][]"},
		{introspect.Type{Schema: "public", Name: "mpaa_rating"}, `"public"."mpaa_rating"`},
		{introspect.Type{Schema: "public", Name: `we"ird`}, `"public"."we""ird"`},
	}
	for _, c := range cases {
		if got := SQLType(c.typ); got != c.want {
			t.Errorf("SQLType(%+v) = %q, want %q", c.typ, got, c.want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ schema, name, ident, goName string }{
		{"public", "albums", "albums", "Albums"},
		{"public", "invoice_lines", "invoice_lines", "InvoiceLines"},
		{"public", "Album", "Album", "Album"},
		{"billing", "invoices", "billing_invoices", "BillingInvoices"},
		{"public", "_hidden", "_hidden", "Hidden"},
		{"public", "2fa", "2fa", "T2fa"},
	} {
		id := TableIdentifier(c.schema, c.name)
		if id != c.ident {
			t.Errorf("TableIdentifier(%s, %s) = %q, want %q", c.schema, c.name, id, c.ident)
		}
		if g := GoName(id); g != c.goName {
			t.Errorf("GoName(%q) = %q, want %q", id, g, c.goName)
		}
	}
	if validName("2fa") || validName("__x") || !validName("_x1") {
		t.Error("validName disagrees with GraphQL's name rule")
	}
}

// TestFileNames checks that no table's file is one go build skips or
// builds only on some platforms, and that names stay distinct.
func TestFileNames(t *testing.T) {
	cases := []struct{ schema, name, want string }{
		{"public", "albums", "public_albums"},
		{"public", "uuid_test", "public_uuid_test_table"},
		{"public", "orders_linux", "public_orders_linux_table"},
		{"public", "logs_amd64", "public_logs_amd64_table"},
		{"public", "x_windows_arm64", "public_x_windows_arm64_table"},
		{"public", "test", "public_test_table"},
		{"public", "linux_x", "public_linux_x"},
		{"_private", "users", "x_private_users"},
		{"public", "Weird Name", "public_weirdx20name"},
	}
	for _, c := range cases {
		if got := fileName(c.schema, c.name); got != c.want {
			t.Errorf("fileName(%s, %s) = %q, want %q", c.schema, c.name, got, c.want)
		}
	}
	tables := []*Table{
		{File: fileName("public", "Orders")},
		{File: fileName("public", "orders")},
		{File: fileName("public", "orders_2")},
		{File: fileName("public", "uuid_test")},
		{File: fileName("public", "uuid_test_table")},
	}
	uniqueFiles(tables)
	var got []string
	for _, tb := range tables {
		got = append(got, tb.File)
	}
	want := []string{"public_orders", "public_orders_3", "public_orders_2", "public_uuid_test_table", "public_uuid_test_table_2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("uniqueFiles = %v, want %v", got, want)
	}
}
