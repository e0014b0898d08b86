package introspect_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/introspect"
)

// small is a schema with a bit of everything, written by hand.
func small() *introspect.Schema {
	int4 := introspect.Type{Schema: "pg_catalog", Name: "int4", Kind: introspect.TypeBase, SQL: "integer"}
	return &introspect.Schema{
		Schemas: []string{"public"},
		Tables: []introspect.Table{
			{Schema: "public", Name: "b", Kind: introspect.KindView, Columns: []introspect.Column{}},
			{Schema: "public", Name: "a", Kind: introspect.KindTable, Comment: "x < y & z",
				Columns: []introspect.Column{
					{Name: "id", Position: 1, Type: int4, NotNull: true, Identity: "by_default", Insertable: true, Updatable: true},
					{Name: "y", Position: 2, Type: introspect.Type{Schema: "public", Name: "year", Kind: introspect.TypeDomain,
						SQL: "public.year", Base: &int4}, Insertable: true, Updatable: true},
				},
				PrimaryKey: &introspect.Constraint{Name: "a_pkey", Columns: []string{"id"}},
				Checks:     []introspect.Check{{Name: "a_id_check", Definition: "CHECK ((id > 0))"}},
				Insertable: true, Updatable: true, Deletable: true},
		},
		Domains: []introspect.Domain{{Schema: "public", Name: "year", Base: int4}},
	}
}

func TestWriteSnapshot(t *testing.T) {
	s := small()
	var buf bytes.Buffer
	if err := introspect.WriteSnapshot(&buf, s); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if s.Version != introspect.SnapshotVersion {
		t.Errorf("Version = %d after WriteSnapshot, want %d", s.Version, introspect.SnapshotVersion)
	}
	if s.Tables[0].Name != "a" {
		t.Errorf("WriteSnapshot did not sort the tables")
	}
	if !strings.HasPrefix(out, "{\n  \"version\": 1,\n") || !strings.HasSuffix(out, "}\n") {
		t.Errorf("snapshot is not indented JSON ending in a newline:\n%s", out)
	}
	if !strings.Contains(out, `"comment": "x < y & z"`) || !strings.Contains(out, `"CHECK ((id > 0))"`) {
		t.Errorf("SQL in the snapshot is escaped:\n%s", out)
	}
	back, err := introspect.ReadSnapshot(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, back); diff != "" {
		t.Errorf("read back (-written +read):\n%s", diff)
	}
}

func TestReadSnapshotErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"newer version", `{"version": 2, "schemas": [], "tables": [], "new_field": 1}`,
			"introspect: read snapshot: version 2 is not supported (this hasgen reads version 1; regenerate the snapshot)"},
		{"no version", `{"schemas": ["public"], "tables": []}`, "introspect: read snapshot: no version: not a hasgen snapshot"},
		{"unknown field", `{"version": 1, "schemas": [], "tables": [{"schema": "public", "name": "a", "colour": "red"}]}`,
			`introspect: read snapshot: json: unknown field "colour"`},
		{"trailing data", `{"version": 1, "schemas": [], "tables": []} {}`,
			"introspect: read snapshot: unexpected data after the snapshot"},
		{"not json", `version: 1`, "introspect: read snapshot: invalid character 'v' looking for beginning of value"},
		{"empty", ``, "introspect: read snapshot: EOF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := introspect.ReadSnapshot(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("ReadSnapshot = %+v, want an error", s)
			}
			if err.Error() != tc.want {
				t.Errorf("error = %q, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadSnapshotFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "schema.json")
	var buf bytes.Buffer
	if err := introspect.WriteSnapshot(&buf, small()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := introspect.LoadSnapshotFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Table("public", "a") == nil {
		t.Errorf("public.a is missing from the snapshot read back")
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"version": 9}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := introspect.LoadSnapshotFile(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("error = %v, want one naming %s", err, bad)
	}
	if _, err := introspect.LoadSnapshotFile(filepath.Join(dir, "missing.json")); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error = %v, want a not-exist error", err)
	}
}
