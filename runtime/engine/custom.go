package engine

// Custom fields: the user's gqlgen resolvers (graph/custom.graphqls),
// executed over each role's whole schema so that they validate and
// introspect as the role sees them.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// customAsExtension turns the user's definitions of the root types into
// extensions of the generated ones, and drops its schema definition: the
// custom file is a complete schema for gqlgen, and an extension of the
// role's schema here. It keeps only the fields role sees (rolesDirective)
// and drops the directive's uses; a root type left without fields is
// left out.
func customAsExtension(sdl, role string) (ext string, roots []string) {
	doc, err := parser.ParseSchema(&ast.Source{Input: sdl})
	if err != nil {
		return sdl, nil // reported when the schema loads
	}
	rootNames := map[string]bool{"query_root": true, "mutation_root": true, "subscription_root": true}
	out := &ast.SchemaDocument{}
	for _, d := range doc.Directives {
		if d.Name != rolesDirective {
			out.Directives = append(out.Directives, d)
		}
	}
	for _, d := range append(doc.Definitions, doc.Extensions...) {
		d = fieldsForRole(d, role)
		if rootNames[d.Name] {
			if len(d.Fields) == 0 {
				continue
			}
			out.Extensions = append(out.Extensions, d)
			roots = append(roots, d.Name)
		} else {
			out.Definitions = append(out.Definitions, d)
		}
	}
	var b bytes.Buffer
	formatter.NewFormatter(&b).FormatSchemaDocument(out)
	return b.String(), roots
}

// rolesDirective names the roles that see a custom field:
// `hello: String @roles(names: ["user"])`. Admin sees every field; a
// field without it is seen by every role. The emitted project declares
// it for gqlgen in graph/roles.graphqls (skip_runtime: gqlgen's code
// ignores it).
const rolesDirective = "roles"

// fieldsForRole returns d with the fields role may not see left out and
// the @roles uses dropped (a copy, when it changes).
func fieldsForRole(d *ast.Definition, role string) *ast.Definition {
	changed := false
	for _, f := range d.Fields {
		changed = changed || f.Directives.ForName(rolesDirective) != nil
	}
	if !changed {
		return d
	}
	c := *d
	c.Fields = nil
	for _, f := range d.Fields {
		dir := f.Directives.ForName(rolesDirective)
		if dir == nil {
			c.Fields = append(c.Fields, f)
			continue
		}
		if !rolesInclude(dir, role) {
			continue
		}
		fc := *f
		fc.Directives = nil
		for _, other := range f.Directives {
			if other.Name != rolesDirective {
				fc.Directives = append(fc.Directives, other)
			}
		}
		c.Fields = append(c.Fields, &fc)
	}
	return &c
}

// rolesInclude reports whether a @roles directive lets role see its
// field: admin always, another role when names lists it.
func rolesInclude(dir *ast.Directive, role string) bool {
	if role == session.AdminRole {
		return true
	}
	arg := dir.Arguments.ForName("names")
	if arg == nil || arg.Value == nil {
		return false
	}
	if arg.Value.Kind == ast.StringValue {
		return arg.Value.Raw == role
	}
	for _, c := range arg.Value.Children {
		if c.Value != nil && c.Value.Kind == ast.StringValue && c.Value.Raw == role {
			return true
		}
	}
	return false
}

// missingRoots declares the root types that the custom schema extends but
// a role's generated schema lacks (a role without subscriptions, any role
// before mutations): an empty type that the extension fills, and its entry
// in the schema definition.
func missingRoots(sdl string, roots []string) string {
	ops := map[string]string{"mutation_root": "mutation", "subscription_root": "subscription"}
	var b strings.Builder
	done := map[string]bool{}
	for _, r := range roots {
		op, ok := ops[r]
		if !ok || done[r] || hasRoot(sdl, r) {
			continue
		}
		done[r] = true
		fmt.Fprintf(&b, "type %s\nextend schema { %s: %s }\n", r, op, r)
	}
	return b.String()
}

// runCustom executes the custom fields among fields lo to hi (excluded) of
// a prepared request through gqlgen over the role's schema and stores each
// field's JSON in results. Resolvers find the session in ctx (session.From)
// and, in a mutation, the request's transaction (TxFrom).
func (e *Engine) runCustom(ctx context.Context, p *Prepared, results [][]byte, lo, hi int) error {
	r := p.role
	if r.custom == nil {
		return &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "no custom fields exist"}
	}
	plain := make(map[string]any, len(p.Vars.Values))
	for k, v := range p.Vars.Values {
		plain[k] = wire.Plain(v)
	}
	ctx = graphql.StartOperationTrace(session.With(ctx, p.Session))
	oc, gerrs := r.custom.CreateOperationContext(ctx, &graphql.RawParams{Query: p.Request.Query, OperationName: p.Request.OperationName, Variables: plain})
	if gerrs != nil {
		return gqlErrors(gerrs)
	}
	// Only the custom fields, with their merged selections.
	op := *oc.Operation
	op.SelectionSet = nil
	fields := p.Plan.Fields[lo:hi]
	for _, f := range fields {
		if f.Kind == compile.FieldCustom {
			op.SelectionSet = append(op.SelectionSet, f.AST)
		}
	}
	oc.Operation = &op
	handler, ctx := r.custom.DispatchOperation(ctx, oc)
	resp := handler(ctx)
	if resp == nil {
		return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "no response from custom resolvers"}
	}
	if len(resp.Errors) > 0 {
		return gqlErrors(resp.Errors)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "custom resolvers returned invalid JSON", Err: err}
	}
	for i, f := range fields {
		if f.Kind == compile.FieldCustom {
			results[lo+i] = data[f.Key]
		}
	}
	return nil
}

// gqlErrors converts gqlgen's errors to Hasura's.
func gqlErrors(list gqlerror.List) wire.List {
	out := make(wire.List, 0, len(list))
	for _, ge := range list {
		path := "$"
		for _, el := range ge.Path {
			switch el := el.(type) {
			case ast.PathName:
				path += ".selectionSet." + string(el)
			case ast.PathIndex:
				path += fmt.Sprintf("[%d]", int(el))
			}
		}
		code, _ := ge.Extensions["code"].(string)
		switch code {
		case "", "GRAPHQL_VALIDATION_FAILED":
			code = wire.CodeValidationFailed
			if len(ge.Path) > 0 {
				code = wire.CodeUnexpected
			}
		case "GRAPHQL_PARSE_FAILED":
			code = wire.CodeParseFailed
		}
		out = append(out, &wire.Error{Code: code, Path: path, Message: ge.Message, Err: ge})
	}
	return out
}

type txKey struct{}

// TxFrom returns the transaction of the mutation request ctx belongs to, or
// nil outside a mutation. Custom mutation resolvers run their SQL on it, so
// that it commits or rolls back with the request's generated fields:
//
//	if tx := engine.TxFrom(ctx); tx != nil {
//		_, err = tx.Exec(ctx, "INSERT INTO audit ...")
//	}
func TxFrom(ctx context.Context) DBTX {
	tx, _ := ctx.Value(txKey{}).(DBTX)
	return tx
}
