package gqlclient

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Local is a Client that runs requests in process: prepared and run by an
// engine (runtime.NewEngine) on a database, as a session. The role's
// permissions, limits and options apply as on the server, through the same
// Prepare and Run; only HTTP and authentication are skipped: the session
// is given, not read from headers.
type Local struct {
	engine  *engine.Engine
	db      engine.DBTX
	session *session.Session
}

var _ Client = (*Local)(nil)

// NewLocal returns a client of e that runs on e's pool as admin; As and
// On return copies with another session or database.
func NewLocal(e *engine.Engine) *Local {
	return &Local{engine: e, session: &session.Session{Role: session.AdminRole, Vars: map[string]string{}}}
}

// As returns a copy that runs as role with the session variables vars
// (names in any case: "X-Hasura-User-Id"), as a request carrying them in
// its JWT claims or headers would.
func (l *Local) As(role string, vars map[string]string) *Local {
	s := &session.Session{Role: role, Vars: make(map[string]string, len(vars)+1)}
	for k, v := range vars {
		s.Vars[session.VarName(k)] = v
	}
	s.Vars[session.VarName("x-hasura-role")] = role
	out := *l
	out.session = s
	return &out
}

// On returns a copy that runs on db: a pool, a connection or a
// transaction (then the request's statements, a mutation's included, run
// inside it and commit or roll back with it).
func (l *Local) On(db engine.DBTX) *Local {
	out := *l
	out.db = db
	return &out
}

// Session returns the session requests run as.
func (l *Local) Session() *session.Session { return l.session }

// IsCompiled reports whether the engine answers req for the session from
// the project's compiled operations (runtime.Project.Operations): no
// parsing, validation or compiling, as for the generated client's
// functions, which send the compiled documents.
func (l *Local) IsCompiled(req *Request) bool {
	return l.engine.IsCompiled(l.session, &wire.Request{Query: req.Query, OperationName: req.OperationName})
}

// Do prepares and runs req. GraphQL errors are Errors, with the codes and
// paths the server would answer; an unexpected one keeps its cause (Err).
func (l *Local) Do(ctx context.Context, req *Request, data any) error {
	w := &wire.Request{Query: req.Query, OperationName: req.OperationName}
	if req.Variables != nil {
		b, err := json.Marshal(req.Variables)
		if err != nil {
			return fmt.Errorf("%s: encoding the variables: %w", req.OperationName, err)
		}
		w.Variables = b
	}
	// Custom resolvers and actions read the session from ctx, as they do
	// under the HTTP handler.
	ctx = session.With(ctx, l.session)
	p, err := l.engine.Prepare(ctx, l.session, w)
	if err != nil {
		return fmt.Errorf("%s: %w", req.OperationName, localErrors(err))
	}
	db := l.db
	if db == nil {
		db = l.engine.Pool()
	}
	out, err := l.engine.Run(ctx, db, p, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", req.OperationName, localErrors(err))
	}
	if err := decodeResponse(out, data); err != nil {
		return fmt.Errorf("%s: %w", req.OperationName, err)
	}
	return nil
}

// localErrors turns the engine's errors into Errors as the server writes
// them (wire.Errors), keeping an unexpected one's cause.
func localErrors(err error) error {
	errs := wire.Errors(err)
	out := make(Errors, 0, len(errs))
	for _, e := range errs {
		if e.Raw != nil {
			// A remote schema's error, passed through as written.
			var ce Error
			if jerr := json.Unmarshal(e.Raw, &ce); jerr != nil {
				ce = Error{Message: string(e.Raw), Code: wire.CodeUnexpected, Path: "$"}
			}
			out = append(out, &ce)
			continue
		}
		path := e.Path
		if path == "" {
			path = "$"
		}
		ce := &Error{Message: e.Message, Code: e.Code, Path: path}
		if e.Code == wire.CodeUnexpected {
			ce.Err = e.Err
		}
		out = append(out, ce)
	}
	return out
}
