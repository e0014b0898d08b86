package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestCheckSchemaTypes: a column whose type differs only by its modifier,
// or is a domain over the expected type, is compatible; a missing table,
// a type the database lacks and another type are differences.
func TestCheckSchemaTypes(t *testing.T) {
	sql := filepath.Join(t.TempDir(), "schema.sql")
	if err := os.WriteFile(sql, []byte(`CREATE DOMAIN short_text AS text;
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TABLE t (a varchar(10), b short_text, c int[], d mood, e int8, f text);
`), 0o644); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t, sql)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	tables := []*catalog.Table{
		{Schema: "public", Name: "t", Columns: []catalog.Column{
			{Name: "a", Type: "varchar"},              // varchar(10): same type
			{Name: "b", Type: "text"},                 // a domain over text
			{Name: "c", Type: "int4[]"},               // same
			{Name: "d", Type: `"public"."mood"`},      // same
			{Name: "e", Type: "int4"},                 // int8 now
			{Name: "f", Type: `"public"."gone_type"`}, // no such type
		}},
		{Schema: "public", Name: "gone", Columns: []catalog.Column{{Name: "x", Type: "int4"}}},
	}
	diffs, err := CheckSchema(ctx, pool, tables)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diffs {
		got = append(got, d.String())
	}
	want := []string{
		"table public.gone: expected a table or view, found missing",
		"table public.t, column e: expected int4, found bigint",
		`table public.t, column f: expected "public"."gone_type" (a type the database does not have), found text`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("differences (-want +got):\n%s", diff)
	}
}
