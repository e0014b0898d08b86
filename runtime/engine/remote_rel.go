package engine

// Remote relationships: a table's fields answered by a remote schema
// (compile/remoterel.go). The statements' JSON holds a marker object in
// each such field's place, carrying the row's columns; after the
// statements ran, the distinct column sets of each relationship field
// are sent to its remote in ONE request (an alias per set, the columns
// as variables, the client's selections printed with the remote's
// names, the role's presets added), and each marker is replaced by its
// set's answer. A null column gives null without a call.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// remoteRel is a remote relationship the engine serves.
type remoteRel struct {
	r   *remote.Remote
	rel *remote.Relationship
	// args are each step's parsed arguments.
	args []ast.ArgumentList
}

// remoteRels indexes the remote relationships by "type.field".
type remoteRels struct {
	byField map[string]*remoteRel
	// marker is the key of the marker objects: random per engine, so
	// that no stored JSON can pass for one.
	marker string
}

// newRemoteRels indexes the relationships of the remotes; nil without
// any.
func newRemoteRels(list []*remote.Remote) (*remoteRels, error) {
	var rr *remoteRels
	for _, r := range list {
		for _, rel := range r.Relationships {
			if rr == nil {
				var nonce [8]byte
				if _, err := rand.Read(nonce[:]); err != nil {
					return nil, fmt.Errorf("remote relationships: %w", err)
				}
				rr = &remoteRels{byField: map[string]*remoteRel{}, marker: "__hasgen_remote_rel_" + hex.EncodeToString(nonce[:])}
			}
			x := &remoteRel{r: r, rel: rel}
			for _, st := range rel.Path {
				var args ast.ArgumentList
				if st.Args != "" {
					doc, err := parser.ParseQuery(&ast.Source{Name: "relationship", Input: "{f(" + st.Args + ")}"})
					if err != nil {
						return nil, fmt.Errorf("remote relationship %s.%s: arguments of %s: %w", rel.Table, rel.Name, st.Field, err)
					}
					args = doc.Operations[0].SelectionSet[0].(*ast.Field).Arguments
				}
				x.args = append(x.args, args)
			}
			rr.byField[rel.Table+"."+rel.Name] = x
		}
	}
	return rr, nil
}

// columns is the compiler's view of the relationships.
func (rr *remoteRels) columns(typ, field string) ([]string, bool) {
	x := rr.byField[typ+"."+field]
	if x == nil {
		return nil, false
	}
	return x.rel.Columns, true
}

// marked is a marker found in a response: where it is and what it holds.
type marked struct {
	start, end int
	use        int // index in Plan.RemoteRels
	set        int // its column set, in the use's sets; -1: null
}

// resolveRemoteRels replaces the markers of body ({"data": ...}) with
// the remotes' answers.
func (e *Engine) resolveRemoteRels(ctx context.Context, p *Prepared, body []byte) ([]byte, error) {
	rr := e.remoteRels
	uses := p.Plan.RemoteRels
	needle := []byte(`"` + rr.marker + `"`)
	type useSets struct {
		sets  [][]json.RawMessage
		index map[string]int
		first []int // each set's first marker
	}
	us := make([]useSets, len(uses))
	var marks []marked
	for off := 0; ; {
		i := bytes.Index(body[off:], needle)
		if i < 0 {
			break
		}
		start := bytes.LastIndexByte(body[:off+i], '{')
		dec := json.NewDecoder(bytes.NewReader(body[start:]))
		var obj map[string][]json.RawMessage
		if err := dec.Decode(&obj); err != nil {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot read a remote relationship's columns", Err: err}
		}
		vals := obj[rr.marker]
		m := marked{start: start, end: start + int(dec.InputOffset()), set: -1}
		off = m.end
		if len(vals) == 0 {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "a remote relationship's marker is empty"}
		}
		n, err := strconv.Atoi(string(vals[0]))
		if err != nil || n < 0 || n >= len(uses) {
			return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "a remote relationship's marker is not the plan's"}
		}
		m.use = n
		null := false
		for _, v := range vals[1:] {
			if string(v) == "null" {
				null = true
			}
		}
		if !null {
			u := &us[n]
			var kb []byte
			for _, v := range vals[1:] {
				kb = append(append(kb, v...), 0)
			}
			key := string(kb)
			k, ok := u.index[key]
			if !ok {
				if u.index == nil {
					u.index = map[string]int{}
				}
				k = len(u.sets)
				u.index[key] = k
				u.sets = append(u.sets, vals[1:])
				u.first = append(u.first, len(marks))
			}
			m.set = k
		}
		marks = append(marks, m)
	}
	// One request per relationship field, concurrently.
	answers := make([][]json.RawMessage, len(uses))
	errs := make([]error, len(uses))
	var wg sync.WaitGroup
	for n := range uses {
		if len(us[n].sets) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := e.remoteRels.byField[uses[n].Type+"."+uses[n].Name]
			if x == nil {
				errs[n] = &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("remote relationship %s.%s is unknown", uses[n].Type, uses[n].Name)}
				return
			}
			var remoteErrs []json.RawMessage
			answers[n], remoteErrs, errs[n] = e.callRemoteRel(ctx, p, x, uses[n], us[n].sets)
			if errs[n] == nil && len(remoteErrs) > 0 {
				errs[n] = relErrors(remoteErrs, func(k int) []any { return pathAt(body, marks[us[n].first[k]].start) }, len(x.rel.Path), p.Session.IsAdmin())
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, len(body))
	last := 0
	for _, m := range marks {
		out = append(out, body[last:m.start]...)
		if m.set < 0 {
			out = append(out, "null"...)
		} else {
			out = appendValue(out, answers[m.use][m.set])
		}
		last = m.end
	}
	return append(out, body[last:]...), nil
}

// callRemoteRel sends the column sets of one relationship field to its
// remote and returns each set's value (nil: null), or the remote's
// errors.
func (e *Engine) callRemoteRel(ctx context.Context, p *Prepared, x *remoteRel, use compile.RemoteRel, sets [][]json.RawMessage) ([]json.RawMessage, []json.RawMessage, error) {
	pr := &remotePrinter{r: x.r, p: p, vars: map[string]bool{}, values: map[string]json.RawMessage{}}
	var body strings.Builder
	pr.w = &body
	rel := x.rel
	for k, set := range sets {
		rename := func(name string) string {
			if rest, ok := strings.CutPrefix(name, "hasgen_"); ok {
				return "hasgen_" + strconv.Itoa(k) + "_" + rest
			}
			return name
		}
		for i, v := range rel.Vars {
			name := rename(remote.VarName(i))
			pr.defs = append(pr.defs, "$"+name+": "+v.Type)
			pr.values[name] = set[v.Column]
		}
		for j, st := range rel.Path {
			body.WriteByte(' ')
			if j == 0 {
				body.WriteString("r" + strconv.Itoa(k) + ": ")
			}
			body.WriteString(st.Field)
			var args []string
			for _, a := range x.args[j] {
				args = append(args, a.Name+": "+printValue(a.Value, rename))
			}
			if j == len(rel.Path)-1 {
				for _, a := range use.Field.Arguments {
					pr.useVars(a.Value)
					args = append(args, a.Name+": "+a.Value.String())
				}
			}
			for _, ps := range x.r.Presets[p.Session.Role] {
				// An argument the relationship gives is not preset
				// (Hasura ignores the preset).
				if ps.Type == st.Parent && ps.Field == st.Served && x.args[j].ForName(ps.Arg) == nil {
					args = append(args, ps.Arg+": "+pr.preset(ps))
				}
			}
			if len(args) > 0 {
				body.WriteString("(" + strings.Join(args, ", ") + ")")
			}
			if j < len(rel.Path)-1 {
				body.WriteString(" {")
			}
		}
		if len(use.Field.SelectionSet) > 0 {
			pr.selections(use.Field.SelectionSet, rel.LeafType)
		}
		for range len(rel.Path) - 1 {
			body.WriteString(" }")
		}
	}
	if pr.err != nil {
		return nil, nil, pr.err
	}
	resp, err := x.r.Client.Do(ctx, p.Session, &remote.Request{Query: pr.document("query", body.String()), Variables: pr.values})
	if err != nil {
		return nil, nil, err
	}
	if len(resp.Errors) > 0 {
		return nil, resp.Errors, nil
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(resp.Data, &data); err != nil || data == nil {
		return nil, nil, &wire.Error{Code: remote.CodeRemoteSchemaError, Path: "$", Err: err,
			Message: fmt.Sprintf("remote schema %q answered data that is not an object", x.r.Name)}
	}
	out := make([]json.RawMessage, len(sets))
	for k := range sets {
		v := data["r"+strconv.Itoa(k)]
		for _, st := range rel.Path[1:] {
			var obj map[string]json.RawMessage
			if json.Unmarshal(v, &obj) != nil || obj == nil {
				v = nil
				break
			}
			v = obj[st.Field]
		}
		out[k] = renameTypes(x.r, v, use.Field.SelectionSet)
	}
	return out, nil, nil
}

// relErrors is Hasura's error for a remote join whose remote answered
// errors: "Errors from remote server" (unexpected), the remote's errors
// in extensions.internal for admin (as Hasura, whose admin sees internal
// errors by default), each path made the row's: an error at r<k> is at
// the path of set k's first row (first), the relationship's further
// steps (steps - 1 keys) dropped.
func relErrors(raw []json.RawMessage, first func(k int) []any, steps int, admin bool) error {
	e := &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "Errors from remote server"}
	if !admin {
		return e
	}
	internal := make([]json.RawMessage, len(raw))
	for i, r := range raw {
		internal[i] = r
		var m struct {
			Path []any `json:"path"`
		}
		if json.Unmarshal(r, &m) != nil || len(m.Path) == 0 {
			continue
		}
		s, ok := m.Path[0].(string)
		if !ok || !strings.HasPrefix(s, "r") {
			continue
		}
		k, err := strconv.Atoi(s[1:])
		if err != nil {
			continue
		}
		rest := m.Path[1:]
		if len(rest) >= steps-1 {
			rest = rest[steps-1:]
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(r, &obj) == nil {
			obj["path"], _ = json.Marshal(append(first(k), rest...))
			internal[i], _ = json.Marshal(obj)
		}
	}
	var ext struct {
		Path     string `json:"path"`
		Code     string `json:"code"`
		Internal struct {
			Errors []json.RawMessage `json:"errors"`
		} `json:"internal"`
	}
	ext.Path, ext.Code, ext.Internal.Errors = e.Path, e.Code, internal
	e.Raw, _ = json.Marshal(struct {
		Message    string `json:"message"`
		Extensions any    `json:"extensions"`
	}{e.Message, ext})
	return e
}

// printValue prints v as GraphQL, its variables renamed.
func printValue(v *ast.Value, rename func(string) string) string {
	switch v.Kind {
	case ast.Variable:
		return "$" + rename(v.Raw)
	case ast.ListValue:
		items := make([]string, len(v.Children))
		for i, c := range v.Children {
			items[i] = printValue(c.Value, rename)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case ast.ObjectValue:
		items := make([]string, len(v.Children))
		for i, c := range v.Children {
			items[i] = c.Name + ": " + printValue(c.Value, rename)
		}
		return "{" + strings.Join(items, ", ") + "}"
	}
	return v.String()
}

// pathAt is the response path (data's keys and indexes) of the value
// that starts at offset off of body, {"data": ...}.
func pathAt(body []byte, off int) []any {
	type frame struct {
		obj     bool
		wantKey bool
		key     string
		idx     int
	}
	var stack []frame
	path := func() []any {
		var out []any
		for _, f := range stack {
			if f.obj {
				out = append(out, f.key)
			} else {
				out = append(out, f.idx)
			}
		}
		if len(out) > 0 {
			out = out[1:] // "data"
		}
		return out
	}
	done := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.obj {
			top.wantKey = true
		} else {
			top.idx++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		if d, ok := t.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			stack[n-1].key, _ = t.(string)
			stack[n-1].wantKey = false
			continue
		}
		switch t {
		case json.Delim('{'):
			if int(dec.InputOffset())-1 == off {
				return path()
			}
			stack = append(stack, frame{obj: true, wantKey: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		default:
			done()
		}
	}
}
