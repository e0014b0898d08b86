package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Explained is the SQL of one database-backed root field.
type Explained struct {
	// Field is the response key of the root field.
	Field string
	// SQL is the statement, with $n parameters.
	SQL string
	// Params describes each parameter: where its value comes from, and
	// the value when it is known (a constant, a variable, a session
	// variable the session has).
	Params []string
	// Args are the parameters' values as the statement would be run with
	// them; nil when a session variable it needs is missing.
	Args []any
}

// Explain prepares a request for a session's role and returns the SQL of
// each database-backed root field without running anything: what "hasgen
// explain" prints. A subscription's is its poll statement. It needs no
// database connection.
func (e *Engine) Explain(ctx context.Context, s *session.Session, req *wire.Request) ([]Explained, error) {
	p, err := e.Prepare(ctx, s, req)
	if err != nil {
		return nil, err
	}
	var out []Explained
	explain := func(key string, st compile.Statement) {
		ex := Explained{Field: key, SQL: st.SQL}
		for i, prm := range st.Params {
			ex.Params = append(ex.Params, describeParam(i+1, prm, p))
		}
		if args, err := p.Bind(st.Params); err == nil {
			ex.Args = args
		}
		out = append(out, ex)
	}
	for _, f := range p.Plan.Fields {
		switch f.Kind {
		case compile.FieldQuery, compile.FieldLive, compile.FieldStream:
			explain(f.Key, f.Statement)
		case compile.FieldMutation:
			for _, st := range f.Mutations {
				explain(f.Key, st)
			}
		}
	}
	return out, nil
}

func describeParam(n int, prm catalog.Param, p *Prepared) string {
	switch {
	case prm.SessionJSON:
		return fmt.Sprintf("$%d = %s (the session)", n, HasuraUser(p.Session))
	case prm.Session != "":
		if v, ok := p.Session.Var(prm.Session); ok {
			return fmt.Sprintf("$%d = %q (session variable %s)", n, v, prm.Session)
		}
		return fmt.Sprintf("$%d = session variable %s (not set)", n, prm.Session)
	case prm.Var != "":
		root := p.Vars.Values[prm.Var]
		v, _ := lookup(root, prm.Path)
		a, _ := catalog.Encode(v, prm.Encoding)
		path := "$" + prm.Var
		for _, k := range prm.Path {
			path += fmt.Sprintf(".%v", k)
		}
		return fmt.Sprintf("$%d = %s (variable %s)", n, formatArg(a), path)
	}
	return fmt.Sprintf("$%d = %s", n, formatArg(prm.Const))
}

func formatArg(a any) string {
	switch v := a.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprint(a)
}
