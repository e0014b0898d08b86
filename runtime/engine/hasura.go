package engine

// Where Hasura's GraphQL differs from the specification's, hasgen follows
// Hasura: the rules it does not enforce, the scalars it coerces, the
// directives it accepts, the order its introspection lists things in.

import (
	"sort"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// hasuraRules are GraphQL's validation rules as Hasura applies them:
// without "all variables used" (Hasura runs an operation that declares a
// variable it does not use).
func hasuraRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.RemoveRule(rules.NoUnusedVariablesRule.Name)
	return r
}

// cachedDirective is Hasura's @cached, as its schema declares it, on
// queries only; the transport serves it from the response cache
// (cached.go, runtime/cache).
const cachedDirective = `
"whether this query should be cached (Hasura Cloud only)"
directive @cached(
  "measured in seconds"
  ttl: Int! = 60
  "refresh the cache entry"
  refresh: Boolean! = false
) on QUERY
`

// withCached returns the source declaring @cached when sdl does not.
func withCached(sdl string) *ast.Source {
	if strings.Contains(sdl, "directive @cached") {
		return nil
	}
	return &ast.Source{Name: "cached.graphqls", Input: cachedDirective}
}

// sortEnumValues orders every enum's values by name: Hasura's
// introspection lists them so (__TypeKind: ENUM, INPUT_OBJECT, ...).
func sortEnumValues(s *ast.Schema) {
	for _, def := range s.Types {
		if def.Kind == ast.Enum {
			sort.SliceStable(def.EnumValues, func(i, j int) bool { return def.EnumValues[i].Name < def.EnumValues[j].Name })
		}
	}
}

// offsetArg reports whether an argument is a table's offset: Hasura reads
// it as a 64-bit integer that may also be given as a string of decimal
// digits ("offset: \"10\"", literal or variable). No other Int is
// lenient: limit, and Int, Float and Boolean values elsewhere, must have
// their own type.
func offsetArg(name string, t *ast.Type) bool {
	return name == "offset" && t.Elem == nil && t.NamedType == "Int"
}

// decimal reports whether s is an integer in decimal digits, as Hasura's
// offset accepts it in a string.
func decimal(s string) bool {
	if s == "" {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 63)
	return err == nil
}
