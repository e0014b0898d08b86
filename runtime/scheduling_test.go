package runtime_test

// Scheduled triggers in runtime.NewServer: observability-chinook's cron
// triggers (read by the metadata loader from the project's
// cron_triggers.yaml, their request transforms included) and one-off
// events created through POST /v1/metadata, delivered to a real webhook
// receiver; the clock is the test's, the rounds real.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasgen/hasgen/introspect"
	hmetadata "github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/schedule"
)

// testClock is a settable clock for the scheduler.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// chinookCrons reads observability-chinook's cron triggers with the
// metadata loader, their webhooks moved to base (same paths).
func chinookCrons(t *testing.T, base string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "..", "shared", "hasura-projects", "observability-chinook", "metadata", "cron_triggers.yaml"))
	if err != nil {
		t.Fatalf("the Hasura projects are read from ../shared beside the checkout: %v", err)
	}
	m, err := hmetadata.LoadFS(fstest.MapFS{
		"metadata/databases/databases.yaml": &fstest.MapFile{Data: []byte("- name: default\n  kind: postgres\n  tables: []\n")},
		"metadata/cron_triggers.yaml":       &fstest.MapFile{Data: b},
	}, "metadata", &introspect.Schema{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.CronTriggers) != 3 {
		t.Fatalf("%d cron triggers in observability-chinook, want 3", len(m.CronTriggers))
	}
	for i := range m.CronTriggers {
		u, err := url.Parse(m.CronTriggers[i].Webhook)
		if err != nil {
			t.Fatal(err)
		}
		m.CronTriggers[i].Webhook = base + u.Path
	}
	j, err := json.Marshal(struct {
		Crons []schedule.Cron `json:"cron_triggers"`
	}{m.CronTriggers})
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

// hit is one request the webhook receiver got.
type hit struct {
	method, path, contentType, body string
}

func TestScheduledTriggersServed(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	var mu sync.Mutex
	var hits []hit
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, hit{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(b)})
		mu.Unlock()
		if r.URL.Path == "/" {
			http.NotFound(w, r) // as Hasura's root: cron_failure fails
		}
	}))
	defer hook.Close()
	got := func() []hit { mu.Lock(); defer mu.Unlock(); return append([]hit(nil), hits...) }
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for len(got()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d requests after 20 s, want %d: %v", len(got()), n, got())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	start := time.Now().UTC().Truncate(time.Minute).Add(10 * time.Second)
	clock := &testClock{t: start}
	hs, _, err := eventsServer(t, db, chinookCrons(t, hook.URL), nil, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	admin := map[string]string{"X-Hasura-Admin-Secret": rtSecret}
	// The first round makes the occurrences after start; then the clock
	// passes the first of them.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out := metadata(t, hs.URL, `{"type":"get_scheduled_events","args":{"type":"cron","trigger_name":"cron_success","limit":1,"get_rows_count":true}}`, admin)
		if strings.Contains(out, `"count":100`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no occurrences made: %s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	due := start.Truncate(time.Minute).Add(time.Minute)
	clock.Set(due.Add(5 * time.Second))
	waitFor(3)
	byPath := map[string]hit{}
	for _, h := range got() {
		byPath[h.method+" "+h.path] = h
	}
	scheduled := due.Format(time.RFC3339)
	album := byPath["POST /v1/graphql"]
	if !strings.Contains(album.body, `"operationName":"CreateAlbum"`) || strings.Contains(album.body, "scheduled_time") {
		t.Errorf("album_insert: body transformed to %q", album.body)
	}
	failure := byPath["POST /"]
	if !strings.Contains(failure.body, `"name":"cron_failure"`) || !strings.Contains(failure.body, `"scheduled_time":"`+scheduled+`"`) ||
		!strings.Contains(failure.body, `"payload":{}`) || failure.contentType != "application/json" {
		t.Errorf("cron_failure: %+v", failure)
	}
	success, ok := byPath["GET /v1/version"]
	if !ok || success.contentType != "" {
		t.Errorf("cron_success (GET, no content-type): %+v in %v", success, got())
	}

	// cron_failure's 404 is logged; without retries the event is an error.
	var events struct {
		Events []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"events"`
		Count int `json:"count"`
	}
	waitStatus := func(body string, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			status, out := metadata(t, hs.URL, body, admin)
			if status != 200 {
				t.Fatalf("%s: %d %s", body, status, out)
			}
			if err := json.Unmarshal([]byte(out), &events); err != nil {
				t.Fatal(err)
			}
			if len(events.Events) == 1 && events.Events[0].Status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s, want one %s event", body, out, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitStatus(`{"type":"get_scheduled_events","args":{"type":"cron","trigger_name":"cron_failure","status":["error"],"get_rows_count":true}}`, "error")
	status, out := metadata(t, hs.URL, fmt.Sprintf(`{"type":"get_scheduled_event_invocations","args":{"type":"cron","event_id":%q}}`, events.Events[0].ID), admin)
	if status != 200 || !strings.Contains(out, `"status":404`) || !strings.Contains(out, `"name":"cron_failure"`) {
		t.Fatalf("invocations of cron_failure: %d %s", status, out)
	}

	// A one-off event created now is delivered at the next round.
	status, out = metadata(t, hs.URL, fmt.Sprintf(`{"type":"create_scheduled_event","args":{"webhook":%q,"schedule_at":%q,"payload":{"n":1},"comment":"once"}}`,
		hook.URL+"/once", clock.Now().Format(time.RFC3339)), admin)
	var created struct {
		Message string `json:"message"`
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal([]byte(out), &created); status != 200 || err != nil || created.Message != "success" || created.EventID == "" {
		t.Fatalf("create_scheduled_event: %d %s", status, out)
	}
	waitFor(4)
	once := got()[3]
	want := fmt.Sprintf(`{"id":%q,"scheduled_time":%q,"payload":{"n":1},"comment":"once","created_at":%q}`,
		created.EventID, clock.Now().Format(time.RFC3339), clock.Now().Format(time.RFC3339))
	if once.path != "/once" || once.body != want {
		t.Fatalf("one-off event: %+v\nwant body %s", once, want)
	}
	waitStatus(`{"type":"get_scheduled_events","args":{"type":"one_off"}}`, "delivered")
	if n := len(got()); n != 4 {
		t.Fatalf("%d requests, want 4 (each occurrence once)", n)
	}

	// /metrics counts the tries and the events done with.
	wantMetrics := []string{
		`hasgen_cron_events_invocation_total{status="failed"} 1`, `hasgen_cron_events_invocation_total{status="success"} 2`,
		`hasgen_cron_events_processed_total{status="failed"} 1`, `hasgen_cron_events_processed_total{status="success"} 2`,
		`hasgen_oneoff_events_invocation_total{status="success"} 1`, `hasgen_oneoff_events_processed_total{status="success"} 1`,
	}
	waitMetrics(t, hs.URL, wantMetrics...)
}

// A cron trigger that cannot be served fails the start, naming it; a
// catalog that cannot be installed fails it when there are cron triggers,
// and is only logged otherwise (one-off events are then not served).
func TestSchedulingStartFailures(t *testing.T) {
	ctx := context.Background()
	// A role that may not create the catalog's schema (no CREATE on the
	// databases), dropped once the subtests' databases are.
	role := fmt.Sprintf("hasgen_nocreate_%d", time.Now().UnixNano())
	r := pgx.Identifier{role}.Sanitize()
	{
		pool, err := pgxpool.New(ctx, pgtest.Shared(t).DatabaseURL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close) // after the role is dropped
		if _, err := pool.Exec(ctx, `CREATE ROLE `+r+` LOGIN`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := pool.Exec(context.Background(), `DROP ROLE `+r); err != nil {
				t.Error(err)
			}
		})
	}
	cron := `{"cron_triggers":[{"name":"nightly","webhook":"http://127.0.0.1:1/x","schedule":"0 3 * * *","retry_conf":{"num_retries":0,"retry_interval_seconds":10,"timeout_seconds":60,"tolerance_seconds":21600}}]}`
	tests := []struct {
		name    string
		limited bool // the server connects as role
		setup   string
		events  string
		err     string // of NewServer
		log     string
	}{
		{"cron webhook from an unset variable", false, "", `{"cron_triggers":[{"name":"hourly","webhook_from_env":"HOURLY_HOOK","schedule":"0 * * * *"}]}`,
			`scheduled triggers: cron trigger "hourly": webhook_from_env: environment variable HOURLY_HOOK is not set`, ""},
		{"catalog not installable with cron triggers", true, "", cron, "scheduled triggers: install the scheduled triggers' catalog", ""},
		{"catalog not installable without cron triggers", true, "", `{}`, "", "one-off scheduled events are not served"},
		{"catalog installed for the role", true, schedule.CatalogSQL + `
GRANT USAGE ON SCHEMA hdb_catalog TO ` + r + `;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA hdb_catalog TO ` + r + `;`, cron, "", "delivering scheduled triggers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
			if tt.setup != "" {
				owner, err := pgxpool.New(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := owner.Exec(ctx, tt.setup); err != nil {
					t.Fatal(err)
				}
				// Runs once the server is closed, before the database is
				// dropped: the role's privileges go first.
				t.Cleanup(func() {
					if _, err := owner.Exec(context.Background(), `DROP OWNED BY `+r); err != nil {
						t.Error(err)
					}
					owner.Close()
				})
			}
			if tt.limited {
				if u, err := url.Parse(db); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
					u.User = url.User(role)
					db = u.String()
				} else {
					db += " user=" + role // a keyword/value connection string
				}
			}
			hs, logs, err := eventsServer(t, db, tt.events, nil, nil)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("NewServer: %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Fatalf("log %q, want %q", logs.String(), tt.log)
			}
			status, out := metadata(t, hs.URL, `{"type":"create_scheduled_event","args":{"webhook":"http://x","schedule_at":"2030-01-01T00:00:00Z"}}`,
				map[string]string{"X-Hasura-Admin-Secret": rtSecret})
			if served := tt.setup != ""; served != (status == 200 && strings.Contains(out, `"event_id"`)) ||
				!served && (status != 400 || !strings.Contains(out, `unknown metadata command \"create_scheduled_event\"`)) {
				t.Fatalf("create_scheduled_event (served: %v): %d %s", served, status, out)
			}
		})
	}
}

// Three servers on one database: every occurrence of a cron trigger is
// delivered once.
func TestCronOnceAcrossThreeServers(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	var mu sync.Mutex
	times := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ScheduledTime string `json:"scheduled_time"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		times[body.ScheduledTime]++
		mu.Unlock()
	}))
	defer hook.Close()
	start := time.Now().UTC().Truncate(time.Minute).Add(10 * time.Second)
	clock := &testClock{t: start}
	crons := fmt.Sprintf(`{"cron_triggers":[{"name":"every_minute","webhook":%q,"schedule":"* * * * *",
		"retry_conf":{"num_retries":0,"retry_interval_seconds":10,"timeout_seconds":10,"tolerance_seconds":21600}}]}`, hook.URL)
	var servers []*httptest.Server
	for range 3 {
		hs, _, err := eventsServer(t, db, crons, nil, clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, hs)
	}
	admin := map[string]string{"X-Hasura-Admin-Secret": rtSecret}
	count := func(status string) int {
		t.Helper()
		_, out := metadata(t, servers[0].URL, `{"type":"get_scheduled_events","args":{"type":"cron","trigger_name":"every_minute","limit":0,"status":["`+status+`"],"get_rows_count":true}}`, admin)
		var res struct {
			Count int `json:"count"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		return res.Count
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 20 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait("occurrences made", func() bool { return count("scheduled") == 100 })
	clock.Set(start.Add(10 * time.Minute))
	// Once the 10 due occurrences are delivered, none is left to deliver:
	// a second delivery could only have come from a second claim before.
	wait("10 occurrences delivered", func() bool { return count("delivered") == 10 })
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 10 {
		t.Fatalf("%d occurrences delivered, want 10: %v", len(times), times)
	}
	for at, n := range times {
		if n != 1 {
			t.Errorf("occurrence %s delivered %d times", at, n)
		}
	}
}
