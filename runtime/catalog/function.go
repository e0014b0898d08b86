package catalog

import (
	"fmt"
	"slices"

	"github.com/hasgen/hasgen/runtime/session"
)

// Function is a tracked SQL function. It is declared on the Table whose
// rows it returns (Table.Functions): its rows are that table's, under the
// role's select permission on it.
type Function struct {
	// Schema and Name identify the function in Postgres.
	Schema string
	Name   string
	// Field is the root field; Aggregate the <fn>_aggregate root field,
	// "" when there is none (mutations).
	Field     string
	Aggregate string
	// Mutation is true for a function exposed as a mutation: it runs in
	// the request's transaction, once.
	Mutation bool
	// Single is true for a function that returns one row (RETURNS t, not
	// SETOF t): its field is an object, not a list.
	Single bool
	// Args are the function's input arguments, in order.
	Args []FunctionArg
	// Roles are the roles other than admin that may call the function:
	// they also need a select permission on the table. For a query
	// function they are inferred from the select permissions, as Hasura
	// does by default; Permitted are the roles with an explicit function
	// permission, the only ones when inference is off
	// (Schema.ExplicitFunctionPermissions).
	Roles     []string
	Permitted []string
}

// FunctionArg is an input argument of a function.
type FunctionArg struct {
	// Field is the argument's field in the args input object; empty for
	// the session and row arguments, which the request does not give.
	Field string
	// Name is the SQL name; empty for an unnamed argument, which can only
	// be passed by position.
	Name string
	// Type is the SQL type a value is cast to.
	Type string
	// Default marks an argument that may be omitted.
	Default bool
	// Session receives the session variables as a JSON object; Row (a
	// computed field's) receives the table row.
	Session bool
	Row     bool
}

// ComputedField is a computed field of a Table: a SQL function of the row
// that returns a scalar (Type set) or rows of a tracked table (Returns
// set).
type ComputedField struct {
	// Field is the GraphQL field name.
	Field string
	// Schema and Function name the SQL function.
	Schema   string
	Function string
	// Args are the function's input arguments, in order.
	Args []FunctionArg
	// Type is the SQL type of a scalar result; BigNumber as for a Column.
	Type      string
	BigNumber bool
	// Returns is the table of a table computed field, "schema.name".
	Returns string

	remote *Table
}

// SQL returns the function's quoted, schema-qualified name.
func (f *Function) SQL() string { return QuoteIdent(f.Schema) + "." + QuoteIdent(f.Name) }

// Allows reports whether role may call the function.
func (f *Function) Allows(role string) bool {
	return role == session.AdminRole || slices.Contains(f.Roles, role)
}

// SQL returns the function's quoted, schema-qualified name.
func (cf *ComputedField) SQL() string { return QuoteIdent(cf.Schema) + "." + QuoteIdent(cf.Function) }

// RemoteTable returns the linked table of a table computed field, or nil.
func (cf *ComputedField) RemoteTable() *Table { return cf.remote }

// ComputedField returns the computed field whose GraphQL field is name,
// or nil.
func (t *Table) ComputedField(name string) *ComputedField {
	for i := range t.ComputedFields {
		if t.ComputedFields[i].Field == name {
			return &t.ComputedFields[i]
		}
	}
	return nil
}

// AllowsComputed reports whether the permission lets the role select the
// scalar computed field name.
func (p *SelectPermission) AllowsComputed(name string) bool {
	return p.all || slices.Contains(p.ComputedFields, name)
}

// ExplicitFunctionPermissions turns off the inference of query functions'
// permissions (HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS=false): a role may
// then call a function only with a function permission. The functions of
// the schema's own copies of the tables change, not the declarations.
func (s *Schema) ExplicitFunctionPermissions() {
	for _, t := range s.Tables {
		t.Functions = slices.Clone(t.Functions)
		for i := range t.Functions {
			fn := &t.Functions[i]
			var roles []string
			for _, r := range fn.Roles {
				if slices.Contains(fn.Permitted, r) {
					roles = append(roles, r)
				}
			}
			fn.Roles = roles
		}
	}
}

// linkFunctions links t's computed fields to their tables and gives admin
// every computed field.
func (s *Schema) linkFunctions(t *Table) error {
	t.admin.all = true
	t.ComputedFields = slices.Clone(t.ComputedFields)
	for i := range t.ComputedFields {
		cf := &t.ComputedFields[i]
		if cf.Returns == "" {
			continue
		}
		if cf.remote = s.byName[cf.Returns]; cf.remote == nil {
			return fmt.Errorf("table %s.%s: computed field %s: table %s is not tracked", t.Schema, t.Name, cf.Field, cf.Returns)
		}
	}
	return nil
}
