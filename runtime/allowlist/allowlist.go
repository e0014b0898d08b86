// Package allowlist is Hasura's allow list: with it on
// (HASURA_GRAPHQL_ENABLE_ALLOWLIST), a role other than admin runs only the
// documents of the query collections the allow list names, for every role
// (scope global) or for the roles of its scope.
//
// A request's document is compared with the listed ones as Hasura compares
// them (Hasura.RQL.Types.Allowlist): as syntax trees, not texts, so
// whitespace, commas and comments do not matter, nor the order of a
// field's arguments or of an input object's fields; everything else does,
// the order of the selections included. `__typename` fields are left out
// on both sides, except under an inline fragment, where Hasura keeps them.
//
// hasgen generate writes the listed collections to schema/allow_list.jsonc
// (File); the engine (engine.Config.AllowList) checks each request before
// validating it against the role's schema, and answers Hasura's error,
// "query is not allowed" (code validation-failed), for a document not in
// the list.
//
//	l, err := allowlist.New(cfg)
//	if !l.Allows(role, doc, query) { ... }
package allowlist

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// File is the allow list's file in the project's schema directory.
const File = "allow_list.jsonc"

// Config is schema/allow_list.jsonc: the collections the allow list names
// and the allow list, in Hasura's metadata JSON.
type Config struct {
	QueryCollections []Collection `json:"query_collections"`
	AllowList        []Entry      `json:"allowlist"`
}

// Collection is a query collection.
type Collection struct {
	Name       string     `json:"name"`
	Definition Definition `json:"definition"`
}

// Definition holds a collection's queries.
type Definition struct {
	Queries []Query `json:"queries"`
}

// Query is a named document of a collection.
type Query struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

// Entry is an entry of the allow list: a collection, allowed to every
// role or to the roles of its scope.
type Entry struct {
	Collection string `json:"collection"`
	Scope      *Scope `json:"scope,omitempty"`
}

// Scope is an entry's scope: {global: true}, or {global: false, roles}.
// A nil scope is global.
type Scope struct {
	Global bool     `json:"global"`
	Roles  []string `json:"roles,omitempty"`
}

// List answers whether a role may run a document. It is safe for
// concurrent use; the zero List allows nothing.
type List struct {
	global  map[string]bool
	perRole map[string]map[string]bool
}

// New builds the list of cfg. It fails on an entry naming a collection
// cfg lacks and on a query that does not parse (hasgen validate refuses
// both; the file was edited by hand).
func New(cfg Config) (*List, error) {
	byName := map[string]*Collection{}
	for i := range cfg.QueryCollections {
		byName[cfg.QueryCollections[i].Name] = &cfg.QueryCollections[i]
	}
	l := &List{global: map[string]bool{}, perRole: map[string]map[string]bool{}}
	for _, e := range cfg.AllowList {
		c := byName[e.Collection]
		if c == nil {
			return nil, fmt.Errorf("allowlist: there is no query collection %q", e.Collection)
		}
		for _, q := range c.Definition.Queries {
			doc, err := parser.ParseQuery(&ast.Source{Input: q.Query})
			if err != nil {
				return nil, fmt.Errorf("query collection %q, query %q: %w", c.Name, q.Name, err)
			}
			key := Normalize(doc, q.Query)
			if e.Scope == nil || e.Scope.Global {
				l.global[key] = true
				continue
			}
			for _, r := range e.Scope.Roles {
				if l.perRole[r] == nil {
					l.perRole[r] = map[string]bool{}
				}
				l.perRole[r][key] = true
			}
		}
	}
	return l, nil
}

// Allows reports whether role may run doc, parsed from query: whether
// doc is, normalised, a document of a global entry or of an entry whose
// scope names role. The caller exempts admin.
func (l *List) Allows(role string, doc *ast.QueryDocument, query string) bool {
	if l == nil {
		return false
	}
	key := Normalize(doc, query)
	return l.global[key] || l.perRole[role][key]
}

// Len is the number of distinct documents the list allows some role.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	seen := map[string]bool{}
	for k := range l.global {
		seen[k] = true
	}
	for _, m := range l.perRole {
		for k := range m {
			seen[k] = true
		}
	}
	return len(seen)
}

// Normalize returns the text by which doc, parsed from src, is compared:
// its definitions in document order, printed canonically (arguments and
// object fields by name, values by what they mean: "a" and """a""" alike,
// 1.0 and 1.00 alike), without `__typename` fields outside inline
// fragments. Two documents normalise alike when Hasura's allow list takes
// them for the same, with one leniency: `f: f` and `f` (an alias equal to
// the field's name), which gqlparser does not tell apart.
func Normalize(doc *ast.QueryDocument, src string) string {
	type def struct {
		at  int
		op  *ast.OperationDefinition
		frg *ast.FragmentDefinition
	}
	defs := make([]def, 0, len(doc.Operations)+len(doc.Fragments))
	for _, op := range doc.Operations {
		defs = append(defs, def{at: startOf(op.Position), op: op})
	}
	for _, f := range doc.Fragments {
		defs = append(defs, def{at: startOf(f.Position), frg: f})
	}
	// gqlparser keeps operations and fragments apart; Hasura compares
	// the definitions in the order written.
	slices.SortStableFunc(defs, func(a, b def) int { return a.at - b.at })
	p := &printer{}
	for _, d := range defs {
		if d.op != nil {
			p.operation(d.op, src)
		} else {
			p.fragment(d.frg)
		}
		p.b.WriteByte('\n')
	}
	return p.b.String()
}

func startOf(pos *ast.Position) int {
	if pos == nil {
		return 0
	}
	return pos.Start
}

type printer struct {
	b strings.Builder
}

func (p *printer) operation(op *ast.OperationDefinition, src string) {
	if shorthand(op, src) {
		// `{ f }` is not `query { f }` to Hasura (an untyped operation).
		p.selections(op.SelectionSet, true)
		return
	}
	p.b.WriteString(string(op.Operation))
	if op.Name != "" {
		p.b.WriteByte(' ')
		p.b.WriteString(op.Name)
	}
	if len(op.VariableDefinitions) > 0 {
		p.b.WriteByte('(')
		for i, v := range op.VariableDefinitions {
			if i > 0 {
				p.b.WriteByte(',')
			}
			p.b.WriteString("$" + v.Variable + ":" + v.Type.String())
			if v.DefaultValue != nil {
				p.b.WriteByte('=')
				p.value(v.DefaultValue)
			}
			p.directives(v.Directives)
		}
		p.b.WriteByte(')')
	}
	p.directives(op.Directives)
	p.selections(op.SelectionSet, true)
}

// shorthand reports whether op is written `{ ... }`: gqlparser gives it
// the position of its brace.
func shorthand(op *ast.OperationDefinition, src string) bool {
	if op.Operation != ast.Query || op.Name != "" || len(op.VariableDefinitions) > 0 || len(op.Directives) > 0 || op.Position == nil {
		return false
	}
	return runeAt(src, op.Position.Start) == '{'
}

// runeAt is the n-th rune of s (positions count runes), or -1.
func runeAt(s string, n int) rune {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if n == 0 {
			return r
		}
		n--
		i += size
	}
	return -1
}

func (p *printer) fragment(f *ast.FragmentDefinition) {
	p.b.WriteString("fragment " + f.Name + " on " + f.TypeCondition)
	p.directives(f.Directives)
	p.selections(f.SelectionSet, true)
}

// selections prints a selection set; strip leaves out `__typename`
// fields, as Hasura does everywhere but under an inline fragment.
func (p *printer) selections(set ast.SelectionSet, strip bool) {
	p.b.WriteByte('{')
	first := true
	for _, sel := range set {
		if f, ok := sel.(*ast.Field); ok && strip && f.Name == "__typename" {
			continue
		}
		if !first {
			p.b.WriteByte(' ')
		}
		first = false
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				p.b.WriteString(s.Alias + ":")
			}
			p.b.WriteString(s.Name)
			p.arguments(s.Arguments)
			p.directives(s.Directives)
			if len(s.SelectionSet) > 0 {
				p.selections(s.SelectionSet, strip)
			}
		case *ast.FragmentSpread:
			p.b.WriteString("..." + s.Name)
			p.directives(s.Directives)
		case *ast.InlineFragment:
			p.b.WriteString("...")
			if s.TypeCondition != "" {
				p.b.WriteString(" on " + s.TypeCondition)
			}
			p.directives(s.Directives)
			p.selections(s.SelectionSet, false)
		}
	}
	p.b.WriteByte('}')
}

func (p *printer) directives(ds ast.DirectiveList) {
	for _, d := range ds {
		p.b.WriteString("@" + d.Name)
		p.arguments(d.Arguments)
	}
}

// arguments prints arguments by name: Hasura holds them in a map.
func (p *printer) arguments(args ast.ArgumentList) {
	if len(args) == 0 {
		return
	}
	sorted := slices.Clone(args)
	slices.SortStableFunc(sorted, func(a, b *ast.Argument) int { return strings.Compare(a.Name, b.Name) })
	p.b.WriteByte('(')
	for i, a := range sorted {
		if i > 0 {
			p.b.WriteByte(',')
		}
		p.b.WriteString(a.Name + ":")
		p.value(a.Value)
	}
	p.b.WriteByte(')')
}

func (p *printer) value(v *ast.Value) {
	if v == nil {
		p.b.WriteString("null")
		return
	}
	switch v.Kind {
	case ast.Variable:
		p.b.WriteString("$" + v.Raw)
	case ast.StringValue, ast.BlockValue:
		p.b.WriteString(strconv.Quote(v.Raw))
	case ast.FloatValue:
		// Hasura reads a float as a decimal: 1.0 is 1.00 is 10e-1.
		if r, ok := new(big.Rat).SetString(v.Raw); ok {
			p.b.WriteString("f" + r.RatString())
		} else {
			p.b.WriteString(v.Raw)
		}
	case ast.ListValue:
		p.b.WriteByte('[')
		for i, c := range v.Children {
			if i > 0 {
				p.b.WriteByte(',')
			}
			p.value(c.Value)
		}
		p.b.WriteByte(']')
	case ast.ObjectValue:
		fields := slices.Clone(v.Children)
		slices.SortStableFunc(fields, func(a, b *ast.ChildValue) int { return strings.Compare(a.Name, b.Name) })
		p.b.WriteByte('{')
		for i, c := range fields {
			if i > 0 {
				p.b.WriteByte(',')
			}
			p.b.WriteString(c.Name + ":")
			p.value(c.Value)
		}
		p.b.WriteByte('}')
	default: // Int, Boolean, Null, Enum: their text is their value
		p.b.WriteString(v.Raw)
	}
}
