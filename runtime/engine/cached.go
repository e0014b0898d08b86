package engine

// What the response cache (runtime/cache, used by the transport) needs
// to know of a prepared request: its @cached arguments, the document in a
// form that ignores whitespace, and the session variables its answer
// depends on.

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// CacheDirective is the @cached directive of a query.
type CacheDirective struct {
	// TTL is the entry's lifetime in seconds, 60 when not given.
	TTL int
	// Refresh runs the query and replaces the entry even when one is
	// stored.
	Refresh bool
}

// Cached returns the @cached directive of a prepared query; ok is false
// for an operation without one, and for mutations and subscriptions
// (which validation refuses it on).
func (p *Prepared) Cached() (d CacheDirective, ok bool) {
	if p.op == nil || p.Operation != ast.Query || len(p.op.Directives) == 0 {
		return d, false
	}
	dir := p.op.Directives.ForName("cached")
	if dir == nil {
		return d, false
	}
	d.TTL = 60
	for _, a := range dir.Arguments {
		v := p.directiveArg(a.Value)
		switch a.Name {
		case "ttl":
			switch n := v.(type) {
			case json.Number:
				if i, err := n.Int64(); err == nil {
					d.TTL = int(i)
				}
			case string: // a literal's raw text
				if i, err := strconv.Atoi(n); err == nil {
					d.TTL = i
				}
			}
		case "refresh":
			switch b := v.(type) {
			case bool:
				d.Refresh = b
			case string:
				d.Refresh = b == "true"
			}
		}
	}
	return d, true
}

// directiveArg is the value of a directive's argument: a literal's raw
// text, or the variable's value (its default when the request has none).
func (p *Prepared) directiveArg(v *ast.Value) any {
	if v == nil {
		return nil
	}
	if v.Kind != ast.Variable {
		return v.Raw
	}
	if x, ok := p.Vars.Values[v.Raw]; ok {
		return x
	}
	if vd := p.op.VariableDefinitions.ForName(v.Raw); vd != nil && vd.DefaultValue != nil {
		return vd.DefaultValue.Raw
	}
	return nil
}

// CacheText returns the request's document as the response cache keys
// it: formatted from its syntax tree, so that whitespace and comments do
// not count, with @cached's refresh argument left out, so that a refresh
// replaces the entry the same query without it reads. It is computed
// once per document.
func (p *Prepared) CacheText() string {
	d := p.doc
	if d == nil || d.doc == nil {
		return p.Request.Query
	}
	if s := d.cacheText.Load(); s != nil {
		return *s
	}
	doc := *d.doc
	doc.Operations = make(ast.OperationList, len(d.doc.Operations))
	for i, op := range d.doc.Operations {
		if dir := op.Directives.ForName("cached"); dir != nil {
			o := *op
			o.Directives = make(ast.DirectiveList, 0, len(op.Directives))
			for _, x := range op.Directives {
				if x == dir {
					c := *x
					c.Arguments = slices.DeleteFunc(slices.Clone(x.Arguments), func(a *ast.Argument) bool { return a.Name == "refresh" })
					x = &c
				}
				o.Directives = append(o.Directives, x)
			}
			op = &o
		}
		doc.Operations[i] = op
	}
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithCompacted()).FormatQueryDocument(&doc)
	s := b.String()
	d.cacheText.Store(&s)
	return s
}

// CacheSession returns the session variables a cached response depends
// on, as name=value sorted, and whether it may also depend on the rest of
// the request (every session variable and the request's headers). As in
// Hasura, a query whose statements read some session variables (its
// permissions' filters, presets and limits do) depends on those only, so
// users who see the same rows share an entry. A field answered by
// something that receives the whole session (an action's handler, a
// remote schema, a custom resolver, a function's session argument, the
// database's own row-level security) makes it depend on all of it.
func (e *Engine) CacheSession(p *Prepared) (vars []string, whole bool) {
	whole = e.rls != nil || len(p.Plan.RemoteRels) > 0 || p.Plan.Custom || p.Plan.Remote
	var names []string
	for _, f := range p.Plan.Fields {
		switch f.Kind {
		case compile.FieldQuery, compile.FieldTypename:
		default:
			whole = true
		}
		for _, prm := range f.Params {
			if prm.SessionJSON {
				whole = true
			}
			if prm.Session != "" && !slices.Contains(names, prm.Session) {
				names = append(names, prm.Session)
			}
		}
	}
	if whole {
		names = names[:0]
		for k := range p.Session.Vars {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if v, ok := p.Session.Var(n); ok {
			vars = append(vars, n+"="+v)
		} else {
			vars = append(vars, n) // absent: Bind refuses it anyway
		}
	}
	return vars, whole
}

// CacheVariables returns the variables the operation declares, with the
// values the request gave them as compact JSON, sorted by name: those
// that enter the cache key (an undeclared one changes nothing).
func (p *Prepared) CacheVariables() [][2]string {
	if p.op == nil || len(p.op.VariableDefinitions) == 0 {
		return nil
	}
	out := make([][2]string, 0, len(p.op.VariableDefinitions))
	var b bytes.Buffer
	for _, vd := range p.op.VariableDefinitions {
		raw, ok := p.Vars.Raw[vd.Variable]
		if !ok {
			out = append(out, [2]string{vd.Variable, ""}) // absent, unlike null
			continue
		}
		b.Reset()
		if json.Compact(&b, raw) != nil {
			b.Reset()
			b.Write(raw)
		}
		out = append(out, [2]string{vd.Variable, b.String()})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// hasuraDirectiveMessage rewrites GraphQL's refusal of a directive where
// it may not be used (`Directive "@cached" may not be used on
// MUTATION.`) into Hasura's (`directive "cached" is not allowed on a
// mutation`); other messages are returned as they are.
func hasuraDirectiveMessage(msg string) string {
	rest, ok := strings.CutPrefix(msg, `Directive "@`)
	if !ok {
		return msg
	}
	name, loc, ok := strings.Cut(rest, `" may not be used on `)
	if !ok {
		return msg
	}
	where, ok := directiveLocations[strings.TrimSuffix(loc, ".")]
	if !ok {
		return msg
	}
	return `directive "` + name + `" is not allowed on ` + where
}

// directiveLocations are Hasura's words for the executable locations.
var directiveLocations = map[string]string{
	"QUERY": "a query", "MUTATION": "a mutation", "SUBSCRIPTION": "a subscription", "FIELD": "a field",
	"FRAGMENT_DEFINITION": "a fragment definition", "FRAGMENT_SPREAD": "a fragment spread",
	"INLINE_FRAGMENT": "an inline fragment",
}
