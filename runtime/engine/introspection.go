package engine

import (
	"slices"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// introspectionPolicy is who may not introspect: the roles of the
// metadata's graphql_schema_introspection.disabled_for_roles, and every
// role but admin with DisableIntrospection. Admin always may.
func introspectionPolicy(cfg Config) func(role string) bool {
	disabled := slices.Clone(cfg.IntrospectionDisabledFor)
	all := cfg.DisableIntrospection
	return func(role string) bool {
		if role == session.AdminRole {
			return false
		}
		return all || slices.Contains(disabled, role)
	}
}

// checkIntrospection refuses a plan that selects __schema or __type for a
// role refused introspection, with Hasura's error (a 200 with code
// not-supported at $); __typename stays allowed.
func (e *Engine) checkIntrospection(role string, plan *compile.Plan) error {
	if !plan.Custom || !e.noIntrospection(role) {
		return nil
	}
	for _, f := range plan.Fields {
		if f.Kind != compile.FieldCustom || f.AST == nil {
			continue
		}
		if f.AST.Name == "__schema" || f.AST.Name == "__type" {
			return &wire.Error{Code: CodeNotSupported, Path: "$", Message: "introspection is disabled for role: \"" + role + "\""}
		}
	}
	return nil
}

// CodeNotSupported is Hasura's code for a request it will not serve, such
// as introspection by a role refused it.
const CodeNotSupported = "not-supported"
