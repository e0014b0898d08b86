package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// call runs one operation and returns its result as JSON.
func call(t *testing.T, ops map[string]events.Op, ctx context.Context, typ, args string) (string, error) {
	t.Helper()
	op := ops[typ]
	if op == nil {
		t.Fatalf("no operation %s", typ)
	}
	res, err := op(ctx, json.RawMessage(args))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), nil
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != code || !strings.Contains(we.Message, msg) {
		t.Errorf("error %v, want %s %q", err, code, msg)
	}
}

func TestInvokeAndRedeliver(t *testing.T) {
	pool := newDB(t)
	var mu sync.Mutex
	var got []*events.Event
	fail := true
	handler := func(ctx context.Context, e *events.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
		if fail {
			return errors.New("down")
		}
		return nil
	}
	manual := webhookTrigger("manual", "", 0, 0, 5)
	manual.EnableManual = true
	cfg := &events.Config{Triggers: []events.Trigger{manual, webhookTrigger("auto", "", 0, 0, 5)}}
	s := start(t, pool, cfg, events.Options{Handlers: map[string]events.Handler{"manual": handler, "auto": handler}})
	ops := s.Ops()
	ctx := session.With(context.Background(), &session.Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin", "x-hasura-user-id": "42"}})

	res, err := call(t, ops, ctx, "pg_invoke_event_trigger", `{"name":"manual","source":"default","payload":{"new":{"id":5},"old":null}}`)
	if err != nil {
		t.Fatal(err)
	}
	var inv struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal([]byte(res), &inv); err != nil || inv.EventID == "" {
		t.Fatalf("invoke answered %s", res)
	}
	waitFor(t, "the manual event's try", func() bool { return stateOf(t, pool, inv.EventID).Error })
	mu.Lock()
	e := got[0]
	mu.Unlock()
	if e.ID != inv.EventID || e.Event.Op != "MANUAL" || string(e.Event.Data.New) != `{"id":5}` || e.Event.SessionVariables["x-hasura-user-id"] != "42" {
		t.Errorf("manual event %+v (new %s)", e.Event, e.Event.Data.New)
	}

	// The dead event is delivered again, its tries counted from 0.
	mu.Lock()
	fail = false
	mu.Unlock()
	if res, err := call(t, ops, ctx, "redeliver_event", `{"event_id":"`+inv.EventID+`"}`); err != nil || res != `{"message":"success"}` {
		t.Fatalf("redeliver: %s, %v", res, err)
	}
	waitFor(t, "the redelivery", func() bool { return stateOf(t, pool, inv.EventID).Delivered })
	if s := stateOf(t, pool, inv.EventID); s.Tries != 1 {
		t.Errorf("tries %d after the redelivery, want 1", s.Tries)
	}

	busy := insertEvent(t, pool, "none", "INSERT", `{"old":null,"new":{}}`, nil)
	if _, err := pool.Exec(context.Background(), "UPDATE hdb_catalog.event_log SET locked = now() WHERE id = $1", busy); err != nil {
		t.Fatal(err)
	}
	errs := []struct {
		typ, args, code, msg string
	}{
		{"pg_invoke_event_trigger", `{"name":"auto","payload":{}}`, "not-supported", "manual mode is not enabled for event trigger"},
		{"pg_invoke_event_trigger", `{"name":"nope","payload":{}}`, "not-exists", `event trigger "nope" does not exist`},
		{"pg_invoke_event_trigger", `{"payload":{}}`, "parse-failed", `key "name" not found`},
		{"redeliver_event", `{"event_id":"no-such-event"}`, "not-exists", "event not found"},
		{"pg_redeliver_event", `{"event_id":"` + busy + `"}`, "busy", "event is already being processed"},
		{"redeliver_event", `{"event_id":7}`, "parse-failed", "expected string"},
	}
	for _, tt := range errs {
		_, err := call(t, ops, ctx, tt.typ, tt.args)
		wantCode(t, err, tt.code, tt.msg)
	}
}

func TestEventLogOps(t *testing.T) {
	pool := newDB(t)
	cfg := &events.Config{Triggers: []events.Trigger{webhookTrigger("tr", "http://127.0.0.1:1/unused", 0, 0, 5)}}
	// Not started: the events stay as written.
	s, err := events.New(pool, cfg, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ops := s.Ops()
	ctx := context.Background()
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = insertEvent(t, pool, "tr", "INSERT", `{"old":null,"new":{"n":`+string(rune('0'+i))+`}}`, nil)
	}
	if _, err := pool.Exec(ctx, `UPDATE hdb_catalog.event_log SET delivered = true, tries = 1 WHERE id = $1;`, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE hdb_catalog.event_log SET error = true, tries = 2 WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	// One statement each: created_at orders them.
	for _, inv := range []struct {
		id     string
		status any
		typ    string
	}{{ids[0], 200, "webhook_response"}, {ids[1], nil, "client_error"}, {ids[1], 500, "webhook_response"}} {
		if _, err := pool.Exec(ctx, `INSERT INTO hdb_catalog.event_invocation_logs (event_id, trigger_name, status, request, response)
			VALUES ($1, 'tr', $2, '{"payload":{}}', json_build_object('type', $3::text))`, inv.id, inv.status, inv.typ); err != nil {
			t.Fatal(err)
		}
	}

	count := func(typ, args string) int {
		t.Helper()
		res, err := call(t, ops, ctx, typ, args)
		if err != nil {
			t.Fatalf("%s %s: %v", typ, args, err)
		}
		var list []map[string]any
		if err := json.Unmarshal([]byte(res), &list); err != nil {
			t.Fatalf("%s: %s", typ, res)
		}
		return len(list)
	}
	listings := []struct {
		typ, args string
		want      int
	}{
		{"pg_get_event_logs", `{"name":"tr"}`, 4},
		{"pg_get_event_logs", `{"name":"tr","status":"pending"}`, 2},
		{"pg_get_event_logs", `{"name":"tr","status":"processed","source":"default"}`, 2},
		{"pg_get_event_logs", `{"name":"tr","limit":3,"offset":2}`, 2},
		{"pg_get_event_invocation_logs", `{"name":"tr"}`, 3},
		{"pg_get_event_invocation_logs", `{"name":"tr","limit":1}`, 1},
	}
	for _, tt := range listings {
		if got := count(tt.typ, tt.args); got != tt.want {
			t.Errorf("%s %s: %d rows, want %d", tt.typ, tt.args, got, tt.want)
		}
	}

	res, err := call(t, ops, ctx, "pg_get_event_logs", `{"name":"tr","limit":1}`)
	if err != nil {
		t.Fatal(err)
	}
	var logs []map[string]json.RawMessage
	json.Unmarshal([]byte(res), &logs)
	if len(logs) != 1 || string(logs[0]["id"]) != `"`+ids[3]+`"` {
		t.Fatalf("newest first: %s", res)
	}
	var keys []string
	for k := range logs[0] {
		keys = append(keys, k)
	}
	if len(keys) != 12 || string(logs[0]["locked"]) != "null" || !strings.HasSuffix(string(logs[0]["created_at"]), `Z"`) || !strings.Contains(string(logs[0]["payload"]), `"op":"INSERT"`) {
		t.Errorf("event log shape: %s", res)
	}

	res, err = call(t, ops, ctx, "pg_get_event_by_id", `{"event_id":"`+ids[1]+`","invocation_log_limit":1}`)
	if err != nil {
		t.Fatal(err)
	}
	var byID struct {
		Event       map[string]any
		Invocations []map[string]any
	}
	if err := json.Unmarshal([]byte(res), &byID); err != nil {
		t.Fatal(err)
	}
	if byID.Event["id"] != ids[1] || byID.Event["error"] != true || byID.Event["tries"] != 2.0 || len(byID.Invocations) != 1 || byID.Invocations[0]["http_status"] != 500.0 {
		t.Errorf("event by id: %s", res)
	}
	if res, err := call(t, ops, ctx, "pg_get_event_by_id", `{"event_id":"`+ids[2]+`"}`); err != nil || !strings.HasSuffix(res, `"invocations":[]}`) {
		t.Errorf("event without invocations: %s, %v", res, err)
	}

	errs := []struct {
		typ, args, code, msg, path string
	}{
		{"pg_get_event_logs", `{"name":"tr","status":"done"}`, "parse-failed", "processed or pending", "$.args.status"},
		{"pg_get_event_logs", `{"name":"other"}`, "not-exists", `event trigger "other" does not exist`, "$"},
		{"pg_get_event_logs", `{"name":"tr","limit":-1}`, "validation-failed", "negative", "$.args"},
		{"pg_get_event_invocation_logs", `{}`, "parse-failed", `key "name" not found`, "$.args"},
		{"pg_get_event_invocation_logs", `{"name":"tr","offset":"x"}`, "parse-failed", "expected int, encountered string", "$.args.offset"},
		{"pg_get_event_logs", `{"name":"tr","status":1}`, "parse-failed", "expected string, encountered number", "$.args.status"},
		{"pg_get_event_logs", `{"name":"other","limit":-1}`, "validation-failed", "negative", "$.args"},
		{"pg_get_event_by_id", `{"event_id":"nope"}`, "not-exists", "event id nope does not exist", "$"},
		{"pg_get_event_by_id", `[]`, "parse-failed", "expected an object", "$.args"},
	}
	for _, tt := range errs {
		_, err := call(t, ops, ctx, tt.typ, tt.args)
		wantCode(t, err, tt.code, tt.msg)
		if we := (*wire.Error)(nil); errors.As(err, &we) && we.Path != tt.path {
			t.Errorf("%s %s: error at %s, want %s", tt.typ, tt.args, we.Path, tt.path)
		}
	}
}
