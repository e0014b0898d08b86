package metadata

import (
	"testing"
	"testing/fstest"

	"github.com/hasgen/hasgen/introspect"
)

// FuzzParse loads arbitrary bytes as a permissions file that may include
// one other file, and checks that Load never panics, always returns either
// metadata or an ErrorList, and that whatever loads also writes and loads
// again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(blogTables), []byte("table: orgs\n"))
	f.Add([]byte(full), []byte(""))
	f.Add([]byte(selectFilter(`{_or: [{author: {name: {_like: "a%"}}}, {id: {_in: X-Hasura-Ids}}, {_exists: {_table: orgs, _where: {id: {_ceq: ["$", author_id]}}}}]}`)), []byte(""))
	f.Add([]byte("- \"!include b.yaml\"\n- table: !include b.yaml\n"), []byte("- table: orgs\n  is_enum: true\n"))
	f.Add([]byte("- name: default\n  kind: postgres\n  tables: \"!include b.yaml\"\n"), []byte("- table: authors\n"))
	f.Add([]byte("x: &a [*a, *a]\n- *a\n"), []byte("*b"))
	s := blog()
	f.Fuzz(func(t *testing.T, root, other []byte) { fuzzOne(t, root, other, s) })
}

func fuzzOne(t *testing.T, root, other []byte, s *introspect.Schema) {
	fsys := fstest.MapFS{"a.yaml": {Data: root}, "b.yaml": {Data: other}}
	m, err := LoadFS(fsys, "a.yaml", s)
	if err != nil {
		if m != nil {
			t.Error("metadata returned with an error")
		}
		list, ok := err.(ErrorList)
		if !ok || len(list) == 0 {
			t.Errorf("error %T %v is not a non-empty ErrorList", err, err)
		}
		for _, e := range list {
			if e.Pos.File == "" {
				t.Errorf("error without a file: %v", e)
			}
		}
		return
	}
	out, err := Marshal(m)
	if err != nil {
		t.Errorf("Marshal: %v", err)
		return
	}
	m2, err := LoadFS(fstest.MapFS{"a.yaml": {Data: out}}, "a.yaml", s)
	if err != nil {
		t.Errorf("what Marshal wrote does not load:\n%v\n%s", err, out)
		return
	}
	if out2, err := Marshal(m2); err != nil || string(out2) != string(out) {
		t.Errorf("Marshal is not stable:\n%s\n---\n%s", out, out2)
	}
}
