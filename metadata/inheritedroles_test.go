package metadata

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// loadInherited loads a metadata directory tracking public.orgs with the
// permissions perms (YAML under the table entry) and inherited_roles.yaml
// roles.
func loadInherited(t *testing.T, perms, roles string) (*Metadata, error) {
	t.Helper()
	fsys := fstest.MapFS{
		"metadata/databases/databases.yaml": {Data: []byte("- name: default\n  kind: postgres\n  tables: \"!include tables.yaml\"\n")},
		"metadata/databases/tables.yaml":    {Data: []byte("- table: {schema: public, name: orgs}\n" + perms)},
		"metadata/inherited_roles.yaml":     {Data: []byte(roles)},
	}
	return LoadFS(fsys, "metadata", blog())
}

const twoRoles = `  select_permissions:
    - role: a
      permission: {columns: [id], filter: {id: {_eq: 1}}, limit: 5}
    - role: b
      permission: {columns: [id, name], filter: {name: {_eq: x}}, allow_aggregations: true}
`

func TestInheritedRolesDerive(t *testing.T) {
	m, err := loadInherited(t, twoRoles+`  insert_permissions:
    - role: a
      permission: {columns: [name], check: {}}
  delete_permissions:
    - role: a
      permission: {filter: {id: {_eq: 1}}}
    - role: b
      permission: {filter: {id: {_eq: 1}}}
`, "- role_name: c\n  role_set: [a, b]\n- role_name: d\n  role_set: [c]\n")
	if err != nil {
		t.Fatal(err)
	}
	orgs := m.Table("public", "orgs")
	// d's one parent is c: d gets c's permissions, cells included.
	for _, role := range []string{"c", "d"} {
		sp := orgs.SelectPermission(role)
		if sp == nil {
			t.Fatalf("%s: no select permission", role)
		}
		got := map[string]any{
			"columns": sp.Columns, "filter": sp.Filter.String(), "limit": sp.Limit, "aggregations": sp.AllowAggregations,
			"cells": len(sp.ColumnFilters), "name cell": sp.ColumnFilters["name"].String(),
		}
		want := map[string]any{
			"columns": []string{"id", "name"}, "filter": `(or (_eq id 1) (_eq name "x"))`, "limit": 5, "aggregations": true,
			// id: both grant it; name: only b, so only b's rows show it.
			"cells": 1, "name cell": `(_eq name "x")`,
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", role, d)
		}
		if orgs.InsertPermission(role) == nil || orgs.DeletePermission(role) == nil {
			t.Errorf("%s: the insert permission of a alone and the delete permission a and b agree on are inherited", role)
		}
		if orgs.UpdatePermission(role) != nil {
			t.Errorf("%s: no parent may update", role)
		}
	}
	if got := m.Roles(); cmp.Diff([]string{"a", "b", "c", "d"}, got) != "" {
		t.Errorf("roles: %v", got)
	}
}

func TestInheritedRolesErrors(t *testing.T) {
	const file = "metadata/inherited_roles.yaml"
	tests := []struct {
		name, perms, roles string
		want               []string
	}{
		{"unknown parent", twoRoles, "- role_name: c\n  role_set: [a, nobody]\n",
			[]string{file + `:2:17: inherited role "c": role "nobody" has no permission on any table and is not an inherited role`}},
		{"cycle", twoRoles, "- role_name: x\n  role_set: [a, y]\n- role_name: y\n  role_set: [x]\n",
			[]string{file + `:1:3: found cycle(s) in roles: x → y → x`}},
		{"itself", twoRoles, "- role_name: x\n  role_set: [x]\n",
			[]string{file + `:1:3: found cycle(s) in roles: x → x`}},
		{"twice", twoRoles, "- role_name: c\n  role_set: [a]\n- role_name: c\n  role_set: [b]\n",
			[]string{file + `:3:3: inherited role "c" is defined twice (first at ` + file + `:1:3)`}},
		{"admin", twoRoles, "- role_name: admin\n  role_set: [a]\n- role_name: c\n  role_set: [admin]\n",
			[]string{file + `:1:3: inherited role "admin": admin cannot be an inherited role`,
				file + `:4:14: inherited role "c": admin cannot be in a role_set`}},
		{"empty role_set", twoRoles, "- role_name: c\n  role_set: []\n",
			[]string{file + `:1:3: inherited role "c": role_set must name at least one role`}},
		{"unknown key", twoRoles, "- role_name: c\n  role_set: [a]\n  roles: [b]\n",
			[]string{file + `:3:3: inherited_roles: roles is not a key of an inherited role (role_name, role_set)`}},
		{"conflicting inserts", twoRoles + `  insert_permissions:
    - role: a
      permission: {columns: [name], check: {}}
    - role: b
      permission: {columns: [id, name], check: {}}
`, "- role_name: c\n  role_set: [a, b]\n",
			[]string{file + `:1:3: inherited role "c": roles "a" and "b" have different insert permissions on table public.orgs; give "c" an insert permission of its own on it, as Hasura requires`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadInherited(t, tc.perms, tc.roles)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want errors, got %v", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	// An inherited role's own permission settles the conflict.
	_, err := loadInherited(t, twoRoles+`  insert_permissions:
    - role: a
      permission: {columns: [name], check: {}}
    - role: b
      permission: {columns: [id, name], check: {}}
    - role: c
      permission: {columns: [id], check: {}}
`, "- role_name: c\n  role_set: [a, b]\n")
	if err != nil && strings.Contains(err.Error(), "different insert") {
		t.Errorf("an explicit permission overrides: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
}
