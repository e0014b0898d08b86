package model

import (
	"fmt"
	"sort"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
)

// Function is a tracked SQL function: a root field (and, for queries, an
// aggregate root field) returning rows of Returns.
type Function struct {
	Schema, Name string
	// GraphQLName is <fn>: the custom name, or the function's name,
	// prefixed with its schema outside public.
	GraphQLName string
	// Field and AggregateField are the root field names.
	Field, AggregateField string
	// ArgsType is the input type of the args argument: <fn>_args.
	ArgsType string
	// Args are every input argument of the function, in order.
	Args []*FunctionArg
	// Returns is the table whose rows the function returns.
	Returns *Table
	// Single is true for a function that returns one row (RETURNS t).
	Single bool
	// Mutation is true for a function exposed as a mutation.
	Mutation bool
	// Description and AggregateDescription describe the root fields.
	Description, AggregateDescription string
	Meta                              *metadata.Function
}

// FunctionArg is an input argument of a function (of a tracked function
// or of a computed field's).
type FunctionArg struct {
	// Field is its GraphQL name in <fn>_args: its name, or arg_<n>.
	Field string
	// SQLName is its name in SQL; "" for an unnamed argument, which can
	// only be passed by position.
	SQLName string
	// Type is its GraphQL input type and SQL type (Column's methods).
	Type *Column
	// HasDefault marks an argument that may be omitted.
	HasDefault bool
	// Session marks the session argument and Row a computed field's table
	// argument: neither is in <fn>_args.
	Session, Row bool
}

// ComputedField is a computed field of a table: a scalar (Scalar set) or
// the rows of a table (Returns set) computed by a SQL function of the row.
type ComputedField struct {
	Name        string
	Description string
	// Schema and Function name the SQL function.
	Schema, Function string
	// Args are every input argument of the function, in order.
	Args []*FunctionArg
	// ArgsType is <name>_<table>_args, the type of the args argument.
	ArgsType string
	// Scalar is the return type of a scalar computed field.
	Scalar *Column
	// Returns is the table of a table computed field.
	Returns *Table
}

// UserArgs returns the arguments given in args: all but the session and
// row arguments.
func userArgs(args []*FunctionArg) []*FunctionArg {
	var out []*FunctionArg
	for _, a := range args {
		if !a.Session && !a.Row {
			out = append(out, a)
		}
	}
	return out
}

// UserArgs returns the arguments of <fn>_args.
func (f *Function) UserArgs() []*FunctionArg { return userArgs(f.Args) }

// UserArgs returns the arguments of <name>_<table>_args.
func (cf *ComputedField) UserArgs() []*FunctionArg { return userArgs(cf.Args) }

// ArgsRequired reports whether args must be given: some argument has no
// default.
func ArgsRequired(args []*FunctionArg) bool {
	for _, a := range userArgs(args) {
		if !a.HasDefault {
			return true
		}
	}
	return false
}

// functionArgs turns a function's arguments into FunctionArgs; session and
// row are the positions of the session and row arguments (-1: none).
func functionArgs(d *introspect.Function, session, row int) []*FunctionArg {
	var out []*FunctionArg
	unnamed := 0
	for i, a := range d.Args {
		fa := &FunctionArg{SQLName: a.Name, HasDefault: a.HasDefault, Session: i == session, Row: i == row}
		fa.Field = a.Name
		if a.Name == "" {
			unnamed++
			fa.Field = fmt.Sprintf("arg_%d", unnamed)
		}
		base := a.Type.Scalar()
		fa.Type = &Column{Name: fa.Field, Field: fa.Field, Base: base, Dims: base.Dims, Scalar: ScalarName(base), SQLType: SQLType(a.Type)}
		out = append(out, fa)
	}
	return out
}

// sessionIndex is the position of the function's argument named name, or
// -1.
func sessionIndex(d *introspect.Function, name string) int {
	if name == "" {
		return -1
	}
	for i, a := range d.Args {
		if a.Name == name {
			return i
		}
	}
	return -1
}

// qualifiedText is a function's or table's name as Hasura writes it in
// descriptions: bare in public, schema.name elsewhere, in double quotes.
func qualifiedText(schema, name string) string {
	if schema == "public" {
		return `"` + name + `"`
	}
	return `"` + schema + "." + name + `"`
}

// buildFunctions adds the tracked functions and the computed fields to p.
func (p *Project) buildFunctions(problems *[]string) {
	for _, mf := range p.Metadata.Functions {
		d := mf.Def
		ret := p.Table(d.ReturnSchema, d.ReturnTable)
		if ret == nil {
			*problems = append(*problems, fmt.Sprintf("function %s returns %s.%s, which is not tracked", mf.QualifiedName(), d.ReturnSchema, d.ReturnTable))
			continue
		}
		f := &Function{Schema: mf.Schema, Name: mf.Name, Returns: ret, Single: d.Single, Mutation: mf.Mutation, Meta: mf,
			Args: functionArgs(d, sessionIndex(d, mf.SessionArgument), -1)}
		f.GraphQLName = mf.CustomName
		if f.GraphQLName == "" {
			f.GraphQLName = TableIdentifier(mf.Schema, mf.Name)
		}
		if !validName(f.GraphQLName) {
			*problems = append(*problems, fmt.Sprintf("function %s: %q is not a valid GraphQL name; set configuration.custom_name", mf.QualifiedName(), f.GraphQLName))
		}
		f.Field, f.AggregateField = f.GraphQLName, f.GraphQLName+"_aggregate"
		if n := mf.CustomRootFields.Function.Name; n != "" {
			f.Field = n
		}
		if n := mf.CustomRootFields.FunctionAggregate.Name; n != "" {
			f.AggregateField = n
		}
		f.ArgsType = f.GraphQLName + "_args"
		fn, tn := qualifiedText(mf.Schema, mf.Name), qualifiedText(ret.Schema, ret.Name)
		switch {
		case mf.CustomRootFields.Function.Comment != "":
			f.Description = mf.CustomRootFields.Function.Comment
		case f.Mutation:
			f.Description = "execute VOLATILE function " + fn + " which returns " + tn
		case mf.Comment != "":
			// The metadata's comment; Hasura does not read the
			// function's own COMMENT for the field.
			f.Description = mf.Comment
		default:
			f.Description = "execute function " + fn + " which returns " + tn
		}
		f.AggregateDescription = sdlOr(mf.CustomRootFields.FunctionAggregate.Comment,
			"execute function "+fn+" and query aggregates on result of table type "+tn)
		p.Functions = append(p.Functions, f)
		ret.Functions = append(ret.Functions, f)
	}
	sort.Slice(p.Functions, func(i, j int) bool { return p.Functions[i].Field < p.Functions[j].Field })
	for _, t := range p.Tables {
		for _, mc := range t.Meta.ComputedFields {
			d := mc.Def
			if d == nil {
				continue
			}
			// Hasura's description: the comment, else the function's
			// COMMENT, else its own sentence.
			desc := mc.Comment
			if desc == "" {
				desc = sdlOr(d.Comment, "A computed field, executes function "+qualifiedText(d.Schema, d.Name))
			}
			cf := &ComputedField{Name: mc.Name, Description: desc, Schema: d.Schema, Function: d.Name,
				Args:     functionArgs(d, mc.SessionArgIndex, mc.TableArgIndex),
				ArgsType: mc.Name + "_" + t.Type + "_args"}
			if d.ReturnType != nil {
				base := d.ReturnType.Scalar()
				cf.Scalar = &Column{Name: mc.Name, Field: mc.Name, Base: base, Dims: base.Dims, Scalar: ScalarName(base), SQLType: SQLType(*d.ReturnType)}
			} else if cf.Returns = p.Table(d.ReturnSchema, d.ReturnTable); cf.Returns == nil {
				*problems = append(*problems, fmt.Sprintf("table %s: computed field %s returns %s.%s, which is not tracked", t.Qualified(), mc.Name, d.ReturnSchema, d.ReturnTable))
				continue
			}
			t.ComputedFields = append(t.ComputedFields, cf)
		}
	}
}

func sdlOr(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// Roles returns the roles other than admin that may call the function,
// sorted: those with a select permission on the returned table (Hasura
// infers a query function's permission from it) that, for a mutation,
// also have a function permission.
func (f *Function) Roles() []string {
	var out []string
	for role := range f.Returns.Select {
		if !f.Mutation || f.Meta.Permitted(role) {
			out = append(out, role)
		}
	}
	sort.Strings(out)
	return out
}

// FunctionVisible reports whether role sees the function's root field:
// admin always; another role needs select permission on the returned
// table and, for a mutation, a function permission. A query function
// needs no function permission: Hasura infers it from the select
// permission (HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS, true by default).
func (p *Project) FunctionVisible(f *Function, role string) bool {
	if role == AdminRole {
		return true
	}
	if p.View(f.Returns, role) == nil {
		return false
	}
	return !f.Mutation || f.Meta.Permitted(role)
}

// ComputedFields returns the computed fields the role may select: a
// scalar one when its select permission lists it (admin: all), a table
// one when the role may select from the returned table.
func (v *View) ComputedFields(p *Project) []*ComputedField {
	var out []*ComputedField
	for _, cf := range v.Table.ComputedFields {
		switch {
		case cf.Returns != nil:
			if p.View(cf.Returns, v.Role) != nil {
				out = append(out, cf)
			}
		case v.IsAdmin():
			out = append(out, cf)
		default:
			for _, n := range v.Perm.Meta.ComputedFields {
				if n == cf.Name {
					out = append(out, cf)
				}
			}
		}
	}
	return out
}

// ComputedField returns the table's computed field name, or nil.
func (t *Table) ComputedField(name string) *ComputedField {
	for _, cf := range t.ComputedFields {
		if cf.Name == name {
			return cf
		}
	}
	return nil
}
