// Package remotetest is a small GraphQL server for tests of remote
// schemas: a schema (SDL) and a function answering its root fields with
// plain JSON-like values (maps, slices, scalars), whose sub-selections it
// projects, introspection included. It counts its requests and keeps the
// last ones with their headers.
package remotetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Resolver answers a root field: its arguments (variables resolved), the
// request's headers. An error becomes a GraphQL error at the field's
// path, its value null.
type Resolver func(field string, args map[string]any, h http.Header) (any, error)

// Call is a request the server received.
type Call struct {
	Query     string
	Variables map[string]any
	Header    http.Header
}

// Server is a running test remote.
type Server struct {
	*httptest.Server
	Schema *ast.Schema
	mu     sync.Mutex
	calls  []Call
	// Before, when set, runs first on each request (to delay or fail it).
	Before func(w http.ResponseWriter, r *http.Request) bool
}

// New starts a remote serving sdl, answered by resolve.
func New(sdl string, resolve Resolver) (*Server, error) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "remote.graphqls", Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("remote schema: %w", err)
	}
	s := &Server{Schema: schema}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Before != nil && !s.Before(w, r) {
			return
		}
		var req struct {
			Query         string         `json:"query"`
			OperationName string         `json:"operationName"`
			Variables     map[string]any `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if req.OperationName != "IntrospectionQuery" {
			s.mu.Lock()
			s.calls = append(s.calls, Call{Query: req.Query, Variables: req.Variables, Header: r.Header.Clone()})
			s.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.execute(req.Query, req.OperationName, req.Variables, r.Header, resolve))
	}))
	return s, nil
}

// Calls returns the requests received so far, introspection left out.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

type response struct {
	Data   any           `json:"data,omitempty"`
	Errors gqlerror.List `json:"errors,omitempty"`
}

func (s *Server) execute(query, opName string, vars map[string]any, h http.Header, resolve Resolver) response {
	doc, perr := parser.ParseQuery(&ast.Source{Input: query})
	if perr != nil {
		return response{Errors: gqlerror.List{perr.(*gqlerror.Error)}}
	}
	if errs := validator.ValidateWithRules(s.Schema, doc, nil); len(errs) > 0 {
		return response{Errors: errs}
	}
	op := doc.Operations.ForName(opName)
	if op == nil {
		return response{Errors: gqlerror.List{gqlerror.Errorf("no operation %q", opName)}}
	}
	coerced, err := validator.VariableValues(s.Schema, op, vars)
	if err != nil {
		return response{Errors: gqlerror.List{gqlerror.Wrap(err)}}
	}
	root := s.Schema.Query
	if op.Operation == ast.Mutation {
		root = s.Schema.Mutation
	}
	e := &exec{schema: s.Schema, vars: coerced}
	data := ordered{}
	for _, f := range e.collect(op.SelectionSet, root.Name) {
		var v any
		switch f.Name {
		case "__typename":
			v = root.Name
		case "__schema":
			v = e.project(introspection(s.Schema), f.SelectionSet, f.Definition.Type, []any{f.Alias})
		case "__type":
			v = e.project(typeInfo(s.Schema, s.Schema.Types[f.ArgumentMap(coerced)["name"].(string)]), f.SelectionSet, f.Definition.Type, []any{f.Alias})
		default:
			raw, err := resolve(f.Name, f.ArgumentMap(coerced), h)
			if err != nil {
				e.errs = append(e.errs, &gqlerror.Error{Message: err.Error(), Path: ast.Path{ast.PathName(f.Alias)}})
			} else {
				v = e.project(raw, f.SelectionSet, f.Definition.Type, []any{f.Alias})
			}
		}
		data = append(data, kv{f.Alias, v})
	}
	return response{Data: data, Errors: e.errs}
}

type exec struct {
	schema *ast.Schema
	vars   map[string]any
	errs   gqlerror.List
}

// collect flattens a selection set for an object of type typ.
func (e *exec) collect(set ast.SelectionSet, typ string) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			if s.TypeCondition == "" || e.is(typ, s.TypeCondition) {
				out = append(out, e.collect(s.SelectionSet, typ)...)
			}
		case *ast.FragmentSpread:
			if e.is(typ, s.Definition.TypeCondition) {
				out = append(out, e.collect(s.Definition.SelectionSet, typ)...)
			}
		}
	}
	return out
}

func (e *exec) is(typ, cond string) bool {
	if typ == cond {
		return true
	}
	for _, p := range e.schema.GetPossibleTypes(e.schema.Types[cond]) {
		if p.Name == typ {
			return true
		}
	}
	return false
}

// project selects set from v, a value of type t.
func (e *exec) project(v any, set ast.SelectionSet, t *ast.Type, path []any) any {
	if v == nil {
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			if m, ok := v.([]map[string]any); ok {
				for _, x := range m {
					list = append(list, x)
				}
			}
		}
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = e.project(x, set, t.Elem, append(path, i))
		}
		return out
	}
	if len(set) == 0 {
		return v
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	typ := t.NamedType
	if tn, ok := obj["__typename"].(string); ok {
		typ = tn
	}
	out := ordered{}
	for _, f := range e.collect(set, typ) {
		if f.Name == "__typename" {
			out = append(out, kv{f.Alias, typ})
			continue
		}
		val := obj[f.Name]
		if fn, ok := val.(func(args map[string]any) any); ok {
			val = fn(f.ArgumentMap(e.vars))
		}
		out = append(out, kv{f.Alias, e.project(val, f.SelectionSet, f.Definition.Type, append(path, f.Alias))})
	}
	return out
}

// ordered is a JSON object that keeps its keys' order.
type ordered []kv

type kv struct {
	k string
	v any
}

// MarshalJSON writes the object in order.
func (o ordered) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, e := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(e.k)
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}
