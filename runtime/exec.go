package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// run executes a plan and appends its response to dst: the custom fields
// through gqlgen first, then the SQL fields through pgx (one round trip
// for all of them) with each field's JSON copied once, from pgx's read
// buffer straight into the response, in response order.
func (e *Engine) run(ctx context.Context, s *Session, r *roleExec, d *document, p *plan, req *Request, vars map[string]any, dst []byte) []byte {
	start := len(dst)
	var custom [][]byte
	if p.custom {
		custom = make([][]byte, len(p.fields))
		if errs := e.runCustom(ctx, s, r, d, p, req, vars, custom); errs != nil {
			return AppendErrors(dst, errs...)
		}
	}
	var args [][]any
	for i := range p.fields {
		if p.fields[i].kind != fieldSQL {
			continue
		}
		a, err := bindParams(p.fields[i].params, s, vars)
		if err != nil {
			return AppendErrors(dst, err)
		}
		args = append(args, a)
	}
	var br pgx.BatchResults
	if len(args) > 1 {
		batch := &pgx.Batch{}
		k := 0
		for i := range p.fields {
			if p.fields[i].kind == fieldSQL {
				batch.Queue(p.fields[i].sql, args[k]...)
				k++
			}
		}
		br = e.pool.SendBatch(ctx, batch)
		defer br.Close()
	}
	dst = append(dst, `{"data":{`...)
	k := 0
	for i, f := range p.fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, f.key...)
		dst = append(dst, `":`...)
		switch f.kind {
		case fieldTypename:
			dst = append(dst, '"')
			dst = append(dst, f.text...)
			dst = append(dst, '"')
		case fieldSQL:
			var rows pgx.Rows
			var err error
			if br != nil {
				rows, err = br.Query()
			} else {
				rows, err = e.pool.Query(ctx, f.sql, args[k]...)
			}
			k++
			if err == nil {
				dst, err = appendJSON(dst, rows)
			}
			if err != nil {
				return AppendErrors(dst[:start], dbError(err, s))
			}
		default:
			if custom == nil || custom[i] == nil {
				dst = append(dst, "null"...)
			} else {
				dst = append(dst, custom[i]...)
			}
		}
	}
	if br != nil {
		if err := br.Close(); err != nil {
			return AppendErrors(dst[:start], dbError(err, s))
		}
	}
	return append(dst, "}}"...)
}

// appendJSON appends the one JSON column of a statement's row, or null for
// no row or NULL.
func appendJSON(dst []byte, rows pgx.Rows) ([]byte, error) {
	defer rows.Close()
	if rows.Next() {
		// RawValues is valid until the next call to Next: copied here.
		if raw := rows.RawValues()[0]; raw != nil {
			dst = append(dst, raw...)
		} else {
			dst = append(dst, "null"...)
		}
	} else {
		dst = append(dst, "null"...)
	}
	rows.Close()
	return dst, rows.Err()
}

// assemble appends {"data": {...}} from the fields' JSON, in response
// order; a field without a value is null.
func assemble(b []byte, p *plan, results [][]byte) []byte {
	b = append(b, `{"data":{`...)
	for i, f := range p.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f.key...)
		b = append(b, `":`...)
		switch f.kind {
		case fieldTypename:
			b = append(b, '"')
			b = append(b, f.text...)
			b = append(b, '"')
		default:
			if results[i] == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, results[i]...)
			}
		}
	}
	return append(b, "}}"...)
}

// DBTX is what statements run on: a pool, a connection or a transaction.
type DBTX interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// bindParams resolves a statement's parameters for a session and the
// request's variables.
func bindParams(params []Param, s *Session, vars map[string]any) ([]any, *Error) {
	args := make([]any, len(params))
	for i, p := range params {
		var v any
		switch {
		case p.Session != "":
			sv, ok := s.Var(p.Session)
			if !ok {
				return nil, &Error{Code: CodeNotFound, Path: "$", Message: fmt.Sprintf("missing session variable: %q", p.Session)}
			}
			v = sv
		case p.Var != "":
			root, ok := vars[p.Var]
			if !ok {
				break
			}
			if p.Encoding == EncodeJSON && len(p.Path) == 0 && root != nil {
				// A whole variable as JSON: the bytes the client sent.
				if raw, ok := vars[rawVarsKey].(map[string][]byte)[p.Var]; ok {
					args[i] = string(raw)
					continue
				}
			}
			v, _ = lookup(root, p.Path)
		case p.Literal != nil:
			v = literalWithVars(p.Literal, vars)
		default:
			args[i] = p.Const
			continue
		}
		a, err := encodeParam(v, p.Encoding)
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	return args, nil
}

func encodeParam(v any, enc Encoding) (any, *Error) {
	if v == nil {
		return nil, nil
	}
	switch enc {
	case EncodeJSON:
		b, err := marshalOrdered(v)
		if err != nil {
			return nil, &Error{Code: CodeParseFailed, Path: "$", Message: err.Error()}
		}
		return string(b), nil
	case EncodeTextList:
		l, ok := v.([]any)
		if !ok {
			l = []any{v}
		}
		out := make([]string, len(l))
		for i, x := range l {
			t, err := textOf(x)
			if err != nil {
				return nil, &Error{Code: CodeParseFailed, Path: "$", Message: err.Error()}
			}
			s, _ := t.(string)
			out[i] = s
		}
		return out, nil
	case EncodeJSONList:
		l, ok := v.([]any)
		if !ok {
			l = []any{v}
		}
		out := make([]string, len(l))
		for i, x := range l {
			b, err := marshalOrdered(x)
			if err != nil {
				return nil, &Error{Code: CodeParseFailed, Path: "$", Message: err.Error()}
			}
			out[i] = string(b)
		}
		return out, nil
	case EncodeArray:
		lit, err := arrayLiteral(v)
		if err != nil {
			return nil, &Error{Code: CodeParseFailed, Path: "$", Message: err.Error()}
		}
		return lit, nil
	case EncodeJSONPath:
		s, _ := v.(string)
		path, err := jsonPathKeys(s)
		if err != nil {
			return nil, &Error{Code: CodeParseFailed, Path: "$", Message: err.Error()}
		}
		return path, nil
	}
	t, err := textOf(v)
	if err != nil {
		return nil, &Error{Code: CodeParseFailed, Path: "$", Message: err.Error()}
	}
	return t, nil
}

// arrayLiteral writes a JSON list as a Postgres array literal, nested
// lists as the dimensions of a multi-dimensional array: [[1,2],[3,4]] →
// {{"1","2"},{"3","4"}}. Every element is quoted, so any text is data; a
// value that is not a list is a list of one (GraphQL input coercion).
func arrayLiteral(v any) (string, error) {
	var b strings.Builder
	var write func(v any) error
	write = func(v any) error {
		l, ok := v.([]any)
		if !ok {
			return fmt.Errorf("expected a list, found %s", kindOf(v))
		}
		b.WriteByte('{')
		for i, x := range l {
			if i > 0 {
				b.WriteByte(',')
			}
			switch x := x.(type) {
			case nil:
				b.WriteString("NULL")
			case []any:
				if err := write(x); err != nil {
					return err
				}
			default:
				t, err := textOf(x)
				if err != nil {
					return err
				}
				s, _ := t.(string)
				b.WriteByte('"')
				b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
				b.WriteByte('"')
			}
		}
		b.WriteByte('}')
		return nil
	}
	if _, ok := v.([]any); !ok {
		v = []any{v}
	}
	err := write(v)
	return b.String(), err
}

// jsonPathKeys parses Hasura's JSON path argument: "$.a.b[0]", ".a",
// "a[1].b", "$" into the keys of Postgres's #> operator.
func jsonPathKeys(p string) ([]string, error) {
	s := strings.TrimPrefix(p, "$")
	out := []string{}
	for len(s) > 0 {
		switch s[0] {
		case '.':
			s = s[1:]
			fallthrough
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			if end == 0 {
				return nil, fmt.Errorf("invalid JSON path %q", p)
			}
			out = append(out, s[:end])
			s = s[end:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, fmt.Errorf("invalid JSON path %q: unclosed [", p)
			}
			key := strings.Trim(s[1:end], `"'`)
			out = append(out, key)
			s = s[end+1:]
		}
	}
	return out, nil
}

// dbError maps a database error to Hasura's codes. Admin sees the
// database's message; other roles see it too for data and constraint
// errors (they name no SQL), and a generic message otherwise.
func dbError(err error, s *Session) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if strings.Contains(pgErr.Message, checkFailedMarker) {
			return checkFailed()
		}
		switch {
		case pgErr.Code == "2201W" || pgErr.Code == "2201X":
			return &Error{Code: CodeValidationFailed, Path: "$", Message: pgErr.Message}
		case strings.HasPrefix(pgErr.Code, "22"):
			return &Error{Code: CodeDataException, Path: "$", Message: pgErr.Message}
		case pgErr.Code == "23505":
			return &Error{Code: CodeConstraintViolation, Path: "$", Message: "Uniqueness violation. " + pgErr.Message}
		case pgErr.Code == "23503":
			return &Error{Code: CodeConstraintViolation, Path: "$", Message: "Foreign key violation. " + pgErr.Message}
		case pgErr.Code == "23502":
			return &Error{Code: CodeConstraintViolation, Path: "$", Message: "Not-NULL violation. " + pgErr.Message}
		case pgErr.Code == "23514":
			return &Error{Code: CodeConstraintViolation, Path: "$", Message: "Check constraint violation. " + pgErr.Message}
		case strings.HasPrefix(pgErr.Code, "23"):
			return &Error{Code: CodeConstraintViolation, Path: "$", Message: pgErr.Message}
		case pgErr.Code == "42501":
			return &Error{Code: CodePermissionError, Path: "$", Message: pgErr.Message}
		}
		if s != nil && s.IsAdmin() {
			return &Error{Code: CodeUnexpected, Path: "$", Message: "database query error: " + pgErr.Message}
		}
		return &Error{Code: CodeUnexpected, Path: "$", Message: "database query error"}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeUnexpected, Path: "$", Message: "the request was cancelled"}
	}
	return &Error{Code: CodeUnexpected, Path: "$", Message: "database query error"}
}

// runCustom executes the custom fields of a plan through gqlgen over the
// role's schema and stores each field's JSON.
func (e *Engine) runCustom(ctx context.Context, s *Session, r *roleExec, d *document, p *plan, req *Request, vars map[string]any, results [][]byte) []*Error {
	if r.custom == nil {
		return []*Error{{Code: CodeValidationFailed, Path: "$", Message: "no custom fields exist"}}
	}
	plain := make(map[string]any, len(vars))
	for k, v := range vars {
		plain[k] = plainJSON(v)
	}
	ctx = graphql.StartOperationTrace(WithSession(ctx, s))
	oc, gerrs := r.custom.CreateOperationContext(ctx, &graphql.RawParams{Query: req.Query, OperationName: req.OperationName, Variables: plain})
	if gerrs != nil {
		return gqlErrors(gerrs)
	}
	// Only the custom fields, with their merged selections.
	op := *oc.Operation
	op.SelectionSet = nil
	for _, f := range p.fields {
		if f.kind == fieldCustom {
			op.SelectionSet = append(op.SelectionSet, f.field)
		}
	}
	oc.Operation = &op
	handler, ctx := r.custom.DispatchOperation(ctx, oc)
	resp := handler(ctx)
	if resp == nil {
		return []*Error{{Code: CodeUnexpected, Path: "$", Message: "no response from custom resolvers"}}
	}
	if len(resp.Errors) > 0 {
		return gqlErrors(resp.Errors)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(resp.Data, &data); err != nil {
		return []*Error{{Code: CodeUnexpected, Path: "$", Message: "custom resolvers returned invalid JSON"}}
	}
	for i, f := range p.fields {
		if f.kind == fieldCustom {
			results[i] = data[f.key]
		}
	}
	return nil
}

func gqlErrors(list gqlerror.List) []*Error {
	out := make([]*Error, 0, len(list))
	for _, ge := range list {
		path := "$"
		for _, el := range ge.Path {
			switch el := el.(type) {
			case ast.PathName:
				path += ".selectionSet." + string(el)
			case ast.PathIndex:
				path += fmt.Sprintf("[%d]", int(el))
			}
		}
		code, _ := ge.Extensions["code"].(string)
		switch code {
		case "", "GRAPHQL_VALIDATION_FAILED":
			code = CodeValidationFailed
			if len(ge.Path) > 0 {
				code = CodeUnexpected
			}
		case "GRAPHQL_PARSE_FAILED":
			code = CodeParseFailed
		}
		out = append(out, &Error{Code: code, Path: path, Message: ge.Message})
	}
	return out
}
