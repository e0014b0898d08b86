package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// DBError maps an error of running a statement to Hasura's codes; the
// result wraps err. Admin sees the database's message; other roles see it
// too for data and constraint errors (they name no SQL), and a generic
// message otherwise. An error that already is an *wire.Error is returned
// as it is.
func DBError(err error, admin bool) error {
	var we *wire.Error
	if errors.As(err, &we) {
		return err
	}
	e := &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "database query error", Err: err}
	var pgErr *pgconn.PgError
	var tooLarge *pgproto3.ExceededMaxBodyLenErr
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pgErr) && pgErr.Code == "57014":
		e.Message = "the operation was cancelled: it exceeded its time limit"
	case errors.As(err, &pgErr):
		e.Code, e.Message = pgCode(pgErr, admin)
	case errors.As(err, &tooLarge):
		e.Message = fmt.Sprintf("the response is larger than the limit of %d bytes", tooLarge.MaxExpectedBodyLen)
	case errors.Is(err, context.Canceled):
		e.Message = "the request was cancelled"
	}
	return e
}

// pgCode is the Hasura code and message of a Postgres error.
func pgCode(pgErr *pgconn.PgError, admin bool) (code, message string) {
	if strings.Contains(pgErr.Message, compile.CheckFailedMarker) {
		ce := compile.CheckFailed()
		return ce.Code, ce.Message
	}
	switch {
	case pgErr.Code == "2201W" || pgErr.Code == "2201X":
		return wire.CodeValidationFailed, pgErr.Message
	case strings.HasPrefix(pgErr.Code, "22"):
		return wire.CodeDataException, pgErr.Message
	case pgErr.Code == "23505":
		return wire.CodeConstraintViolation, "Uniqueness violation. " + pgErr.Message
	case pgErr.Code == "23503":
		return wire.CodeConstraintViolation, "Foreign key violation. " + pgErr.Message
	case pgErr.Code == "23502":
		return wire.CodeConstraintViolation, "Not-NULL violation. " + pgErr.Message
	case pgErr.Code == "23514":
		return wire.CodeConstraintViolation, "Check constraint violation. " + pgErr.Message
	case strings.HasPrefix(pgErr.Code, "23"):
		return wire.CodeConstraintViolation, pgErr.Message
	case pgErr.Code == "42501":
		return wire.CodePermissionError, pgErr.Message
	case admin:
		return wire.CodeUnexpected, "database query error: " + pgErr.Message
	}
	return wire.CodeUnexpected, "database query error"
}
