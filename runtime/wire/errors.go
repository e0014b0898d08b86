package wire

import (
	"encoding/json"
	"errors"
	"strings"
)

// Hasura's error codes, as found in extensions.code.
const (
	CodeValidationFailed    = "validation-failed"
	CodeParseFailed         = "parse-failed"
	CodeNotFound            = "not-found"
	CodePermissionError     = "permission-error"
	CodeConstraintViolation = "constraint-violation"
	CodeDataException       = "data-exception"
	CodeAccessDenied        = "access-denied"
	CodeInvalidJWT          = "invalid-jwt"
	CodeJWTInvalidClaims    = "jwt-invalid-claims"
	CodeJWTMissingRoleClaim = "jwt-missing-role-claims"
	CodeInvalidHeaders      = "invalid-headers"
	CodeUnexpected          = "unexpected"
	CodeBadRequest          = "bad-request"
	CodeInvalidJSON         = "invalid-json"
	CodeStartFailed         = "start-failed"
)

// Error is a GraphQL error in Hasura's shape:
//
//	{"message": "...", "extensions": {"path": "$.selectionSet.x", "code": "validation-failed"}}
//
// Path is a JSON path into the request ("$" when the error is about the
// request as a whole). Err, when set, is the cause (a *pgconn.PgError, a
// context error): Unwrap returns it, so errors.Is and errors.As see
// through an *Error. The message sent is Message alone.
type Error struct {
	Message string
	Path    string
	Code    string
	Err     error
	// Raw, when set, is the error as written instead: a remote schema's
	// error, passed through as Hasura does.
	Raw json.RawMessage
}

// NewError returns an *Error with the given code and message at path "$".
func NewError(code, message string) *Error {
	return &Error{Message: message, Path: "$", Code: code}
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause, or nil.
func (e *Error) Unwrap() error { return e.Err }

// MarshalJSON writes the Hasura shape.
func (e *Error) MarshalJSON() ([]byte, error) {
	return appendError(nil, e), nil
}

func appendError(b []byte, e *Error) []byte {
	if e.Raw != nil {
		return append(b, e.Raw...)
	}
	path := e.Path
	if path == "" {
		path = "$"
	}
	b = append(b, `{"message":`...)
	b = appendString(b, e.Message)
	b = append(b, `,"extensions":{"path":`...)
	b = appendString(b, path)
	b = append(b, `,"code":`...)
	b = appendString(b, e.Code)
	return append(b, "}}"...)
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// List is several errors answered together: a document that fails
// validation in more than one place.
type List []*Error

// Error joins the messages.
func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Message
	}
	return strings.Join(msgs, "; ")
}

// Errors returns the Hasura errors err stands for: the errors of a List,
// the first *Error in err's chain, or, for any other error, an
// "unexpected" one that does not show err's text (it may name SQL).
func Errors(err error) []*Error {
	if err == nil {
		return nil
	}
	var l List
	if errors.As(err, &l) {
		return l
	}
	var e *Error
	if errors.As(err, &e) {
		return []*Error{e}
	}
	return []*Error{{Code: CodeUnexpected, Path: "$", Message: "internal error", Err: err}}
}

// First returns the first of Errors(err), or nil.
func First(err error) *Error {
	if errs := Errors(err); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// AppendErrors appends {"errors":[...]} for err to b, with no "data" key:
// Hasura's response to a request that could not run.
func AppendErrors(b []byte, err error) []byte {
	b = append(b, `{"errors":[`...)
	for i, e := range Errors(err) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendError(b, e)
	}
	return append(b, "]}"...)
}
