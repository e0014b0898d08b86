package templates

// The GraphQL schema a role sees, as SDL: full.graphqls for admin and
// roles/<role>.graphqls for every other role. The runtime loads these files
// to validate requests (runtime/engine/prepare.go), and its query compiler
// (runtime/compile: select.go, where.go, orderby.go) executes what they
// offer, so every name here is one the compiler reads.
//
// The schema follows Hasura v2's hasura-default naming. The emitter first
// collects definitions (types by name, each built once), then keeps those
// reachable from the root types, as Hasura's schema holds only the types
// its root fields use, and prints them sorted by name in the layout of
// graphql-js's printSchema, which Hasura users know from exported schemas.

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/catalog"
)

// SDL returns the GraphQL schema document that role sees: query_root and,
// when it has fields, subscription_root, with every type they use. Role
// model.AdminRole sees every tracked table, column and aggregate.
//
// The output is deterministic: definitions sorted by name, fields by name,
// arguments in Hasura's order (the primary key's column order for _by_pk).
// It fails when two things would get the same GraphQL name (a table named
// like a generated type, two root fields with one name, a column named
// true, false or null that cannot be an enum value).
func SDL(p *model.Project, role string) ([]byte, error) {
	b := newSDLBuilder(p, role)
	b.tables()
	// The roots in schema order: query, mutation, subscription.
	b.root("query", "query_root", append(b.selectRootFields(false), b.functionRootFields()...), append(b.actionRootFields(false), b.asyncQueryFields()...)...)
	b.root("mutation", "mutation_root", append(b.mutationRootFields(), b.functionMutationFields()...), b.actionRootFields(true)...)
	b.root("subscription", "subscription_root", append(append(b.selectRootFields(true), b.streamRootFields()...), b.functionRootFields()...), b.asyncQueryFields()...)
	return b.document()
}

// tables defines the types of the tables in the role's schema, and the
// aggregate types of those it may only aggregate.
func (b *sdlBuilder) tables() {
	for _, v := range b.list {
		b.table(v)
	}
	for _, v := range b.aggregateOnly {
		b.boolExp(v)
		b.aggregate(v)
	}
}

// sdlBuilder collects the definitions of one role's schema.
type sdlBuilder struct {
	p    *model.Project
	role string
	// list holds the tables in the role's schema, in project order; views
	// holds the same by table.
	list  []*model.View
	views map[*model.Table]*model.View
	// aggregateOnly holds, in project order, the tables the role may
	// aggregate but whose object type would have no field (columns: []
	// and allow_aggregations: true): they have <t>_aggregate, with
	// aggregate { count } and no nodes, and nothing else.
	aggregateOnly []*model.View
	// countable holds the aggregateOnly views by table.
	countable map[*model.Table]*model.View
	// orderable marks the tables whose <t>_order_by has a field.
	orderable map[*model.Table]bool
	defs      map[string]*sdlType
	// roots are the operation types with fields, in schema order.
	roots []sdlRoot
	errs  []string
	// inserting marks the insert inputs being defined, to stop at
	// relationship cycles.
	inserting map[string]bool
	// names are the fixed names of the naming convention.
	names catalog.Names
	// relay builds the Relay schema (sdl_relay.go).
	relay bool
}

// sdlRoot is an operation type of the schema: query_root, ...
type sdlRoot struct{ operation, name string }

// newSDLBuilder decides which tables the role's schema holds: those it
// may select from (model.Project.Visible) whose object type has a field: a
// column, or a relationship to a table that is in the schema. GraphQL has
// no empty object types, so a permission with no columns and no usable
// relationship leaves the table out of the role's schema.
func newSDLBuilder(p *model.Project, role string) *sdlBuilder {
	b := &sdlBuilder{p: p, role: role, views: map[*model.Table]*model.View{},
		orderable: map[*model.Table]bool{}, defs: map[string]*sdlType{}, countable: map[*model.Table]*model.View{}, names: p.Naming.Names()}
	visible := p.Visible(role)
	for changed := true; changed; {
		changed = false
		for _, v := range visible {
			if b.views[v.Table] != nil {
				continue
			}
			ok := len(v.Columns()) > 0
			for _, r := range v.Relationships(p) {
				ok = ok || b.views[r.Remote] != nil
			}
			if ok {
				b.views[v.Table] = v
				changed = true
			}
		}
	}
	for _, v := range visible {
		switch {
		case b.views[v.Table] != nil:
			b.list = append(b.list, v)
		case v.Aggregations():
			b.aggregateOnly = append(b.aggregateOnly, v)
			b.countable[v.Table] = v
		}
	}
	// <t>_order_by has a field for a column, an array relationship's
	// aggregate, or an object relationship to an orderable table.
	for changed := true; changed; {
		changed = false
		for _, v := range b.list {
			if b.orderable[v.Table] {
				continue
			}
			ok := len(v.Columns()) > 0 || len(b.countRelationships(v)) > 0
			for _, r := range b.relationships(v) {
				if r.Array {
					ok = ok || b.remoteAggregations(r)
				} else {
					ok = ok || b.orderable[r.Remote]
				}
			}
			if ok {
				b.orderable[v.Table] = true
				changed = true
			}
		}
	}
	return b
}

// relationships returns v's relationships whose remote table is in the
// role's schema.
func (b *sdlBuilder) relationships(v *model.View) []*model.Relationship {
	var out []*model.Relationship
	for _, r := range v.Relationships(b.p) {
		if b.views[r.Remote] != nil {
			out = append(out, r)
		}
	}
	return out
}

// countRelationships returns v's array relationships to tables of the
// role's schema that are aggregate-only (see aggregateOnly): they have
// <rel>_aggregate, in the object type, bool_exp and order_by, and no
// <rel>.
func (b *sdlBuilder) countRelationships(v *model.View) []*model.Relationship {
	var out []*model.Relationship
	for _, r := range v.Relationships(b.p) {
		if r.Array && b.countable[r.Remote] != nil {
			out = append(out, r)
		}
	}
	return out
}

// remoteAggregations reports whether the role may aggregate over the
// relationship's remote table.
func (b *sdlBuilder) remoteAggregations(r *model.Relationship) bool {
	rv := b.views[r.Remote]
	return rv != nil && rv.Aggregations()
}

func (b *sdlBuilder) errorf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Sprintf(format, args...))
}

// define adds d, or checks that an earlier definition of the same name is
// the same. Built-in scalars are never defined.
func (b *sdlBuilder) define(d *sdlType) {
	if sdlBuiltins[d.name] {
		if d.kind != sdlScalar {
			b.errorf("%q is a built-in GraphQL scalar and cannot name a type; set a custom_name on the table", d.name)
		}
		return
	}
	if old := b.defs[d.name]; old != nil {
		if old.String() != d.String() {
			b.errorf("two different types are named %q; set a custom_name on the table or column", d.name)
		}
		return
	}
	b.defs[d.name] = d
}

// root defines an operation type with the source's fields and others
// (actions: sdl_action.go), which a root field namespace does not hold;
// query_root gets Hasura's placeholder when it has none.
func (b *sdlBuilder) root(operation, name string, fields []*sdlField, others ...*sdlField) {
	if len(fields)+len(others) == 0 {
		if operation != "query" {
			return
		}
		fields = []*sdlField{{name: "no_queries_available", typ: "String!",
			description: "There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions."}}
	} else if ns := b.p.Naming.Namespace; ns != "" && len(fields) > 0 {
		// root_fields.namespace: one field holding the source's root
		// fields, of type <namespace>_query and so on.
		typ := b.p.Naming.NamespaceType(operation)
		b.define(&sdlType{kind: sdlObject, name: typ, fields: fields})
		fields = []*sdlField{{name: ns, typ: typ}} // nullable, as Hasura's selection sets
	}
	fields = append(fields, others...)
	b.define(&sdlType{kind: sdlObject, name: name, fields: fields})
	b.roots = append(b.roots, sdlRoot{operation, name})
}

// selectRootFields returns the select, _aggregate and _by_pk root fields
// of query_root or subscription_root.
func (b *sdlBuilder) selectRootFields(subscription bool) []*sdlField {
	var out []*sdlField
	for _, v := range b.aggregateOnly {
		if v.HasAggregate(subscription) {
			out = append(out, b.aggregateRootField(v))
		}
	}
	for _, v := range b.list {
		t := v.Table
		var custom sdlRootComments
		if t.Meta != nil {
			c := t.Meta.Configuration.CustomRootFields
			custom = sdlRootComments{c.Select.Comment, c.SelectByPk.Comment}
		}
		q := sdlQualified(t)
		if v.HasSelect(subscription) {
			out = append(out, &sdlField{name: t.Roots.Select, typ: "[" + t.TypeName("") + "!]!", args: b.selectArgs(v),
				description: sdlOr(custom.selectComment, "fetch data from the table: "+q)})
		}
		if v.HasAggregate(subscription) {
			out = append(out, b.aggregateRootField(v))
		}
		if v.HasByPk(subscription) {
			f := &sdlField{name: t.Roots.SelectByPk, typ: t.TypeName(""),
				description: sdlOr(custom.byPk, "fetch data from the table: "+q+" using primary key columns")}
			for _, c := range t.PrimaryKey {
				f.args = append(f.args, sdlArg{name: c.Field, typ: c.InputType() + "!", description: c.Description})
			}
			out = append(out, f)
		}
	}
	return out
}

// aggregateRootField is the <t>_aggregate root field of v's table.
func (b *sdlBuilder) aggregateRootField(v *model.View) *sdlField {
	t := v.Table
	description := "fetch aggregated fields from the table: " + sdlQualified(t)
	if t.Meta != nil && t.Meta.Configuration.CustomRootFields.SelectAggregate.Comment != "" {
		description = t.Meta.Configuration.CustomRootFields.SelectAggregate.Comment
	}
	return &sdlField{name: t.Roots.SelectAggregate, typ: t.TypeName("_aggregate") + "!", args: b.selectArgs(v), description: description}
}

// sdlRootComments are the comments of a table's custom root fields: they
// replace the default descriptions.
type sdlRootComments struct{ selectComment, byPk string }

// selectArgs are the arguments of a select of v's table: distinct_on,
// limit, offset, order_by and where. distinct_on and order_by exist only
// when their types have a value or field.
func (b *sdlBuilder) selectArgs(v *model.View) []sdlArg {
	t := v.Table
	var args []sdlArg
	if len(v.Columns()) > 0 {
		args = append(args, sdlArg{name: b.n("distinct_on"), typ: "[" + t.TypeName("_select_column") + "!]", description: "distinct select on columns"})
	}
	args = append(args,
		sdlArg{name: "limit", typ: "Int", description: "limit the number of rows returned"},
		sdlArg{name: "offset", typ: "Int", description: "skip the first n rows. Use only with order_by"})
	if b.orderable[v.Table] {
		args = append(args, sdlArg{name: b.n("order_by"), typ: "[" + t.TypeName("_order_by") + "!]", description: "sort the rows by one or more columns"})
	}
	return append(args, sdlArg{name: "where", typ: t.TypeName("_bool_exp"), description: "filter the rows returned"})
}

// table defines the types of one table: its object type, bool_exp,
// order_by and select_column, and its aggregate types when the role may
// aggregate. Those no root field reaches are dropped later.
func (b *sdlBuilder) table(v *model.View) {
	b.object(v)
	b.boolExp(v)
	b.orderBy(v)
	b.selectColumn(v)
	if v.Aggregations() {
		b.aggregate(v)
	}
}

// object defines type <t>: the selectable columns and the relationships.
func (b *sdlBuilder) object(v *model.View) {
	t := v.Table
	d := &sdlType{kind: sdlObject, name: t.TypeName(""),
		description: sdlOr(t.Description, "columns and relationships of "+sdlQualified(t))}
	for _, c := range v.Columns() {
		if b.relayHidesColumn(v, c) {
			continue
		}
		b.scalar(c)
		f := &sdlField{name: c.Field, typ: v.FieldType(c), description: c.Description}
		if c.JSON() != "" {
			f.args = []sdlArg{{name: "path", typ: "String", description: "JSON select path"}}
		}
		d.fields = append(d.fields, f)
	}
	for _, r := range b.relationships(v) {
		remote := b.views[r.Remote]
		rt := r.Remote.TypeName("")
		if !r.Array {
			typ := rt
			// Hasura makes a forward relationship over NOT NULL columns
			// non-null even when the remote role filter can hide the row;
			// then the response breaks the schema. It is non-null here only
			// when the remote row cannot be filtered away.
			if r.NonNull && remote.Unfiltered() {
				typ += "!"
			}
			d.fields = append(d.fields, &sdlField{name: r.Name, typ: typ, description: sdlOr(r.Description, "An object relationship")})
			continue
		}
		d.fields = append(d.fields, &sdlField{name: r.Name, typ: "[" + rt + "!]!", args: b.selectArgs(remote),
			description: sdlOr(r.Description, "An array relationship")})
		if remote.Aggregations() {
			d.fields = append(d.fields, &sdlField{name: r.AggregateField, typ: r.Remote.TypeName("_aggregate") + "!", args: b.selectArgs(remote),
				description: "An aggregate relationship"})
		}
		b.relayConnectionField(d, r, remote)
	}
	for _, r := range b.countRelationships(v) {
		d.fields = append(d.fields, &sdlField{name: r.AggregateField, typ: r.Remote.TypeName("_aggregate") + "!", args: b.selectArgs(b.countable[r.Remote]),
			description: "An aggregate relationship"})
	}
	b.computedFields(v, d)
	b.relayNode(d, v)
	b.define(d)
}

// boolExp defines input <t>_bool_exp, the where argument.
func (b *sdlBuilder) boolExp(v *model.View) {
	t := v.Table
	name := t.TypeName("_bool_exp")
	d := &sdlType{kind: sdlInput, name: name,
		description: "Boolean expression to filter rows from the table " + sdlQualified(t) + ". All fields are combined with a logical 'AND'.",
		fields: []*sdlField{
			{name: "_and", typ: "[" + name + "!]"},
			{name: "_not", typ: name},
			{name: "_or", typ: "[" + name + "!]"},
		}}
	for _, c := range v.Columns() {
		d.fields = append(d.fields, &sdlField{name: c.Field, typ: b.comparison(c)})
	}
	for _, r := range b.relationships(v) {
		d.fields = append(d.fields, &sdlField{name: r.Name, typ: r.Remote.TypeName("_bool_exp")})
		if r.Array && b.remoteAggregations(r) {
			d.fields = append(d.fields, &sdlField{name: r.BoolExpAggregateField, typ: r.Remote.AggregateBoolExpType("")})
		}
	}
	for _, r := range b.countRelationships(v) {
		d.fields = append(d.fields,
			&sdlField{name: r.Name, typ: r.Remote.TypeName("_bool_exp")},
			&sdlField{name: r.BoolExpAggregateField, typ: r.Remote.AggregateBoolExpType("")})
	}
	b.computedFieldFilters(v, d)
	b.define(d)
}

// orderBy defines input <t>_order_by, the element of the order_by
// argument.
func (b *sdlBuilder) orderBy(v *model.View) {
	t := v.Table
	if !b.orderable[t] {
		return
	}
	b.orderByEnum()
	d := &sdlType{kind: sdlInput, name: t.TypeName("_order_by"),
		description: "Ordering options when selecting data from " + sdlQualified(t) + "."}
	for _, c := range v.Columns() {
		d.fields = append(d.fields, &sdlField{name: c.Field, typ: b.orderByType()})
	}
	for _, r := range b.relationships(v) {
		switch {
		case !r.Array && b.orderable[r.Remote]:
			d.fields = append(d.fields, &sdlField{name: r.Name, typ: r.Remote.TypeName("_order_by")})
		case r.Array && b.remoteAggregations(r):
			d.fields = append(d.fields, &sdlField{name: r.OrderByAggregateField, typ: r.Remote.TypeName("_aggregate_order_by")})
		}
	}
	for _, r := range b.countRelationships(v) {
		d.fields = append(d.fields, &sdlField{name: r.OrderByAggregateField, typ: r.Remote.TypeName("_aggregate_order_by")})
	}
	b.computedFieldOrders(v, d)
	b.define(d)
}

// selectColumn defines enum <t>_select_column, the values of distinct_on
// and count(columns:).
func (b *sdlBuilder) selectColumn(v *model.View) {
	t := v.Table
	if len(v.Columns()) == 0 {
		return
	}
	b.define(sdlColumnEnum(t.TypeName("_select_column"), "select columns of table "+sdlQualified(t), v.Columns()))
}

// sdlColumnEnum is an enum of column fields, each described "column name".
func sdlColumnEnum(name, description string, cols []*model.Column) *sdlType {
	d := &sdlType{kind: sdlEnum, name: name, description: description}
	for _, c := range cols {
		d.values = append(d.values, sdlValue{name: c.Field, description: "column name"})
	}
	return d
}

// sdlAggregateOps are the fields of <t>_aggregate_fields besides count, named
// as the Postgres aggregate functions the compiler calls.
var sdlAggregateOps = []string{"avg", "max", "min", "stddev", "stddev_pop", "stddev_samp", "sum", "var_pop", "var_samp", "variance"}

// sdlAggregateColumns returns the columns an aggregate applies to: min and max
// take the comparable columns, the others the numeric ones.
func sdlAggregateColumns(v *model.View, op string) []*model.Column {
	if op == "max" || op == "min" {
		return v.ComparableColumns()
	}
	return v.NumericColumns()
}

// sdlAggregateType is the type of op over column c: the column's scalar for
// sum, max and min, Float for the statistics.
func sdlAggregateType(op string, c *model.Column) string {
	switch op {
	case "sum", "max", "min":
		return c.Scalar
	}
	return "Float"
}

// aggregate defines the aggregate types of a table the role may aggregate:
// <t>_aggregate and its fields, the aggregate order_by of array
// relationships, and the aggregate predicates.
func (b *sdlBuilder) aggregate(v *model.View) {
	t := v.Table
	q := sdlQualified(t)
	hasColumns := len(v.Columns()) > 0
	agg := &sdlType{kind: sdlObject, name: t.TypeName("_aggregate"), description: "aggregated selection of " + q,
		fields: []*sdlField{{name: "aggregate", typ: t.TypeName("_aggregate_fields")}}}
	// Hasura lists nodes even when <t> has no field (its schema then
	// holds an object type without fields, which GraphQL forbids and no
	// query can select from); here nodes needs a selectable <t>.
	if b.views[t] != nil {
		agg.fields = append(agg.fields, &sdlField{name: "nodes", typ: "[" + t.TypeName("") + "!]!"})
	}
	b.define(agg)

	count := &sdlField{name: "count", typ: "Int!"}
	if hasColumns {
		count.args = append(count.args, sdlArg{name: "columns", typ: "[" + t.TypeName("_select_column") + "!]"})
	}
	count.args = append(count.args, sdlArg{name: "distinct", typ: "Boolean"})
	fields := &sdlType{kind: sdlObject, name: t.TypeName("_aggregate_fields"), description: "aggregate fields of " + q,
		fields: []*sdlField{count}}
	b.orderByEnum()
	orderBy := &sdlType{kind: sdlInput, name: t.TypeName("_aggregate_order_by"), description: "order by aggregate values of table " + q,
		fields: []*sdlField{{name: "count", typ: b.orderByType()}}}
	for _, op := range sdlAggregateOps {
		cols := sdlAggregateColumns(v, op)
		computed := b.aggregateComputedFields(v, op)
		if len(cols) == 0 && len(computed) == 0 {
			continue
		}
		opFields := &sdlType{kind: sdlObject, name: t.TypeName("_" + op + "_fields"), description: "aggregate " + b.n(op) + " on columns"}
		opOrder := &sdlType{kind: sdlInput, name: t.TypeName("_" + op + "_order_by"), description: "order by " + op + "() on columns of table " + q}
		for _, c := range cols {
			b.scalar(c)
			opFields.fields = append(opFields.fields, &sdlField{name: c.Field, typ: sdlAggregateType(op, c)})
			opOrder.fields = append(opOrder.fields, &sdlField{name: c.Field, typ: b.orderByType()})
		}
		opFields.fields = append(opFields.fields, computed...)
		b.define(opFields)
		fields.fields = append(fields.fields, &sdlField{name: b.n(op), typ: opFields.name})
		if len(cols) > 0 {
			b.define(opOrder)
			orderBy.fields = append(orderBy.fields, &sdlField{name: b.n(op), typ: opOrder.name})
		}
	}
	b.define(fields)
	b.define(orderBy)

	// Aggregate predicates: count over any rows, bool_and and bool_or
	// over one boolean column (runtime/boolexp.go aggregatePredicates).
	pred := &sdlType{kind: sdlInput, name: t.AggregateBoolExpType(""),
		fields: []*sdlField{{name: "count", typ: t.AggregateBoolExpType("count")}}}
	countExp := &sdlType{kind: sdlInput, name: t.AggregateBoolExpType("count")}
	if hasColumns {
		countExp.fields = append(countExp.fields, &sdlField{name: "arguments", typ: "[" + t.TypeName("_select_column") + "!]"})
	}
	countExp.fields = append(countExp.fields,
		&sdlField{name: "distinct", typ: "Boolean"},
		&sdlField{name: "filter", typ: t.TypeName("_bool_exp")},
		&sdlField{name: "predicate", typ: b.predicate("Int") + "!"})
	b.define(countExp)
	if bools := v.BooleanColumns(); len(bools) > 0 {
		for _, fn := range []string{"bool_and", "bool_or"} {
			// Hasura's names: the function's kept as is, the enum of
			// its columns <t>_select_column_<t>_aggregate_bool_exp_<fn>_arguments_columns.
			predID := t.Ident.Plus(model.Auto("aggregate_bool_exp")).Plus(model.Custom(fn)).Plus(model.Auto("arguments_columns"))
			exp := t.AggregateBoolExpType(fn)
			enum := b.p.Naming.TypeOf(t.Ident.Plus(model.Auto("select_column")).Plus(predID))
			b.define(sdlColumnEnum(enum, `select "`+b.p.Naming.FieldOf(predID)+`" columns of table `+q, bools))
			b.define(&sdlType{kind: sdlInput, name: exp, fields: []*sdlField{
				{name: "arguments", typ: enum + "!"},
				{name: "distinct", typ: "Boolean"},
				{name: "filter", typ: t.TypeName("_bool_exp")},
				{name: "predicate", typ: b.predicate("Boolean") + "!"},
			}})
			pred.fields = append(pred.fields, &sdlField{name: fn, typ: exp})
		}
	}
	b.define(pred)
}

// sdlBuiltins are GraphQL's own scalars: never declared.
var sdlBuiltins = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// scalar declares the scalar of column c (unless it is built in).
func (b *sdlBuilder) scalar(c *model.Column) {
	if c.Enum != nil {
		b.enumTable(c.Enum)
		return
	}
	b.define(&sdlType{kind: sdlScalar, name: c.Scalar})
}

// enumTable defines enum <t>_enum of an enum table: its rows, each
// described by its comment. Hasura gives the enum no description.
func (b *sdlBuilder) enumTable(t *model.Table) {
	d := &sdlType{kind: sdlEnum, name: t.EnumType()}
	for _, v := range t.EnumValues {
		d.values = append(d.values, sdlValue{name: b.p.Naming.Enum(v.Name), description: v.Description})
	}
	b.define(d)
}

// comparison defines the comparison type of column c and returns its name.
func (b *sdlBuilder) comparison(c *model.Column) string {
	b.scalar(c)
	return b.comparisonExp(c.ComparisonType(), c.Scalar, c.Operators())
}

// predicate defines the comparison type of an aggregate predicate's
// result, a built-in scalar, and returns its name.
func (b *sdlBuilder) predicate(scalar string) string {
	return b.comparisonExp(scalar+"_comparison_exp", scalar, model.ComparisonOperators(scalar, false, "", false))
}

// comparisonExp defines a <Scalar>_comparison_exp (or
// _array_comparison_exp), named def in hasura-default, with its operators,
// and returns its name. jsonb's _cast brings jsonb_cast_exp, whose String
// field compares the value as text.
func (b *sdlBuilder) comparisonExp(def, scalar string, ops []model.Operator) string {
	name := b.p.Naming.Type(def)
	d := &sdlType{kind: sdlInput, name: name,
		description: `Boolean expression to compare columns of type "` + scalar + `". All fields are combined with logical 'AND'.`}
	array := strings.HasSuffix(def, "_array_comparison_exp")
	for _, op := range ops {
		typ := op.Type
		if typ == "lquery" || typ == "ltxtquery" {
			b.define(&sdlType{kind: sdlScalar, name: typ})
		}
		if typ == "jsonb_cast_exp" {
			typ = b.p.Naming.Type(typ)
			str := b.comparisonExp("String_comparison_exp", "String", model.ComparisonOperators("String", false, "", true))
			b.define(&sdlType{kind: sdlInput, name: typ, fields: []*sdlField{{name: "String", typ: str}}})
		}
		d.fields = append(d.fields, &sdlField{name: b.n(op.Name), typ: typ, description: sdlOperatorDescription(op.Name, array)})
	}
	b.define(d)
	return name
}

// sdlOperatorDescription is Hasura's description of a comparison operator;
// the plain comparisons have none.
func sdlOperatorDescription(op string, array bool) string {
	if array {
		switch op {
		case "_contained_in":
			return "is the array contained in the given array value"
		case "_contains":
			return "does the array contain the given value"
		}
		return ""
	}
	switch op {
	case "_ilike":
		return "does the column match the given case-insensitive pattern"
	case "_iregex":
		return "does the column match the given POSIX regular expression, case insensitive"
	case "_like":
		return "does the column match the given pattern"
	case "_nilike":
		return "does the column NOT match the given case-insensitive pattern"
	case "_niregex":
		return "does the column NOT match the given POSIX regular expression, case insensitive"
	case "_nlike":
		return "does the column NOT match the given pattern"
	case "_nregex":
		return "does the column NOT match the given POSIX regular expression, case sensitive"
	case "_nsimilar":
		return "does the column NOT match the given SQL regular expression"
	case "_regex":
		return "does the column match the given POSIX regular expression, case sensitive"
	case "_similar":
		return "does the column match the given SQL regular expression"
	case "_contained_in":
		return "is the column contained in the given json value"
	case "_contains":
		return "does the column contain the given json value at the top level"
	case "_has_key":
		return "does the string exist as a top-level key in the column"
	case "_has_keys_all":
		return "do all of these strings exist as top-level keys in the column"
	case "_has_keys_any":
		return "do any of these strings exist as top-level keys in the column"
	case "_ancestor":
		return "is the left argument an ancestor of right (or equal)?"
	case "_ancestor_any":
		return "does array contain an ancestor of `ltree`?"
	case "_descendant":
		return "is the left argument a descendant of right (or equal)?"
	case "_descendant_any":
		return "does array contain a descendant of `ltree`?"
	case "_matches":
		return "does `ltree` match `lquery`?"
	case "_matches_any":
		return "does `ltree` match any `lquery` in array?"
	case "_matches_fulltext":
		return "does `ltree` match `ltxtquery`?"
	}
	return ""
}

// orderByEnum defines enum order_by, the sort directions.
func (b *sdlBuilder) orderByEnum() {
	b.define(&sdlType{kind: sdlEnum, name: b.orderByType(), description: "column ordering options", values: []sdlValue{
		{name: b.n("asc"), description: "in ascending order, nulls last"},
		{name: b.n("asc_nulls_first"), description: "in ascending order, nulls first"},
		{name: b.n("asc_nulls_last"), description: "in ascending order, nulls last"},
		{name: b.n("desc"), description: "in descending order, nulls first"},
		{name: b.n("desc_nulls_first"), description: "in descending order, nulls first"},
		{name: b.n("desc_nulls_last"), description: "in descending order, nulls last"},
	}})
}

// orderByType is the name of enum order_by (OrderBy under graphql-default).
func (b *sdlBuilder) orderByType() string { return b.p.Naming.Type("order_by") }

// n is the schema's name of a fixed argument, field or enum value that
// hasura-default names def (catalog.Names): the runtime reads the same.
func (b *sdlBuilder) n(def string) string { return b.names.Name(def) }

// sdlQualified is how Hasura's descriptions name a table: "albums" in public,
// "sales.orders" elsewhere, quoted.
func sdlQualified(t *model.Table) string {
	if t.Schema == "public" {
		return `"` + t.Name + `"`
	}
	return `"` + t.Schema + "." + t.Name + `"`
}

// sdlOr returns s, or def when s is empty.
func sdlOr(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// document keeps the definitions reachable from the root types, checks
// that every type they name is defined and that no type has a field twice,
// and prints them.
func (b *sdlBuilder) document() ([]byte, error) {
	reachable := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		if reachable[name] || sdlBuiltins[name] {
			return
		}
		reachable[name] = true
		d := b.defs[name]
		if d == nil {
			b.errorf("type %q is used but not defined", name)
			return
		}
		for _, f := range d.fields {
			walk(sdlNamedType(f.typ))
			for _, a := range f.args {
				walk(sdlNamedType(a.typ))
			}
		}
	}
	for _, r := range b.roots {
		walk(r.name)
	}
	for _, name := range b.relayImplementations() {
		walk(name)
	}
	names := make([]string, 0, len(reachable))
	for name := range reachable {
		if d := b.defs[name]; d != nil {
			names = append(names, name)
			d.check(b)
		}
	}
	sort.Strings(names)
	if len(b.errs) > 0 {
		sort.Strings(b.errs)
		return nil, fmt.Errorf("schema of role %s: %s", b.role, strings.Join(sdlDedupe(b.errs), "; "))
	}

	var w strings.Builder
	w.WriteString("schema {\n")
	for _, r := range b.roots {
		w.WriteString("  " + r.operation + ": " + r.name + "\n")
	}
	w.WriteString("}\n")
	for _, name := range names {
		w.WriteString("\n")
		b.defs[name].print(&w)
	}
	return []byte(w.String()), nil
}

// sdlDedupe drops repeated strings from a sorted slice.
func sdlDedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// sdlNamedType strips the list and non-null wrappers of a type reference.
func sdlNamedType(typ string) string { return strings.Trim(typ, "[]!") }

// Definitions and their printing. Fields and enum values print sorted by
// name; arguments in the order given.

// sdlKind is the keyword that declares a type.
type sdlKind string

const (
	sdlScalar sdlKind = "scalar"
	sdlObject sdlKind = "type"
	sdlInput  sdlKind = "input"
	sdlEnum   sdlKind = "enum"
	// sdlInterface is the Relay schema's Node.
	sdlInterface sdlKind = "interface"
)

// sdlType is a named type of the schema.
type sdlType struct {
	kind        sdlKind
	name        string
	description string
	fields      []*sdlField // object and input object fields
	values      []sdlValue
	// interfaces are the interfaces an object type implements.
	interfaces []string
}

// sdlField is a field of an object or input object type; typ is a type
// reference as written in SDL ("[albums!]!").
type sdlField struct {
	name        string
	description string
	args        []sdlArg
	typ         string
	// defaultValue is an input field's default, as written in SDL.
	defaultValue string
}

// sdlArg is an argument of a field.
type sdlArg struct {
	name        string
	description string
	typ         string
	// defaultValue is the default, as written in SDL; empty for none.
	defaultValue string
}

// String returns the argument as SDL writes it.
func (a sdlArg) String() string {
	if a.defaultValue != "" {
		return a.name + ": " + a.typ + " = " + a.defaultValue
	}
	return a.name + ": " + a.typ
}

// sdlValue is an enum value.
type sdlValue struct {
	name        string
	description string
}

// check reports fields or values defined twice and enum values GraphQL
// forbids.
func (d *sdlType) check(b *sdlBuilder) {
	seen := map[string]bool{}
	for _, f := range d.fields {
		if seen[f.name] {
			b.errorf("type %s: field %q is defined twice", d.name, f.name)
		}
		seen[f.name] = true
	}
	for _, v := range d.values {
		if seen[v.name] {
			b.errorf("enum %s: value %q is defined twice", d.name, v.name)
		}
		seen[v.name] = true
		if v.name == "true" || v.name == "false" || v.name == "null" {
			b.errorf("enum %s: %q cannot be an enum value; set a custom_name on the column", d.name, v.name)
		}
	}
}

// String returns the definition as printed.
func (d *sdlType) String() string {
	var w strings.Builder
	d.print(&w)
	return w.String()
}

// print writes the definition as graphql-js's printSchema does: two-space
// indent, a blank line before each described field but the first.
func (d *sdlType) print(w *strings.Builder) {
	sdlWriteDescription(w, d.description, "", true)
	w.WriteString(string(d.kind) + " " + d.name)
	if len(d.interfaces) > 0 {
		w.WriteString(" implements " + strings.Join(d.interfaces, " & "))
	}
	if d.kind == sdlScalar {
		w.WriteString("\n")
		return
	}
	w.WriteString(" {\n")
	fields := append([]*sdlField(nil), d.fields...)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].name < fields[j].name })
	for i, f := range fields {
		sdlWriteDescription(w, f.description, "  ", i == 0)
		w.WriteString("  " + f.name)
		sdlWriteArguments(w, f.args, "  ")
		w.WriteString(": " + f.typ)
		if f.defaultValue != "" {
			w.WriteString(" = " + f.defaultValue)
		}
		w.WriteString("\n")
	}
	values := append([]sdlValue(nil), d.values...)
	sort.SliceStable(values, func(i, j int) bool { return values[i].name < values[j].name })
	for i, v := range values {
		sdlWriteDescription(w, v.description, "  ", i == 0)
		w.WriteString("  " + v.name + "\n")
	}
	w.WriteString("}\n")
}

// sdlWriteArguments writes (a: T, b: U) on one line, or one argument per line
// when any has a description.
func sdlWriteArguments(w *strings.Builder, args []sdlArg, indent string) {
	if len(args) == 0 {
		return
	}
	described := false
	for _, a := range args {
		described = described || a.description != ""
	}
	if !described {
		w.WriteString("(")
		for i, a := range args {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString(a.String())
		}
		w.WriteString(")")
		return
	}
	w.WriteString("(\n")
	for i, a := range args {
		sdlWriteDescription(w, a.description, indent+"  ", i == 0)
		w.WriteString(indent + "  " + a.String() + "\n")
	}
	w.WriteString(indent + ")")
}

// sdlWriteDescription writes a description on its own lines at indent, after
// a blank line unless it is the first thing in its block.
func sdlWriteDescription(w *strings.Builder, s, indent string, first bool) {
	if s == "" {
		return
	}
	if indent != "" && !first {
		w.WriteString("\n")
	}
	w.WriteString(indent + sdlDescription(s, indent) + "\n")
}

// sdlDescription returns s as a GraphQL string that parses back to s
// exactly. Like graphql-js, it prints a short single line as """s""" and
// anything else as a block string on its own lines; text a block string
// would alter (surrounding blank space, carriage returns, control
// characters) is printed as a quoted string instead. Descriptions come
// from database comments, which may hold anything.
func sdlDescription(s, indent string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !sdlBlockSafe(s) {
		return sdlQuote(s)
	}
	esc := strings.ReplaceAll(s, `"""`, `\"""`)
	if len(s) <= 70 && !strings.Contains(s, "\n") && !strings.HasSuffix(s, `"`) && !strings.HasSuffix(s, `\`) {
		return `"""` + esc + `"""`
	}
	var w strings.Builder
	w.WriteString(`"""` + "\n")
	for _, line := range strings.Split(esc, "\n") {
		if line != "" {
			w.WriteString(indent + line)
		}
		w.WriteString("\n")
	}
	w.WriteString(indent + `"""`)
	return w.String()
}

// sdlBlockSafe reports whether a block string holding s parses back to s: it
// starts and ends with visible text (so neither the first line's indent
// nor blank first or last lines are stripped, and the common indentation
// of the lines is zero) and holds no carriage return or control character.
func sdlBlockSafe(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			return false
		}
	}
	return true
}

// sdlQuote returns s as a GraphQL string literal.
func sdlQuote(s string) string {
	var w strings.Builder
	w.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			w.WriteString(`\"`)
		case r == '\\':
			w.WriteString(`\\`)
		case r == '\n':
			w.WriteString(`\n`)
		case r == '\r':
			w.WriteString(`\r`)
		case r == '\t':
			w.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&w, `\u%04x`, r)
		default:
			var buf [utf8.UTFMax]byte
			w.Write(buf[:utf8.EncodeRune(buf[:], r)])
		}
	}
	w.WriteByte('"')
	return w.String()
}
