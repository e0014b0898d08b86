package runtime

import (
	"encoding/json"
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
)

// Error is a GraphQL error in Hasura's shape:
//
//	{"message": "...", "extensions": {"path": "$.selectionSet.x", "code": "validation-failed"}}
//
// Path is a JSON path into the request ("$" when the error is about the
// request as a whole).
type Error struct {
	Message string
	Path    string
	Code    string
}

// NewError returns an *Error with the given code and message at path "$".
func NewError(code, message string) *Error {
	return &Error{Message: message, Path: "$", Code: code}
}

func (e *Error) Error() string { return e.Message }

// MarshalJSON writes the Hasura shape.
func (e *Error) MarshalJSON() ([]byte, error) {
	path := e.Path
	if path == "" {
		path = "$"
	}
	type ext struct {
		Path string `json:"path"`
		Code string `json:"code"`
	}
	return json.Marshal(struct {
		Message    string `json:"message"`
		Extensions ext    `json:"extensions"`
	}{e.Message, ext{path, e.Code}})
}

// AppendErrors appends {"errors":[...]} for errs to b, with no "data" key:
// Hasura's response to a request that could not run.
func AppendErrors(b []byte, errs ...*Error) []byte {
	b = append(b, `{"errors":[`...)
	for i, e := range errs {
		if i > 0 {
			b = append(b, ',')
		}
		j, _ := e.MarshalJSON()
		b = append(b, j...)
	}
	return append(b, "]}"...)
}

// lowerASCII lower-cases ASCII letters only: session variable names and
// header names are ASCII.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
