package introspect_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/pgtest"
)

// TestLoadEnumTables reads the rows of enum tables, with and without a
// comment column, in another schema and with names that need quoting;
// values come back sorted whatever the rows' order, comments null or not.
func TestLoadEnumTables(t *testing.T) {
	file := filepath.Join(t.TempDir(), "enums.sql")
	if err := os.WriteFile(file, []byte(`
CREATE TABLE "Role" ("Value" text PRIMARY KEY, "Comment" text);
INSERT INTO "Role" VALUES ('viewer', NULL), ('admin', 'All of it'), ('Editor', '');
CREATE SCHEMA support;
CREATE TABLE support.state (value text PRIMARY KEY);
INSERT INTO support.state VALUES ('open'), ('closed');
CREATE TABLE support.empty (value text PRIMARY KEY, comment text);
`), 0o644); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, pgtest.NewDatabase(t, file), nil)
	s := load(t, conn, "public", "support")
	if err := introspect.LoadEnumTables(context.Background(), conn, s, [][2]string{{"support", "state"}, {"public", "Role"}, {"support", "empty"}}); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	want := []introspect.EnumTable{
		{Schema: "public", Name: "Role", Values: []introspect.EnumTableValue{{Value: "Editor", Comment: str("")}, {Value: "admin", Comment: str("All of it")}, {Value: "viewer"}}},
		{Schema: "support", Name: "empty", Values: []introspect.EnumTableValue{}},
		{Schema: "support", Name: "state", Values: []introspect.EnumTableValue{{Value: "closed"}, {Value: "open"}}},
	}
	if diff := cmp.Diff(want, s.EnumTables); diff != "" {
		t.Errorf("enum tables (-want +got):\n%s", diff)
	}
	// Reading again replaces, and a table that is not there is an error.
	if err := introspect.LoadEnumTables(context.Background(), conn, s, [][2]string{{"support", "state"}}); err != nil || len(s.EnumTables) != 3 {
		t.Errorf("again: %v, %d tables", err, len(s.EnumTables))
	}
	if err := introspect.LoadEnumTables(context.Background(), conn, s, [][2]string{{"public", "nope"}}); err == nil {
		t.Error("a missing table: no error")
	}
}
