package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// newDB returns a pool on a fresh database holding Hasura's event catalog.
func newDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return dbWith(t, events.CatalogSQL)
}

// dbWith returns a pool on a fresh database where sql (statements, no
// parameters) has run; the pool closes when tb ends.
func dbWith(tb testing.TB, sql string) *pgxpool.Pool {
	tb.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, sql); err != nil {
		tb.Fatal(err)
	}
	return pool
}

// insertEvent writes an event as a table trigger would, in a transaction
// whose session variables are vars (nil: none).
func insertEvent(t *testing.T, pool *pgxpool.Pool, trigger, op, data string, vars map[string]string) string {
	t.Helper()
	session := ""
	if vars != nil {
		b, _ := json.Marshal(vars)
		session = string(b)
	}
	var id string
	inSession(t, pool, session, func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT hdb_catalog.insert_event_log('public', 'items', $1, $2, $3::json)", trigger, op, data).Scan(&id)
	})
	return id
}

// inSession runs do in a transaction whose session variables are vars
// (JSON; "": none), as a mutation sets hasura.user, and commits it.
func inSession(t *testing.T, pool *pgxpool.Pool, vars string, do func(context.Context, pgx.Tx) error) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if vars != "" {
			if _, err := tx.Exec(ctx, "SELECT set_config('hasura.user', $1, true)", vars); err != nil {
				return err
			}
		}
		return do(ctx, tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// insertEvents writes n events of trigger in one statement.
func insertEvents(t *testing.T, pool *pgxpool.Pool, trigger string, n int) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `SELECT hdb_catalog.insert_event_log('public', 'items', $1, 'INSERT',
		json_build_object('old', NULL, 'new', json_build_object('id', i))) FROM generate_series(1, $2) i`, trigger, n)
	if err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds; the test fails after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// eventState is an event's row in event_log.
type eventState struct {
	Delivered, Error bool
	Tries            int
	Locked           bool
}

func stateOf(t *testing.T, pool *pgxpool.Pool, id string) eventState {
	t.Helper()
	var s eventState
	err := pool.QueryRow(context.Background(), "SELECT delivered, error, tries, locked IS NOT NULL FROM hdb_catalog.event_log WHERE id = $1", id).
		Scan(&s.Delivered, &s.Error, &s.Tries, &s.Locked)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// receiver is a webhook that answers with the statuses of script in turn
// (200 once it runs out) and keeps what it received.
type receiver struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	paths   []string
	script  []func(w http.ResponseWriter, r *http.Request)
	srv     *httptest.Server
}

func newReceiver(t *testing.T, script ...func(w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{script: script}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, b)
		rc.headers = append(rc.headers, r.Header.Clone())
		rc.paths = append(rc.paths, r.URL.Path)
		var step func(w http.ResponseWriter, r *http.Request)
		if len(rc.script) > 0 {
			step, rc.script = rc.script[0], rc.script[1:]
		}
		rc.mu.Unlock()
		if step != nil {
			step(w, r)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.bodies)
}

func status(code int) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

func webhookTrigger(name, url string, retries, interval, timeout int) events.Trigger {
	return events.Trigger{Name: name, Schema: "public", Table: "items", Webhook: url,
		Insert: &events.Operation{}, Retry: events.Retry{NumRetries: retries, IntervalSec: interval, TimeoutSec: timeout}}
}

func start(t *testing.T, pool *pgxpool.Pool, cfg *events.Config, o events.Options) *events.Service {
	t.Helper()
	if o.FetchInterval == 0 {
		o.FetchInterval = 10 * time.Millisecond
	}
	s, err := events.New(pool, cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	t.Cleanup(s.Close)
	return s
}

func TestPayloadHeadersAndLog(t *testing.T) {
	pool := newDB(t)
	rc := newReceiver(t)
	tr := webhookTrigger("item_created", "{{ITEM_HOOK}}/hook", 2, 10, 5)
	tr.Headers = []events.Header{{Name: "X-Static", Value: "s"}, {Name: "X-Secret", ValueFromEnv: "HOOK_SECRET"}}
	env := map[string]string{"ITEM_HOOK": rc.srv.URL, "HOOK_SECRET": "sesame"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	id := insertEvent(t, pool, "item_created", "INSERT", `{"old":null,"new":{"id":1,"name":"a"}}`, map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "7"})
	start(t, pool, &events.Config{Triggers: []events.Trigger{tr}}, events.Options{LookupEnv: lookup, UserAgent: "hasgen/test"})
	waitFor(t, "delivery", func() bool { return stateOf(t, pool, id).Delivered })

	if rc.count() != 1 {
		t.Fatalf("webhook called %d times, want 1", rc.count())
	}
	var createdAt string
	if err := pool.QueryRow(context.Background(), "SELECT to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') FROM hdb_catalog.event_log WHERE id = $1", id).Scan(&createdAt); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(rc.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	gotCreated, _ := got["created_at"].(string)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?$`).MatchString(gotCreated) || !strings.HasPrefix(createdAt, strings.TrimRight(gotCreated, "0")) {
		t.Errorf("created_at %q, want Hasura's form of %q", gotCreated, createdAt)
	}
	delete(got, "created_at")
	want := map[string]any{
		"id":            id,
		"table":         map[string]any{"schema": "public", "name": "items"},
		"trigger":       map[string]any{"name": "item_created"},
		"delivery_info": map[string]any{"max_retries": 2.0, "current_retry": 0.0},
		"event": map[string]any{
			"op":                "INSERT",
			"data":              map[string]any{"old": nil, "new": map[string]any{"id": 1.0, "name": "a"}},
			"session_variables": map[string]any{"x-hasura-role": "user", "x-hasura-user-id": "7"},
			"trace_context":     nil,
		},
	}
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
		t.Errorf("payload\n got %s\nwant %s", g, w)
	}
	// Hasura's key order.
	if !regexp.MustCompile(`^\{"id":.*,"table":.*,"trigger":.*,"event":.*,"delivery_info":\{"current_retry":0,"max_retries":2\},"created_at":`).Match(rc.bodies[0]) {
		t.Errorf("payload keys out of Hasura's order: %s", rc.bodies[0])
	}
	if rc.paths[0] != "/hook" {
		t.Errorf("delivered to %s, want the webhook template's /hook", rc.paths[0])
	}
	h := rc.headers[0]
	if h.Get("X-Static") != "s" || h.Get("X-Secret") != "sesame" || h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "hasgen/test" {
		t.Errorf("headers %v", h)
	}

	var st int
	var req, resp string
	err := pool.QueryRow(context.Background(), "SELECT status, request::text, response::text FROM hdb_catalog.event_invocation_logs WHERE event_id = $1", id).Scan(&st, &req, &resp)
	if err != nil {
		t.Fatal(err)
	}
	if st != 200 || !strings.Contains(req, `"headers":[{"name":"Content-Type","value":"application/json"},{"name":"User-Agent","value":"hasgen/test"},{"name":"X-Static","value":"s"}]`) || strings.Contains(req, "sesame") || !strings.Contains(req, `"payload":{"id":"`+id) || !strings.Contains(resp, `"status":200`) {
		t.Errorf("invocation log: status %d\nrequest %s\nresponse %s", st, req, resp)
	}
	if s := stateOf(t, pool, id); s != (eventState{Delivered: true, Tries: 1}) {
		t.Errorf("event state %+v", s)
	}
}

func TestRetries(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	tests := []struct {
		name     string
		script   []func(w http.ResponseWriter, r *http.Request)
		retries  int
		statuses string // of the invocation logs, in order; "-" for no response
		final    eventState
	}{
		{"500 500 200", []func(http.ResponseWriter, *http.Request){status(500), status(500)}, 2, "500 500 200", eventState{Delivered: true, Tries: 3}},
		{"retries exhausted", []func(http.ResponseWriter, *http.Request){status(500), status(502), status(503)}, 1, "500 502", eventState{Error: true, Tries: 2}},
		{"timeout", []func(http.ResponseWriter, *http.Request){slow}, 1, "- 200", eventState{Delivered: true, Tries: 2}},
		{"no retries", []func(http.ResponseWriter, *http.Request){status(400)}, 0, "400", eventState{Error: true, Tries: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := newDB(t)
			rc := newReceiver(t, tt.script...)
			id := insertEvent(t, pool, "tr", "INSERT", `{"old":null,"new":{"id":1}}`, nil)
			reg := prometheus.NewRegistry()
			s := start(t, pool, &events.Config{Triggers: []events.Trigger{webhookTrigger("tr", rc.srv.URL, tt.retries, 0, 1)}}, events.Options{Registerer: reg})
			waitFor(t, "the last try", func() bool { s := stateOf(t, pool, id); return s.Delivered || s.Error })
			s.Close()
			tries := strings.Count(tt.statuses, " ") + 1
			okTries, doneOK := 0, 0
			if tt.final.Delivered {
				okTries, doneOK = 1, 1
			}
			metricsGot := []float64{metricValue(t, reg, "hasgen_event_invocations_total", "success"), metricValue(t, reg, "hasgen_event_invocations_total", "failed"),
				metricValue(t, reg, "hasgen_event_processed_total", "success"), metricValue(t, reg, "hasgen_event_processed_total", "failed"),
				metricValue(t, reg, "hasgen_event_webhook_processing_time_seconds", ""), metricValue(t, reg, "hasgen_event_trigger_http_workers", "")}
			metricsWant := []float64{float64(okTries), float64(tries - okTries), float64(doneOK), float64(1 - doneOK), float64(tries), 0}
			if fmt.Sprint(metricsGot) != fmt.Sprint(metricsWant) {
				t.Errorf("metrics (invocations ok, failed; processed ok, failed; tries timed; in flight) %v, want %v", metricsGot, metricsWant)
			}
			if s := stateOf(t, pool, id); s != tt.final {
				t.Errorf("event state %+v, want %+v", s, tt.final)
			}
			rows, err := pool.Query(context.Background(), "SELECT coalesce(status::text, '-'), response->>'type' FROM hdb_catalog.event_invocation_logs WHERE event_id = $1 ORDER BY created_at", id)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var s, typ string
				rows.Scan(&s, &typ)
				got = append(got, s)
				// As Hasura: a webhook_response for a 2xx, else a client_error.
				if (s == "200") != (typ == "webhook_response") {
					t.Errorf("status %s logged with response type %s", s, typ)
				}
			}
			if strings.Join(got, " ") != tt.statuses {
				t.Errorf("invocations %q, want %q", strings.Join(got, " "), tt.statuses)
			}
			for i, b := range rc.bodies {
				var p struct {
					DeliveryInfo events.DeliveryInfo `json:"delivery_info"`
				}
				json.Unmarshal(b, &p)
				if p.DeliveryInfo.CurrentRetry != i || p.DeliveryInfo.MaxRetries != tt.retries {
					t.Errorf("try %d: delivery_info %+v", i, p.DeliveryInfo)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	pool := newDB(t)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	id := insertEvent(t, pool, "tr", "INSERT", `{"old":null,"new":{"id":1}}`, nil)
	// No retries left, but Hasura still honours the webhook's Retry-After.
	start(t, pool, &events.Config{Triggers: []events.Trigger{webhookTrigger("tr", rc.srv.URL, 0, 1, 5)}}, events.Options{})
	waitFor(t, "the first try", func() bool { return stateOf(t, pool, id).Tries == 1 })
	var in float64
	if err := pool.QueryRow(context.Background(), "SELECT extract(epoch FROM next_retry_at - now()::timestamp) FROM hdb_catalog.event_log WHERE id = $1", id).Scan(&in); err != nil {
		t.Fatal(err)
	}
	if in < 3000 || in > 3600 {
		t.Errorf("next try in %.0f s, want the webhook's 3600 s", in)
	}
	if s := stateOf(t, pool, id); s != (eventState{Tries: 1}) {
		t.Errorf("event state %+v, want waiting for its retry", s)
	}
}

func TestLeaseExpiryRedelivers(t *testing.T) {
	pool := newDB(t)
	rc := newReceiver(t)
	dead := insertEvent(t, pool, "tr", "INSERT", `{"old":null,"new":{"id":1}}`, nil)
	live := insertEvent(t, pool, "tr", "INSERT", `{"old":null,"new":{"id":2}}`, nil)
	ctx := context.Background()
	// An instance claimed dead two hours ago and died; another holds live now.
	if _, err := pool.Exec(ctx, "UPDATE hdb_catalog.event_log SET locked = now() - interval '2 hours' WHERE id = $1", dead); err != nil {
		t.Fatal(err)
	}
	var lockedAt time.Time
	if err := pool.QueryRow(ctx, "UPDATE hdb_catalog.event_log SET locked = now() WHERE id = $1 RETURNING locked", live).Scan(&lockedAt); err != nil {
		t.Fatal(err)
	}
	s := start(t, pool, &events.Config{Triggers: []events.Trigger{webhookTrigger("tr", rc.srv.URL, 0, 1, 5)}}, events.Options{})
	if s.Lease() != 35*time.Second {
		t.Errorf("lease %v, want the timeout (5 s) + 30 s", s.Lease())
	}
	waitFor(t, "the expired event", func() bool { return stateOf(t, pool, dead).Delivered })
	// The claim that took dead would have taken live too, had its lease passed.
	var still time.Time
	if err := pool.QueryRow(ctx, "SELECT locked FROM hdb_catalog.event_log WHERE id = $1", live).Scan(&still); err != nil {
		t.Fatal(err)
	}
	if !still.Equal(lockedAt) || stateOf(t, pool, live).Delivered {
		t.Errorf("event under a live lease was claimed (locked %v, was %v)", still, lockedAt)
	}
	// Once its lease has passed, it is delivered.
	if _, err := pool.Exec(ctx, "UPDATE hdb_catalog.event_log SET locked = now() - interval '36 seconds' WHERE id = $1", live); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the event whose lease passed", func() bool { return stateOf(t, pool, live).Delivered })
	if rc.count() != 2 {
		t.Errorf("webhook called %d times, want 2", rc.count())
	}
}

func TestInstancesShareTheLog(t *testing.T) {
	pool := newDB(t)
	const n = 2000
	var mu sync.Mutex
	seen := map[string]int{}
	handler := func(ctx context.Context, e *events.Event) error {
		mu.Lock()
		seen[e.ID]++
		mu.Unlock()
		return nil
	}
	cfg := &events.Config{Triggers: []events.Trigger{webhookTrigger("tr", "", 0, 1, 5)}}
	insertEvents(t, pool, "tr", n/2)
	var services []*events.Service
	for range 2 {
		// A pool per instance, as separate servers have.
		p2, err := pgxpool.New(context.Background(), pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		defer p2.Close()
		services = append(services, start(t, p2, cfg, events.Options{Handlers: map[string]events.Handler{"tr": handler}, FetchBatchSize: 50, PoolSize: 20}))
	}
	insertEvents(t, pool, "tr", n/2)
	waitFor(t, "every event", func() bool {
		return queryInt(t, pool, "SELECT count(*) FROM hdb_catalog.event_log WHERE delivered") == n
	})
	for _, s := range services {
		s.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	dup := 0
	for _, c := range seen {
		if c != 1 {
			dup++
		}
	}
	if len(seen) != n || dup != 0 {
		t.Errorf("%d events handled, %d more than once; want %d once each", len(seen), dup, n)
	}
	if got := queryInt(t, pool, "SELECT count(*) FROM hdb_catalog.event_invocation_logs"); got != n {
		t.Errorf("%d invocation logs, want %d", got, n)
	}
}

type item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func TestGoHandler(t *testing.T) {
	pool := newDB(t)
	var calls atomic.Int32
	var got atomic.Pointer[events.RowEvent[item]]
	handlers := map[string]events.Handler{
		"typed": events.Typed(func(ctx context.Context, e *events.RowEvent[item]) error {
			if calls.Add(1) == 1 {
				return errors.New("first try fails")
			}
			got.Store(e)
			return nil
		}),
		"panics": func(ctx context.Context, e *events.Event) error { panic("boom") },
	}
	cfg := &events.Config{Triggers: []events.Trigger{webhookTrigger("typed", "", 1, 0, 5), webhookTrigger("panics", "", 0, 0, 5)}}
	typed := insertEvent(t, pool, "typed", "UPDATE", `{"old":{"id":1,"name":"a"},"new":{"id":1,"name":"b"}}`, map[string]string{"x-hasura-role": "admin"})
	panics := insertEvent(t, pool, "panics", "DELETE", `{"old":{"id":2,"name":"c"},"new":null}`, nil)
	start(t, pool, cfg, events.Options{Handlers: handlers})
	waitFor(t, "both events", func() bool { return stateOf(t, pool, typed).Delivered && stateOf(t, pool, panics).Error })
	e := got.Load()
	if e.Old == nil || *e.Old != (item{1, "a"}) || e.New == nil || *e.New != (item{1, "b"}) || e.Event.Event.Op != "UPDATE" ||
		e.Event.Event.SessionVariables["x-hasura-role"] != "admin" || e.ID != typed || e.DeliveryInfo.CurrentRetry != 1 || e.Trigger.Name != "typed" {
		t.Errorf("handler got %+v (old %+v new %+v)", e.Event, e.Old, e.New)
	}
	var msgs []string
	rows, _ := pool.Query(context.Background(), "SELECT response->'data'->>'message' FROM hdb_catalog.event_invocation_logs WHERE response->>'type' = 'client_error' ORDER BY created_at")
	for rows.Next() {
		var m string
		rows.Scan(&m)
		msgs = append(msgs, m)
	}
	if strings.Join(msgs, "|") != "first try fails|event handler panicked: boom" && strings.Join(msgs, "|") != "event handler panicked: boom|first try fails" {
		t.Errorf("failed tries logged as %q", msgs)
	}
}

func TestBoundedConcurrencyAndCloseWaits(t *testing.T) {
	pool := newDB(t)
	const poolSize = 3
	var running, most atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{}, 100)
	handler := func(ctx context.Context, e *events.Event) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		return nil
	}
	insertEvents(t, pool, "tr", 10)
	s, err := events.New(pool, &events.Config{Triggers: []events.Trigger{webhookTrigger("tr", "", 0, 0, 60)}},
		events.Options{PoolSize: poolSize, FetchInterval: 10 * time.Millisecond, Handlers: map[string]events.Handler{"tr": handler}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	for range poolSize {
		<-entered
	}
	// Close is called while three deliveries are held; they end later.
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	s.Close()
	if most.Load() > poolSize {
		t.Errorf("%d deliveries at once, want at most %d", most.Load(), poolSize)
	}
	// The three in flight when Close was called were recorded, and no
	// more were claimed.
	if got := queryInt(t, pool, "SELECT count(*) FROM hdb_catalog.event_log WHERE delivered"); got != poolSize {
		t.Errorf("%d events delivered after Close, want the %d in flight", got, poolSize)
	}
	if got := queryInt(t, pool, "SELECT count(*) FROM hdb_catalog.event_log WHERE locked IS NOT NULL AND NOT delivered"); got != 0 {
		t.Errorf("%d events left claimed after Close", got)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		tr   events.Trigger
		o    events.Options
		want string
	}{
		{"webhook from env unset", events.Trigger{Name: "a", WebhookFromEnv: "A_HOOK"}, events.Options{}, `event trigger "a": webhook_from_env: environment variable A_HOOK is not set`},
		{"header from env unset", events.Trigger{Name: "b", Webhook: "http://x", Headers: []events.Header{{Name: "K", ValueFromEnv: "B_KEY"}}}, events.Options{}, `event trigger "b": header K: environment variable B_KEY is not set`},
		{"transform without Transform", events.Trigger{Name: "c", Webhook: "http://x", RequestTransform: json.RawMessage(`{"version":2}`)}, events.Options{}, `event trigger "c": request_transform`},
		{"no webhook", events.Trigger{Name: "d"}, events.Options{}, `event trigger "d": no webhook and no Go handler`},
		{"webhook template unset", events.Trigger{Name: "g", Webhook: "{{HOOK_BASE}}/items"}, events.Options{}, `event trigger "g": webhook "{{HOOK_BASE}}/items": environment variable HOOK_BASE is not set`},
		{"handler of no trigger", events.Trigger{Name: "e", Webhook: "http://x"}, events.Options{Handlers: map[string]events.Handler{"f": func(context.Context, *events.Event) error { return nil }}}, `event handler "f": no event trigger has that name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := events.New(nil, &events.Config{Triggers: []events.Trigger{tt.tr}}, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// BenchmarkDelivery inserts a burst of events and waits for a webhook to
// receive them all: events/s delivered, and the latency from the insert
// (created_at) to the webhook, p50 and p99.
func BenchmarkDelivery(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			pool := dbWith(b, events.CatalogSQL)
			var mu sync.Mutex
			var lat []time.Duration
			received := make(chan struct{}, n)
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				now := time.Now().UTC()
				var p struct {
					CreatedAt string `json:"created_at"`
				}
				json.NewDecoder(r.Body).Decode(&p)
				created, err := time.Parse("2006-01-02T15:04:05.999999", p.CreatedAt)
				mu.Lock()
				if err == nil {
					lat = append(lat, now.Sub(created))
				}
				mu.Unlock()
				received <- struct{}{}
			}))
			defer hook.Close()
			s, err := events.New(pool, &events.Config{Triggers: []events.Trigger{webhookTrigger("tr", hook.URL, 0, 0, 5)}}, events.Options{FetchInterval: 10 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			s.Start(ctx)
			defer s.Close()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := pool.Exec(ctx, `SELECT hdb_catalog.insert_event_log('public', 'items', 'tr', 'INSERT',
					json_build_object('old', NULL, 'new', json_build_object('id', i))) FROM generate_series(1, $1) i`, n); err != nil {
					b.Fatal(err)
				}
				for range n {
					<-received
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			mu.Lock()
			defer mu.Unlock()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "events/s")
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
			}
		})
	}
}

// TestShutdownUnlocks: a delivery still running when Shutdown's deadline
// passes is cut off and its event unlocked, with no try counted, for
// another instance to deliver at once.
func TestShutdownUnlocks(t *testing.T) {
	pool := newDB(t)
	entered := make(chan struct{}, 1)
	handler := func(ctx context.Context, e *events.Event) error {
		entered <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	id := insertEvent(t, pool, "tr", "INSERT", `{"old":null,"new":{"id":1}}`, nil)
	s, err := events.New(pool, &events.Config{Triggers: []events.Trigger{webhookTrigger("tr", "", 0, 0, 60)}},
		events.Options{FetchInterval: 10 * time.Millisecond, Handlers: map[string]events.Handler{"tr": handler}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	<-entered
	if s := stateOf(t, pool, id); !s.Locked {
		t.Fatalf("event in delivery not locked: %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown: %v, want the context's error", err)
	}
	if s := stateOf(t, pool, id); s != (eventState{}) {
		t.Errorf("event after Shutdown %+v, want unlocked with no try", s)
	}
	if n := queryInt(t, pool, "SELECT count(*) FROM hdb_catalog.event_invocation_logs"); n != 0 {
		t.Errorf("%d invocation logs, want none", n)
	}
	s.Close()
}

// metricValue is a counter's or gauge's value, or a histogram's count, of
// the metric name of trigger "tr" with status (any labels when "").
func metricValue(t *testing.T, reg *prometheus.Registry, name, status string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if status != "" && (labels["status"] != status || labels["trigger_name"] != "tr") {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no metric %s %s", name, status)
	return 0
}
