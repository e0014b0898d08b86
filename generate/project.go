package generate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/hasgen/hasgen"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	runtimeactions "github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/allowlist"
	runtimeevents "github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/schedule"
	"github.com/hasgen/hasgen/templates"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// hasgenModule is the module path of hasgen, which every emitted project
// requires for its runtime.
const hasgenModule = "github.com/hasgen/hasgen"

// sqlcTool is the package of sqlc's command, a tool of every emitted
// project (go tool sqlc).
const sqlcTool = "github.com/sqlc-dev/sqlc/cmd/sqlc"

// Paths in the emitted project that the pipeline refers to.
const (
	pathGoMod          = "go.mod"
	pathGoSum          = "go.sum"
	pathMain           = "main.go"
	pathGqlgenConfig   = "gqlgen.yml"
	pathSqlcConfig     = "sqlc.yaml"
	pathCustomSDL      = "graph/custom.graphqls"
	pathCustomSDLGo    = "graph/sdl.go"
	pathResolver       = "graph/resolver.go"
	pathGqlgenExec     = "graph/generated.go"
	pathGqlgenResolve  = "graph/custom.resolvers.go"
	pathSchemaSQL      = "sql/schema.sql"
	pathEventsGo       = "events/events.go"
	pathEventHandlers  = "events/handlers.go"
	pathActionsGo      = "actions/actions.go"
	pathActionHandlers = "actions/handlers.go"
	pathRolesSDL       = "graph/roles.graphqls"
	dirQueries         = "queries"
	dirSqlcOut         = "sqlcdb"
)

// headerLine is the first line of every file hasgen generates, after the
// comment marker of the file's format ("// ", "# ", "-- "). With "// " it
// matches Go's ^// Code generated .* DO NOT EDIT\.$.
const headerLine = templates.GeneratedHeader

func goHeader(source string) string {
	return "// " + headerLine + "\n// source: " + source + "\n\n"
}

func hashHeader(source string) string {
	return "# " + headerLine + "\n# source: " + source + "\n"
}

func sqlHeader(source string) string {
	return "-- " + headerLine + "\n-- source: " + source + "\n"
}

// isGenerated reports whether b is a file hasgen generated: its first line
// is the header, in any of the comment syntaxes hasgen writes.
func isGenerated(b []byte) bool {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	for _, marker := range []string{"// ", "# ", "-- "} {
		if string(line) == marker+headerLine {
			return true
		}
	}
	return false
}

// files is one generation's output, before anything touches the disk.
type files struct {
	// generated are rewritten on every run; each carries the header,
	// except go.sum, whose format has no comments.
	generated map[string][]byte
	// user are written only when absent: the user owns them.
	user map[string][]byte
	// warnings are what the user should know of what was not generated.
	warnings []string
}

// roleFiles renders each role's schema of p with render, on every CPU,
// and keeps what differs from full (newDeltas), in p.Roles's order: with
// many roles over many tables it is most of generate's time. what names
// the schema in errors.
func roleFiles(p *model.Project, full []byte, what string, render func(*model.Project, string) ([]byte, error)) ([][]byte, error) {
	deltas := newDeltas(full)
	out := make([][]byte, len(p.Roles))
	errs := make([]error, len(p.Roles))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(goruntime.GOMAXPROCS(0), len(p.Roles)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				b, err := render(p, p.Roles[i])
				if err != nil {
					errs[i] = fmt.Errorf("%s of role %s: %w", what, p.Roles[i], err)
					continue
				}
				out[i] = deltas(b)
			}
		}()
	}
	for i := range p.Roles {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

// projectFiles renders every file of the emitted project that hasgen
// writes itself: everything but gqlgen's and sqlc's output. graph/sdl.go
// is rendered later, by gqlgenStamp's caller, because it records what
// gqlgen read.
func projectFiles(p *model.Project, o *Options, replace string) (*files, error) {
	src := o.source()
	fs := &files{generated: map[string][]byte{}, user: map[string][]byte{}}

	full, err := o.remotes.render(p, model.AdminRole)
	if err != nil {
		return nil, fmt.Errorf("schema of role admin: %w", err)
	}
	fs.generated["schema/full.graphqls"] = withHeader(hashHeader(src)+"\n", full)
	roles, err := roleFiles(p, full, "schema", o.remotes.render)
	if err != nil {
		return nil, err
	}
	for i, role := range p.Roles {
		fs.generated["schema/roles/"+role+".graphqls"] = withHeader(hashHeader(src)+"\n"+roleFileNote, roles[i])
	}
	if err := o.remotes.roleFiles(p, full, src, fs); err != nil {
		return nil, err
	}
	if err := o.remotes.files(src, fs); err != nil {
		return nil, err
	}
	fs.warnings = append(fs.warnings, o.remotes.warningList()...)
	if err := relayFiles(p, src, fs); err != nil {
		return nil, err
	}
	_, relay := fs.generated["schema/relay/full.graphqls"]
	schemaGo, err := goFile(src, schemaGoTmpl, map[string]any{"Roles": len(p.Roles) > 0 || o.remotes.hasRoles(), "Relay": relay, "Events": hasTriggers(p.Metadata), "Remotes": o.remotes.any(), "Actions": hasActions(p.Metadata), "AllowList": p.Metadata != nil && len(p.Metadata.AllowList) > 0})
	if err != nil {
		return nil, err
	}
	fs.generated["schema/schema.go"] = schemaGo
	limits, err := apiLimitsFile(src, p.Metadata.APILimits)
	if err != nil {
		return nil, err
	}
	fs.generated["schema/api_limits.jsonc"] = limits
	source, err := jsoncFile(src, sourceSettings(p.Metadata))
	if err != nil {
		return nil, err
	}
	fs.generated["schema/source.jsonc"] = source
	events, err := eventsFile(src, p.Metadata)
	if err != nil {
		return nil, err
	}
	if events != nil {
		fs.generated["schema/"+runtimeevents.File] = events
	}
	if acts := actionsFile(src, p); acts != nil {
		fs.generated["schema/"+runtimeactions.File] = acts
	}
	if allow := allowListFile(src, p.Metadata); allow != nil {
		fs.generated["schema/"+allowlist.File] = allow
	}
	fs.warnings = append(fs.warnings, hiddenActionWarnings(p)...)

	dbFiles, err := templates.DB(p, src)
	if err != nil {
		return nil, err
	}
	for path, b := range dbFiles {
		fs.generated[path] = withHeader(goHeader(src), b)
	}

	permFiles, err := templates.PermTests(p, src, o.Module)
	if err != nil {
		return nil, err
	}
	for path, b := range permFiles {
		fs.generated[path] = b
	}
	if p.Naming.Namespace != "" {
		fs.warnings = append(fs.warnings, fmt.Sprintf("permission tests are not generated for a source whose root fields are under a namespace (%q): permtest/ is left out", p.Naming.Namespace))
	}

	// Package events is emitted with or without triggers, so that main.go,
	// written once, compiles when triggers come or go.
	var triggers []runtimeevents.Trigger
	if p.Metadata != nil {
		triggers = p.Metadata.EventTriggers
	}
	if fs.generated[pathEventsGo], err = templates.Events(p, triggers, src); err != nil {
		return nil, err
	}
	if fs.user[pathEventHandlers], err = templates.EventHandlers(p, triggers); err != nil {
		return nil, err
	}

	// Package actions too, with or without actions.
	if fs.generated[pathActionsGo], err = templates.ActionsGo(p, src); err != nil {
		return nil, err
	}
	if fs.user[pathActionHandlers], err = templates.ActionHandlers(p); err != nil {
		return nil, err
	}

	mod, err := goMod(src, o.Module, replace)
	if err != nil {
		return nil, err
	}
	fs.generated[pathGoMod] = mod
	if fs.generated[pathGoSum], err = goSum(ThisBuild(), hasgen.GoSum(), hasgen.GoMod()); err != nil {
		return nil, err
	}
	fs.generated[pathGqlgenConfig] = []byte(hashHeader(src) + gqlgenYAML)
	fs.generated[pathRolesSDL] = []byte(hashHeader(src) + rolesGraphQLS)
	fs.generated[pathSqlcConfig] = []byte(hashHeader(src) + sqlcYAML)
	fs.generated[pathSchemaSQL] = schemaSQL(p, src)

	main, err := goSource(mainGoTmpl, map[string]any{"Module": o.Module})
	if err != nil {
		return nil, err
	}
	fs.user[pathMain] = main
	resolver, err := goSource(resolverGoTmpl, nil)
	if err != nil {
		return nil, err
	}
	fs.user[pathResolver] = resolver
	fs.user[pathCustomSDL] = []byte(customGraphQLS)
	docker, err := dockerfile()
	if err != nil {
		return nil, err
	}
	fs.user[pathDockerfile] = docker
	return fs, nil
}

// withHeader prefixes b with header unless b already starts with hasgen's
// header (the templates package writes its own on Go files).
func withHeader(header string, b []byte) []byte {
	if isGenerated(b) {
		return b
	}
	return append([]byte(header), b...)
}

// goFile renders a generated Go file: header, then the template, gofmt'd.
func goFile(source, tmpl string, data any) ([]byte, error) {
	b, err := goSource(tmpl, data)
	if err != nil {
		return nil, err
	}
	return append([]byte(goHeader(source)), b...), nil
}

// goSource executes a Go source template and formats the result.
func goSource(tmpl string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := template.Must(template.New("").Parse(tmpl)).Execute(&buf, data); err != nil {
		return nil, err
	}
	b, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated Go: %w\n%s", err, buf.Bytes())
	}
	return b, nil
}

// sdlGo renders graph/sdl.go, which embeds the custom schema and records
// stamp, the digest of what gqlgen last generated graph/ from.
func sdlGo(source, stamp string) ([]byte, error) {
	return goFile(source, sdlGoTmpl, map[string]any{"Stamp": stamp})
}

// gqlgenStamp is the digest of everything gqlgen's output depends on: its
// version, its configuration, the custom schema and the module path.
// hasgen generate runs gqlgen only when it changes (or an output is gone).
func gqlgenStamp(gqlgenYML, customSDL []byte, module string) string {
	h := sha256.New()
	fmt.Fprintf(h, "gqlgen %s\nmodule %s\n", requiredVersion("github.com/99designs/gqlgen"), module)
	fmt.Fprintf(h, "%d\n%s\n%d\n%s", len(gqlgenYML), gqlgenYML, len(customSDL), customSDL)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// requiredVersion is the version of mod in hasgen's go.mod, or "".
func requiredVersion(mod string) string {
	f, err := modfile.Parse("go.mod", hasgen.GoMod(), nil)
	if err != nil {
		return ""
	}
	for _, r := range f.Require {
		if r.Mod.Path == mod {
			return r.Mod.Version
		}
	}
	return ""
}

// isDirect reports whether the emitted project's own code (main.go,
// graph/, db/) imports module path: those are listed first, without
// // indirect.
func isDirect(path string) bool {
	switch path {
	case "github.com/99designs/gqlgen", "github.com/jackc/pgx/v5", "github.com/vektah/gqlparser/v2":
		return true
	}
	return false
}

// goMod renders the emitted go.mod: module, hasgen's go version, hasgen
// and every module hasgen's go.mod requires at the same versions, sqlc as
// a tool, and the replace of hasgen when replace is set.
func goMod(source, modulePath, replace string) ([]byte, error) {
	own, err := modfile.Parse("go.mod", hasgen.GoMod(), nil)
	if err != nil {
		return nil, fmt.Errorf("hasgen's go.mod: %w", err)
	}
	if err := module.CheckImportPath(modulePath); err != nil {
		return nil, fmt.Errorf("--module %q: %w", modulePath, err)
	}
	version, _ := hasgenVersion()
	direct := []string{fmt.Sprintf("%s %s", hasgenModule, version)}
	var indirect []string
	hasSqlc := false
	for _, r := range own.Require {
		line := r.Mod.Path + " " + r.Mod.Version
		switch {
		case r.Mod.Path == hasgenModule:
		case isDirect(r.Mod.Path):
			direct = append(direct, line)
		default:
			indirect = append(indirect, line+" // indirect")
		}
	}
	for _, t := range own.Tool {
		hasSqlc = hasSqlc || t.Path == sqlcTool
	}
	sort.Strings(direct)
	sort.Strings(indirect)

	var b strings.Builder
	b.WriteString(goHeader(source))
	b.WriteString("// The requirements are hasgen's own, at its versions, so this module builds\n")
	b.WriteString("// from the module cache that built hasgen.\n\n")
	fmt.Fprintf(&b, "module %s\n\n", modfile.AutoQuote(modulePath))
	goVersion := "1.26"
	if own.Go != nil {
		goVersion = own.Go.Version
	}
	fmt.Fprintf(&b, "go %s\n", goVersion)
	for _, block := range [][]string{direct, indirect} {
		if len(block) == 0 {
			continue
		}
		b.WriteString("\nrequire (\n")
		for _, l := range block {
			b.WriteString("\t" + l + "\n")
		}
		b.WriteString(")\n")
	}
	if hasSqlc {
		fmt.Fprintf(&b, "\n// sqlc turns queries/*.sql into sqlcdb/ (hasgen generate runs it).\ntool %s\n", sqlcTool)
	}
	if replace != "" {
		fmt.Fprintf(&b, "\nreplace %s => %s\n", hasgenModule, modfile.AutoQuote(replace))
	}
	out := []byte(b.String())
	if _, err := modfile.Parse("go.mod", out, nil); err != nil {
		return nil, fmt.Errorf("emitted go.mod: %w", err)
	}
	return out, nil
}

// hasgenVersion is the version of hasgen that this program was built with,
// as a module version the emitted go.mod can require: a release or
// pseudo-version from the build information (ThisBuild), else v0.0.0 (a
// development build, which resolves only through a replace of hasgen by a
// checkout). ok is false in the latter case.
func hasgenVersion() (version string, ok bool) {
	if b := ThisBuild(); b.Release {
		return b.Version, true
	}
	return "v0.0.0", false
}

const schemaGoTmpl = `// Package schema embeds the generated GraphQL schemas, which the server
// loads at start-up: full.graphqls, admin's, and roles/<role>.graphqls,
// what each role can see.
package schema

import "embed"

// FS holds full.graphqls, roles/<role>.graphqls, api_limits.jsonc,
// source.jsonc (the metadata's connection settings) and relay/ (the same
// schemas for the Relay API).{{if .Events}} events.jsonc declares the
// event and cron triggers.{{end}}{{if .Actions}} actions.jsonc declares the
// actions' handlers.{{end}}{{if .AllowList}} allow_list.jsonc holds the allow
// list and its query collections.{{end}}
//
//go:embed full.graphqls{{if .Roles}} roles{{end}} api_limits.jsonc source.jsonc{{if .Relay}} relay{{end}}{{if .Events}} events.jsonc{{end}}{{if .Remotes}} remote_schemas.jsonc{{end}}{{if .Actions}} actions.jsonc{{end}}{{if .AllowList}} allow_list.jsonc{{end}}
var FS embed.FS
`

// apiLimitsFile is schema/api_limits.jsonc: the metadata's api_limits in
// Hasura's JSON form ({} for none), after hasgen's header as // comments,
// which the server skips.
func apiLimitsFile(source string, l *metadata.APILimits) ([]byte, error) {
	if l == nil {
		l = &metadata.APILimits{}
	}
	return jsoncFile(source, l)
}

// eventsFile is schema/events.jsonc: the metadata's event triggers and
// cron triggers, as runtime/events and runtime/schedule read them, after
// hasgen's header; nil when the metadata has none.
func eventsFile(source string, m *metadata.Metadata) ([]byte, error) {
	if !hasTriggers(m) {
		return nil, nil
	}
	v := struct {
		Events []runtimeevents.Trigger `json:"event_triggers,omitempty"`
		Crons  []schedule.Cron         `json:"cron_triggers,omitempty"`
	}{m.EventTriggers, m.CronTriggers}
	return jsoncFile(source, &v)
}

// actionsFile is schema/actions.jsonc: the metadata's actions as
// runtime/actions reads them, after hasgen's header; nil when the
// metadata has none.
func actionsFile(source string, p *model.Project) []byte {
	m := p.Metadata
	if !hasActions(m) {
		return nil
	}
	c := runtimeactions.Config{Relationships: templates.ActionRelationships(p)}
	for _, a := range m.Actions {
		ra := a.Action
		ra.Rows = templates.ActionRows(p, a)
		c.Actions = append(c.Actions, ra)
	}
	b, _ := jsoncFile(source, &c) // plain structs: Marshal cannot fail
	return b
}

// hiddenActionWarnings are the roles an action's permissions list that do
// not get its field: the action returns a table's rows, and the role may
// not select the table's primary key.
func hiddenActionWarnings(p *model.Project) []string {
	if p.Metadata == nil {
		return nil
	}
	var out []string
	for _, a := range p.Metadata.Actions {
		if a.OutputTable == "" {
			continue
		}
		for _, role := range a.Roles {
			if templates.ActionRowsView(p, a, role) == nil {
				out = append(out, fmt.Sprintf("%s: action %q: role %s may not select %s's primary key (or has no %s root field), so its schema has no field %s", a.OutputPos, a.Name, role, a.OutputTable, p.ActionTable(a).Roots.Select, a.Name))
			}
		}
	}
	return out
}

// hasActions reports whether m declares actions.
func hasActions(m *metadata.Metadata) bool { return m != nil && len(m.Actions) > 0 }

// hasTriggers reports whether m declares event or cron triggers.
func hasTriggers(m *metadata.Metadata) bool {
	return m != nil && len(m.EventTriggers)+len(m.CronTriggers) > 0
}

// jsoncFile is v as indented JSON after hasgen's header as // comments,
// which the server skips; a nil v is {}.
func jsoncFile[T any](source string, v *T) ([]byte, error) {
	if v == nil {
		v = new(T)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte("// "+headerLine+"\n// source: "+source+"\n"), append(b, '\n')...), nil
}

const sdlGoTmpl = `package graph

import _ "embed"

// CustomSDL is custom.graphqls: the custom fields, resolved by the gqlgen
// code of this package, which the server adds to every role's schema.
//
//go:embed custom.graphqls
var CustomSDL string

// gqlgenInput is the digest of what gqlgen last generated this package from
// (gqlgen's version, gqlgen.yml, custom.graphqls): hasgen generate runs
// gqlgen again only when it changes.
const gqlgenInput = "{{.Stamp}}"
`

const mainGoTmpl = `// Command server serves this project's GraphQL API: Hasura's API over the
// tracked tables (db/, schema/, generated by hasgen) and the custom fields
// of graph/ (custom.graphqls, resolved by your code through gqlgen), and
// delivers its event triggers to their webhooks or to the Go handlers of
// events/handlers.go, and answers its actions at their webhooks or with
// the Go handlers of actions/handlers.go.
//
// hasgen created this file and never rewrites it: it is yours to change.
package main

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/hasgen/hasgen/runtime"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"

	"{{.Module}}/actions"
	"{{.Module}}/db"
	"{{.Module}}/events"
	"{{.Module}}/graph"
	"{{.Module}}/schema"
)

func main() {
	runtime.Main(runtime.Project{
		Tables:    db.Tables,
		Schemas:   schema.FS,
		CustomSDL: graph.CustomSDL,
		Custom: func(s *ast.Schema, pool *pgxpool.Pool) graphql.ExecutableSchema {
			return graph.NewExecutableSchema(graph.Config{Schema: s, Resolvers: &graph.Resolver{DB: pool}})
		},
		EventHandlers:  events.Setup().ByName(),
		ActionHandlers: actions.Setup().ByName(),
	})
}
`

const resolverGoTmpl = `package graph

import "github.com/jackc/pgx/v5/pgxpool"

// This file will not be regenerated automatically: hasgen created it once
// and it is yours.

// Resolver is the root of the custom resolvers (custom.graphqls,
// custom.resolvers.go). Put what they need here; main.go builds it.
type Resolver struct {
	// DB is the server's connection pool. For typed SQL, write queries in
	// queries/*.sql: hasgen generate runs sqlc, and sqlcdb.New(r.DB) has a
	// Go method per query.
	DB *pgxpool.Pool
}
`

const customGraphQLS = `# The custom part of the API: fields answered by Go resolvers, beside the
# database-backed schema that hasgen generates (schema/). The server adds
# these fields to every role's query_root (and mutation_root,
# subscription_root); a field marked @roles(names: ["user", "manager"])
# only to those roles' schemas (and admin's): for the others it does not
# exist, as a table they may not select. hasgen generate runs gqlgen on
# this file; write the resolvers in custom.resolvers.go, whose code
# survives regeneration.
#
# This file is yours: hasgen created it once and never rewrites it.

schema {
  query: query_root
}

type query_root {
  "An example custom field: replace it with your own."
  hello(name: String!): String!
}
`

// rolesGraphQLS is graph/roles.graphqls: the declaration of @roles for
// gqlgen (the server reads the directive from custom.graphqls itself).
const rolesGraphQLS = `#
# @roles(names: [...]) on a field of custom.graphqls: only those roles
# (and admin) see the field; a field without it is seen by every role.
directive @roles(names: [String!]!) on FIELD_DEFINITION
`

const gqlgenYAML = `#
# gqlgen's configuration for the custom schema, graph/custom.graphqls.
# hasgen generate runs gqlgen with it; the database-backed schema (schema/)
# is served by hasgen's runtime, not by gqlgen's code.
schema:
  - graph/custom.graphqls
  - graph/roles.graphqls
directives:
  roles:
    skip_runtime: true
exec:
  filename: graph/generated.go
  package: graph
model:
  filename: graph/models_gen.go
  package: graph
resolver:
  layout: follow-schema
  dir: graph
  package: graph
  filename_template: "{name}.resolvers.go"
skip_mod_tidy: true
skip_validation: true
`

const sqlcYAML = `#
# sqlc's configuration: queries/*.sql, typed against the tracked tables
# (sql/schema.sql), become Go in sqlcdb/. hasgen generate runs sqlc when
# queries/ holds .sql files.
version: "2"
sql:
  - engine: postgresql
    schema: sql/schema.sql
    queries: queries
    gen:
      go:
        package: sqlcdb
        out: sqlcdb
        sql_package: pgx/v5
`
