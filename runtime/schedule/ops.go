package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Hasura's codes for a name or id that does not exist, and for what it
// serves and hasgen does not.
const (
	codeNotExists    = "not-exists"
	codeNotSupported = "not-supported"
)

// Ops returns the /v1/metadata operations of scheduled triggers that an
// application calls at run time, by Hasura's type name, with Hasura's
// arguments and answers: create_scheduled_event, delete_scheduled_event,
// get_scheduled_events, get_scheduled_event_invocations and
// get_cron_triggers. As Hasura's, an error in the arguments is
// parse-failed at its path under $.args, the others are at $. Creating,
// changing or deleting cron triggers is a change of the project's
// metadata, which is not served at run time.
func (s *Scheduler) Ops() map[string]events.Op {
	return map[string]events.Op{
		"create_scheduled_event":          s.createScheduledEvent,
		"delete_scheduled_event":          s.deleteScheduledEvent,
		"get_scheduled_events":            s.getScheduledEvents,
		"get_scheduled_event_invocations": s.getScheduledEventInvocations,
		// The name Hasura's server parses (Metadata.hs); its docs say
		// get_scheduled_event_invocations.
		"get_event_invocations": s.getScheduledEventInvocations,
		"get_cron_triggers":     s.getCronTriggers,
	}
}

// parseArgs decodes args into v, as a parse-failed error at $.args.
func parseArgs(args json.RawMessage, v any) error {
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	if err := json.Unmarshal(args, v); err != nil {
		return argsError(wire.CodeParseFailed, err.Error())
	}
	return nil
}

func argsError(code, msg string) *wire.Error {
	return &wire.Error{Message: msg, Path: "$.args", Code: code}
}

// success is Hasura's answer to a command.
type success struct {
	Message string `json:"message"`
	EventID string `json:"event_id,omitempty"`
}

// parseTime reads a timestamp as Hasura (aeson) does: ISO 8601 with a
// zone, or without one meaning UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("could not parse timestamp: %q", s)
}

// createScheduledEvent stores a one-off scheduled event; the scheduler
// delivers it once schedule_at has come.
func (s *Scheduler) createScheduledEvent(ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Webhook    *string          `json:"webhook"`
		ScheduleAt *string          `json:"schedule_at"`
		Payload    json.RawMessage  `json:"payload"`
		Headers    []events.Header  `json:"headers"`
		RetryConf  *json.RawMessage `json:"retry_conf"`
		Comment    *string          `json:"comment"`
		// Hasura takes transforms of a one-off event too; they are
		// refused by name rather than ignored.
		RequestTransform  json.RawMessage `json:"request_transform"`
		ResponseTransform json.RawMessage `json:"response_transform"`
	}
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	switch {
	case a.Webhook == nil:
		return nil, argsError(wire.CodeParseFailed, `key "webhook" not found`)
	case a.ScheduleAt == nil:
		return nil, argsError(wire.CodeParseFailed, `key "schedule_at" not found`)
	case len(a.RequestTransform) > 0 && string(a.RequestTransform) != "null",
		len(a.ResponseTransform) > 0 && string(a.ResponseTransform) != "null":
		return nil, wire.NewError(codeNotSupported, "request_transform and response_transform of a one-off scheduled event are not supported")
	}
	at, err := parseTime(*a.ScheduleAt)
	if err != nil {
		return nil, &wire.Error{Message: err.Error(), Path: "$.args.schedule_at", Code: wire.CodeParseFailed}
	}
	retry := DefaultRetry
	if a.RetryConf != nil && string(*a.RetryConf) != "null" {
		if err := json.Unmarshal(*a.RetryConf, &retry); err != nil {
			return nil, &wire.Error{Message: err.Error(), Path: "$.args.retry_conf", Code: wire.CodeParseFailed}
		}
	}
	for i, h := range a.Headers {
		if h.Name == "" || (h.Value != "" && h.ValueFromEnv != "") {
			return nil, &wire.Error{Message: "a header needs a name and either value or value_from_env", Path: fmt.Sprintf("$.args.headers[%d]", i), Code: wire.CodeParseFailed}
		}
	}
	if a.Headers == nil {
		a.Headers = []events.Header{}
	}
	webhook, _ := json.Marshal(*a.Webhook)
	retryJSON, _ := json.Marshal(retry)
	headers, _ := json.Marshal(a.Headers)
	var payload *string
	if len(a.Payload) > 0 && string(a.Payload) != "null" {
		p := string(a.Payload)
		payload = &p
	}
	var id string
	err = s.pool.QueryRow(ctx, `INSERT INTO hdb_catalog.hdb_scheduled_events
  (webhook_conf, scheduled_time, retry_conf, payload, header_conf, comment, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		string(webhook), at, string(retryJSON), payload, string(headers), a.Comment, s.opts.Now().UTC()).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("create_scheduled_event: %w", err)
	}
	return success{Message: "success", EventID: id}, nil
}

// eventType reads the "type" of an argument: one_off or cron.
func eventType(t *string) (kind, error) {
	if t == nil {
		return 0, argsError(wire.CodeParseFailed, `key "type" not found`)
	}
	switch *t {
	case "one_off":
		return oneOffKind, nil
	case "cron":
		return cronKind, nil
	}
	return 0, &wire.Error{Message: fmt.Sprintf("unexpected type %q: one_off or cron", *t), Path: "$.args.type", Code: wire.CodeParseFailed}
}

// deleteScheduledEvent deletes a one-off or a cron event (and its
// invocation logs, by the foreign key's cascade).
func (s *Scheduler) deleteScheduledEvent(ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Type    *string `json:"type"`
		EventID *string `json:"event_id"`
	}
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	k, err := eventType(a.Type)
	if err != nil {
		return nil, err
	}
	if a.EventID == nil {
		return nil, argsError(wire.CodeParseFailed, `key "event_id" not found`)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+k.table()+` WHERE id = $1`, *a.EventID)
	if err != nil {
		return nil, fmt.Errorf("delete_scheduled_event: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, wire.NewError(codeNotExists, fmt.Sprintf("scheduled event with id: %s does not exist", *a.EventID))
	}
	return success{Message: "success"}, nil
}

// listArgs are the arguments shared by the get_ operations.
type listArgs struct {
	Type         *string  `json:"type"`
	TriggerName  *string  `json:"trigger_name"`
	EventID      *string  `json:"event_id"`
	Limit        *int     `json:"limit"`
	Offset       *int     `json:"offset"`
	Status       []string `json:"status"`
	GetRowsCount bool     `json:"get_rows_count"`
}

// check validates the type, the cron trigger's name, the page and the
// statuses.
func (s *Scheduler) check(a *listArgs, needTrigger bool) (kind, error) {
	k, err := eventType(a.Type)
	if err != nil {
		return 0, err
	}
	if k == cronKind && needTrigger {
		if a.TriggerName == nil {
			return 0, argsError(wire.CodeParseFailed, `key "trigger_name" not found`)
		}
		if s.crons[*a.TriggerName] == nil {
			return 0, wire.NewError(codeNotExists, fmt.Sprintf("cron trigger with name: %s does not exist", *a.TriggerName))
		}
	}
	if a.Limit != nil && *a.Limit < 0 {
		return 0, &wire.Error{Message: "limit must not be negative", Path: "$.args.limit", Code: wire.CodeParseFailed}
	}
	if a.Offset != nil && *a.Offset < 0 {
		return 0, &wire.Error{Message: "offset must not be negative", Path: "$.args.offset", Code: wire.CodeParseFailed}
	}
	for i, st := range a.Status {
		switch st {
		case statusScheduled, statusLocked, statusDelivered, statusError, statusDead:
		default:
			return 0, &wire.Error{Message: "unexpected status: " + st, Path: fmt.Sprintf("$.args.status[%d]", i), Code: wire.CodeParseFailed}
		}
	}
	return k, nil
}

// cronEvent is Hasura's CronEvent.
type cronEvent struct {
	ID            string  `json:"id"`
	TriggerName   string  `json:"trigger_name"`
	ScheduledTime string  `json:"scheduled_time"`
	Status        string  `json:"status"`
	Tries         int     `json:"tries"`
	CreatedAt     *string `json:"created_at"`
	NextRetryAt   *string `json:"next_retry_at"`
}

// oneOffEvent is Hasura's OneOffScheduledEvent.
type oneOffEvent struct {
	ID                string          `json:"id"`
	WebhookConf       json.RawMessage `json:"webhook_conf"`
	ScheduledTime     string          `json:"scheduled_time"`
	RetryConf         json.RawMessage `json:"retry_conf"`
	Payload           json.RawMessage `json:"payload"`
	HeaderConf        json.RawMessage `json:"header_conf"`
	Status            string          `json:"status"`
	Tries             int             `json:"tries"`
	CreatedAt         *string         `json:"created_at"`
	NextRetryAt       *string         `json:"next_retry_at"`
	Comment           *string         `json:"comment"`
	RequestTransform  json.RawMessage `json:"request_transform"`
	ResponseTransform json.RawMessage `json:"response_transform"`
}

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timeJSON(*t)
	return &s
}

func orNull(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// page renders LIMIT and OFFSET as bind parameters numbered from n.
func page(a *listArgs, n int, params []any) (string, []any) {
	var b strings.Builder
	if a.Limit != nil {
		fmt.Fprintf(&b, " LIMIT $%d", n)
		params = append(params, *a.Limit)
		n++
	}
	if a.Offset != nil {
		fmt.Fprintf(&b, " OFFSET $%d", n)
		params = append(params, *a.Offset)
	}
	return b.String(), params
}

// getScheduledEvents lists the events of a cron trigger, or the one-off
// events, by scheduled time: {"events": [...], "count": n}.
func (s *Scheduler) getScheduledEvents(ctx context.Context, args json.RawMessage) (any, error) {
	var a listArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	k, err := s.check(&a, true)
	if err != nil {
		return nil, err
	}
	where, params := "true", []any{}
	if k == cronKind {
		where, params = "trigger_name = $1", append(params, *a.TriggerName)
	}
	if len(a.Status) > 0 {
		params = append(params, a.Status)
		where += fmt.Sprintf(" AND status = ANY($%d)", len(params))
	}
	cols := `id, trigger_name, scheduled_time, status, tries, created_at, next_retry_at`
	if k == oneOffKind {
		cols = `id, webhook_conf, scheduled_time, retry_conf, payload, header_conf, status, tries, created_at, next_retry_at, comment`
	}
	pg, qparams := page(&a, len(params)+1, params)
	rows, err := s.pool.Query(ctx, `SELECT `+cols+` FROM `+k.table()+` WHERE `+where+` ORDER BY scheduled_time, id`+pg, qparams...)
	if err != nil {
		return nil, fmt.Errorf("get_scheduled_events: %w", err)
	}
	list := []any{}
	for rows.Next() {
		var at time.Time
		var created, next *time.Time
		if k == cronKind {
			var e cronEvent
			if err := rows.Scan(&e.ID, &e.TriggerName, &at, &e.Status, &e.Tries, &created, &next); err != nil {
				return nil, fmt.Errorf("get_scheduled_events: %w", err)
			}
			e.ScheduledTime, e.CreatedAt, e.NextRetryAt = timeJSON(at), optTime(created), optTime(next)
			list = append(list, e)
			continue
		}
		var e oneOffEvent
		var webhook, retry, payload, headers []byte
		if err := rows.Scan(&e.ID, &webhook, &at, &retry, &payload, &headers, &e.Status, &e.Tries, &created, &next, &e.Comment); err != nil {
			return nil, fmt.Errorf("get_scheduled_events: %w", err)
		}
		e.WebhookConf, e.RetryConf, e.Payload, e.HeaderConf = orNull(webhook), orNull(retry), orNull(payload), orNull(headers)
		e.RequestTransform, e.ResponseTransform = orNull(nil), orNull(nil)
		e.ScheduledTime, e.CreatedAt, e.NextRetryAt = timeJSON(at), optTime(created), optTime(next)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get_scheduled_events: %w", err)
	}
	out := struct {
		Events []any `json:"events"`
		Count  *int  `json:"count,omitempty"`
	}{Events: list}
	if a.GetRowsCount {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+k.table()+` WHERE `+where, params...).Scan(&n); err != nil {
			return nil, fmt.Errorf("get_scheduled_events: %w", err)
		}
		out.Count = &n
	}
	return out, nil
}

// invocation is Hasura's ScheduledEventInvocation.
type invocation struct {
	ID        string          `json:"id"`
	EventID   string          `json:"event_id"`
	Status    *int            `json:"status"`
	Request   json.RawMessage `json:"request"`
	Response  json.RawMessage `json:"response"`
	CreatedAt *string         `json:"created_at"`
}

// getScheduledEventInvocations lists the tries of one event, of a cron
// trigger's events or of the one-off events, latest first:
// {"invocations": [...], "count": n}.
func (s *Scheduler) getScheduledEventInvocations(ctx context.Context, args json.RawMessage) (any, error) {
	var a listArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	a.Status = nil // not an argument of this operation
	k, err := s.check(&a, a.EventID == nil)
	if err != nil {
		return nil, err
	}
	from, where, params := k.logTable()+" l", "true", []any{}
	switch {
	case a.EventID != nil:
		where, params = "l.event_id = $1", append(params, *a.EventID)
	case k == cronKind:
		from += " JOIN " + k.table() + " e ON e.id = l.event_id"
		where, params = "e.trigger_name = $1", append(params, *a.TriggerName)
	}
	pg, qparams := page(&a, len(params)+1, params)
	rows, err := s.pool.Query(ctx, `SELECT l.id, l.event_id, l.status, l.request, l.response, l.created_at
FROM `+from+` WHERE `+where+` ORDER BY l.created_at DESC, l.id`+pg, qparams...)
	if err != nil {
		return nil, fmt.Errorf("get_scheduled_event_invocations: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (invocation, error) {
		var inv invocation
		var eventID *string
		var req, resp []byte
		var created *time.Time
		err := r.Scan(&inv.ID, &eventID, &inv.Status, &req, &resp, &created)
		if eventID != nil {
			inv.EventID = *eventID
		}
		inv.Request, inv.Response, inv.CreatedAt = orNull(req), orNull(resp), optTime(created)
		return inv, err
	})
	if err != nil {
		return nil, fmt.Errorf("get_scheduled_event_invocations: %w", err)
	}
	if list == nil {
		list = []invocation{}
	}
	out := struct {
		Invocations []invocation `json:"invocations"`
		Count       *int         `json:"count,omitempty"`
	}{Invocations: list}
	if a.GetRowsCount {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+from+` WHERE `+where, params...).Scan(&n); err != nil {
			return nil, fmt.Errorf("get_scheduled_event_invocations: %w", err)
		}
		out.Count = &n
	}
	return out, nil
}

// getCronTriggers lists the project's cron triggers as its metadata
// declares them: {"cron_triggers": [...]}.
func (s *Scheduler) getCronTriggers(ctx context.Context, args json.RawMessage) (any, error) {
	type cronTriggerMetadata struct {
		Cron
		IncludeInMetadata bool `json:"include_in_metadata"`
	}
	list := []cronTriggerMetadata{}
	for _, name := range s.names {
		list = append(list, cronTriggerMetadata{Cron: s.crons[name].Cron, IncludeInMetadata: true})
	}
	return struct {
		CronTriggers []cronTriggerMetadata `json:"cron_triggers"`
	}{list}, nil
}
