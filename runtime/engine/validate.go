package engine

import "github.com/vektah/gqlparser/v2/ast"

// Validate checks doc against a role's schema (Schema) as Prepare does:
// Hasura's checks of fields, arguments and input fields, then GraphQL's
// rules as Hasura applies them (an unused variable is accepted). It returns
// nil, or the errors a request of doc would be answered with: a
// *wire.Error or a wire.List, each GraphQL rule's error keeping
// gqlparser's (with its position) as Err. It annotates doc with the
// schema's definitions, as validation does. hasgen generate checks the
// typed client's operations with it.
func Validate(schema *ast.Schema, doc *ast.QueryDocument) error {
	_, err := validate(schema, doc)
	return err
}
