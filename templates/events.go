package templates

// The emitted project's package events types its event triggers for Go
// handlers: a row struct for each table that has a trigger, with the
// columns as Postgres's to_json writes them into the event, and Handlers,
// one typed field per trigger:
//
//	type Handlers struct {
//		// NotifyArtist handles notify_artist: insert, update on public.artists.
//		NotifyArtist func(ctx context.Context, e *runtimeevents.RowEvent[Artists]) error
//	}
//
// events/events.go is generated; events/handlers.go, where the user sets
// the fields, is written once and is the user's.

import (
	"fmt"
	"go/format"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/dave/jennifer/jen"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/events"
)

const runtimeEventsPkg = "github.com/hasgen/hasgen/runtime/events"

// Names the generated package declares; a row struct may not take them.
const (
	handlersType = "Handlers"
	byNameMethod = "ByName"
	setupFunc    = "Setup"
)

// eventRow is the row struct of a table with triggers.
type eventRow struct {
	table  *model.Table
	name   string
	fields []eventField
}

// eventField is a column of a row struct.
type eventField struct {
	name, column string
	typ          jen.Code
	// partial is set when a trigger's payload leaves the column out: the
	// field is a pointer even for a NOT NULL column.
	partial bool
}

// eventHandler is a field of Handlers.
type eventHandler struct {
	name    string
	trigger *events.Trigger
	row     *eventRow
}

// Events renders events/events.go, the generated half of the emitted
// project's package events, for triggers (sorted by name); source names
// the metadata in the header. A project without triggers gets an empty
// Handlers, so that main.go and events/handlers.go compile either way.
func Events(p *model.Project, triggers []events.Trigger, source string) ([]byte, error) {
	rows, handlers, err := eventModel(p, triggers)
	if err != nil {
		return nil, err
	}
	f := jen.NewFile("events")
	f.HeaderComment(GeneratedHeader)
	f.HeaderComment("source: " + source)
	f.ImportAlias(runtimeEventsPkg, "runtimeevents")
	f.PackageComment("Package events types this project's event triggers for Go handlers: a row")
	f.PackageComment("struct for each table that has a trigger, as the event's JSON carries the")
	f.PackageComment("row, and Handlers, a typed field per trigger. Set the fields in handlers.go:")
	f.PackageComment("a trigger whose field is set is delivered to it instead of its webhook.")

	for _, r := range rows {
		f.Commentf("%s is a row of %s as its events carry it: each column as", r.name, r.table.Qualified())
		f.Comment("Postgres's to_json writes it, a nullable one as a pointer (nil for null).")
		f.Type().Id(r.name).StructFunc(func(g *jen.Group) {
			for _, fd := range r.fields {
				st := jen.Id(fd.name).Add(fd.typ).Tag(map[string]string{"json": fd.column})
				if fd.partial {
					st.Comment("not in every trigger's payload: nil when left out")
				}
				g.Add(st)
			}
		})
		f.Line()
	}

	f.Comment("Handlers handle event triggers in Go: each field is the handler of one")
	f.Comment("trigger, given the event with its rows decoded. An error (or a panic) is a")
	f.Comment("failed try, retried by the trigger's retry_conf like a webhook's; delivery is")
	f.Comment("at least once, so a handler should be idempotent by e.ID. A nil field leaves")
	f.Comment("the trigger to its webhook.")
	f.Type().Id(handlersType).StructFunc(func(g *jen.Group) {
		for _, h := range handlers {
			g.Commentf("%s handles %s: %s on %s.", h.name, h.trigger.Name, operations(h.trigger), h.row.table.Qualified())
			g.Id(h.name).Func().Params(
				jen.Id("ctx").Qual("context", "Context"),
				jen.Id("e").Op("*").Qual(runtimeEventsPkg, "RowEvent").Types(jen.Id(h.row.name)),
			).Error()
		}
	})
	f.Line()
	f.Commentf("%s returns the handlers that are set, by trigger name, as", byNameMethod)
	f.Comment("runtime.Project.EventHandlers takes them.")
	f.Func().Params(jen.Id("h").Id(handlersType)).Id(byNameMethod).Params().Map(jen.String()).Qual(runtimeEventsPkg, "Handler").BlockFunc(func(g *jen.Group) {
		if len(handlers) == 0 {
			g.Return(jen.Nil())
			return
		}
		g.Id("m").Op(":=").Map(jen.String()).Qual(runtimeEventsPkg, "Handler").Values()
		for _, h := range handlers {
			g.If(jen.Id("h").Dot(h.name).Op("!=").Nil()).Block(
				jen.Id("m").Index(jen.Lit(h.trigger.Name)).Op("=").Qual(runtimeEventsPkg, "Typed").Call(jen.Id("h").Dot(h.name)),
			)
		}
		g.Return(jen.Id("m"))
	})
	return render(f)
}

// EventHandlers renders events/handlers.go, the user's half of package
// events: Setup, returning the Handlers that main.go passes to the
// server, with each trigger's field in a comment to start from.
func EventHandlers(p *model.Project, triggers []events.Trigger) ([]byte, error) {
	_, handlers, err := eventModel(p, triggers)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(`package events

// This file will not be regenerated automatically: hasgen created it once
// and it is yours.

// Setup returns the Go handlers of the event triggers, which main.go
// passes to the server: set a field of Handlers (events.go) to handle its
// trigger here instead of at its webhook. Setup runs once, before the
// server starts: open here what the handlers need (a pool, a client).
func Setup() Handlers {
`)
	if len(handlers) == 0 {
		b.WriteString("\treturn Handlers{}\n}\n")
	} else {
		b.WriteString("\treturn Handlers{\n")
		b.WriteString("\t\t// With \"context\" and runtimeevents \"" + runtimeEventsPkg + "\" imported:\n")
		for _, h := range handlers {
			fmt.Fprintf(&b, "\t\t//\n\t\t// %s: func(ctx context.Context, e *runtimeevents.RowEvent[%s]) error {\n\t\t// \treturn nil\n\t\t// },\n", h.name, h.row.name)
		}
		b.WriteString("\t}\n}\n")
	}
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("events/handlers.go: %w", err)
	}
	return out, nil
}

// eventModel resolves each trigger's table and names the row structs and
// handler fields: Go identifiers from the Postgres names, made unique.
func eventModel(p *model.Project, triggers []events.Trigger) ([]*eventRow, []eventHandler, error) {
	triggers = append([]events.Trigger(nil), triggers...)
	sort.Slice(triggers, func(i, j int) bool { return triggers[i].Name < triggers[j].Name })
	byTable := map[*model.Table][]*events.Trigger{}
	var tables []*model.Table
	for i := range triggers {
		tr := &triggers[i]
		t := p.Table(tr.Schema, tr.Table)
		if t == nil {
			return nil, nil, fmt.Errorf("event trigger %s: table %s.%s is not tracked", tr.Name, tr.Schema, tr.Table)
		}
		if byTable[t] == nil {
			tables = append(tables, t)
		}
		byTable[t] = append(byTable[t], tr)
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].Qualified() < tables[j].Qualified() })

	typeNames := newIdents(handlersType)
	rowOf := map[*model.Table]*eventRow{}
	var rows []*eventRow
	for _, t := range tables {
		r := &eventRow{table: t, name: typeNames.add(t.GoName)}
		fieldNames := newIdents()
		for _, c := range t.Columns {
			partial := false
			for _, tr := range byTable[t] {
				partial = partial || !inPayload(tr, c.Name)
			}
			typ, slice := eventGoType(c.Base, c.Dims)
			if (!c.NotNull || partial) && !slice {
				typ = jen.Op("*").Add(typ)
			}
			r.fields = append(r.fields, eventField{name: fieldNames.add(exportedIdent(c.Name)), column: c.Name, typ: typ, partial: partial})
		}
		rows = append(rows, r)
		rowOf[t] = r
	}
	handlerNames := newIdents()
	var handlers []eventHandler
	for i := range triggers {
		tr := &triggers[i]
		handlers = append(handlers, eventHandler{name: handlerNames.add(exportedIdent(tr.Name)), trigger: tr, row: rowOf[p.Table(tr.Schema, tr.Table)]})
	}
	return rows, handlers, nil
}

// inPayload reports whether a column is in every payload tr writes: a
// payload list, when set, leaves the other columns out.
func inPayload(tr *events.Trigger, column string) bool {
	for _, op := range []*events.Operation{tr.Insert, tr.Update, tr.Delete} {
		if op == nil || op.Payload == nil {
			continue
		}
		found := false
		for _, c := range op.Payload {
			found = found || c == column
		}
		if !found {
			return false
		}
	}
	return true
}

// operations lists the operations that fire tr: "insert, update".
func operations(tr *events.Trigger) string {
	var ops []string
	for _, o := range []struct {
		name string
		op   *events.Operation
	}{{"insert", tr.Insert}, {"update", tr.Update}, {"delete", tr.Delete}} {
		if o.op != nil {
			ops = append(ops, o.name)
		}
	}
	if tr.EnableManual {
		ops = append(ops, "manual (enable_manual)")
	}
	if len(ops) == 0 {
		return "no operation"
	}
	return strings.Join(ops, ", ")
}

// eventGoType is the Go type a column's JSON decodes into: Postgres's
// to_json writes numbers as JSON numbers, timestamptz in RFC 3339, json
// as is, arrays as JSON arrays, and everything else (dates and times
// without a zone, intervals, uuids, enums, bytea in hex) as a string.
// Types it writes in shapes of their own (composites, ranges, geometries)
// stay raw JSON.
// slice is set when the type is a slice (an array, raw JSON), whose nil
// is null.
func eventGoType(t introspect.Type, dims int) (typ jen.Code, slice bool) {
	var elem jen.Code
	raw := jen.Qual("encoding/json", "RawMessage")
	switch {
	case t.Kind == introspect.TypeEnum:
		elem = jen.String()
	case t.Schema == "pg_catalog":
		switch t.Name {
		case "bool":
			elem = jen.Bool()
		case "int2":
			elem = jen.Int16()
		case "int4":
			elem = jen.Int32()
		case "int8":
			elem = jen.Int64()
		case "oid":
			elem = jen.Uint32()
		case "float4":
			elem = jen.Float32()
		case "float8":
			elem = jen.Float64()
		case "numeric":
			// Exact: a JSON number (or a string, when numbers are
			// stringified) kept as written.
			elem = jen.Qual("encoding/json", "Number")
		case "timestamptz":
			elem = jen.Qual("time", "Time")
		case "text", "varchar", "bpchar", "char", "name", "uuid", "date", "time", "timetz", "timestamp",
			"interval", "bytea", "inet", "cidr", "macaddr", "macaddr8", "money", "xml", "bit", "varbit",
			"tsvector", "tsquery":
			elem = jen.String()
		}
	case t.Name == "citext" || t.Name == "ltree" || t.Name == "lquery" || t.Name == "ltxtquery":
		elem = jen.String()
	}
	if elem == nil {
		elem, slice = raw, true
	}
	st := jen.Null()
	for range dims {
		st.Index()
	}
	return st.Add(elem), slice || dims > 0
}

// idents hands out Go identifiers unique among those handed out and the
// reserved ones: a clash gets a number (Name2, Name3).
type idents map[string]bool

func newIdents(reserved ...string) idents {
	s := idents{}
	for _, r := range reserved {
		s[r] = true
	}
	return s
}

func (s idents) add(name string) string {
	out := name
	for i := 2; s[out]; i++ {
		out = name + strconv.Itoa(i)
	}
	s[out] = true
	return out
}

// commonInitialisms are written upper case when a word of a name, as Go
// code writes them (album_id → AlbumID).
var commonInitialisms = map[string]bool{
	"api": true, "db": true, "http": true, "id": true, "ip": true, "json": true, "sql": true,
	"uid": true, "uri": true, "url": true, "uuid": true,
}

// exportedIdent is an exported Go identifier for a Postgres name: words
// split at anything that is not a letter or digit, each capitalised
// (initialisms upper case); "X" prefixed when it would not start with a
// letter.
func exportedIdent(name string) string {
	var b strings.Builder
	words := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range words {
		if commonInitialisms[w] {
			b.WriteString(strings.ToUpper(w))
			continue
		}
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	out := b.String()
	if out == "" || !unicode.IsUpper([]rune(out)[0]) {
		out = "X" + out
	}
	return out
}
