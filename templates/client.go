package templates

// The emitted project's package client is a typed Go client of its own
// API, generated from operations/*.graphql the way genqlient does it: per
// named operation a function with typed variables and a typed result,
//
//	// Channels runs the query Channels (operations/channels.graphql:1:1).
//	func Channels(ctx context.Context, c gqlclient.Client, vars ChannelsVars) (*ChannelsResult, error)
//
// nested selections being nested structs (ChannelsResult.Channels is a
// []ChannelsChannels), aliases their own fields, nullable values pointers,
// lists slices. The enums and input objects the variables use are shared
// types of client/client.go. A function runs over HTTP (gqlclient.HTTP) or
// in process (gqlclient.Local) alike.

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/hasgen/hasgen/model"
	"github.com/vektah/gqlparser/v2/ast"
)

const gqlclientPkg = "github.com/hasgen/hasgen/runtime/gqlclient"

// ClientOperation is an operation of operations/*.graphql, validated
// against the schema Client types it with.
type ClientOperation struct {
	// Name is the operation's name; Kind query or mutation.
	Name string
	Kind ast.Operation
	// File is operations/<file>.graphql; Pos its place in it (file:line:col).
	File, Pos string
	// Def is the operation and Fragments the fragments it uses.
	Def       *ast.OperationDefinition
	Fragments ast.FragmentDefinitionList
	// Document is the text the function sends.
	Document string
	// Roles are the roles whose schema validates it, sorted.
	Roles []string
}

// clientModel names and types the client's Go declarations.
type clientModel struct {
	schema *ast.Schema
	// strings are the scalars that are Postgres enums: strings in Go.
	strings map[string]bool
	// names hands out the package's identifiers.
	names idents
	// shared are the enums and input objects used, GraphQL name → Go
	// name; rendered into client.go sorted by GraphQL name.
	shared map[string]string
}

// Client renders the emitted project's package client: client/client.go
// (the package, the shared enums and input objects, its source named in
// the header) and client/<file>.go for each operations/<file>.graphql.
// schema is the one the results are typed with (admin's, which every role's
// is a part of); ops are sorted by name. A selection it cannot type (a
// fragment on another type: hasgen's schemas have no interfaces or unions
// there) is an error naming the operation's place.
func Client(p *model.Project, schema *ast.Schema, ops []ClientOperation, source string) (map[string][]byte, error) {
	m := &clientModel{schema: schema, strings: map[string]bool{}, names: newIdents("Client"), shared: map[string]string{}}
	if p.DB != nil {
		for _, e := range p.DB.Enums {
			m.strings[e.Name] = true
		}
	}
	byFile := map[string][]ClientOperation{}
	var fileNames []string
	for _, op := range ops {
		if _, ok := byFile[op.File]; !ok {
			fileNames = append(fileNames, op.File)
		}
		byFile[op.File] = append(byFile[op.File], op)
	}
	sort.Strings(fileNames)
	// Operations' names first, so that they keep theirs over the shared
	// types' whatever the schema.
	type named struct {
		fn, doc, vars, result string
	}
	names := map[string]named{}
	for _, op := range ops {
		base := exportedIdent(op.Name)
		n := named{fn: m.names.add(base), doc: m.names.add(lowerFirst(base) + "Document"), result: m.names.add(base + "Result")}
		if len(op.Def.VariableDefinitions) > 0 {
			n.vars = m.names.add(base + "Vars")
		}
		names[op.Name] = n
	}
	files := map[string][]byte{}
	for _, file := range fileNames {
		f := newClientFile(file)
		for _, op := range byFile[file] {
			n := names[op.Name]
			if err := m.operation(f, op, n.fn, n.doc, n.vars, n.result); err != nil {
				return nil, fmt.Errorf("%s: operation %s: %w", op.Pos, op.Name, err)
			}
		}
		b, err := render(f)
		if err != nil {
			return nil, fmt.Errorf("render the client of %s: %w", file, err)
		}
		files["client/"+strings.TrimSuffix(path.Base(file), ".graphql")+".go"] = b
	}
	f := newClientFile(source)
	f.PackageComment("Package client is a typed client of this project's API, generated from")
	f.PackageComment("operations/*.graphql: a function per named operation, with its variables")
	f.PackageComment("and its result as Go types. Each runs over HTTP against a server")
	f.PackageComment("(gqlclient.NewHTTP) or in process on an engine as a given session")
	f.PackageComment("(gqlclient.NewLocal), with the same permissions either way.")
	if err := m.sharedTypes(f); err != nil {
		return nil, err
	}
	b, err := render(f)
	if err != nil {
		return nil, fmt.Errorf("render client/client.go: %w", err)
	}
	files["client/client.go"] = b
	return files, nil
}

func newClientFile(source string) *jen.File {
	f := jen.NewFile("client")
	f.HeaderComment(GeneratedHeader)
	f.HeaderComment("source: " + source)
	f.ImportName(gqlclientPkg, "gqlclient")
	return f
}

// operation renders op: its document, its variables, its result types
// and its function.
func (m *clientModel) operation(f *jen.File, op ClientOperation, fn, doc, vars, result string) error {
	root := m.schema.Query
	switch op.Kind {
	case ast.Mutation:
		root = m.schema.Mutation
	case ast.Subscription:
		root = m.schema.Subscription
	}
	if root == nil {
		return fmt.Errorf("the schema has no %s type", op.Kind)
	}
	// const channelsDocument = `query Channels ...`
	f.Commentf("%s is the document %s sends.", doc, fn)
	f.Const().Id(doc).Op("=").Add(rawString(op.Document))
	f.Line()

	if vars != "" {
		// type ChannelsVars struct { Limit *int `json:"limit,omitempty"` }
		f.Commentf("%s are the variables of %s;", vars, op.Name)
		f.Comment("a nullable one is a pointer, left out when nil.")
		var err error
		f.Type().Id(vars).StructFunc(func(g *jen.Group) {
			fields := newIdents()
			for _, v := range op.Def.VariableDefinitions {
				typ, terr := m.inputType(v.Type)
				if terr != nil {
					err = terr
					return
				}
				g.Id(fields.add(exportedIdent(v.Variable))).Add(typ).Tag(map[string]string{"json": jsonTag(v.Variable, !v.Type.NonNull)})
			}
		})
		if err != nil {
			return err
		}
		f.Line()
	}

	var types []jen.Code
	set, err := m.collect(op.Def.SelectionSet, root, op.Fragments)
	if err != nil {
		return err
	}
	if err := m.object(&types, result, exportedIdent(op.Name), fmt.Sprintf("%s is the data of %s.", result, op.Name), set, op.Fragments); err != nil {
		return err
	}
	for _, t := range types {
		f.Add(t)
		f.Line()
	}

	// func Channels(ctx context.Context, c gqlclient.Client, vars ChannelsVars) (*ChannelsResult, error) {
	// 	return gqlclient.Do[ChannelsResult](ctx, c, &gqlclient.Request{Query: channelsDocument, OperationName: "Channels", Variables: vars})
	// }
	f.Commentf("%s runs the %s %s (%s) on c.", fn, op.Kind, op.Name, op.Pos)
	f.Commentf("Roles whose schema has it: %s.", strings.Join(op.Roles, ", "))
	params := []jen.Code{jen.Id("ctx").Qual("context", "Context"), jen.Id("c").Qual(gqlclientPkg, "Client")}
	req := jen.Dict{jen.Id("Query"): jen.Id(doc), jen.Id("OperationName"): jen.Lit(op.Name)}
	if vars != "" {
		params = append(params, jen.Id("vars").Id(vars))
		req[jen.Id("Variables")] = jen.Id("vars")
	}
	f.Func().Id(fn).Params(params...).Params(jen.Op("*").Id(result), jen.Error()).Block(
		jen.Return(jen.Qual(gqlclientPkg, "Do").Types(jen.Id(result)).Call(jen.Id("ctx"), jen.Id("c"), jen.Op("&").Qual(gqlclientPkg, "Request").Values(req))),
	)
	f.Line()
	return nil
}

// rawString is s as a raw string literal when it can be one (readable in a
// diff), else quoted.
func rawString(s string) jen.Code {
	if strings.Contains(s, "`") || strings.Contains(s, "\r") {
		return jen.Lit(s)
	}
	return jen.Op("`" + s + "`")
}

func jsonTag(name string, omitEmpty bool) string {
	if omitEmpty {
		return name + ",omitempty"
	}
	return name
}

// selField is one key of a result object: the fields of a selection set
// (fragments included) with that response key, merged.
type selField struct {
	key  string
	name string
	// def is the field's definition; nil for __typename.
	def *ast.FieldDefinition
	// sets are the selection sets of its occurrences.
	sets []ast.SelectionSet
	// conditional is set when an occurrence has @include or @skip: the
	// key may be missing.
	conditional bool
}

// collect gathers the fields set selects on parent, through its inline
// fragments and fragment spreads, by response key in order of first
// appearance.
func (m *clientModel) collect(set ast.SelectionSet, parent *ast.Definition, frags ast.FragmentDefinitionList) ([]*selField, error) {
	var out []*selField
	byKey := map[string]*selField{}
	var walk func(ast.SelectionSet, bool) error
	walk = func(set ast.SelectionSet, cond bool) error {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				key := sel.Alias
				if key == "" {
					key = sel.Name
				}
				sf, ok := byKey[key]
				if !ok {
					sf = &selField{key: key, name: sel.Name}
					if sel.Name != "__typename" {
						if sf.def = parent.Fields.ForName(sel.Name); sf.def == nil {
							return fmt.Errorf("%s: field %q not found in type %s", posOf(sel.Position), sel.Name, parent.Name)
						}
					}
					byKey[key] = sf
					out = append(out, sf)
				}
				sf.sets = append(sf.sets, sel.SelectionSet)
				sf.conditional = sf.conditional || cond || hasCondition(sel.Directives)
			case *ast.InlineFragment:
				if sel.TypeCondition != "" && sel.TypeCondition != parent.Name {
					return fmt.Errorf("%s: a fragment on %s inside %s: the typed client only types fragments on their parent's type", posOf(sel.Position), sel.TypeCondition, parent.Name)
				}
				if err := walk(sel.SelectionSet, cond || hasCondition(sel.Directives)); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				fd := frags.ForName(sel.Name)
				if fd == nil {
					return fmt.Errorf("%s: unknown fragment %q", posOf(sel.Position), sel.Name)
				}
				if fd.TypeCondition != parent.Name {
					return fmt.Errorf("%s: fragment %s on %s inside %s: the typed client only types fragments on their parent's type", posOf(sel.Position), sel.Name, fd.TypeCondition, parent.Name)
				}
				if err := walk(fd.SelectionSet, cond || hasCondition(sel.Directives)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk(set, false)
}

func hasCondition(ds ast.DirectiveList) bool {
	return ds.ForName("include") != nil || ds.ForName("skip") != nil
}

func posOf(p *ast.Position) string {
	if p == nil || p.Src == nil {
		return "?"
	}
	return fmt.Sprintf("%s:%d:%d", p.Src.Name, p.Line, p.Column)
}

// object appends to types the struct name of the fields set, then the
// structs of its fields' selections, named prefix + the field's Go name
// (ChannelsChannels, then ChannelsChannelsMembers).
func (m *clientModel) object(types *[]jen.Code, name, prefix, doc string, set []*selField, frags ast.FragmentDefinitionList) error {
	fields := newIdents()
	var decl []jen.Code
	var nested []func() error
	for _, sf := range set {
		goName := exportedIdent(sf.key)
		if sf.key == "__typename" {
			goName = "Typename"
		}
		goName = fields.add(goName)
		tag := map[string]string{"json": sf.key}
		if sf.def == nil {
			// __typename: always a name.
			decl = append(decl, jen.Id(goName).String().Tag(tag))
			continue
		}
		base := m.schema.Types[sf.def.Type.Name()]
		if base == nil {
			return fmt.Errorf("type %s of field %s not found", sf.def.Type.Name(), sf.name)
		}
		var elem jen.Code
		switch base.Kind {
		case ast.Object:
			typeName := m.names.add(prefix + goName)
			elem = jen.Id(typeName)
			var sets ast.SelectionSet
			for _, s := range sf.sets {
				sets = append(sets, s...)
			}
			nested = append(nested, func() error {
				sub, err := m.collect(sets, base, frags)
				if err != nil {
					return err
				}
				return m.object(types, typeName, typeName, fmt.Sprintf("%s is %s.%s.", typeName, name, goName), sub, frags)
			})
		case ast.Enum:
			elem = jen.Id(m.sharedName(base.Name))
		case ast.Scalar:
			elem = m.scalar(base.Name)
		default:
			return fmt.Errorf("field %s is of type %s, a %s: the typed client types objects, enums and scalars", sf.name, base.Name, strings.ToLower(string(base.Kind)))
		}
		typ := m.wrap(sf.def.Type, elem, m.isRaw(base), sf.conditional)
		decl = append(decl, jen.Id(goName).Add(typ).Tag(tag))
	}
	*types = append(*types, jen.Comment(doc).Line().Type().Id(name).Struct(decl...))
	for _, n := range nested {
		if err := n(); err != nil {
			return err
		}
	}
	return nil
}

// wrap is the Go type of t over its named type's Go type elem: a slice per
// list, a pointer for a nullable value (or a conditional field) unless raw
// JSON, whose null is its own.
func (m *clientModel) wrap(t *ast.Type, elem jen.Code, raw, optional bool) jen.Code {
	if t.Elem != nil {
		// A list's null is a nil slice.
		return jen.Index().Add(m.wrap(t.Elem, elem, raw, false))
	}
	if (!t.NonNull || optional) && !raw {
		return jen.Op("*").Add(elem)
	}
	return elem
}

// scalar is a scalar's Go type: the project's mapping (scalarGo), but
// json.Number for bigint and float8, which a server with
// HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES writes as strings (json.Number
// decodes both); a Postgres enum's string; else its JSON as written.
func (m *clientModel) scalar(name string) jen.Code {
	if name == "bigint" || name == "float8" {
		return jen.Qual("encoding/json", "Number")
	}
	if g := scalarGo(name); g != nil {
		return g
	}
	if m.strings[name] {
		return jen.String()
	}
	return jen.Qual("encoding/json", "RawMessage")
}

// isRaw reports whether a named type is raw JSON in Go.
func (m *clientModel) isRaw(d *ast.Definition) bool {
	if d.Kind != ast.Scalar {
		return false
	}
	return d.Name == "json" || d.Name == "jsonb" || (scalarGo(d.Name) == nil && !m.strings[d.Name])
}

// inputType is the Go type of a variable's or input field's type: an input
// object or enum is a shared type.
func (m *clientModel) inputType(t *ast.Type) (jen.Code, error) {
	base := m.schema.Types[t.Name()]
	if base == nil {
		return nil, fmt.Errorf("type %s not found", t.Name())
	}
	var elem jen.Code
	switch base.Kind {
	case ast.Scalar:
		elem = m.scalar(base.Name)
	case ast.Enum, ast.InputObject:
		elem = jen.Id(m.sharedName(base.Name))
	default:
		return nil, fmt.Errorf("type %s is not an input type", base.Name)
	}
	return m.wrap(t, elem, m.isRaw(base), false), nil
}

// sharedName is the Go name of a shared enum or input object, handed out
// on first use.
func (m *clientModel) sharedName(gql string) string {
	if n, ok := m.shared[gql]; ok {
		return n
	}
	n := m.names.add(exportedIdent(gql))
	m.shared[gql] = n
	return n
}

// sharedTypes renders the shared enums and input objects, sorted by
// GraphQL name. An input object's fields may name more of them: the loop
// runs until none is new.
func (m *clientModel) sharedTypes(f *jen.File) error {
	done := map[string]bool{}
	for {
		var todo []string
		for gql := range m.shared {
			if !done[gql] {
				todo = append(todo, gql)
			}
		}
		if len(todo) == 0 {
			break
		}
		// Sorted: the names handed out must not depend on map order.
		sort.Strings(todo)
		for _, gql := range todo {
			done[gql] = true
			def := m.schema.Types[gql]
			if def.Kind == ast.InputObject {
				// Naming the fields' types hands out their names now.
				for _, fd := range def.Fields {
					if _, err := m.inputType(fd.Type); err != nil {
						return fmt.Errorf("input %s, field %s: %w", gql, fd.Name, err)
					}
				}
			}
		}
	}
	all := make([]string, 0, len(m.shared))
	for gql := range m.shared {
		all = append(all, gql)
	}
	sort.Strings(all)
	for _, gql := range all {
		def, name := m.schema.Types[gql], m.shared[gql]
		switch def.Kind {
		case ast.Enum:
			// type OrderBy string; const ( OrderByAsc OrderBy = "asc" ... )
			f.Commentf("%s is the enum %s.", name, gql)
			f.Type().Id(name).String()
			f.Const().DefsFunc(func(g *jen.Group) {
				for _, v := range def.EnumValues {
					g.Id(m.names.add(name + exportedIdent(strings.ToLower(v.Name)))).Id(name).Op("=").Lit(v.Name)
				}
			})
		case ast.InputObject:
			// type MessagesBoolExp struct { ID *IntComparisonExp `json:"id,omitempty"` ... }
			f.Commentf("%s is the input %s;", name, gql)
			f.Comment("a nullable field is a pointer, left out when nil.")
			var err error
			f.Type().Id(name).StructFunc(func(g *jen.Group) {
				fields := newIdents()
				for _, fd := range def.Fields {
					typ, terr := m.inputType(fd.Type)
					if terr != nil {
						err = terr
						return
					}
					g.Id(fields.add(exportedIdent(fd.Name))).Add(typ).Tag(map[string]string{"json": jsonTag(fd.Name, !fd.Type.NonNull)})
				}
			})
			if err != nil {
				return err
			}
		}
		f.Line()
	}
	return nil
}
