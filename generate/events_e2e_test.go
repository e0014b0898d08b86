package generate_test

// End-to-end tests of event and scheduled triggers: a server generated
// from testdata/events (a table per behaviour, each with its trigger),
// built and started as a process, delivering to a webhook receiver over
// HTTP. The triggers are installed as `hasgen triggers install` does.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/jackc/pgx/v5"
)

const (
	eventsSchema   = "testdata/events/schema.sql"
	eventsMetadata = "testdata/events/metadata"
	adminSecret    = "e2e-admin-secret"
)

// userHeaders make a request as role user, user 42, through the admin
// secret: the session variables every event of a mutation carries.
var userHeaders = map[string]string{"x-hasura-admin-secret": adminSecret, "x-hasura-role": "user", "x-hasura-user-id": "42"}

// hookRequest is a request the receiver got.
type hookRequest struct {
	At     time.Time
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Event is the body decoded as an event trigger's payload; Event.ID
	// is empty for other bodies (a cron's, a transformed one).
	Event events.Event
}

// receiver is a webhook over HTTP that records every request and answers
// through respond (200 when nil). respond may block: it gets the
// request's context, which ends when the client goes away.
type receiver struct {
	URL     string
	srv     *httptest.Server
	mu      sync.Mutex
	got     []*hookRequest
	respond func(ctx context.Context, r *hookRequest) int
}

func newReceiver(t testing.TB, l net.Listener) *receiver {
	rc := &receiver{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hr := &hookRequest{At: time.Now(), Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
		json.Unmarshal(body, &hr.Event)
		rc.mu.Lock()
		rc.got = append(rc.got, hr)
		respond := rc.respond
		rc.mu.Unlock()
		status := http.StatusOK
		if respond != nil {
			status = respond(r.Context(), hr)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":%d}`, status)
	})
	if l == nil {
		rc.srv = httptest.NewServer(h)
	} else {
		rc.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
		rc.srv.Start()
	}
	rc.URL = rc.srv.URL
	t.Cleanup(rc.srv.Close)
	return rc
}

// setRespond replaces the receiver's answer.
func (rc *receiver) setRespond(f func(ctx context.Context, r *hookRequest) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = f
}

// requests returns the requests received so far that keep says to keep.
func (rc *receiver) requests(keep func(*hookRequest) bool) []*hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []*hookRequest
	for _, r := range rc.got {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// ofTrigger returns the deliveries of trigger's events so far.
func (rc *receiver) ofTrigger(trigger string) []*hookRequest {
	return rc.requests(func(r *hookRequest) bool { return r.Event.Trigger.Name == trigger })
}

// waitFor polls cond until it holds, failing the test after limit (a
// bound on a hang, not a measure).
func waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventsDB is a database of testdata/events with its event triggers
// installed, a receiver for their webhook, and servers started on it.
type eventsDB struct {
	t    testing.TB
	url  string
	hook *receiver
	env  map[string]string
	conn *pgx.Conn
	md   *metadata.Metadata
	cfg  string
	// ignoreUnsupported is e2e.Project.IgnoreUnsupported.
	ignoreUnsupported bool
}

func newEventsDB(t testing.TB) *eventsDB {
	url := pgtest.NewDatabase(t, eventsSchema)
	e := openEventsDB(t, url, eventsMetadata, nil)
	e.env["E2E_WEBHOOK"] = e.hook.URL
	// The cron trigger has its own variable: BenchmarkEvents unsets the
	// event triggers' one and the server must still start.
	e.env["E2E_CRON_WEBHOOK"] = e.hook.URL
	e.env["E2E_SECRET"] = "s3cret"
	return e
}

// openEventsDB installs the event triggers of the metadata cfg into the
// database at url and starts a receiver on l (any port when nil).
func openEventsDB(t testing.TB, url, cfg string, l net.Listener) *eventsDB {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	s, err := introspect.Load(ctx, conn, metadata.Schemas(cfg))
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Load(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, events.InstallSQL(&events.Config{Triggers: md.EventTriggers})); err != nil {
		t.Fatalf("install the triggers: %v", err)
	}
	return &eventsDB{t: t, url: url, conn: conn, md: md, cfg: cfg, hook: newReceiver(t, l), env: map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": url,
		"HASURA_GRAPHQL_ADMIN_SECRET": adminSecret,
		// Short waits between fetches: the tests wait for deliveries.
		"HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL":   "100",
		"HASGEN_SCHEDULED_EVENTS_FETCH_INTERVAL": "500",
	}}
}

// start builds (once per test binary and schema) and starts a server on
// the database, stopped at the test's end.
func (e *eventsDB) start() *e2e.Server {
	e.t.Helper()
	return e.startBuild(e.build(""))
}

// build generates and compiles the server into out (a fresh directory
// when empty).
func (e *eventsDB) build(out string) *e2e.Build {
	e.t.Helper()
	b, err := e2e.BuildServer(context.Background(), e2e.Project{DatabaseURL: e.url, Config: e.cfg, Out: out, IgnoreUnsupported: e.ignoreUnsupported})
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *eventsDB) startBuild(b *e2e.Build) *e2e.Server {
	e.t.Helper()
	s, err := b.Start(context.Background(), e.env)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		s.Stop()
		if e.t.Failed() {
			e.t.Logf("server %d logs:\n%s", s.PID(), strings.TrimSpace(s.Logs()))
		}
	})
	return s
}

// count runs a query that returns one number.
func (e *eventsDB) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// delivered is the number of trigger's events marked delivered.
func (e *eventsDB) delivered(trigger string) int {
	return e.count(`SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = $1 AND delivered`, trigger)
}

// invocation is a row of hdb_catalog.event_invocation_logs.
type invocation struct {
	Status   *int
	Request  string
	Response string
}

// invocations returns an event's invocation logs, oldest first.
func (e *eventsDB) invocations(eventID string) []invocation {
	e.t.Helper()
	rows, err := e.conn.Query(context.Background(), `SELECT status, coalesce(request::text, ''), coalesce(response::text, '') FROM hdb_catalog.event_invocation_logs WHERE event_id = $1 ORDER BY created_at, id`, eventID)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (invocation, error) {
		var i invocation
		err := r.Scan(&i.Status, &i.Request, &i.Response)
		return i, err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// graphql posts a GraphQL request and returns its data, failing the test
// on errors.
func graphql(t testing.TB, base string, headers map[string]string, query string) map[string]json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	_, b, err := postJSON(http.DefaultClient, base+"/v1/graphql", headers, body)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors json.RawMessage            `json:"errors"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Errors != nil {
		t.Fatalf("%s: %v %s", query, err, b)
	}
	return out.Data
}

// postJSON posts body, a JSON document, to url with headers through c;
// it returns the status and the body of the answer. It does not fail a
// test, so that a benchmark's goroutines can use it.
func postJSON(c *http.Client, url string, headers map[string]string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(t testing.TB, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: %v: %s", what, err, got)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// keys returns the keys of a JSON object, sorted.
func keys(t testing.TB, b []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestEventTriggerOperations: an insert, an update of the watched column,
// an update of an unwatched one and a delete, made through GraphQL as
// role user: three events arrive (the unwatched update writes none),
// each with Hasura's payload, the mutation's session variables and the
// trigger's headers.
func TestEventTriggerOperations(t *testing.T) {
	e := newEventsDB(t)
	srv := e.start()

	var ins struct {
		ID int `json:"id"`
	}
	json.Unmarshal(graphql(t, srv.URL, userHeaders, `mutation { insert_items_one(object: {name: "a", watched: 1, unwatched: 1}) { id } }`)["insert_items_one"], &ins)
	graphql(t, srv.URL, userHeaders, fmt.Sprintf(`mutation { update_items_by_pk(pk_columns: {id: %d}, _set: {unwatched: 2}) { id } }`, ins.ID))
	graphql(t, srv.URL, userHeaders, fmt.Sprintf(`mutation { update_items_by_pk(pk_columns: {id: %d}, _set: {watched: 2}) { id } }`, ins.ID))
	graphql(t, srv.URL, userHeaders, fmt.Sprintf(`mutation { delete_items_by_pk(id: %d) { id } }`, ins.ID))

	waitFor(t, "3 events delivered", 30*time.Second, func() bool { return e.delivered("items_changed") == 3 })
	// Every event of the trigger is in the log: three, so the update of
	// the unwatched column made none, and no other can arrive later.
	if n := e.count(`SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'items_changed'`); n != 3 {
		t.Fatalf("%d events in the log, want 3", n)
	}
	got := e.hook.ofTrigger("items_changed")
	if len(got) != 3 {
		t.Fatalf("%d deliveries, want 3", len(got))
	}
	byOp := map[string]*hookRequest{}
	for _, r := range got {
		byOp[r.Event.Event.Op] = r
	}
	row := func(watched, unwatched int) string {
		return fmt.Sprintf(`{"id": %d, "name": "a", "watched": %d, "unwatched": %d, "owner": "42"}`, ins.ID, watched, unwatched)
	}
	cases := []struct{ op, old, new string }{
		{"INSERT", "null", row(1, 1)},
		{"UPDATE", row(1, 2), row(2, 2)},
		{"DELETE", row(2, 2), "null"},
	}
	for _, c := range cases {
		r := byOp[c.op]
		if r == nil {
			t.Errorf("no %s event; got %d events", c.op, len(got))
			continue
		}
		if diff := cmp.Diff([]string{"created_at", "delivery_info", "event", "id", "table", "trigger"}, keys(t, r.Body)); diff != "" {
			t.Errorf("%s: payload keys (-want +got):\n%s", c.op, diff)
		}
		var p struct {
			Event json.RawMessage `json:"event"`
		}
		json.Unmarshal(r.Body, &p)
		var ek []string
		for _, k := range keys(t, p.Event) {
			if k != "trace_context" { // Hasura writes it when it traces
				ek = append(ek, k)
			}
		}
		if diff := cmp.Diff([]string{"data", "op", "session_variables"}, ek); diff != "" {
			t.Errorf("%s: event keys (-want +got):\n%s", c.op, diff)
		}
		jsonEqual(t, c.op+" old", r.Event.Event.Data.Old, c.old)
		jsonEqual(t, c.op+" new", r.Event.Event.Data.New, c.new)
		if diff := cmp.Diff(map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42"}, r.Event.Event.SessionVariables); diff != "" {
			t.Errorf("%s: session variables (-want +got):\n%s", c.op, diff)
		}
		if r.Event.Trigger.Name != "items_changed" || r.Event.Table != (events.TableRef{Schema: "public", Name: "items"}) {
			t.Errorf("%s: trigger %+v table %+v", c.op, r.Event.Trigger, r.Event.Table)
		}
		if r.Event.DeliveryInfo != (events.DeliveryInfo{MaxRetries: 0, CurrentRetry: 0}) {
			t.Errorf("%s: delivery_info %+v", c.op, r.Event.DeliveryInfo)
		}
		if n := e.count(`SELECT count(*) FROM hdb_catalog.event_log WHERE id::text = $1 AND delivered`, r.Event.ID); n != 1 {
			t.Errorf("%s: event id %q is not a delivered event of the log", c.op, r.Event.ID)
		}
		if _, err := time.Parse("2006-01-02T15:04:05.999999", r.Event.CreatedAt); err != nil {
			t.Errorf("%s: created_at: %v", c.op, err)
		}
		for h, want := range map[string]string{"X-Test-Header": "fixed", "X-Test-Secret": "s3cret", "Content-Type": "application/json"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: header %s = %q, want %q", c.op, h, got, want)
			}
		}
		if r.Method != http.MethodPost {
			t.Errorf("%s: method %s", c.op, r.Method)
		}
		if inv := e.invocations(r.Event.ID); len(inv) != 1 || inv[0].Status == nil || *inv[0].Status != 200 {
			t.Errorf("%s: invocation logs %+v, want one with status 200", c.op, inv)
		}
	}
}

// TestEventTriggerRetries: a webhook that answers 500 twice, then 200, is
// tried three times, each try logged; one that does not answer within
// the trigger's timeout is tried again.
func TestEventTriggerRetries(t *testing.T) {
	e := newEventsDB(t)
	var mu sync.Mutex
	tries := map[string]int{}
	e.hook.setRespond(func(ctx context.Context, r *hookRequest) int {
		mu.Lock()
		tries[r.Event.ID]++
		n := tries[r.Event.ID]
		mu.Unlock()
		switch {
		case r.Event.Trigger.Name == "retried_insert" && n <= 2:
			return http.StatusInternalServerError
		case r.Event.Trigger.Name == "slow_insert" && n == 1:
			// Longer than the trigger's 1 s timeout.
			select {
			case <-ctx.Done():
			case <-time.After(3 * time.Second):
			}
		}
		return http.StatusOK
	})
	srv := e.start()
	graphql(t, srv.URL, userHeaders, `mutation { insert_retried(objects: [{v: 1}]) { affected_rows } insert_slow(objects: [{v: 1}]) { affected_rows } }`)
	waitFor(t, "both events delivered", 60*time.Second, func() bool {
		return e.delivered("retried_insert") == 1 && e.delivered("slow_insert") == 1
	})

	got := e.hook.ofTrigger("retried_insert")
	if len(got) != 3 {
		t.Fatalf("retried_insert: %d tries, want 3", len(got))
	}
	for i, r := range got {
		if r.Event.ID != got[0].Event.ID || r.Event.DeliveryInfo != (events.DeliveryInfo{MaxRetries: 3, CurrentRetry: i}) {
			t.Errorf("try %d: event %s, delivery_info %+v", i, r.Event.ID, r.Event.DeliveryInfo)
		}
	}
	var statuses []int
	for _, inv := range e.invocations(got[0].Event.ID) {
		if inv.Status == nil {
			t.Errorf("an invocation log without status: %+v", inv)
			continue
		}
		statuses = append(statuses, *inv.Status)
	}
	if diff := cmp.Diff([]int{500, 500, 200}, statuses); diff != "" {
		t.Errorf("retried_insert: invocation statuses (-want +got):\n%s", diff)
	}
	if n := e.count(`SELECT tries FROM hdb_catalog.event_log WHERE trigger_name = 'retried_insert'`); n != 3 {
		t.Errorf("retried_insert: tries = %d, want 3", n)
	}

	slow := e.hook.ofTrigger("slow_insert")
	if len(slow) != 2 {
		t.Fatalf("slow_insert: %d tries, want 2", len(slow))
	}
	inv := e.invocations(slow[0].Event.ID)
	if len(inv) != 2 || inv[1].Status == nil || *inv[1].Status != 200 || inv[0].Status != nil && *inv[0].Status == 200 {
		t.Errorf("slow_insert: invocation logs %+v, want a failed try then 200", inv)
	}
	if slow[1].Event.DeliveryInfo.CurrentRetry != 1 {
		t.Errorf("slow_insert: second try has delivery_info %+v", slow[1].Event.DeliveryInfo)
	}
}

// TestEventTriggerKilledMidDelivery: a server killed with SIGKILL while
// its webhook call is in flight leaves the event claimed; a server
// started afterwards delivers it once the lease has passed.
func TestEventTriggerKilledMidDelivery(t *testing.T) {
	e := newEventsDB(t)
	arrived := make(chan string, 1)
	var once sync.Once
	e.hook.setRespond(func(ctx context.Context, r *hookRequest) int {
		if r.Event.Trigger.Name != "blocked_insert" {
			return http.StatusOK
		}
		first := false
		once.Do(func() { first = true })
		if first {
			arrived <- r.Event.ID
			<-ctx.Done() // until the server dies
		}
		return http.StatusOK
	})
	first := e.start()
	if _, err := e.conn.Exec(context.Background(), `INSERT INTO blocked (v) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	var id string
	select {
	case id = <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the event was not delivered")
	}
	if err := syscall.Kill(first.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.Exited()
	if n := e.count(`SELECT count(*) FROM hdb_catalog.event_log WHERE id::text = $1 AND NOT delivered AND locked IS NOT NULL`, id); n != 1 {
		t.Fatalf("after the kill, the event is not claimed and undelivered")
	}
	killed := time.Now()
	e.start()
	// The lease is the triggers' longest timeout (5 s) plus 30 s.
	waitFor(t, "the event delivered after the restart", 90*time.Second, func() bool { return e.delivered("blocked_insert") == 1 })
	t.Logf("delivered %v after the kill", time.Since(killed).Round(time.Second))
	got := e.hook.ofTrigger("blocked_insert")
	if len(got) != 2 || got[0].Event.ID != id || got[1].Event.ID != id {
		t.Fatalf("deliveries %d, want the event twice", len(got))
	}
	if inv := e.invocations(id); len(inv) != 1 || inv[0].Status == nil || *inv[0].Status != 200 {
		t.Errorf("invocation logs %+v, want the restarted server's 200", inv)
	}
}

// TestEventTriggerThreeInstances: three servers on one database deliver
// 10,000 events inserted by one statement: each exactly once.
func TestEventTriggerThreeInstances(t *testing.T) {
	const n = 10000
	e := newEventsDB(t)
	for range 3 {
		e.start()
	}
	start := time.Now()
	if _, err := e.conn.Exec(context.Background(), `INSERT INTO bulk (v) SELECT g FROM generate_series(1, $1::int) g`, n); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "10,000 events delivered", 5*time.Minute, func() bool { return e.delivered("bulk_insert") == n })
	t.Logf("%d events delivered by 3 instances in %v", n, time.Since(start).Round(time.Millisecond))
	seen := map[string]int{}
	for _, r := range e.hook.ofTrigger("bulk_insert") {
		seen[r.Event.ID]++
	}
	dup := 0
	for _, c := range seen {
		if c > 1 {
			dup++
		}
	}
	if len(seen) != n || dup > 0 {
		t.Errorf("%d distinct events received, %d more than once; want %d, none", len(seen), dup, n)
	}
	if got := e.count(`SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'bulk_insert'`); got != n {
		t.Errorf("%d events in the log, want %d", got, n)
	}
	if got := e.count(`SELECT count(*) FROM hdb_catalog.event_invocation_logs i JOIN hdb_catalog.event_log l ON l.id = i.event_id WHERE l.trigger_name = 'bulk_insert'`); got != n {
		t.Errorf("%d invocation logs, want %d", got, n)
	}
}

// TestObservabilityChinookTrigger: observability-chinook's metadata,
// unchanged, delivers its Album_insert trigger through its request
// transform (a GraphQL query in place of the payload) to its webhook,
// http://localhost:8080/v1/graphql, where the test listens; its other
// trigger gets Hasura's payload at /v2/query.
func TestObservabilityChinookTrigger(t *testing.T) {
	dir := filepath.Join(projectsDir(t), "observability-chinook")
	meta := filepath.Join(dir, "metadata")
	url, _ := projectDB(t, dir, "migrations/default/*/up.sql", meta)
	// The webhook's port is fixed by the metadata: wait for it to be free
	// (another test may hold it).
	var l net.Listener
	waitFor(t, "127.0.0.1:8080 free", 2*time.Minute, func() bool {
		var err error
		l, err = net.Listen("tcp", "127.0.0.1:8080")
		return err == nil
	})
	e := openEventsDB(t, url, meta, l)
	e.ignoreUnsupported = true
	e.env["HGE_DATABASE_URL"] = url
	// Its read_replicas name HGE_DATABASE_REPLICA_URL: the same database here.
	e.env["HGE_DATABASE_REPLICA_URL"] = url
	e.env["HASURA_GRAPHQL_UNAUTHORIZED_ROLE"] = "anonymous"
	srv := e.start()
	graphql(t, srv.URL, nil, `mutation { insert_Album(objects: [{Title: "hasgen", ArtistId: 1}]) { affected_rows } }`)

	transformed := func() []*hookRequest {
		return e.hook.requests(func(r *hookRequest) bool {
			return r.Path == "/v1/graphql" && strings.Contains(string(r.Body), "GetAlbums")
		})
	}
	waitFor(t, "Album_insert delivered", 30*time.Second, func() bool { return e.delivered("Album_insert") == 1 })
	got := transformed()
	if len(got) != 1 {
		t.Fatalf("%d transformed requests at /v1/graphql, want 1", len(got))
	}
	jsonEqual(t, "transformed body", got[0].Body, `{
		"query": "query GetAlbums @cached(ttl: 65) {Album(limit: 10, order_by: {AlbumId: desc}) {  Title  AlbumId ArtistId  }}",
		"variables": null,
		"operationName": "GetAlbums"
	}`)
	if got[0].Method != http.MethodPost || got[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("transformed request: %s, Content-Type %q", got[0].Method, got[0].Header.Get("Content-Type"))
	}

	waitFor(t, "Album_insert_failed delivered", 30*time.Second, func() bool { return len(e.hook.ofTrigger("Album_insert_failed")) > 0 })
	plain := e.hook.ofTrigger("Album_insert_failed")[0]
	if plain.Path != "/v2/query" || plain.Event.Event.Op != "INSERT" || plain.Event.Table != (events.TableRef{Schema: "public", Name: "Album"}) {
		t.Errorf("Album_insert_failed: %s %s", plain.Path, plain.Body)
	}
	jsonEqual(t, "Album_insert_failed new row", plain.Event.Event.Data.New, `{"AlbumId": 348, "Title": "hasgen", "ArtistId": 1}`)
	if diff := cmp.Diff(map[string]string{"x-hasura-role": "anonymous"}, plain.Event.Event.SessionVariables); diff != "" {
		t.Errorf("session variables (-want +got):\n%s", diff)
	}
}

// handlersGo is the user's events/handlers.go of TestEventTriggerGoHandler:
// the handler fails its first try, then reports what it got, typed, to
// the receiver at /go.
const handlersGo = `package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"

	runtimeevents "github.com/hasgen/hasgen/runtime/events"
)

var tries atomic.Int32

func Setup() Handlers {
	return Handlers{
		HandledChange: func(ctx context.Context, e *runtimeevents.RowEvent[Handled]) error {
			if tries.Add(1) == 1 {
				return errors.New("the first try fails")
			}
			report := map[string]any{
				"id": e.ID, "op": e.Event.Event.Op, "try": e.DeliveryInfo.CurrentRetry,
				"session": e.Event.Event.SessionVariables, "old": e.Old, "new": e.New,
				"types": fmt.Sprintf("%T %T %T %T %T %T %T %T %T %T %T %T %T %T %T %T", e.New.ID, e.New.Name, e.New.Score, e.New.Tags, e.New.Meta, e.New.At, e.New.Day, e.New.Big,
					e.New.Small, e.New.Flag, e.New.Ratio, e.New.UID, e.New.Naive, e.New.Blob, e.New.Feeling, e.New.Grid),
				"big": fmt.Sprint(*e.New.Big), "at": e.New.At.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			}
			b, err := json.Marshal(report)
			if err != nil {
				return err
			}
			resp, err := http.Post(os.Getenv("E2E_WEBHOOK")+"/go", "application/json", bytes.NewReader(b))
			if err != nil {
				return err
			}
			return resp.Body.Close()
		},
	}
}
`

// TestEventTriggerGoHandler: a trigger with a Go handler in the emitted
// project's events/handlers.go goes to the handler, not to its webhook,
// with the rows decoded into the generated row struct; the handler's
// error is a failed try, retried.
func TestEventTriggerGoHandler(t *testing.T) {
	e := newEventsDB(t)
	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, "events"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "events", "handlers.go"), []byte(handlersGo), 0o644); err != nil {
		t.Fatal(err)
	}
	e.startBuild(e.build(out))
	var id string
	// The insert's session, as a mutation of the server sets it; UTC, so
	// that to_json writes the timestamp with +00:00.
	if _, err := e.conn.Exec(context.Background(), `SELECT set_config('hasura.user', '{"x-hasura-role":"editor","x-hasura-user-id":"7"}', false); SET TimeZone = 'UTC'`); err != nil {
		t.Fatal(err)
	}
	if err := e.conn.QueryRow(context.Background(), `INSERT INTO handled (name, score, tags, meta, at, day, big, small, flag, ratio, uid, naive, blob, feeling, grid)
		VALUES ('h', 12.50, '{a,b}', '{"k": [1, 2]}', '2024-02-29T10:11:12.345Z', '2024-02-29', 9007199254740993,
		        -3, true, 0.25, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29 10:11:12', '\x0102', 'busy', '{{1,2},{3,4}}')
		RETURNING id::text`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the event handled", 30*time.Second, func() bool { return e.delivered("handled_change") == 1 })
	reports := e.hook.requests(func(r *hookRequest) bool { return r.Path == "/go" })
	if len(reports) != 1 {
		t.Fatalf("%d reports from the handler, want 1", len(reports))
	}
	jsonEqual(t, "the handler's view", reports[0].Body, `{
		"id": "`+e.eventIDs("handled_change")[0]+`", "op": "INSERT", "try": 1,
		"session": {"x-hasura-role": "editor", "x-hasura-user-id": "7"},
		"old": null,
		"new": {"id": `+id+`, "name": "h", "score": 12.50, "tags": ["a", "b"], "meta": {"k": [1, 2]}, "at": "2024-02-29T10:11:12.345Z", "day": "2024-02-29", "big": 9007199254740993,
			"small": -3, "flag": true, "ratio": 0.25, "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "naive": "2024-02-29T10:11:12", "blob": "\\x0102", "feeling": "busy", "grid": [[1, 2], [3, 4]]},
		"types": "int32 string *json.Number []string json.RawMessage *time.Time *string *int64 *int16 *bool *float64 *string *string *string *string [][]int32",
		"big": "9007199254740993", "at": "2024-02-29T10:11:12.345Z"
	}`)
	if n := len(e.hook.ofTrigger("handled_change")); n != 0 {
		t.Errorf("the webhook got %d deliveries of a trigger handled in Go", n)
	}
	inv := e.invocations(e.eventIDs("handled_change")[0])
	if len(inv) != 2 || !strings.Contains(inv[0].Response, "the first try fails") {
		t.Errorf("invocation logs %+v, want the failed try (its error) then the good one", inv)
	}
}

// eventIDs returns the ids of trigger's events, oldest first.
func (e *eventsDB) eventIDs(trigger string) []string {
	e.t.Helper()
	rows, err := e.conn.Query(context.Background(), `SELECT id::text FROM hdb_catalog.event_log WHERE trigger_name = $1 ORDER BY created_at`, trigger)
	if err != nil {
		e.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}
