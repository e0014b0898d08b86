package compile

// A source's root_fields.namespace puts its root fields under one root
// field of each operation type, in the request and in the response:
//
//	query { ns { authors { id } one: authors_by_pk(id: 1) { id } } }
//	→ {"data": {"ns": {"authors": [...], "one": {...}}}}
//
// A stream must be the namespace's only field. A query's or live
// query's namespace compiles to ONE statement that
// builds the namespace object from its fields' statements (each a scalar
// subquery, so that a _by_pk without a row is null), keys in selection
// order. A mutation's namespace runs its fields' statements in order in
// the request's transaction, as root mutation fields do, and the engine
// assembles the object by Parts.

import (
	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// Part is a field of a namespace's object in a mutation: its response
// key, and the next Statements of the Field's Mutations that make its
// value (Many: an array of their results, update_<t>_many); a __typename
// has Typename and no statement.
type Part struct {
	Key        string
	Statements int
	Many       bool
	Nullable   bool
	Typename   string
}

// rootPath is the error path of a root field: $.selectionSet.<alias>, or
// inside the namespace field, $.selectionSet.<namespace>.selectionSet.<alias>.
func (c *compiler) rootPath(alias string) string {
	if c.root != "" {
		return c.root + alias
	}
	return "$.selectionSet." + alias
}

// namespace compiles the namespace field f of an operation into pf.
func (c *Compiler) namespace(cc *compiler, operation ast.Operation, f *collected, pf *Field) {
	typ := f.field.Definition.Type.Name()
	subs := cc.collect(f.sels, typ)
	path := cc.rootPath(f.alias)
	// The fields inside are at $.selectionSet.<namespace>.selectionSet.
	cc.root = path + ".selectionSet."
	defer func() { cc.root = "" }()
	if operation == ast.Mutation {
		pf.Kind = FieldMutation
		for _, sf := range subs {
			part := Part{Key: sf.alias}
			if sf.field.Name == "__typename" {
				part.Typename = typ
				pf.Parts = append(pf.Parts, part)
				continue
			}
			mref, ok := c.mutations[sf.field.Name]
			if !ok {
				cc.fail(path+".selectionSet."+sf.alias, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", sf.field.Name, typ)
				return
			}
			sts := cc.compileMutation(mref, sf)
			part.Statements, part.Many = len(sts), mref.kind == mutUpdateMany
			part.Nullable = mref.kind != mutInsert && mref.kind != mutUpdate && mref.kind != mutDelete && !part.Many
			pf.Mutations = append(pf.Mutations, sts...)
			pf.Parts = append(pf.Parts, part)
			pf.BackendOnly = pf.BackendOnly || backendOnly(mref.table, cc.role, mref.kind)
		}
		return
	}
	for _, sf := range subs {
		if ref, ok := c.roots[sf.field.Name]; ok && ref.kind == rootStream {
			// A stream is the namespace's one field: its batches are sent
			// as {"<namespace>": {"<stream>": rows}}.
			if len(subs) != 1 {
				cc.fail(path, wire.CodeValidationFailed, msgOneRootField)
				return
			}
			cc.subscription(ref, sf, pf)
			if pf.Stream != nil {
				pf.Stream.Inner = sf.alias
			}
			return
		}
	}
	cc.w = catalog.NewWriter(operation == ast.Subscription)
	w := cc.w
	w.WriteString("SELECT (")
	for i, sf := range subs {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		w.Write(catalog.QuoteLiteral(sep+`"`+sf.alias+`":`), " || ")
		if sf.field.Name == "__typename" {
			w.WriteString(catalog.QuoteLiteral(`"` + typ + `"`))
		} else {
			ref, ok := c.roots[sf.field.Name]
			if !ok {
				cc.fail(path+".selectionSet."+sf.alias, wire.CodeValidationFailed, "field '%s' not found in type: '%s'", sf.field.Name, typ)
				return
			}
			w.WriteString("coalesce((")
			cc.compileRoot(ref, sf)
			w.WriteString(")::text, 'null')")
		}
		w.WriteString(" || ")
	}
	if len(subs) == 0 {
		w.WriteString("'{' || ")
	}
	w.WriteString(`'}')::json AS "root"`)
	if cc.err != nil {
		return
	}
	pf.Tables = w.Tables()
	pf.Params = w.Params()
	if operation == ast.Subscription {
		pf.Kind = FieldLive
		pf.SQL = PollMarker + `SELECT "_subs"."id", "_res"."root" FROM unnest($1::int4[], $2::json[]) AS "_subs"("id", "vars") LEFT JOIN LATERAL (` +
			w.String() + `) AS "_res" ON true`
		return
	}
	pf.Kind, pf.SQL = FieldQuery, w.String()
}
