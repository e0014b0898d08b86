package events

// The run-time part of Hasura's /v1/metadata API for event triggers, with
// Hasura's argument and result shapes (Hasura's Postgres backend,
// Hasura.Backends.Postgres.DDL.EventTrigger).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Hasura's error codes of these operations (busy: an event that is
// being delivered).
const (
	codeNotExists    = "not-exists"
	codeNotSupported = "not-supported"
	codeBusy         = "busy"
)

// Ops returns the /v1/metadata operations on event triggers, by type:
// pg_invoke_event_trigger, redeliver_event (and pg_redeliver_event),
// pg_get_event_logs, pg_get_event_invocation_logs and pg_get_event_by_id.
// As Hasura's, an error in the arguments is parse-failed at its path
// under $.args, the others are at $. The caller checks that the request
// is the admin's. The source argument is accepted and not checked: a
// server serves one database.
func (s *Service) Ops() map[string]Op {
	return map[string]Op{
		"pg_invoke_event_trigger":      s.invoke,
		"redeliver_event":              s.redeliver,
		"pg_redeliver_event":           s.redeliver,
		"pg_get_event_logs":            s.eventLogs,
		"pg_get_event_invocation_logs": s.invocationLogs,
		"pg_get_event_by_id":           s.eventByID,
	}
}

// parseArgs decodes an operation's args into v, requiring the keys in
// required, with Hasura's parse-failed errors at $.args.
func parseArgs(raw json.RawMessage, v any, required ...string) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil || keys == nil {
		return &wire.Error{Code: wire.CodeParseFailed, Path: "$.args", Message: "expected an object for args"}
	}
	for _, k := range required {
		if _, ok := keys[k]; !ok {
			return &wire.Error{Code: wire.CodeParseFailed, Path: "$.args", Message: fmt.Sprintf("key %q not found", k)}
		}
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &wire.Error{Code: wire.CodeParseFailed, Path: "$.args." + te.Field, Message: fmt.Sprintf("expected %s, encountered %s", te.Type, te.Value)}
		}
		return &wire.Error{Code: wire.CodeParseFailed, Path: "$.args", Message: err.Error()}
	}
	return nil
}

// trigger returns the configuration of a trigger the Service knows.
func (s *Service) trigger(name string) (*Trigger, error) {
	if t := s.triggers[name]; t != nil {
		return t.cfg, nil
	}
	return nil, &wire.Error{Code: codeNotExists, Path: "$", Message: fmt.Sprintf("event trigger %q does not exist", name)}
}

// invoke is pg_invoke_event_trigger: a MANUAL event whose data is the
// payload, for a trigger with enable_manual; the session variables are
// the caller's. Result: {"event_id": id}.
func (s *Service) invoke(ctx context.Context, raw json.RawMessage) (any, error) {
	var args struct {
		Name    string          `json:"name"`
		Source  string          `json:"source"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := parseArgs(raw, &args, "name", "payload"); err != nil {
		return nil, err
	}
	t, err := s.trigger(args.Name)
	if err != nil {
		return nil, err
	}
	if !t.EnableManual {
		return nil, &wire.Error{Code: codeNotSupported, Path: "$", Message: "manual mode is not enabled for event trigger"}
	}
	var id string
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if sess := session.From(ctx); sess != nil {
			vars, _ := json.Marshal(sess.Vars)
			if _, err := tx.Exec(ctx, "SELECT set_config('hasura.user', $1, true)", string(vars)); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, "SELECT hdb_catalog.insert_event_log($1, $2, $3, 'MANUAL', $4::json)", t.Schema, t.Table, t.Name, string(args.Payload)).Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("invoke event trigger %q: %w", t.Name, err)
	}
	return map[string]string{"event_id": id}, nil
}

// redeliver is redeliver_event: an event is delivered again, its tries
// counted from 0, unless an instance holds it now (busy).
func (s *Service) redeliver(ctx context.Context, raw json.RawMessage) (any, error) {
	var args struct {
		EventID string `json:"event_id"`
		Source  string `json:"source"`
	}
	if err := parseArgs(raw, &args, "event_id"); err != nil {
		return nil, err
	}
	var busy bool
	err := s.pool.QueryRow(ctx, `SELECT locked IS NOT NULL AND locked >= now() - make_interval(secs => $2)
		FROM hdb_catalog.event_log WHERE id = $1`, args.EventID, s.lease.Seconds()).Scan(&busy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, &wire.Error{Code: codeNotExists, Path: "$", Message: "event not found"}
	}
	if err != nil {
		return nil, fmt.Errorf("redeliver event %s: %w", args.EventID, err)
	}
	if busy {
		return nil, &wire.Error{Code: codeBusy, Path: "$", Message: "event is already being processed"}
	}
	if _, err := s.pool.Exec(ctx, "UPDATE hdb_catalog.event_log SET delivered = 'f', error = 'f', tries = 0 WHERE id = $1", args.EventID); err != nil {
		return nil, fmt.Errorf("redeliver event %s: %w", args.EventID, err)
	}
	return successMsg, nil
}

// successMsg is Hasura's answer to an operation that returns nothing.
var successMsg = map[string]string{"message": "success"}

// EventLog is a row of hdb_catalog.event_log as pg_get_event_logs and
// pg_get_event_by_id return it.
type EventLog struct {
	ID          string          `json:"id"`
	SchemaName  string          `json:"schema_name"`
	TableName   string          `json:"table_name"`
	TriggerName string          `json:"trigger_name"`
	Payload     json.RawMessage `json:"payload"`
	Delivered   bool            `json:"delivered"`
	Error       bool            `json:"error"`
	Tries       int             `json:"tries"`
	CreatedAt   utcTime         `json:"created_at"`
	Locked      *utcTime        `json:"locked"`
	NextRetryAt *utcTime        `json:"next_retry_at"`
	Archived    bool            `json:"archived"`
}

// InvocationLog is a row of hdb_catalog.event_invocation_logs as
// pg_get_event_invocation_logs and pg_get_event_by_id return it.
type InvocationLog struct {
	ID          string          `json:"id"`
	TriggerName string          `json:"trigger_name"`
	EventID     string          `json:"event_id"`
	HTTPStatus  *int            `json:"http_status"`
	Request     json.RawMessage `json:"request"`
	Response    json.RawMessage `json:"response"`
	CreatedAt   utcTime         `json:"created_at"`
}

// utcTime is a time as Hasura's JSON writes a UTC time: localTime's form
// with a Z.
type utcTime time.Time

// MarshalJSON writes the time.
func (t utcTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(localTime(time.Time(t).UTC()) + "Z")
}

const eventLogColumns = `id, schema_name, table_name, trigger_name, payload::text, delivered, error, tries, created_at, locked, next_retry_at, archived`

func scanEventLog(r pgx.CollectableRow) (EventLog, error) {
	var e EventLog
	var payload string
	var created, nextRetry *time.Time
	var locked *time.Time
	err := r.Scan(&e.ID, &e.SchemaName, &e.TableName, &e.TriggerName, &payload, &e.Delivered, &e.Error, &e.Tries, &created, &locked, &nextRetry, &e.Archived)
	e.Payload = json.RawMessage(payload)
	if created != nil {
		e.CreatedAt = utcTime(*created)
	}
	if locked != nil {
		l := utcTime(*locked)
		e.Locked = &l
	}
	if nextRetry != nil {
		n := utcTime(*nextRetry)
		e.NextRetryAt = &n
	}
	return e, err
}

const invocationColumns = `id, coalesce(trigger_name, ''), coalesce(event_id, ''), status, coalesce(request::text, 'null'), coalesce(response::text, 'null'), created_at`

func scanInvocation(r pgx.CollectableRow) (InvocationLog, error) {
	var l InvocationLog
	var req, resp string
	var created *time.Time
	err := r.Scan(&l.ID, &l.TriggerName, &l.EventID, &l.HTTPStatus, &req, &resp, &created)
	l.Request, l.Response = json.RawMessage(req), json.RawMessage(resp)
	if created != nil {
		l.CreatedAt = utcTime(*created)
	}
	return l, err
}

// page is the limit and offset of a listing, Hasura's defaults 100 and 0.
// The arguments hold their own fields (not an embedded page): a type
// error's path is then $.args.limit, as Hasura's, not $.args.page.limit.
type page struct {
	Limit, Offset *int
}

func (p page) values() (limit, offset int, err error) {
	limit, offset = 100, 0
	if p.Limit != nil {
		limit = *p.Limit
	}
	if p.Offset != nil {
		offset = *p.Offset
	}
	if limit < 0 || offset < 0 {
		return 0, 0, &wire.Error{Code: wire.CodeValidationFailed, Path: "$.args", Message: "limit and offset must not be negative"}
	}
	return limit, offset, nil
}

// eventLogs is pg_get_event_logs: a trigger's events, newest first;
// status "pending" (not delivered, not dead), "processed" (delivered or
// dead) or all.
func (s *Service) eventLogs(ctx context.Context, raw json.RawMessage) (any, error) {
	var args struct {
		Name   string  `json:"name"`
		Source string  `json:"source"`
		Status *string `json:"status"`
		Limit  *int    `json:"limit"`
		Offset *int    `json:"offset"`
	}
	if err := parseArgs(raw, &args, "name"); err != nil {
		return nil, err
	}
	limit, offset, err := page{args.Limit, args.Offset}.values()
	if err != nil {
		return nil, err
	}
	if _, err := s.trigger(args.Name); err != nil {
		return nil, err
	}
	where := ""
	if args.Status != nil {
		switch *args.Status {
		case "pending":
			where = " AND delivered = false AND error = false AND archived = false"
		case "processed":
			where = " AND (delivered = true OR error = true) AND archived = false"
		default:
			return nil, &wire.Error{Code: wire.CodeParseFailed, Path: "$.args.status", Message: "event logs status can only be one of the following: processed or pending"}
		}
	}
	logs, err := collect(ctx, s.pool, scanEventLog, fmt.Sprintf("event logs of %q", args.Name), `SELECT `+eventLogColumns+` FROM hdb_catalog.event_log
		WHERE trigger_name = $1`+where+` ORDER BY created_at DESC LIMIT $2 OFFSET $3`, args.Name, limit, offset)
	if err != nil {
		return nil, err
	}
	return nonNil(logs), nil
}

// invocationLogs is pg_get_event_invocation_logs: a trigger's tries,
// newest first.
func (s *Service) invocationLogs(ctx context.Context, raw json.RawMessage) (any, error) {
	var args struct {
		Name   string `json:"name"`
		Source string `json:"source"`
		Limit  *int   `json:"limit"`
		Offset *int   `json:"offset"`
	}
	if err := parseArgs(raw, &args, "name"); err != nil {
		return nil, err
	}
	limit, offset, err := page{args.Limit, args.Offset}.values()
	if err != nil {
		return nil, err
	}
	if _, err := s.trigger(args.Name); err != nil {
		return nil, err
	}
	logs, err := collect(ctx, s.pool, scanInvocation, fmt.Sprintf("invocation logs of %q", args.Name), `SELECT `+invocationColumns+` FROM hdb_catalog.event_invocation_logs
		WHERE trigger_name = $1 ORDER BY created_at DESC LIMIT $2 OFFSET $3`, args.Name, limit, offset)
	if err != nil {
		return nil, err
	}
	return nonNil(logs), nil
}

// eventByID is pg_get_event_by_id: {"event": ..., "invocations": [...]},
// the invocations newest first.
func (s *Service) eventByID(ctx context.Context, raw json.RawMessage) (any, error) {
	var args struct {
		EventID string `json:"event_id"`
		Source  string `json:"source"`
		Limit   *int   `json:"invocation_log_limit"`
		Offset  *int   `json:"invocation_log_offset"`
	}
	if err := parseArgs(raw, &args, "event_id"); err != nil {
		return nil, err
	}
	limit, offset, err := page{args.Limit, args.Offset}.values()
	if err != nil {
		return nil, err
	}
	evs, err := collect(ctx, s.pool, scanEventLog, "event "+args.EventID, `SELECT `+eventLogColumns+` FROM hdb_catalog.event_log WHERE id = $1`, args.EventID)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, &wire.Error{Code: codeNotExists, Path: "$", Message: "event id " + args.EventID + " does not exist"}
	}
	invs, err := collect(ctx, s.pool, scanInvocation, "invocations of event "+args.EventID, `SELECT `+invocationColumns+` FROM hdb_catalog.event_invocation_logs
		WHERE event_id = $1 ORDER BY created_at DESC LIMIT $2 OFFSET $3`, args.EventID, limit, offset)
	if err != nil {
		return nil, err
	}
	return struct {
		Event       EventLog        `json:"event"`
		Invocations []InvocationLog `json:"invocations"`
	}{evs[0], nonNil(invs)}, nil
}

// collect runs the query sql and scans its rows; what names them in the
// errors.
func collect[T any](ctx context.Context, pool *pgxpool.Pool, scan pgx.RowToFunc[T], what, sql string, args ...any) ([]T, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	list, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return list, nil
}

// nonNil makes an empty listing [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
