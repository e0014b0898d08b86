package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hasgen/hasgen/runtime/schedule"
	"github.com/hasgen/hasgen/runtime/wire"
)

// call runs a /v1/metadata operation and returns its answer as JSON.
func call(t *testing.T, s *schedule.Scheduler, op, args string) (map[string]any, error) {
	t.Helper()
	fn, ok := s.Ops()[op]
	if !ok {
		t.Fatalf("no operation %s", op)
	}
	res, err := fn(context.Background(), json.RawMessage(args))
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func mustCall(t *testing.T, s *schedule.Scheduler, op, args string) map[string]any {
	t.Helper()
	out, err := call(t, s, op, args)
	if err != nil {
		t.Fatalf("%s %s: %v", op, args, err)
	}
	return out
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// A one-off event is created, listed, delivered once its time has come
// with Hasura's payload, and its invocation listed.
func TestOneOffScheduledEvent(t *testing.T) {
	pool := newPool(t)
	rc := newReceiver(t, nil)
	clk := &clock{t: t0}
	s, err := schedule.New(pool, nil, schedule.Options{Now: clk.Now, Logger: quiet, LookupEnv: func(k string) (string, bool) {
		if k == "TOKEN" {
			return "from-env", true
		}
		return "", false
	}})
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(30 * time.Second)
	created := mustCall(t, s, "create_scheduled_event", fmt.Sprintf(`{
  "webhook": %q, "schedule_at": %q, "payload": {"order": 7},
  "headers": [{"name": "X-Static", "value": "s"}, {"name": "X-Token", "value_from_env": "TOKEN"}],
  "retry_conf": {"num_retries": 1}, "comment": "remind"}`, rc.srv.URL+"/one-off", at.Format(time.RFC3339)))
	id, _ := created["event_id"].(string)
	if created["message"] != "success" || id == "" {
		t.Fatalf("create_scheduled_event answered %v", created)
	}
	tickAll(t, s)
	if n := len(rc.all()); n != 0 {
		t.Fatalf("%d deliveries before schedule_at", n)
	}
	list := mustCall(t, s, "get_scheduled_events", `{"type": "one_off", "get_rows_count": true}`)
	events, _ := list["events"].([]any)
	if list["count"] != 1.0 || len(events) != 1 {
		t.Fatalf("get_scheduled_events: %s", jsonOf(list))
	}
	ev := events[0].(map[string]any)
	if ev["id"] != id || ev["status"] != "scheduled" || ev["comment"] != "remind" || ev["webhook_conf"] != rc.srv.URL+"/one-off" ||
		jsonOf(ev["retry_conf"]) != `{"num_retries":1,"retry_interval_seconds":10,"timeout_seconds":60,"tolerance_seconds":21600}` ||
		ev["scheduled_time"] != "2026-01-01T00:01:00Z" || jsonOf(ev["payload"]) != `{"order":7}` {
		t.Fatalf("event %s", jsonOf(ev))
	}

	clk.Set(at.Add(time.Second))
	tickAll(t, s)
	tickAll(t, s)
	got := rc.all()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	r := got[0]
	want := fmt.Sprintf(`{"id":%q,"scheduled_time":"2026-01-01T00:01:00Z","payload":{"order":7},"comment":"remind","created_at":"2026-01-01T00:00:30Z"}`, id)
	if r.raw != want || r.path != "/one-off" || r.headers.Get("X-Token") != "from-env" || r.headers.Get("X-Static") != "s" || r.headers.Get("User-Agent") != "hasgen" {
		t.Fatalf("request %s %v\n%s\nwant %s", r.path, r.headers, r.raw, want)
	}

	inv := mustCall(t, s, "get_scheduled_event_invocations", fmt.Sprintf(`{"type": "one_off", "event_id": %q, "get_rows_count": true}`, id))
	invs, _ := inv["invocations"].([]any)
	if inv["count"] != 1.0 || len(invs) != 1 {
		t.Fatalf("get_scheduled_event_invocations: %s", jsonOf(inv))
	}
	first := invs[0].(map[string]any)
	req := jsonOf(first["request"])
	if first["event_id"] != id || first["status"] != 200.0 || !strings.Contains(req, `"X-Static"`) || strings.Contains(req, "from-env") ||
		!strings.Contains(jsonOf(first["response"]), `"status":200`) {
		t.Fatalf("invocation %s", jsonOf(first))
	}
	done := mustCall(t, s, "get_scheduled_events", `{"type": "one_off", "status": ["delivered"]}`)
	if evs, _ := done["events"].([]any); len(evs) != 1 || done["count"] != nil {
		t.Fatalf("delivered events: %s", jsonOf(done))
	}
}

// A deleted event is not delivered; deleting it again is an error.
func TestDeleteScheduledEvent(t *testing.T) {
	pool := newPool(t)
	rc := newReceiver(t, nil)
	clk := &clock{t: t0}
	s := newScheduler(t, pool, everyMinute("deleted", rc.srv.URL+"/cron", schedule.DefaultRetry), clk)
	tickAll(t, s)
	created := mustCall(t, s, "create_scheduled_event", fmt.Sprintf(`{"webhook": %q, "schedule_at": "2026-01-01T00:00:40Z"}`, rc.srv.URL+"/one-off"))
	if out := mustCall(t, s, "delete_scheduled_event", fmt.Sprintf(`{"type": "one_off", "event_id": %q}`, created["event_id"])); out["message"] != "success" {
		t.Fatalf("delete_scheduled_event answered %v", out)
	}
	_, err := call(t, s, "delete_scheduled_event", fmt.Sprintf(`{"type": "one_off", "event_id": %q}`, created["event_id"]))
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != "not-exists" || we.Path != "$" {
		t.Fatalf("second delete: %v", err)
	}

	// The first cron occurrence is deleted; the second is delivered.
	page := mustCall(t, s, "get_scheduled_events", `{"type": "cron", "trigger_name": "deleted", "limit": 2, "offset": 0, "get_rows_count": true}`)
	evs, _ := page["events"].([]any)
	if page["count"] != float64(schedule.Upcoming) || len(evs) != 2 {
		t.Fatalf("get_scheduled_events: %s", jsonOf(page))
	}
	e0, e1 := evs[0].(map[string]any), evs[1].(map[string]any)
	if e0["scheduled_time"] != "2026-01-01T00:01:00Z" || e1["scheduled_time"] != "2026-01-01T00:02:00Z" || e0["trigger_name"] != "deleted" || e0["status"] != "scheduled" {
		t.Fatalf("events %s", jsonOf(evs))
	}
	mustCall(t, s, "delete_scheduled_event", fmt.Sprintf(`{"type": "cron", "event_id": %q}`, e0["id"]))
	clk.Set(t0.Add(2 * time.Minute))
	tickAll(t, s)
	if got := rc.scheduledTimes(); !equal(got, []string{"2026-01-01T00:02:00Z"}) {
		t.Fatalf("delivered %v, want only 00:02", got)
	}
	for _, op := range []string{"get_scheduled_event_invocations", "get_event_invocations"} {
		inv := mustCall(t, s, op, `{"type": "cron", "trigger_name": "deleted"}`)
		if invs, _ := inv["invocations"].([]any); len(invs) != 1 || invs[0].(map[string]any)["event_id"] != e1["id"] {
			t.Fatalf("%s: invocations %s", op, jsonOf(inv))
		}
	}
	if out := mustCall(t, s, "get_cron_triggers", `{}`); !strings.Contains(jsonOf(out), `"name":"deleted"`) {
		t.Fatalf("get_cron_triggers: %s", jsonOf(out))
	}
}

// Bad arguments are Hasura's errors, with the path and the code.
func TestOpsErrors(t *testing.T) {
	pool := newPool(t)
	s := newScheduler(t, pool, everyMinute("known", "http://127.0.0.1:1", schedule.DefaultRetry), &clock{t: t0})
	tests := []struct {
		op, args   string
		code, path string
		msg        string
	}{
		{"create_scheduled_event", `{"schedule_at": "2026-01-01T00:00:00Z"}`, "parse-failed", "$.args", `key "webhook" not found`},
		{"create_scheduled_event", `{"webhook": "http://x"}`, "parse-failed", "$.args", `key "schedule_at" not found`},
		{"create_scheduled_event", `{"webhook": "http://x", "schedule_at": "tomorrow"}`, "parse-failed", "$.args.schedule_at", `could not parse timestamp`},
		{"create_scheduled_event", `{"webhook": "http://x", "schedule_at": "2026-01-01T00:00:00Z", "request_transform": {"method": "GET"}}`, "not-supported", "$", "request_transform"},
		{"create_scheduled_event", `[1]`, "parse-failed", "$.args", "cannot unmarshal"},
		{"delete_scheduled_event", `{"type": "weekly", "event_id": "x"}`, "parse-failed", "$.args.type", `unexpected type "weekly"`},
		{"get_scheduled_events", `{"type": "cron", "trigger_name": "unknown"}`, "not-exists", "$", "cron trigger with name: unknown does not exist"},
		{"get_scheduled_events", `{"type": "cron"}`, "parse-failed", "$.args", `key "trigger_name" not found`},
		{"get_scheduled_events", `{"type": "one_off", "status": ["pending"]}`, "parse-failed", "$.args.status[0]", "unexpected status: pending"},
		{"get_scheduled_events", `{"type": "one_off", "limit": -1}`, "parse-failed", "$.args.limit", "limit must not be negative"},
		{"get_scheduled_event_invocations", `{"type": "cron", "trigger_name": "unknown"}`, "not-exists", "$", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.op+" "+tt.args, func(t *testing.T) {
			_, err := call(t, s, tt.op, tt.args)
			var we *wire.Error
			if !errors.As(err, &we) || we.Code != tt.code || we.Path != tt.path || !strings.Contains(we.Message, tt.msg) {
				t.Fatalf("error %#v, want %s at %s containing %q", err, tt.code, tt.path, tt.msg)
			}
		})
	}
}

// The metrics count tries and finished events by status, after Hasura's.
func TestMetrics(t *testing.T) {
	pool := newPool(t)
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) int { return 200 })
	clk := &clock{t: t0}
	reg := prometheus.NewRegistry()
	s, err := schedule.New(pool, nil, schedule.Options{Now: clk.Now, Logger: quiet, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range []string{
		fmt.Sprintf(`{"webhook": %q, "schedule_at": "2026-01-01T00:00:00Z"}`, rc.srv.URL+"/ok"),
		`{"webhook": "http://127.0.0.1:1/refused", "schedule_at": "2026-01-01T00:00:00Z"}`,
		fmt.Sprintf(`{"webhook": %q, "schedule_at": "2025-12-01T00:00:00Z"}`, rc.srv.URL+"/late"),
	} {
		mustCall(t, s, "create_scheduled_event", args)
	}
	tickAll(t, s)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			got[f.GetName()+"/"+m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"hasgen_oneoff_events_invocation_total/success": 1, "hasgen_oneoff_events_invocation_total/failed": 1,
		"hasgen_oneoff_events_processed_total/success": 1, "hasgen_oneoff_events_processed_total/failed": 2,
		"hasgen_cron_events_invocation_total/success": 0, "hasgen_cron_events_invocation_total/failed": 0,
		"hasgen_cron_events_processed_total/success": 0, "hasgen_cron_events_processed_total/failed": 0,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("metrics %v\nwant %v", got, want)
	}
}
