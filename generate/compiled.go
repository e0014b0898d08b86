package generate

import (
	"bytes"
	"fmt"
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"
	"text/template"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/templates"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Compiled operations: each operation of operations/*.graphql is compiled,
// when generate runs, for every role whose schema validates it, by the
// runtime's own engine (runtime/engine, which compiles with runtime/compile)
// over the descriptors and schemas of this very generation: the table
// descriptors are built in memory from the model (templates.Descriptors,
// the same descriptions db/*.go prints, each filter replaying the writes
// its generated function makes) and the role schemas are the files being
// generated (schema/). That needs no build of the emitted project: a
// program built and run in it would compile the same descriptors, after a
// go build of the whole project on every generate. The output is one Go
// file per operation in package operations (operations/<name>.go, beside
// the user's .graphql files): per role, each root field's SQL as a
// constant with its parameters, which a pull request shows; the server
// gets the list through runtime.Project.Operations (operations.Compiled)
// and pins them (runtime/engine/compiled.go).

const pathOperationsGo = dirOperations + "/operations.go"

// compiledFiles compiles the project's operations (loadOperations) against
// the generated schemas in out and adds their files to out.generated; none
// when there are no operations. A warning says when main.go does not hand
// them to the server.
func compiledFiles(p *model.Project, dir, src string, out *files) error {
	ops, err := loadOperations(dir)
	if err != nil {
		return err
	}
	var colls []collectionOp
	if p.Metadata != nil {
		colls = collectionOps(p.Metadata.QueryCollections)
	}
	if len(ops) == 0 && len(colls) == 0 {
		return nil
	}
	cfg, err := compileConfig(p, dir, out)
	if err != nil {
		return err
	}
	e, err := engine.New(cfg, nil)
	if err != nil {
		return fmt.Errorf("compiling %s/: %w", dirOperations, err)
	}
	var names []string
	for _, op := range ops {
		co, err := e.CompileOperation(op.Name, op.Pos(), op.Document)
		if err != nil {
			return err
		}
		if len(co.Roles) == 0 {
			return fmt.Errorf("%s: operation %s is valid for no role: %s", op.Pos(), op.Name, co.Refused[0].Error)
		}
		b, err := operationGo(src, co)
		if err != nil {
			return err
		}
		out.generated[dirOperations+"/"+operationFile(op.Name)] = b
		names = append(names, operationVar(op.Name))
	}
	// The query collections' documents are compiled as written (what
	// clients of the allow list send); one whose SQL would depend on its
	// variables' values is left to the uncompiled path, with a warning.
	for _, c := range colls {
		co, err := e.CompileOperation(c.operation, c.source, c.query)
		if err != nil {
			out.warnings = append(out.warnings, fmt.Sprintf("query collection %s, query %s: not compiled: %v", c.collection, c.name, err))
			continue
		}
		if len(co.Roles) == 0 {
			out.warnings = append(out.warnings, fmt.Sprintf("%s: query collection %s, query %s: not compiled: valid for no role: %s", c.source, c.collection, c.name, co.Refused[0].Error))
			continue
		}
		v := "Collection" + model.GoName(c.collection) + model.GoName(c.name)
		b, err := operationGoNamed(src, co, operationVar(v))
		if err != nil {
			return err
		}
		out.generated[dirOperations+"/"+operationFile(v)] = b
		names = append(names, operationVar(v))
	}
	pkg, err := goFile(src, operationsGoTmpl, map[string]any{"Vars": names})
	if err != nil {
		return err
	}
	out.generated[pathOperationsGo] = pkg
	if main, err := os.ReadFile(filepath.Join(dir, pathMain)); err == nil && !bytes.Contains(main, []byte("operations.Compiled")) {
		out.warnings = append(out.warnings, fmt.Sprintf("%s does not hand the compiled operations to the server: add Operations: operations.Compiled to its runtime.Project (import \"<module>/%s\")", pathMain, dirOperations))
	}
	return nil
}

// compileConfig is the engine configuration the server builds from the
// generated files: the descriptors, the schemas of schema/ (remote and
// Relay ones included) and graph/custom.graphqls.
func compileConfig(p *model.Project, dir string, out *files) (engine.Config, error) {
	schemas := fstest.MapFS{}
	for path, b := range out.generated {
		if rest, ok := strings.CutPrefix(path, "schema/"); ok && strings.HasSuffix(rest, ".graphqls") {
			schemas[rest] = &fstest.MapFile{Data: b}
		}
	}
	custom, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pathCustomSDL)))
	if err != nil && !os.IsNotExist(err) {
		return engine.Config{}, err
	}
	if custom == nil {
		custom = []byte(customGraphQLS)
	}
	return engine.Config{
		Tables: templates.Descriptors(p), Schemas: schemas, CustomSDL: string(custom),
		IntrospectionDisabledFor: p.Metadata.IntrospectionDisabledForRoles,
	}, nil
}

// operationFile is the generated file of an operation: its name in snake
// case.
func operationFile(name string) string {
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && !(name[i-1] >= 'A' && name[i-1] <= 'Z') {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String() + ".op.go"
}

// operationVar is the Go variable of a compiled operation.
func operationVar(name string) string { return "op" + model.GoName(name) }

// goString is s as a Go literal: raw when it can be (SQL and GraphQL read
// as written), quoted otherwise.
func goString(s string) string {
	if strings.ContainsAny(s, "`\r") {
		return strconv.Quote(s)
	}
	return "`" + s + "`"
}

type compiledStatement struct {
	Const, Field string
	SQL          string
	Params       []string
}

type compiledRole struct {
	Role       string
	Statements []compiledStatement
}

// collectionOp is an operation of a query collection's document.
type collectionOp struct {
	collection, name string
	// operation is the document's operation name ("" for its one
	// anonymous operation); source where the query is, for messages.
	operation, source, query string
}

// collectionOps lists the operations of the collections' documents, in
// file order. A document's operations are each compiled; a document of one
// anonymous operation is sent without an operation name.
func collectionOps(colls []*metadata.QueryCollection) []collectionOp {
	var out []collectionOp
	for _, c := range colls {
		for _, q := range c.Queries {
			doc, err := parser.ParseQuery(&ast.Source{Input: q.Query})
			if err != nil {
				continue // metadata.Load reports it
			}
			pos := q.QueryPos
			source := fmt.Sprintf("%s:%d:%d", filepath.Base(pos.File), pos.Line, pos.Col)
			for _, op := range doc.Operations {
				if op.Name == "" && len(doc.Operations) > 1 {
					continue // GraphQL refuses it
				}
				name := q.Name
				if len(doc.Operations) > 1 {
					name += "_" + op.Name
				}
				out = append(out, collectionOp{collection: c.Name, name: name, operation: op.Name, source: source, query: q.Query})
			}
		}
	}
	return out
}

// operationGo renders the file of one compiled operation.
func operationGo(src string, co engine.CompiledOperation) ([]byte, error) {
	return operationGoNamed(src, co, operationVar(co.Name))
}

// operationGoNamed renders the file of one compiled operation, its Go
// variable named v.
func operationGoNamed(src string, co engine.CompiledOperation, v string) ([]byte, error) {
	var roles []compiledRole
	for _, r := range co.Roles {
		cr := compiledRole{Role: r.Role}
		for i, st := range r.Statements {
			c := v + model.GoName(r.Role) + model.GoName(st.Field)
			if len(r.Statements) > 1 {
				c += strconv.Itoa(i + 1)
			}
			cr.Statements = append(cr.Statements, compiledStatement{Const: c, Field: st.Field, SQL: goString(st.SQL), Params: st.Params})
		}
		roles = append(roles, cr)
	}
	var buf bytes.Buffer
	data := map[string]any{"Op": co, "Var": v, "Query": goString(co.Query), "Roles": roles}
	if err := operationGoTemplate.Execute(&buf, data); err != nil {
		return nil, err
	}
	b, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format the compiled operation %s: %w\n%s", co.Name, err, buf.Bytes())
	}
	return append([]byte(goHeader(src)), b...), nil
}

var operationGoTemplate = template.Must(template.New("op").Funcs(template.FuncMap{
	"quote":   strconv.Quote,
	"inc":     func(i int) int { return i + 1 },
	"oneline": func(s string) string { return strings.Join(strings.Fields(s), " ") },
}).Parse(operationGoTmpl))

const operationsGoTmpl = `// Package operations holds the project's operations (operations/*.graphql)
// compiled by hasgen generate: per role that may run one, the SQL of each
// of its root fields, reviewed in a diff like any code. main.go hands
// Compiled to the server, which answers them without parsing, validating
// or compiling (and as persisted queries, when they are on).
package operations

import "github.com/hasgen/hasgen/runtime/engine"

// Compiled are the compiled operations, by name.
var Compiled = []engine.CompiledOperation{
{{- range .Vars}}
	{{.}},
{{- end}}
}
`

const operationGoTmpl = `package operations

import "github.com/hasgen/hasgen/runtime/engine"

// {{.Var}} is operation {{or .Op.Name "(anonymous)"}} of {{.Op.Source}},
// compiled for the roles that may run it.
{{- if .Op.Refused}}
//
// Roles whose schema refuses it:
{{- range .Op.Refused}}
//   - {{.Role}}: {{oneline .Error}}
{{- end}}
{{- end}}
var {{.Var}} = engine.CompiledOperation{
	Name:   {{quote .Op.Name}},
	Source: {{quote .Op.Source}},
	Query:  {{.Var}}Query,
	Hash:   {{quote .Op.Hash}},
	Roles: []engine.CompiledRole{
{{- range .Roles}}
		{Role: {{quote .Role}}, Statements: []engine.CompiledStatement{
{{- range .Statements}}
			{Field: {{quote .Field}}, SQL: {{.Const}}, Params: []string{ {{- range $i, $p := .Params}}{{if $i}}, {{end}}{{quote $p}}{{end -}} }},
{{- end}}
		}},
{{- end}}
	},
{{- if .Op.Refused}}
	Refused: []engine.RefusedRole{
{{- range .Op.Refused}}
		{Role: {{quote .Role}}, Error: {{quote .Error}}},
{{- end}}
	},
{{- end}}
}

// {{.Var}}Query is the document clients send.
const {{.Var}}Query = {{.Query}}
{{range .Roles}}{{$role := .Role}}{{range .Statements}}
// {{.Const}} is the SQL of field {{.Field}} for role {{$role}}.
{{- range $i, $p := .Params}}
//   ${{inc $i}}: {{$p}}
{{- end}}
const {{.Const}} = {{.SQL}}
{{end}}{{end}}`

// operationDrift says, for each compiled operation whose file in have
// (on disk) differs from want (generated now), which roles' SQL changed,
// which roles no longer validate it (and why) and which now do: one line
// each, file:line:col first, before check's diff.
func operationDrift(have, want string) (string, error) {
	files, err := filepath.Glob(filepath.Join(want, dirOperations, "*.op.go"))
	if err != nil {
		return "", err
	}
	old, err := filepath.Glob(filepath.Join(have, dirOperations, "*.op.go"))
	if err != nil {
		return "", err
	}
	names := map[string]bool{}
	for _, f := range append(files, old...) {
		names[filepath.Base(f)] = true
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(names)) {
		a, _ := os.ReadFile(filepath.Join(have, dirOperations, name))
		c, _ := os.ReadFile(filepath.Join(want, dirOperations, name))
		if bytes.Equal(a, c) {
			continue
		}
		rel := dirOperations + "/" + name
		before, after := parseCompiledFile(a), parseCompiledFile(c)
		switch {
		case a == nil:
			fmt.Fprintf(&b, "%s: operation %s: not compiled yet (%s)\n", after.source, after.name, rel)
			continue
		case c == nil:
			fmt.Fprintf(&b, "%s: operation %s: gone, its compiled file remains (%s)\n", before.source, before.name, rel)
			continue
		}
		roles := map[string]bool{}
		for r := range before.sql {
			roles[r] = true
		}
		for r := range after.sql {
			roles[r] = true
		}
		for r := range after.refused {
			roles[r] = true
		}
		for _, r := range slices.Sorted(maps.Keys(roles)) {
			was, had := before.sql[r]
			now, has := after.sql[r]
			switch {
			case had && !has:
				fmt.Fprintf(&b, "%s: operation %s, role %s: no longer validates: %s (%s)\n", after.source, after.name, r, after.refused[r], rel)
			case !had && has:
				fmt.Fprintf(&b, "%s: operation %s, role %s: now validates: new SQL (%s)\n", after.source, after.name, r, rel)
			case had && has && was != now:
				fmt.Fprintf(&b, "%s: operation %s, role %s: its SQL changed (%s)\n", after.source, after.name, r, rel)
			}
		}
	}
	return b.String(), nil
}

// compiledFile is what operationDrift reads of a generated operation file.
type compiledFile struct {
	name, source string
	// sql is, by role, its statements' comments and constants; refused
	// the roles that may not run it, with the reason.
	sql, refused map[string]string
}

var (
	reOpName     = regexp.MustCompile(`(?m)^\tName:\s+("(?:[^"\\]|\\.)*"),$`)
	reOpSource   = regexp.MustCompile(`(?m)^\tSource:\s+("(?:[^"\\]|\\.)*"),$`)
	reOpSQL      = regexp.MustCompile(`(?m)^// \w+ is the SQL of field \S+ for role (.+)\.\n((?://.*\n)*)const \w+ = (.*)$`)
	reOpRefused  = regexp.MustCompile(`(?m)^\t\t\{Role: ("(?:[^"\\]|\\.)*"), Error: ("(?:[^"\\]|\\.)*")\},$`)
	unquoteOrRaw = func(s string) string {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s
	}
)

func parseCompiledFile(b []byte) compiledFile {
	f := compiledFile{sql: map[string]string{}, refused: map[string]string{}}
	if m := reOpName.FindSubmatch(b); m != nil {
		f.name = unquoteOrRaw(string(m[1]))
	}
	if m := reOpSource.FindSubmatch(b); m != nil {
		f.source = unquoteOrRaw(string(m[1]))
	}
	for _, m := range reOpSQL.FindAllSubmatch(b, -1) {
		f.sql[string(m[1])] += string(m[2]) + string(m[3]) + "\n"
	}
	for _, m := range reOpRefused.FindAllSubmatch(b, -1) {
		f.refused[unquoteOrRaw(string(m[1]))] = unquoteOrRaw(string(m[2]))
	}
	return f
}
