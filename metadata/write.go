package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Marshal writes m as a table list, the file format Load reads: tables in
// m's order, relationships and permissions in their order, keys in a
// fixed order, filters in flow style on one line. The same Metadata always
// gives the same bytes, and Load reads them back to an equal Metadata
// (positions aside). Session variables are written in lower case; '*'
// columns stay '*'.
func Marshal(m *Metadata) ([]byte, error) {
	w := &writer{}
	for _, t := range m.Tables {
		w.table(t)
	}
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
}

type writer struct {
	b   bytes.Buffer
	err error
}

func (w *writer) line(indent int, format string, args ...any) {
	w.b.WriteString(strings.Repeat(" ", indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

func (w *writer) table(t *Table) {
	w.line(0, "- table: {schema: %s, name: %s}", scalar(t.Schema), scalar(t.Name))
	if t.IsEnum {
		w.line(2, "is_enum: true")
	}
	w.configuration(&t.Configuration)
	var objs, arrs []*Relationship
	for _, r := range t.Relationships {
		if r.Kind == ObjectRelationship {
			objs = append(objs, r)
		} else {
			arrs = append(arrs, r)
		}
	}
	for _, group := range []struct {
		key  string
		rels []*Relationship
	}{{"object_relationships", objs}, {"array_relationships", arrs}} {
		if len(group.rels) == 0 {
			continue
		}
		w.line(2, "%s:", group.key)
		for _, r := range group.rels {
			w.relationship(r)
		}
	}
	if len(t.ComputedFields) > 0 {
		w.line(2, "computed_fields:")
		for _, cf := range t.ComputedFields {
			w.line(4, "- name: %s", scalar(cf.Name))
			w.line(6, "definition:")
			w.line(8, "function: {schema: %s, name: %s}", scalar(cf.FunctionSchema), scalar(cf.FunctionName))
			if cf.TableArgument != "" {
				w.line(8, "table_argument: %s", scalar(cf.TableArgument))
			}
			if cf.SessionArgument != "" {
				w.line(8, "session_argument: %s", scalar(cf.SessionArgument))
			}
			w.comment(6, cf.Comment)
		}
	}
	if len(t.RemoteRelationships) > 0 {
		w.line(2, "remote_relationships:")
		for _, r := range t.RemoteRelationships {
			w.line(4, "- name: %s", scalar(r.Name))
			w.line(6, "definition:")
			w.line(8, "to_remote_schema:")
			w.line(10, "remote_schema: %s", scalar(r.RemoteSchema))
			w.line(10, "lhs_fields: %s", nameList(r.LHSFields))
			w.line(10, "remote_field: %s", remoteFieldFlow(r.RemoteField))
		}
	}
	if len(t.SelectPermissions) > 0 {
		w.line(2, "select_permissions:")
		for _, p := range t.SelectPermissions {
			w.line(4, "- role: %s", scalar(p.Role))
			w.line(6, "permission:")
			w.columns(p.Columns, p.AllColumns)
			w.line(8, "filter: %s", w.exp(p.Filter))
			if p.Limit >= 0 {
				w.line(8, "limit: %d", p.Limit)
			}
			if p.AllowAggregations {
				w.line(8, "allow_aggregations: true")
			}
			if len(p.ComputedFields) > 0 {
				w.line(8, "computed_fields: %s", nameList(p.ComputedFields))
			}
			if list, all := p.QueryRootFields.names(false); !all {
				w.line(8, "query_root_fields: %s", nameList(list))
			}
			if list, all := p.SubscriptionRootFields.names(true); !all {
				w.line(8, "subscription_root_fields: %s", nameList(list))
			}
			w.comment(6, p.Comment)
		}
	}
	if len(t.InsertPermissions) > 0 {
		w.line(2, "insert_permissions:")
		for _, p := range t.InsertPermissions {
			w.line(4, "- role: %s", scalar(p.Role))
			w.line(6, "permission:")
			w.line(8, "check: %s", w.exp(p.Check))
			w.presets(p.Set)
			w.columns(p.Columns, p.AllColumns)
			w.backendOnly(p.BackendOnly)
			w.validateInput(p.ValidateInput)
			w.comment(6, p.Comment)
		}
	}
	if len(t.UpdatePermissions) > 0 {
		w.line(2, "update_permissions:")
		for _, p := range t.UpdatePermissions {
			w.line(4, "- role: %s", scalar(p.Role))
			w.line(6, "permission:")
			w.columns(p.Columns, p.AllColumns)
			w.line(8, "filter: %s", w.exp(p.Filter))
			if p.Check != nil {
				w.line(8, "check: %s", w.exp(p.Check))
			}
			w.presets(p.Set)
			w.backendOnly(p.BackendOnly)
			w.validateInput(p.ValidateInput)
			w.comment(6, p.Comment)
		}
	}
	if len(t.DeletePermissions) > 0 {
		w.line(2, "delete_permissions:")
		for _, p := range t.DeletePermissions {
			w.line(4, "- role: %s", scalar(p.Role))
			w.line(6, "permission:")
			w.line(8, "filter: %s", w.exp(p.Filter))
			w.backendOnly(p.BackendOnly)
			w.validateInput(p.ValidateInput)
			w.comment(6, p.Comment)
		}
	}
}

func (w *writer) comment(indent int, c string) {
	if c != "" {
		w.line(indent, "comment: %s", scalar(c))
	}
}

func (w *writer) configuration(c *Configuration) {
	roots := c.CustomRootFields.named()
	if c.CustomName == "" && c.Comment == "" && len(roots) == 0 && len(c.ColumnConfig) == 0 {
		return
	}
	w.line(2, "configuration:")
	if c.CustomName != "" {
		w.line(4, "custom_name: %s", scalar(c.CustomName))
	}
	if c.Comment != "" {
		w.line(4, "comment: %s", scalar(c.Comment))
	}
	if len(roots) > 0 {
		w.line(4, "custom_root_fields:")
		for _, r := range roots {
			if r.name.Comment == "" {
				w.line(6, "%s: %s", r.key, scalar(r.name.Name))
				continue
			}
			w.line(6, "%s: {name: %s, comment: %s}", r.key, scalar(r.name.Name), scalar(r.name.Comment))
		}
	}
	if len(c.ColumnConfig) > 0 {
		w.line(4, "column_config:")
		for _, cc := range c.ColumnConfig {
			var parts []string
			if cc.CustomName != "" {
				parts = append(parts, "custom_name: "+scalar(cc.CustomName))
			}
			if cc.Comment != "" {
				parts = append(parts, "comment: "+scalar(cc.Comment))
			}
			w.line(6, "%s: {%s}", scalar(cc.Column), strings.Join(parts, ", "))
		}
	}
}

type namedRoot struct {
	key  string
	name RootFieldName
}

// named returns the custom root fields that are set, in Hasura's order.
func (r *CustomRootFields) named() []namedRoot {
	all := []namedRoot{
		{"select", r.Select}, {"select_by_pk", r.SelectByPk}, {"select_aggregate", r.SelectAggregate},
		{"select_stream", r.SelectStream}, {"insert", r.Insert}, {"insert_one", r.InsertOne},
		{"update", r.Update}, {"update_by_pk", r.UpdateByPk}, {"update_many", r.UpdateMany},
		{"delete", r.Delete}, {"delete_by_pk", r.DeleteByPk},
	}
	var out []namedRoot
	for _, n := range all {
		if n.name.Name != "" || n.name.Comment != "" {
			out = append(out, n)
		}
	}
	return out
}

// names returns the root fields of s, and whether that is all of them.
func (s RootFieldSet) names(subscription bool) ([]string, bool) {
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{{s.Select, "select"}, {s.SelectByPk, "select_by_pk"}, {s.SelectAggregate, "select_aggregate"}, {s.SelectStream && subscription, "select_stream"}} {
		if f.on {
			out = append(out, f.name)
		}
	}
	want := 3
	if subscription {
		want = 4
	}
	return out, len(out) == want
}

func (w *writer) relationship(r *Relationship) {
	w.line(4, "- name: %s", scalar(r.Name))
	w.comment(6, r.Comment)
	var local, remote []string
	for _, p := range r.Columns {
		local = append(local, p.Local)
		remote = append(remote, p.Remote)
	}
	remoteTable := fmt.Sprintf("{schema: %s, name: %s}", scalar(r.RemoteSchema), scalar(r.RemoteTable))
	switch {
	case r.Manual:
		w.line(6, "using:")
		w.line(8, "manual_configuration:")
		w.line(10, "remote_table: %s", remoteTable)
		var pairs []string
		for _, p := range r.Columns {
			pairs = append(pairs, scalar(p.Local)+": "+scalar(p.Remote))
		}
		w.line(10, "column_mapping: {%s}", strings.Join(pairs, ", "))
		if r.Kind == ObjectRelationship && r.InsertionOrder == AfterParent {
			w.line(10, "insertion_order: after_parent")
		}
	case r.Reverse:
		w.line(6, "using:")
		w.line(8, "foreign_key_constraint_on:")
		w.line(10, "table: %s", remoteTable)
		if len(remote) == 1 {
			w.line(10, "column: %s", scalar(remote[0]))
		} else {
			w.line(10, "columns: %s", nameList(remote))
		}
	default:
		if len(local) == 1 {
			w.line(6, "using: {foreign_key_constraint_on: %s}", scalar(local[0]))
		} else {
			w.line(6, "using: {foreign_key_constraint_on: %s}", nameList(local))
		}
	}
}

func (w *writer) columns(cols []string, all bool) {
	if all {
		w.line(8, "columns: '*'")
		return
	}
	w.line(8, "columns: %s", nameList(cols))
}

func (w *writer) presets(set []*Preset) {
	if len(set) == 0 {
		return
	}
	var parts []string
	for _, p := range set {
		parts = append(parts, scalar(p.Column)+": "+w.value(p.Value))
	}
	w.line(8, "set: {%s}", strings.Join(parts, ", "))
}

func (w *writer) backendOnly(b bool) {
	if b {
		w.line(8, "backend_only: true")
	}
}

func (w *writer) validateInput(vi *ValidateInput) {
	if vi == nil {
		return
	}
	w.line(8, "validate_input:")
	if vi.Type != "" {
		w.line(10, "type: %s", scalar(vi.Type))
	}
	w.line(10, "definition:")
	if vi.URLFromEnv != "" {
		w.line(12, "url: {from_env: %s}", scalar(vi.URLFromEnv))
	} else if vi.URL != "" {
		w.line(12, "url: %s", scalar(vi.URL))
	}
	if len(vi.Headers) > 0 {
		w.line(12, "headers:")
		for _, h := range vi.Headers {
			if h.ValueFromEnv != "" {
				w.line(14, "- {name: %s, value_from_env: %s}", scalar(h.Name), scalar(h.ValueFromEnv))
			} else {
				w.line(14, "- {name: %s, value: %s}", scalar(h.Name), scalar(h.Value))
			}
		}
	}
	if vi.ForwardClientHeaders {
		w.line(12, "forward_client_headers: true")
	}
	if vi.Timeout != 0 {
		w.line(12, "timeout: %d", vi.Timeout)
	}
}

// exp writes a boolean expression as a flow mapping. An And of several
// parts with distinct keys is written as one mapping, as Hasura does; an
// And of one part keeps its _and, so that the file reads back to the same
// tree.
func (w *writer) exp(e BoolExp) string {
	if a, ok := e.(*And); ok && len(a.Exprs) != 1 {
		seen := map[string]bool{}
		var parts []string
		for _, x := range a.Exprs {
			k, v := w.kv(x)
			if seen[k] {
				k, v = w.kv(e)
				return "{" + k + ": " + v + "}"
			}
			seen[k] = true
			parts = append(parts, k+": "+v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	k, v := w.kv(e)
	return "{" + k + ": " + v + "}"
}

// kv writes one expression as the key and value of a mapping entry.
func (w *writer) kv(e BoolExp) (string, string) {
	list := func(exprs []BoolExp) string {
		parts := make([]string, len(exprs))
		for i, x := range exprs {
			parts[i] = w.exp(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	switch e := e.(type) {
	case *And:
		return "_and", list(e.Exprs)
	case *Or:
		return "_or", list(e.Exprs)
	case *Not:
		return "_not", w.exp(e.Expr)
	case *Compare:
		op := string(e.Op) + ": " + w.value(e.Value)
		if e.Cast != "" {
			return scalar(e.Column), "{_cast: {String: {" + op + "}}}"
		}
		return scalar(e.Column), "{" + op + "}"
	case *CompareColumns:
		other := scalar(e.Other)
		if e.Root {
			other = `["$", ` + other + "]"
		}
		return scalar(e.Column), "{" + string(e.Op) + ": " + other + "}"
	case *Related:
		return scalar(e.Relationship.Name), w.exp(e.Where)
	case *Exists:
		return "_exists", fmt.Sprintf("{_table: {schema: %s, name: %s}, _where: %s}", scalar(e.Schema), scalar(e.Table), w.exp(e.Where))
	}
	if w.err == nil {
		w.err = fmt.Errorf("metadata: cannot write boolean expression of type %T", e)
	}
	return "_and", "[]"
}

func (w *writer) value(v Value) string {
	switch v := v.(type) {
	case *SessionVar:
		return v.Name
	case *Literal:
		return flowValue(v.Value)
	}
	if w.err == nil {
		w.err = fmt.Errorf("metadata: cannot write value of type %T", v)
	}
	return "null"
}

// flowValue writes a literal in YAML flow style.
func flowValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	case string:
		return scalar(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = flowValue(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = scalar(k) + ": " + flowValue(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "null"
}

// remoteFieldFlow writes a remote relationship's remote_field path in
// flow style: {field: {arguments: {...}, field: {...}}}.
func remoteFieldFlow(path []*RemoteFieldStep) string {
	if len(path) == 0 {
		return "{}"
	}
	s := path[0]
	var parts []string
	if len(s.Arguments) > 0 {
		parts = append(parts, "arguments: "+remoteArgsFlow(s.Arguments))
	}
	if len(path) > 1 {
		parts = append(parts, "field: "+remoteFieldFlow(path[1:]))
	}
	return "{" + scalar(s.Name) + ": {" + strings.Join(parts, ", ") + "}}"
}

func remoteArgsFlow(args []*RemoteArgument) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = scalar(a.Name) + ": " + remoteValueFlow(a.Value)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func remoteValueFlow(v *RemoteValue) string {
	switch {
	case v.Column != "":
		return scalar("$" + v.Column)
	case v.IsObject:
		return remoteArgsFlow(v.Object)
	case v.IsList:
		parts := make([]string, len(v.List))
		for i, x := range v.List {
			parts[i] = remoteValueFlow(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return flowValue(v.Scalar)
}

func nameList(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = scalar(n)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

var plainScalar = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// scalar writes a string plain when YAML reads it back as the same string,
// else double-quoted.
func scalar(s string) string {
	if plainScalar.MatchString(s) {
		switch strings.ToLower(s) {
		case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		default:
			return s
		}
	}
	return strconv.Quote(s)
}
