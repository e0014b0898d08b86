package templates

// The emitted project's package actions types its actions for Go
// handlers: a Go type for each custom type of actions.graphql, an Args
// struct per action, a Key struct per table an action returns the rows
// of, and Handlers, one typed field per action:
//
//	type Handlers struct {
//		// PlaceOrder handles place_order (mutation).
//		PlaceOrder func(ctx context.Context, req *runtimeactions.Request, in PlaceOrderArgs) (*OrdersKey, error)
//	}
//
// actions/actions.go is generated; actions/handlers.go, where the user
// sets the fields, is written once and is the user's.

import (
	"fmt"
	"go/format"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
)

const runtimeActionsPkg = "github.com/hasgen/hasgen/runtime/actions"

// actionGoModel names the Go types of a project's actions.
type actionGoModel struct {
	p *model.Project
	// types are the custom types, sorted by name, with their Go names.
	types  []*metadata.CustomType
	goType map[string]string
	// keys are the tables whose rows actions return, sorted, with
	// their key structs' names.
	keys    []*model.Table
	keyName map[*model.Table]string
	// handlers are the actions, sorted by name.
	handlers []actionGoHandler
	// values are the Go names of each enum's constants, in value order.
	values map[string][]string
}

// actionGoHandler is a field of Handlers.
type actionGoHandler struct {
	name, args string
	action     *metadata.Action
}

func newActionGoModel(p *model.Project) *actionGoModel {
	m := &actionGoModel{p: p, goType: map[string]string{}, keyName: map[*model.Table]string{}, values: map[string][]string{}}
	names := newIdents(handlersType, setupFunc)
	if p.Metadata == nil {
		return m
	}
	m.types = append(m.types, p.Metadata.CustomTypes...)
	sort.Slice(m.types, func(i, j int) bool { return m.types[i].Name < m.types[j].Name })
	for _, t := range m.types {
		m.goType[t.Name] = names.add(exportedIdent(t.Name))
	}
	for _, t := range m.types {
		for _, v := range t.Values {
			m.values[t.Name] = append(m.values[t.Name], names.add(m.goType[t.Name]+exportedIdent(strings.ToLower(v.Name))))
		}
	}
	acts := append([]*metadata.Action(nil), p.Metadata.Actions...)
	sort.Slice(acts, func(i, j int) bool { return acts[i].Name < acts[j].Name })
	seen := map[*model.Table]bool{}
	for _, a := range acts {
		if t := p.ActionTable(a); t != nil && !seen[t] {
			seen[t] = true
			m.keys = append(m.keys, t)
		}
	}
	sort.Slice(m.keys, func(i, j int) bool { return m.keys[i].Qualified() < m.keys[j].Qualified() })
	for _, t := range m.keys {
		m.keyName[t] = names.add(t.GoName + "Key")
	}
	fields := newIdents(byNameMethod)
	for _, a := range acts {
		name := exportedIdent(a.Name)
		m.handlers = append(m.handlers, actionGoHandler{name: fields.add(name), args: names.add(name + "Args"), action: a})
	}
	return m
}

// scalarGo is the Go type of a built-in or Postgres scalar of
// actions.graphql, as its JSON decodes: nil for another name.
func scalarGo(name string) jen.Code {
	switch name {
	case "Int":
		return jen.Int()
	case "Float", "float8":
		return jen.Float64()
	case "float4":
		return jen.Float32()
	case "String", "ID", "uuid", "citext", "bpchar", "ltree", "date", "time", "timetz", "timestamp",
		"timestamptz", "interval", "inet", "money", "bytea":
		return jen.String()
	case "Boolean":
		return jen.Bool()
	case "bigint":
		return jen.Int64()
	case "smallint":
		return jen.Int16()
	case "numeric":
		return jen.Qual("encoding/json", "Number")
	case "json", "jsonb":
		return jen.Qual("encoding/json", "RawMessage")
	}
	return nil
}

// goTypeOf is the Go type of a GraphQL type reference: a nullable named
// type is a pointer (but raw JSON), a list a slice.
func (m *actionGoModel) goTypeOf(t *gqlType) jen.Code {
	if t.elem != nil {
		return jen.Index().Add(m.goTypeOf(t.elem))
	}
	var named jen.Code
	raw := false
	if g := scalarGo(t.name); g != nil {
		named = g
		raw = t.name == "json" || t.name == "jsonb"
	} else if n, ok := m.goType[t.name]; ok {
		// A custom scalar is an alias of raw JSON.
		named, raw = jen.Id(n), m.kind(t.name) == "scalar"
	} else {
		// A scalar actions.graphql does not declare: its JSON as it is.
		named, raw = jen.Qual("encoding/json", "RawMessage"), true
	}
	if !t.nonNull && !raw {
		return jen.Op("*").Add(named)
	}
	return named
}

func (m *actionGoModel) kind(name string) string {
	for _, t := range m.types {
		if t.Name == name {
			return t.Kind
		}
	}
	return ""
}

// outputGo is the Go type a handler returns for action a: a pointer to
// an object (nil is null), a slice for a list, a table's key struct for
// its rows.
func (m *actionGoModel) outputGo(a *metadata.Action) jen.Code {
	t := parseGQLType(a.OutputType)
	if tbl := m.p.ActionTable(a); tbl != nil {
		key := jen.Id(m.keyName[tbl])
		if t.elem != nil {
			return jen.Index().Add(key)
		}
		return jen.Op("*").Add(key)
	}
	if t.elem == nil && m.kind(t.name) == "type" {
		return jen.Op("*").Id(m.goType[t.name])
	}
	return m.goTypeOf(t)
}

// gqlType is a parsed GraphQL type reference.
type gqlType struct {
	name    string
	elem    *gqlType
	nonNull bool
}

// parseGQLType parses "[A!]!" (a type metadata already checked).
func parseGQLType(s string) *gqlType {
	t := &gqlType{}
	if strings.HasSuffix(s, "!") {
		t.nonNull = true
		s = strings.TrimSuffix(s, "!")
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		t.elem = parseGQLType(s[1 : len(s)-1])
		return t
	}
	t.name = s
	return t
}

// ActionsGo renders actions/actions.go, the generated half of the emitted
// project's package actions; source names the metadata in the header. A
// project without actions gets an empty Handlers, so that main.go and
// actions/handlers.go compile either way.
func ActionsGo(p *model.Project, source string) ([]byte, error) {
	m := newActionGoModel(p)
	f := jen.NewFile("actions")
	f.HeaderComment(GeneratedHeader)
	f.HeaderComment("source: " + source)
	f.ImportAlias(runtimeActionsPkg, "runtimeactions")
	f.PackageComment("Package actions types this project's actions for Go handlers: a Go type")
	f.PackageComment("for each custom type of actions.graphql, the arguments of each action, the")
	f.PackageComment("primary key of each table an action returns rows of, and Handlers, a")
	f.PackageComment("typed field per action. Set the fields in handlers.go: an action whose")
	f.PackageComment("field is set is answered by it instead of its webhook.")

	for _, t := range m.types {
		name := m.goType[t.Name]
		switch t.Kind {
		case "scalar":
			f.Commentf("%s is the custom scalar %s: its JSON as the client or handler writes it.", name, t.Name)
			f.Type().Id(name).Op("=").Qual("encoding/json", "RawMessage")
		case "enum":
			f.Commentf("%s is the enum %s.", name, t.Name)
			f.Type().Id(name).String()
			f.Const().DefsFunc(func(g *jen.Group) {
				for i, v := range t.Values {
					g.Id(m.values[t.Name][i]).Id(name).Op("=").Lit(v.Name)
				}
			})
		default:
			what := "input object"
			if t.Kind == "type" {
				what = "object type"
			}
			f.Commentf("%s is the %s %s; a nullable field is a pointer (nil is null).", name, what, t.Name)
			f.Type().Id(name).StructFunc(func(g *jen.Group) {
				fields := newIdents()
				for _, fd := range t.Fields {
					g.Id(fields.add(exportedIdent(fd.Name))).Add(m.goTypeOf(parseGQLType(fd.Type))).Tag(map[string]string{"json": fd.Name})
				}
			})
		}
		f.Line()
	}
	for _, t := range m.keys {
		name := m.keyName[t]
		f.Commentf("%s is the primary key of %s:", name, t.Qualified())
		f.Comment("what a handler returns for a row of it, which the server reads under")
		f.Comment("the caller's select permission.")
		f.Type().Id(name).StructFunc(func(g *jen.Group) {
			fields := newIdents()
			for _, c := range t.PrimaryKey {
				typ, _ := eventGoType(c.Base, c.Dims)
				g.Id(fields.add(exportedIdent(c.Name))).Add(typ).Tag(map[string]string{"json": c.Field})
			}
		})
		f.Line()
	}
	for _, h := range m.handlers {
		f.Commentf("%s are the arguments of %s;", h.args, h.action.Name)
		f.Comment("a nullable one is a pointer (nil when null or left out).")
		f.Type().Id(h.args).StructFunc(func(g *jen.Group) {
			fields := newIdents()
			for _, a := range h.action.Args {
				g.Id(fields.add(exportedIdent(a.Name))).Add(m.goTypeOf(parseGQLType(a.Type))).Tag(map[string]string{"json": a.Name})
			}
		})
		f.Line()
	}

	f.Comment("Handlers answer actions in Go: each field is the handler of one action,")
	f.Comment("given the request (session, client headers, GraphQL as the caller's role")
	f.Comment("inside the request's transaction) and the arguments. A returned error is the")
	f.Comment("field's GraphQL error (a *runtimeactions.Error sets its code and")
	f.Comment("extensions) and, in a mutation, rolls the request back. A nil field leaves")
	f.Comment("the action to its webhook.")
	f.Type().Id(handlersType).StructFunc(func(g *jen.Group) {
		for _, h := range m.handlers {
			op := "query"
			if h.action.Mutation {
				op = "mutation"
			}
			g.Commentf("%s handles %s (%s, returns %s).", h.name, h.action.Name, op, h.action.OutputType)
			g.Id(h.name).Func().Params(
				jen.Id("ctx").Qual("context", "Context"),
				jen.Id("req").Op("*").Qual(runtimeActionsPkg, "Request"),
				jen.Id("in").Id(h.args),
			).Params(m.outputGo(h.action), jen.Error())
		}
	})
	f.Line()
	f.Commentf("%s returns the handlers that are set, by action name, as", byNameMethod)
	f.Comment("runtime.Project.ActionHandlers takes them.")
	f.Func().Params(jen.Id("h").Id(handlersType)).Id(byNameMethod).Params().Map(jen.String()).Qual(runtimeActionsPkg, "Handler").BlockFunc(func(g *jen.Group) {
		if len(m.handlers) == 0 {
			g.Return(jen.Nil())
			return
		}
		g.Id("m").Op(":=").Map(jen.String()).Qual(runtimeActionsPkg, "Handler").Values()
		for _, h := range m.handlers {
			g.If(jen.Id("h").Dot(h.name).Op("!=").Nil()).Block(
				jen.Id("m").Index(jen.Lit(h.action.Name)).Op("=").Qual(runtimeActionsPkg, "Typed").Call(jen.Id("h").Dot(h.name)),
			)
		}
		g.Return(jen.Id("m"))
	})
	return render(f)
}

// ActionHandlers renders actions/handlers.go, the user's half of package
// actions: Setup, returning the Handlers that main.go passes to the
// server, with each action's field in a comment to start from.
func ActionHandlers(p *model.Project) ([]byte, error) {
	m := newActionGoModel(p)
	var b strings.Builder
	b.WriteString(`package actions

// This file will not be regenerated automatically: hasgen created it once
// and it is yours.

// Setup returns the Go handlers of the actions, which main.go passes to
// the server: set a field of Handlers (actions.go) to answer its action
// here instead of at its webhook (an action whose handler is "go" in
// actions.yaml must have one). Setup runs once, before the server
// starts: open here what the handlers need (a pool, a client).
func Setup() Handlers {
`)
	if len(m.handlers) == 0 {
		b.WriteString("\treturn Handlers{}\n}\n")
	} else {
		b.WriteString("\treturn Handlers{\n")
		b.WriteString("\t\t// With \"context\" and runtimeactions \"" + runtimeActionsPkg + "\" imported:\n")
		for _, h := range m.handlers {
			typ := jen.Null().Add(m.outputGo(h.action)).GoString()
			fmt.Fprintf(&b, "\t\t//\n\t\t// %s: func(ctx context.Context, req *runtimeactions.Request, in %s) (%s, error) {\n\t\t// \tvar out %s\n\t\t// \treturn out, nil\n\t\t// },\n", h.name, h.args, typ, typ)
		}
		b.WriteString("\t}\n}\n")
	}
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("actions/handlers.go: %w", err)
	}
	return out, nil
}
