package metadata

import "sort"

// introspectionOptions reads graphql_schema_introspection
// (graphql_schema_introspection.yaml, or the key of a metadata export):
// {disabled_for_roles: [role, ...]}, the roles that may not introspect the
// schema. The names are sorted and unique; admin is never refused, as in
// Hasura, and is dropped with a warning.
func (l *loader) introspectionOptions(m *Metadata, x ynode) {
	if l.isNull(x) {
		return
	}
	fields, ok := l.mapping(x, "graphql_schema_introspection", "graphql_schema_introspection")
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, r := range m.IntrospectionDisabledForRoles {
		seen[r] = true
	}
	for _, fl := range fields {
		if fl.key != "disabled_for_roles" {
			l.errorf(fl.keyPos, "", "graphql_schema_introspection.%s is not a key of graphql_schema_introspection (disabled_for_roles)", fl.key)
			continue
		}
		if l.isNull(fl.val) {
			continue
		}
		roles, ok := l.seq(fl.val, "graphql_schema_introspection", "disabled_for_roles")
		if !ok {
			continue
		}
		for _, rx := range roles {
			role, ok := l.name(rx, "graphql_schema_introspection", "a role of disabled_for_roles")
			if !ok || seen[role] {
				continue
			}
			seen[role] = true
			if role == "admin" {
				l.warns = append(l.warns, &Error{Pos: l.deref(rx).pos(), Msg: "graphql_schema_introspection: admin can always introspect the schema; it is ignored in disabled_for_roles"})
				continue
			}
			m.IntrospectionDisabledForRoles = append(m.IntrospectionDisabledForRoles, role)
		}
	}
	sort.Strings(m.IntrospectionDisabledForRoles)
}
