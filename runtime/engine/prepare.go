package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Prepared is a request ready to run: its session, its variables and the
// plan compiled for its role and variable shape.
type Prepared struct {
	Session *session.Session
	Request *wire.Request
	// Operation is the type of the operation run.
	Operation ast.Operation
	Plan      *compile.Plan
	Vars      wire.Variables

	role *roleExec
}

// Bind resolves a statement's parameters for the session and variables of
// p. A session variable the session lacks is a not-found error.
func (p *Prepared) Bind(params []catalog.Param) ([]any, error) {
	args := make([]any, len(params))
	for i, prm := range params {
		var v any
		switch {
		case prm.Session != "":
			sv, ok := p.Session.Var(prm.Session)
			if !ok {
				return nil, &wire.Error{Code: wire.CodeNotFound, Path: "$", Message: fmt.Sprintf("missing session variable: %q", prm.Session)}
			}
			v = sv
		case prm.Var != "":
			root, ok := p.Vars.Values[prm.Var]
			if !ok {
				break
			}
			if prm.Encoding == catalog.EncodeJSON && len(prm.Path) == 0 && root != nil {
				// A whole variable as JSON: the bytes the client sent.
				args[i] = string(p.Vars.Raw[prm.Var])
				continue
			}
			v, _ = lookup(root, prm.Path)
		case prm.Literal != nil:
			v = compile.LiteralValue(prm.Literal, p.Vars.Values)
		default:
			args[i] = prm.Const
			continue
		}
		a, err := catalog.Encode(v, prm.Encoding)
		if err != nil {
			return nil, &wire.Error{Code: wire.CodeParseFailed, Path: "$", Message: err.Error(), Err: err}
		}
		args[i] = a
	}
	return args, nil
}

// docKey identifies a parsed document: the same text is validated once per
// role and operation name.
type docKey struct {
	role, operation, query string
}

// document is a parsed and validated operation of one role, and the plans
// compiled for it, by variable shape.
type document struct {
	doc *ast.QueryDocument
	op  *ast.OperationDefinition
	err error

	mu    sync.Mutex
	plans map[string]*compile.Plan
}

// maxPlansPerDocument bounds the plans of one document: a client sending
// ever new variable shapes starts the cache over rather than growing it.
const maxPlansPerDocument = 64

// Prepare finds the role's document for req (parsing and validating it on
// first use), checks the variables and returns the plan for their shape
// (compiling it on first use). Errors are *wire.Error or wire.List values:
// the request's, nothing was run.
func (e *Engine) Prepare(ctx context.Context, s *session.Session, req *wire.Request) (*Prepared, error) {
	r := e.role(s.Role)
	d := e.document(r, req)
	if d.err != nil {
		return nil, d.err
	}
	vars, err := wire.ParseVariables(req.Variables)
	if err != nil {
		return nil, &wire.Error{Code: wire.CodeParseFailed, Path: "$.variables", Message: err.Error(), Err: err}
	}
	var shape strings.Builder
	if err := shapeOf(&shape, r.schema, d.op, vars.Values); err != nil {
		return nil, err
	}
	key := shape.String()
	d.mu.Lock()
	plan := d.plans[key]
	d.mu.Unlock()
	if plan == nil {
		if plan, err = e.compiler.Operation(r.name, d.doc, d.op, vars.Values); err != nil {
			return nil, err
		}
		d.mu.Lock()
		if len(d.plans) >= maxPlansPerDocument {
			d.plans = map[string]*compile.Plan{}
		}
		d.plans[key] = plan
		d.mu.Unlock()
	}
	return &Prepared{Session: s, Request: req, Operation: d.op.Operation, Plan: plan, Vars: vars, role: r}, nil
}

// document returns the parsed and validated document of a request,
// computing it on first use.
func (e *Engine) document(r *roleExec, req *wire.Request) *document {
	key := docKey{r.name, req.OperationName, req.Query}
	if d, ok := e.docs.Get(key); ok {
		return d
	}
	d := e.parse(r, req)
	e.docs.Add(key, d)
	return d
}

func (e *Engine) parse(r *roleExec, req *wire.Request) *document {
	d := &document{plans: map[string]*compile.Plan{}}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		d.err = &wire.Error{Code: wire.CodeValidationFailed, Path: "$.query", Message: strings.TrimPrefix(err.Error(), "input:"), Err: err}
		return d
	}
	if err := validate(r.schema, doc); err != nil {
		d.err = err
		return d
	}
	d.doc = doc
	switch {
	case req.OperationName != "":
		if d.op = doc.Operations.ForName(req.OperationName); d.op == nil {
			d.err = &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: fmt.Sprintf("no such operation found in the document: %q", req.OperationName)}
		}
	case len(doc.Operations) == 1:
		d.op = doc.Operations[0]
	default:
		d.err = &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: "exactly one operation has to be present in the document when operationName is not specified"}
	}
	return d
}
