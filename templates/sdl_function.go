package templates

// Tracked SQL functions and computed fields in a role's schema, as Hasura
// v2 builds them (server/src-lib/Hasura/Backends/Postgres/Schema/Select.hs):
//
//	search_articles(args: search_articles_args!, distinct_on, limit, offset, order_by, where): [article!]!
//	search_articles_aggregate(args: ..., ...): article_aggregate!
//	input search_articles_args { search: String }
//
// args is required when some argument has no default, absent when the
// function takes no argument the request gives (the session argument is
// not one). Every field of <fn>_args is nullable: an omitted argument
// takes its default, and one without a default is refused when the query
// runs. A function returning one row (RETURNS t) gives an object, not a
// list. Computed fields are fields of their table's object type: a scalar
// one (with its comparison type in <t>_bool_exp and an order_by field)
// when the role's select permission lists it, a table one (with args and
// the select arguments of its table) when the role may select from that
// table.

import "github.com/hasgen/hasgen/model"

// functionRootFields returns the query_root (or subscription_root) fields
// of the tracked query functions the role sees.
func (b *sdlBuilder) functionRootFields() []*sdlField {
	var out []*sdlField
	for _, f := range b.p.Functions {
		v := b.views[f.Returns]
		if f.Mutation || v == nil || !b.p.FunctionVisible(f, b.role) {
			continue
		}
		out = append(out, b.functionField(f, v))
		if v.Aggregations() {
			aargs := b.functionArgs(f.ArgsType, f.Args, "input parameters for function \""+f.AggregateField+"\"")
			out = append(out, &sdlField{name: f.AggregateField, typ: f.Returns.TypeName("_aggregate") + "!",
				args: append(aargs, b.selectArgs(v)...), description: f.AggregateDescription})
		}
	}
	return out
}

// functionField is the root field of f, which returns v's rows.
func (b *sdlBuilder) functionField(f *model.Function, v *model.View) *sdlField {
	args := b.functionArgs(f.ArgsType, f.Args, "input parameters for function \""+f.Field+"\"")
	field := &sdlField{name: f.Field, typ: "[" + f.Returns.TypeName("") + "!]!", args: append(args, b.selectArgs(v)...), description: f.Description}
	if f.Single {
		field.typ = f.Returns.TypeName("")
	}
	return field
}

// functionMutationFields returns the mutation_root fields of the
// functions exposed as mutations that the role may call.
func (b *sdlBuilder) functionMutationFields() []*sdlField {
	var out []*sdlField
	for _, f := range b.p.Functions {
		v := b.views[f.Returns]
		if !f.Mutation || v == nil || !b.p.FunctionVisible(f, b.role) {
			continue
		}
		out = append(out, b.functionField(f, v))
	}
	return out
}

// functionArgs defines the args input type of a function and returns the
// args argument, or nothing when the request gives no argument.
func (b *sdlBuilder) functionArgs(typeName string, args []*model.FunctionArg, description string) []sdlArg {
	d := &sdlType{kind: sdlInput, name: typeName}
	for _, a := range args {
		if a.Session || a.Row {
			continue
		}
		b.scalar(a.Type)
		d.fields = append(d.fields, &sdlField{name: a.Field, typ: a.Type.InputType()})
	}
	if len(d.fields) == 0 {
		return nil
	}
	b.define(d)
	typ := typeName
	if model.ArgsRequired(args) {
		typ += "!"
	}
	return []sdlArg{{name: "args", typ: typ, description: description}}
}

// computedFields adds the computed fields the role may select to the
// object type of v's table.
func (b *sdlBuilder) computedFields(v *model.View, d *sdlType) {
	for _, cf := range v.ComputedFields(b.p) {
		desc := cf.Description
		args := b.functionArgs(cf.ArgsType, cf.Args, "input parameters for computed field \""+cf.Name+"\" defined on table "+sdlQualified(v.Table))
		if cf.Scalar != nil {
			b.scalar(cf.Scalar)
			d.fields = append(d.fields, &sdlField{name: cf.Name, typ: cf.Scalar.InputType(), args: args, description: desc})
			continue
		}
		rv := b.views[cf.Returns]
		if rv == nil {
			continue
		}
		d.fields = append(d.fields, &sdlField{name: cf.Name, typ: "[" + cf.Returns.TypeName("") + "!]", args: append(args, b.selectArgs(rv)...), description: desc})
	}
}

// computedFieldFilters adds the computed fields to <t>_bool_exp: a scalar
// one compares its value, a table one filters its rows. Only those whose
// function takes no argument from the request can be filtered on.
func (b *sdlBuilder) computedFieldFilters(v *model.View, d *sdlType) {
	for _, cf := range v.ComputedFields(b.p) {
		if model.ArgsRequired(cf.Args) {
			continue
		}
		if cf.Scalar != nil {
			d.fields = append(d.fields, &sdlField{name: cf.Name, typ: b.comparison(cf.Scalar)})
		} else if b.views[cf.Returns] != nil {
			d.fields = append(d.fields, &sdlField{name: cf.Name, typ: cf.Returns.TypeName("_bool_exp")})
		}
	}
}

// computedFieldOrders adds the scalar computed fields whose function takes
// no argument from the request to <t>_order_by.
func (b *sdlBuilder) computedFieldOrders(v *model.View, d *sdlType) {
	for _, cf := range v.ComputedFields(b.p) {
		if cf.Scalar != nil && !model.ArgsRequired(cf.Args) {
			d.fields = append(d.fields, &sdlField{name: cf.Name, typ: b.orderByType()})
		}
	}
}

// aggregateComputedFields returns the fields of <t>_<op>_fields for the
// scalar computed fields the role may select: numeric ones for every
// operator, comparable ones for max and min. As in Hasura (v2.27), each
// keeps its own type and args, whatever the operator.
func (b *sdlBuilder) aggregateComputedFields(v *model.View, op string) []*sdlField {
	var out []*sdlField
	for _, cf := range v.ComputedFields(b.p) {
		c := cf.Scalar
		if c == nil || !(c.IsNumeric() || (op == "max" || op == "min") && c.IsComparable()) {
			continue
		}
		args := b.functionArgs(cf.ArgsType, cf.Args, "input parameters for computed field \""+cf.Name+"\" defined on table "+sdlQualified(v.Table))
		b.scalar(c)
		out = append(out, &sdlField{name: cf.Name, typ: c.InputType(), args: args, description: cf.Description})
	}
	return out
}
