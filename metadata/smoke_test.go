package metadata

import "testing"

func TestSmoke(t *testing.T) {
	m, err := loadString(t, "t.yaml", blogTables+`  select_permissions:
    - role: user
      permission:
        columns: '*'
        filter: {author_id: X-Hasura-User-Id, _or: [{id: {_in: [1,2]}}]}
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range m.Tables {
		t.Logf("%s rels=%d", tb.QualifiedName(), len(tb.Relationships))
		for _, p := range tb.SelectPermissions {
			t.Logf("  %s %v %s", p.Role, p.Columns, p.Filter)
		}
	}
}

func TestSmokeStarter(t *testing.T) {
	b, err := Starter(blog())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b)
	m, err := loadString(t, "t.yaml", blogTables+`  select_permissions:
    - role: user
      permission:
        columns: '*'
        filter: {author_id: X-Hasura-User-Id, _or: [{id: {_in: [1,2]}}, {id: {_gt: 1, _lt: 4}}]}
`)
	if err != nil {
		t.Fatal(err)
	}
	b, err = Marshal(m)
	t.Logf("\n%s", b)
}
