package engine

import (
	"fmt"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Role schemas are loaded the first time a request of the role comes, so
// that a server with many roles starts at once and holds only the schemas
// in use. hasgen generate writes in roles/<role>.graphqls only the
// definitions of the role's schema that differ from full.graphqls: a role
// schema is those definitions plus the definitions of full.graphqls they
// refer to, which every role shares (parsed once, never changed).

// lazyRole is a role's executor, loaded on first use.
type lazyRole struct {
	once sync.Once
	load func() (*roleExec, error)
	r    *roleExec
	err  error
}

func (l *lazyRole) get() (*roleExec, error) {
	l.once.Do(func() { l.r, l.err = l.load() })
	return l.r, l.err
}

// baseSchema is full.graphqls and GraphQL's built-in definitions, parsed
// once on first use: the definitions role schemas share.
type baseSchema struct {
	once    sync.Once
	source  func() (string, error) // full.graphqls
	prelude *ast.SchemaDocument
	full    *ast.SchemaDocument
	byName  map[string]*ast.Definition
	err     error
}

func (b *baseSchema) load() error {
	b.once.Do(func() {
		if b.prelude, b.err = parser.ParseSchema(validator.Prelude); b.err != nil {
			return
		}
		src, err := b.source()
		if err != nil {
			b.err = err
			return
		}
		if b.full, b.err = parser.ParseSchema(&ast.Source{Name: "full.graphqls", Input: src}); b.err != nil {
			return
		}
		b.byName = make(map[string]*ast.Definition, len(b.full.Definitions))
		for _, d := range b.full.Definitions {
			b.byName[d.Name] = d
		}
	})
	return b.err
}

// roleSchema builds a role's schema from sources (its SDL, complete or
// holding only what differs from full.graphqls, then the custom fields):
// the definitions of full.graphqls that they refer to and do not define
// are added, shared.
func (b *baseSchema) roleSchema(sources []*ast.Source) (*ast.Schema, error) {
	if err := b.load(); err != nil {
		return nil, err
	}
	own, err := parser.ParseSchemas(sources...)
	if err != nil {
		return nil, gqlerror.WrapIfUnwrapped(err)
	}
	doc := &ast.SchemaDocument{}
	doc.Merge(b.prelude)
	doc.Merge(own)
	defined := map[string]bool{}
	for _, d := range doc.Definitions {
		defined[d.Name] = true
	}
	directives := map[string]bool{}
	for _, d := range doc.Directives {
		directives[d.Name] = true
	}
	var queue []string
	refer := func(t *ast.Type) {
		for t != nil && t.Elem != nil {
			t = t.Elem
		}
		if t != nil && !defined[t.NamedType] {
			queue = append(queue, t.NamedType)
		}
	}
	referFrom := func(d *ast.Definition) {
		for _, f := range d.Fields {
			refer(f.Type)
			for _, a := range f.Arguments {
				refer(a.Type)
			}
		}
		for _, n := range append(append([]string(nil), d.Interfaces...), d.Types...) {
			refer(&ast.Type{NamedType: n})
		}
	}
	for _, sub := range subsets(sources[0].Input) {
		d := b.byName[sub.name]
		if d == nil || defined[sub.name] {
			return nil, fmt.Errorf("%s: type %s is not a type of full.graphqls", sources[0].Name, sub.name)
		}
		c := without(d, sub.fields)
		defined[c.Name] = true
		doc.Definitions = append(doc.Definitions, c)
		referFrom(c)
	}
	for _, sd := range append(own.Schema, own.SchemaExtension...) {
		for _, o := range sd.OperationTypes {
			refer(&ast.Type{NamedType: o.Type})
		}
	}
	for _, d := range own.Definitions {
		referFrom(d)
	}
	for _, d := range own.Extensions {
		referFrom(d)
	}
	for _, d := range b.full.Directives {
		if !directives[d.Name] {
			doc.Directives = append(doc.Directives, d)
			for _, a := range d.Arguments {
				refer(a.Type)
			}
		}
	}
	for len(queue) > 0 {
		name := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		d := b.byName[name]
		if defined[name] || d == nil {
			continue // defined, or unknown: validation says so
		}
		defined[name] = true
		doc.Definitions = append(doc.Definitions, d)
		referFrom(d)
	}
	// Validation appends to the root types and to extended types: those
	// must be this role's own, never the shared definitions.
	mine := map[string]bool{}
	for _, s := range own.Schema {
		for _, o := range s.OperationTypes {
			mine[o.Type] = true
		}
	}
	if len(own.Schema) == 0 {
		mine["Query"], mine["Mutation"], mine["Subscription"] = true, true, true
	}
	for _, e := range own.Extensions {
		mine[e.Name] = true
	}
	for i, d := range doc.Definitions {
		if mine[d.Name] && b.byName[d.Name] == d {
			c := *d
			c.Fields = append(ast.FieldList(nil), d.Fields...)
			c.Directives = append(ast.DirectiveList(nil), d.Directives...)
			c.Interfaces = append([]string(nil), d.Interfaces...)
			c.Types = append([]string(nil), d.Types...)
			c.EnumValues = append(ast.EnumValueList(nil), d.EnumValues...)
			doc.Definitions[i] = &c
		}
	}
	s, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, gqlerror.WrapIfUnwrapped(err)
	}
	return s, nil
}

// subsetNote heads, in a role's file, the list of its types that are
// full.graphqls's without some fields (hasgen generate's newDeltas).
const subsetNote = "# As in full.graphqls, without the fields listed:"

// subset is a type of full.graphqls without some fields.
type subset struct {
	name   string
	fields map[string]bool
}

// subsets reads the list that follows subsetNote: "#   <type>: <field>...".
func subsets(sdl string) []subset {
	_, rest, ok := strings.Cut(sdl, subsetNote+"\n")
	if !ok {
		return nil
	}
	var out []subset
	for _, line := range strings.Split(rest, "\n") {
		entry, ok := strings.CutPrefix(line, "#   ")
		if !ok {
			break
		}
		name, fields, _ := strings.Cut(entry, ":")
		sub := subset{name: strings.TrimSpace(name), fields: map[string]bool{}}
		for _, f := range strings.Fields(fields) {
			sub.fields[f] = true
		}
		out = append(out, sub)
	}
	return out
}

// without returns a copy of d without the fields (or enum values) named;
// the fields it keeps are d's own, shared.
func without(d *ast.Definition, names map[string]bool) *ast.Definition {
	c := *d
	c.Fields = nil
	for _, f := range d.Fields {
		if !names[f.Name] {
			c.Fields = append(c.Fields, f)
		}
	}
	c.EnumValues = nil
	for _, v := range d.EnumValues {
		if !names[v.Name] {
			c.EnumValues = append(c.EnumValues, v)
		}
	}
	return &c
}
