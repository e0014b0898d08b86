package schedule_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/delivery"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/schedule"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// newPool returns a pool on a fresh database holding the catalog.
func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := schedule.Install(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// clock is a settable Options.Now shared by the schedulers of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// receiver is a webhook that records what it receives and answers with
// the status answer returns (200 when nil).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter, r *http.Request) int
}

type received struct {
	method  string
	path    string
	headers http.Header
	body    map[string]any
	raw     string
}

// newReceiver starts a webhook receiver that records each request, then
// answers with what answer returns (nil: 200), its body {"n": count}.
func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request) int) *receiver {
	rc := &receiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Method, r.URL.Path, r.Header.Clone(), body, string(b)})
		n := len(rc.got)
		rc.mu.Unlock()
		status := 200
		if rc.answer != nil {
			status = rc.answer(n, w, r)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"n":%d}`, n)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// scheduledTimes lists the scheduled_time of every request, sorted.
func (rc *receiver) scheduledTimes() []string {
	var out []string
	for _, r := range rc.all() {
		s, _ := r.body["scheduled_time"].(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// minutes lists the whole minutes from..to (inclusive) after t0, as
// scheduled_time strings.
func minutes(t0 time.Time, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, t0.Truncate(time.Minute).Add(time.Duration(i)*time.Minute).UTC().Format(time.RFC3339Nano))
	}
	return out
}

func newScheduler(t *testing.T, pool *pgxpool.Pool, cfg *schedule.Config, clk *clock) *schedule.Scheduler {
	t.Helper()
	s, err := schedule.New(pool, cfg, schedule.Options{Now: clk.Now, LookupEnv: func(string) (string, bool) { return "", false }, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tickAll(t *testing.T, ss ...*schedule.Scheduler) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(ss))
	for i, s := range ss {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Tick(context.Background()) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// statuses counts the trigger's cron events by status.
func statuses(t *testing.T, pool *pgxpool.Pool, trigger string) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT status, count(*) FROM hdb_catalog.hdb_cron_events WHERE trigger_name = $1 GROUP BY status`, trigger)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func equal(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

var t0 = time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)

// quiet is the schedulers' logger: failed tries are expected here.
var quiet = slog.New(slog.DiscardHandler)

func everyMinute(name, url string, retry schedule.Retry) *schedule.Config {
	return &schedule.Config{Crons: []schedule.Cron{{
		Name: name, Webhook: url, Schedule: "* * * * *",
		Payload: json.RawMessage(`{"k":"v"}`), Comment: "every minute",
		Headers: []events.Header{{Name: "X-Key", Value: "secret"}},
		Retry:   retry,
	}}}
}

func TestInstallIsIdempotentUnderConcurrency(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = schedule.Install(context.Background(), pool) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := schedule.Install(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"hdb_cron_events", "hdb_cron_event_invocation_logs", "hdb_scheduled_events", "hdb_scheduled_event_invocation_logs"} {
		var ok bool
		if err := pool.QueryRow(context.Background(), `SELECT to_regclass('hdb_catalog.' || $1) IS NOT NULL`, tbl).Scan(&ok); err != nil || !ok {
			t.Errorf("table hdb_catalog.%s: exists=%v err=%v", tbl, ok, err)
		}
	}
}

// Three schedulers on one database, ticking together: every occurrence
// is made once and delivered once, with Hasura's payload.
func TestThreeSchedulersDeliverEachOccurrenceOnce(t *testing.T) {
	pool := newPool(t)
	rc := newReceiver(t, nil)
	clk := &clock{t: t0}
	cfg := everyMinute("every_minute", rc.srv.URL+"/cron", schedule.DefaultRetry)
	ss := []*schedule.Scheduler{newScheduler(t, pool, cfg, clk), newScheduler(t, pool, cfg, clk), newScheduler(t, pool, cfg, clk)}
	tickAll(t, ss...)
	if n := len(rc.all()); n != 0 {
		t.Fatalf("%d deliveries before any occurrence is due", n)
	}
	if st := statuses(t, pool, "every_minute"); st["scheduled"] != schedule.Upcoming || len(st) != 1 {
		t.Fatalf("after the first tick: %v, want %d scheduled", st, schedule.Upcoming)
	}
	for step := 1; step <= 4; step++ {
		clk.Set(t0.Add(time.Duration(step*3) * time.Minute))
		tickAll(t, ss...)
		tickAll(t, ss...)
	}
	if got, want := rc.scheduledTimes(), minutes(t0, 1, 12); !equal(got, want) {
		t.Fatalf("delivered %v\nwant %v", got, want)
	}
	st := statuses(t, pool, "every_minute")
	if st["delivered"] != 12 || st["scheduled"] != schedule.Upcoming || len(st) != 2 {
		t.Fatalf("statuses %v: want 12 delivered and %d upcoming", st, schedule.Upcoming)
	}
	r := rc.all()[0]
	keys := make([]string, 0, len(r.body))
	for k := range r.body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !equal(keys, []string{"comment", "id", "name", "payload", "scheduled_time"}) ||
		r.body["name"] != "every_minute" || r.body["comment"] != "every minute" ||
		fmt.Sprint(r.body["payload"]) != "map[k:v]" || r.headers.Get("X-Key") != "secret" ||
		r.headers.Get("Content-Type") != "application/json" || r.method != http.MethodPost || r.path != "/cron" {
		t.Fatalf("request %s %s %v: %s", r.method, r.path, r.headers, r.raw)
	}
	var logs int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM hdb_catalog.hdb_cron_event_invocation_logs l
JOIN hdb_catalog.hdb_cron_events e ON e.id = l.event_id WHERE l.status = 200 AND e.status = 'delivered'
  AND (l.request->'payload'->>'id') = e.id`).Scan(&logs); err != nil || logs != 12 {
		t.Fatalf("%d invocation logs (err %v), want 12", logs, err)
	}
}

// After downtime, the occurrences older than tolerance_seconds are
// marked dead and the recent ones delivered; after a downtime longer
// than the stored occurrences, generation resumes within the tolerance.
func TestToleranceAfterDowntime(t *testing.T) {
	tests := []struct {
		name      string
		downtime  time.Duration
		delivered []string
		dead      int
	}{
		// 20 occurrences missed: 00:01 to 00:15 are older than 5 min.
		{"within the stored occurrences", 20 * time.Minute, minutes(t0, 16, 20), 15},
		// Every stored occurrence is dead; those of the last 5 min are made
		// and delivered.
		{"longer than the stored occurrences", 48 * time.Hour, minutes(t0.Add(48*time.Hour), -4, 0), schedule.Upcoming},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := newPool(t)
			rc := newReceiver(t, nil)
			clk := &clock{t: t0}
			retry := schedule.DefaultRetry
			retry.ToleranceSeconds = 300
			s := newScheduler(t, pool, everyMinute("tolerant", rc.srv.URL, retry), clk)
			tickAll(t, s)
			clk.Set(t0.Add(tt.downtime))
			tickAll(t, s)
			if got := rc.scheduledTimes(); !equal(got, tt.delivered) {
				t.Fatalf("delivered %v\nwant %v", got, tt.delivered)
			}
			st := statuses(t, pool, "tolerant")
			if st["dead"] != tt.dead || st["delivered"] != len(tt.delivered) || st["scheduled"] != schedule.Upcoming {
				t.Fatalf("statuses %v: want %d dead, %d delivered, %d scheduled", st, tt.dead, len(tt.delivered), schedule.Upcoming)
			}
		})
	}
}

// A webhook that fails is retried every retry_interval_seconds while
// num_retries allow, each try logged; then the event is an error.
func TestRetriesAndInvocationLogs(t *testing.T) {
	tests := []struct {
		name       string
		numRetries int
		answers    []int // by try; 429 comes with Retry-After: 30
		status     string
		tries      int
		ticks      []time.Duration // the Now of the ticks after the first try
	}{
		{"500 twice then 200", 2, []int{500, 500, 200}, "delivered", 3, []time.Duration{10 * time.Second, 20 * time.Second}},
		{"500 until retries run out", 1, []int{500, 503, 500}, "error", 2, []time.Duration{10 * time.Second, 20 * time.Second}},
		{"Retry-After is honoured", 1, []int{429, 200}, "delivered", 2, []time.Duration{10 * time.Second, 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := newPool(t)
			rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) int {
				a := tt.answers[min(n, len(tt.answers))-1]
				if a == 429 {
					w.Header().Set("Retry-After", "30")
				}
				return a
			})
			retry := schedule.Retry{NumRetries: tt.numRetries, RetryIntervalSeconds: 10, TimeoutSeconds: 5, ToleranceSeconds: 3600}
			clk := &clock{t: t0}
			s := newScheduler(t, pool, everyMinute("retried", rc.srv.URL, retry), clk)
			tickAll(t, s) // generate
			first := t0.Truncate(time.Minute).Add(time.Minute)
			clk.Set(first)
			tickAll(t, s)
			for _, d := range tt.ticks {
				clk.Set(first.Add(d))
				tickAll(t, s)
			}
			rows, err := pool.Query(context.Background(), `SELECT e.status, e.tries, l.status, l.request::text, l.response::text
FROM hdb_catalog.hdb_cron_events e JOIN hdb_catalog.hdb_cron_event_invocation_logs l ON l.event_id = e.id
WHERE e.scheduled_time = $1 ORDER BY l.created_at, l.id`, first)
			if err != nil {
				t.Fatal(err)
			}
			var codes []int
			for rows.Next() {
				var status, req, resp string
				var tries, code int
				if err := rows.Scan(&status, &tries, &code, &req, &resp); err != nil {
					t.Fatal(err)
				}
				if status != tt.status || tries != tt.tries {
					t.Fatalf("event %s after %d tries, want %s after %d", status, tries, tt.status, tt.tries)
				}
				if !strings.Contains(req, `"name":"retried"`) || !strings.Contains(req, `"X-Key","value":"secret"`) ||
					!strings.Contains(resp, `"type":"webhook_response"`) || !strings.Contains(resp, fmt.Sprintf(`"status":%d`, code)) {
					t.Fatalf("invocation log\nrequest %s\nresponse %s", req, resp)
				}
				codes = append(codes, code)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(codes) != fmt.Sprint(tt.answers[:tt.tries]) {
				t.Fatalf("logged statuses %v, want %v", codes, tt.answers[:tt.tries])
			}
			if n := len(rc.all()); n != tt.tries {
				t.Fatalf("%d requests, want %d", n, tt.tries)
			}
		})
	}
}

// An instance that dies mid-delivery keeps its event locked until its
// lease (timeout + margin) ends; then another instance delivers it.
func TestLeaseExpiry(t *testing.T) {
	pool := newPool(t)
	hang := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) int {
		if n == 1 {
			<-hang // the first instance never hears back while "dead"
		}
		return 200
	})
	var once sync.Once
	release := func() { once.Do(func() { close(hang) }) }
	t.Cleanup(release) // before the receiver closes, should the test fail early
	clk := &clock{t: t0}
	retry := schedule.Retry{NumRetries: 0, RetryIntervalSeconds: 10, TimeoutSeconds: 20, ToleranceSeconds: 3600}
	cfg := everyMinute("leased", rc.srv.URL, retry)
	a, b := newScheduler(t, pool, cfg, clk), newScheduler(t, pool, cfg, clk)
	tickAll(t, a)
	due := t0.Truncate(time.Minute).Add(time.Minute)
	clk.Set(due)
	aDone := make(chan error, 1)
	go func() { aDone <- a.Tick(context.Background()) }()
	waitFor(t, func() bool { return len(rc.all()) == 1 })

	var status string
	var lease time.Time
	if err := pool.QueryRow(context.Background(), `SELECT status, next_retry_at FROM hdb_catalog.hdb_cron_events
WHERE trigger_name = 'leased' AND scheduled_time = $1`, due).Scan(&status, &lease); err != nil {
		t.Fatal(err)
	}
	if want := due.Add(20*time.Second + 30*time.Second); status != "locked" || !lease.Equal(want) {
		t.Fatalf("claimed event: %s until %v, want locked until %v", status, lease, want)
	}
	clk.Set(lease.Add(-time.Second))
	tickAll(t, b)
	if n := len(rc.all()); n != 1 {
		t.Fatalf("%d requests while the lease holds, want 1", n)
	}
	clk.Set(lease.Add(time.Second))
	tickAll(t, b)
	if n := len(rc.all()); n != 2 {
		t.Fatalf("%d requests after the lease ended, want 2", n)
	}
	// The first instance hears back at last: it logs its try and leaves
	// the event as the other delivered it.
	release()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if st := statuses(t, pool, "leased"); st["delivered"] != 1 {
		t.Fatalf("statuses %v, want 1 delivered", st)
	}
	var logs, tries int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM hdb_catalog.hdb_cron_event_invocation_logs l WHERE l.event_id = e.id), e.tries
FROM hdb_catalog.hdb_cron_events e WHERE trigger_name = 'leased' AND scheduled_time = $1`, due).Scan(&logs, &tries); err != nil || logs != 2 || tries != 1 {
		t.Fatalf("%d invocation logs, %d tries (err %v); want 2 and 1", logs, tries, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// New names each cron trigger it cannot serve.
func TestNewRefusesBadTriggers(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "HOOK" {
			return "http://hook", true
		}
		return "", false
	}
	ok := schedule.Cron{Name: "ok", Webhook: "{{HOOK}}/x", Schedule: "*/5 * * * *"}
	tests := []struct {
		name string
		cron schedule.Cron
		opts schedule.Options
		err  string
	}{
		{"bad schedule", schedule.Cron{Name: "c1", Webhook: "http://x", Schedule: "* * *"}, schedule.Options{}, `cron trigger "c1": schedule "* * *"`},
		{"time zone", schedule.Cron{Name: "c2", Webhook: "http://x", Schedule: "TZ=Europe/Paris * * * * *"}, schedule.Options{}, `cron trigger "c2": schedule "TZ=Europe/Paris * * * * *": a time zone is not supported`},
		{"missing env", schedule.Cron{Name: "c3", WebhookFromEnv: "NOPE", Schedule: "* * * * *"}, schedule.Options{}, `cron trigger "c3": webhook_from_env: environment variable NOPE is not set`},
		{"missing template var", schedule.Cron{Name: "c4", Webhook: "{{NOPE}}/x", Schedule: "* * * * *"}, schedule.Options{}, `cron trigger "c4": webhook "{{NOPE}}/x": environment variable NOPE is not set`},
		{"missing header env", schedule.Cron{Name: "c5", Webhook: "http://x", Schedule: "* * * * *", Headers: []events.Header{{Name: "A", ValueFromEnv: "NOPE"}}}, schedule.Options{}, `cron trigger "c5": header A: environment variable NOPE is not set`},
		{"transform unsupported", schedule.Cron{Name: "c6", Webhook: "http://x", Schedule: "* * * * *", RequestTransform: json.RawMessage(`{"method":"GET"}`)}, schedule.Options{}, `cron trigger "c6": request_transform is not supported`},
		{"transform refused", schedule.Cron{Name: "c7", Webhook: "http://x", Schedule: "* * * * *", RequestTransform: json.RawMessage(`{"method":"GET"}`)},
			schedule.Options{RequestTransform: func(json.RawMessage) (schedule.Transform, error) { return nil, fmt.Errorf("bad template") }}, `cron trigger "c7": request_transform: bad template`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.LookupEnv = env
			_, err := schedule.New(nil, &schedule.Config{Crons: []schedule.Cron{ok, tt.cron}}, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), `"ok"`) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
	if _, err := schedule.New(nil, &schedule.Config{Crons: []schedule.Cron{ok}}, schedule.Options{LookupEnv: env}); err != nil {
		t.Fatal(err)
	}
}

// A request transform rewrites the request after the payload is built.
func TestRequestTransform(t *testing.T) {
	pool := newPool(t)
	rc := newReceiver(t, nil)
	clk := &clock{t: t0}
	cfg := everyMinute("transformed", rc.srv.URL, schedule.DefaultRetry)
	cfg.Crons[0].RequestTransform = json.RawMessage(`{"method":"PUT"}`)
	var compiled int
	s, err := schedule.New(pool, cfg, schedule.Options{Now: clk.Now, Logger: quiet, RequestTransform: func(raw json.RawMessage) (schedule.Transform, error) {
		compiled++
		var spec struct{ Method string }
		if err := json.Unmarshal(raw, &spec); err != nil {
			return nil, err
		}
		return func(req *delivery.Request) error {
			req.Method = spec.Method
			req.URL += "/put"
			req.Body = []byte(`{"wrapped":` + string(req.Body) + `}`)
			return nil
		}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	tickAll(t, s)
	clk.Set(t0.Add(2 * time.Minute))
	tickAll(t, s)
	got := rc.all()
	if len(got) != 2 || compiled != 1 {
		t.Fatalf("%d requests, transform compiled %d times", len(got), compiled)
	}
	for _, r := range got {
		if r.method != http.MethodPut || r.path != "/put" || !strings.HasPrefix(r.raw, `{"wrapped":{"id":`) {
			t.Fatalf("request %s %s %s", r.method, r.path, r.raw)
		}
	}
}

// A changed schedule replaces the future occurrences of the old one.
func TestChangedScheduleReplacesOccurrences(t *testing.T) {
	pool := newPool(t)
	clk := &clock{t: t0}
	old := everyMinute("changed", "http://127.0.0.1:1", schedule.DefaultRetry)
	tickAll(t, newScheduler(t, pool, old, clk))
	changed := everyMinute("changed", "http://127.0.0.1:1", schedule.DefaultRetry)
	changed.Crons[0].Schedule = "*/5 * * * *"
	tickAll(t, newScheduler(t, pool, changed, clk))
	var n, off int
	var first time.Time
	if err := pool.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE extract(minute FROM scheduled_time)::int % 5 <> 0), min(scheduled_time)
FROM hdb_catalog.hdb_cron_events WHERE trigger_name = 'changed' AND status = 'scheduled'`).Scan(&n, &off, &first); err != nil {
		t.Fatal(err)
	}
	if n != schedule.Upcoming || off != 0 || !first.Equal(t0.Truncate(time.Minute).Add(5*time.Minute)) {
		t.Fatalf("%d occurrences, %d off the new schedule, first %v", n, off, first)
	}
}

// Close interrupts Run's deliveries and releases their events, without
// counting a try.
func TestCloseReleasesInterruptedDeliveries(t *testing.T) {
	pool := newPool(t)
	// The webhook never answers: the client gives up when Close cancels.
	// (The server sees the client go only once the body is read.)
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) int {
		<-r.Context().Done()
		return 200
	})
	clk := &clock{t: t0}
	s := newScheduler(t, pool, everyMinute("interrupted", rc.srv.URL, schedule.DefaultRetry), clk)
	tickAll(t, s)
	clk.Set(t0.Add(time.Minute))
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.Background()) }()
	waitFor(t, func() bool { return len(rc.all()) == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	var status string
	var tries int
	var retry *time.Time
	if err := pool.QueryRow(context.Background(), `SELECT status, tries, next_retry_at FROM hdb_catalog.hdb_cron_events
WHERE trigger_name = 'interrupted' AND scheduled_time = $1`, t0.Truncate(time.Minute).Add(time.Minute)).Scan(&status, &tries, &retry); err != nil {
		t.Fatal(err)
	}
	if status != "scheduled" || tries != 0 || retry != nil {
		t.Fatalf("interrupted event: %s, %d tries, retry at %v", status, tries, retry)
	}
}

// Shutdown lets the deliveries in flight end before Run returns: the
// event is delivered, not released.
func TestShutdownWaitsForDeliveries(t *testing.T) {
	pool := newPool(t)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) int {
		<-release
		return 200
	})
	clk := &clock{t: t0}
	s := newScheduler(t, pool, everyMinute("drained", rc.srv.URL, schedule.DefaultRetry), clk)
	tickAll(t, s)
	clk.Set(t0.Add(time.Minute))
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.Background()) }()
	waitFor(t, func() bool { return len(rc.all()) == 1 })
	shutDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shutDone <- s.Shutdown(ctx)
	}()
	time.Sleep(100 * time.Millisecond) // lets Shutdown begin; the outcome does not depend on it
	once.Do(func() { close(release) })
	if err := <-shutDone; err != nil {
		t.Fatal(err)
	}
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	if st := statuses(t, pool, "drained"); st["delivered"] != 1 || st["locked"] != 0 {
		t.Fatalf("statuses %v, want the occurrence delivered", st)
	}
}

// The future occurrences of a trigger the metadata no longer has are
// dropped when a scheduler starts; its past ones stay.
func TestRemovedTriggerOccurrencesDropped(t *testing.T) {
	pool := newPool(t)
	rc := newReceiver(t, nil)
	clk := &clock{t: t0}
	tickAll(t, newScheduler(t, pool, everyMinute("gone", rc.srv.URL, schedule.DefaultRetry), clk))
	clk.Set(t0.Add(2 * time.Minute))
	tickAll(t, newScheduler(t, pool, everyMinute("gone", rc.srv.URL, schedule.DefaultRetry), clk))
	if st := statuses(t, pool, "gone"); st["delivered"] != 2 || st["scheduled"] != schedule.Upcoming {
		t.Fatalf("before: %v", st)
	}
	tickAll(t, newScheduler(t, pool, &schedule.Config{}, clk))
	if st := statuses(t, pool, "gone"); st["delivered"] != 2 || st["scheduled"] != 0 {
		t.Fatalf("after: %v, want the 2 delivered only", st)
	}
}
