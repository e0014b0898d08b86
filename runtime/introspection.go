package runtime

// introspectionDisabledFor are the roles the project's metadata refuses
// introspection (graphql_schema_introspection.disabled_for_roles, written
// by hasgen generate to schema/source.jsonc).
func introspectionDisabledFor(p Project) ([]string, error) {
	src, err := projectSource(p)
	if err != nil || src.Introspection == nil {
		return nil, err
	}
	return src.Introspection.DisabledForRoles, nil
}
