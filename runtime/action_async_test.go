package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/actions"
)

const (
	asyncSQL    = "testdata/fixtures/async/schema.sql"
	asyncConfig = "testdata/fixtures/async/metadata"
)

// orderHandler is the webhook of the async fixture's place_order: it
// counts the calls by item, blocks the item "slow" until release is
// closed, answers 400 for "bad", an object without the non-null order_id
// for "invalid", and else the order of the session's
// user (user_id "other" for the item "other": user 2).
type orderHandler struct {
	*httptest.Server
	release chan struct{}
	// hold blocks the item "held" as release blocks "slow".
	hold    chan struct{}
	mu      sync.Mutex
	calls   map[string]int
	bodies  map[string]map[string]any
	headers map[string]http.Header
}

func newOrderHandler(t testing.TB) *orderHandler {
	h := &orderHandler{release: make(chan struct{}), hold: make(chan struct{}), calls: map[string]int{}, bodies: map[string]map[string]any{}, headers: map[string]http.Header{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		input, _ := body["input"].(map[string]any)
		session, _ := body["session_variables"].(map[string]any)
		item, _ := input["item"].(string)
		h.mu.Lock()
		h.calls[item]++
		h.bodies[item] = body
		h.headers[item] = r.Header.Clone()
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch item {
		case "slow":
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
		case "held":
			select {
			case <-h.hold:
			case <-r.Context().Done():
			}
		case "bad":
			w.WriteHeader(400)
			io.WriteString(w, `{"message": "out of stock", "code": "no-stock"}`)
			return
		case "invalid":
			io.WriteString(w, `{"note": "no order_id"}`)
			return
		}
		user := session["x-hasura-user-id"]
		if item == "other" {
			user = "2"
		}
		if user == nil {
			user = "0"
		}
		fmt.Fprintf(w, `{"order_id": %d, "user_id": %s, "note": %q}`, len(item), user, item)
	}))
	t.Cleanup(func() {
		for _, c := range []chan struct{}{h.release, h.hold} {
			select {
			case <-c:
			default:
				close(c)
			}
		}
		h.Close()
	})
	return h
}

func (h *orderHandler) count(item string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[item]
}

// gql posts a GraphQL request to a generated server as role (with
// x-hasura-user-id when user is set; admin when role is empty).
func gql(t *testing.T, base, role, user, query string, variables any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	h := map[string]string{"X-Hasura-Admin-Secret": e2eSecret, "X-Client-Tag": "tag-1"}
	if role != "" {
		h["X-Hasura-Role"] = role
	}
	if user != "" {
		h["X-Hasura-User-Id"] = user
	}
	status, resp := post(t, base+"/v1/graphql", string(body), h)
	if status != 200 {
		t.Fatalf("status %d: %s", status, resp)
	}
	return resp
}

// placeOrder runs the mutation as user 1 and returns the action id.
func placeOrder(t *testing.T, base, item string) string {
	t.Helper()
	resp := gql(t, base, "user", "1", `mutation($i: String!) { place_order(item: $i) }`, map[string]any{"i": item})
	var r struct {
		Data struct {
			PlaceOrder string `json:"place_order"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(resp), &r); err != nil || len(r.Data.PlaceOrder) != 36 {
		t.Fatalf("place_order: %s", resp)
	}
	return r.Data.PlaceOrder
}

const orderQuery = `query($id: uuid!) { place_order(id: $id) { __typename id errors output { order_id note buyer { name } } } }`

// TestAsyncActions: asynchronous actions end to end, over HTTP and
// websockets against two generated servers on one database (two
// workers), with a real webhook: the id comes back while the handler is
// blocked, the query shows the call pending then done, a 4xx is stored
// as errors, only the session that made a call reads it, output
// relationships answer under the caller's permissions, a subscription
// gets the result then completes, a role without permission does not see
// the fields, and no call reaches the handler twice.
func TestAsyncActions(t *testing.T) {
	h := newOrderHandler(t)
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), asyncSQL))
	project := e2e.Project{DatabaseURL: url, Config: filepath.Join(repoRoot(t), asyncConfig)}
	env := func() map[string]string {
		return map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": e2eSecret, "ASYNC_BASE": h.URL,
			"HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL": "100", "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "100"}
	}
	a := e2e.StartT(t, project, env())
	b := e2e.StartT(t, project, env())

	t.Run("pending then done", func(t *testing.T) {
		start := time.Now()
		id := placeOrder(t, a.URL, "slow")
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("the mutation took %s", d)
		}
		eventually(t, "the handler is called", func() bool { return h.count("slow") == 1 })
		want := `{"data":{"place_order":{"__typename":"place_order","id":"` + id + `","errors":null,"output":null}}}`
		if got := gql(t, a.URL, "user", "1", orderQuery, map[string]any{"id": id}); got != want {
			t.Fatalf("while the handler is blocked:\n got %s\nwant %s", got, want)
		}
		close(h.release)
		want = `{"data":{"place_order":{"__typename":"place_order","id":"` + id + `","errors":null,"output":{"order_id":4,"note":"slow","buyer":{"name":"ann"}}}}}`
		var got string
		eventually(t, "the output is stored", func() bool {
			got = gql(t, b.URL, "user", "1", orderQuery, map[string]any{"id": id})
			return !strings.Contains(got, `"output":null`)
		})
		if got != want {
			t.Fatalf("done:\n got %s\nwant %s", got, want)
		}
		// Hasura's payload, with the session and the forwarded headers.
		h.mu.Lock()
		body, hdr := h.bodies["slow"], h.headers["slow"]
		h.mu.Unlock()
		if body["action"].(map[string]any)["name"] != "place_order" || fmt.Sprint(body["session_variables"]) != "map[x-hasura-role:user x-hasura-user-id:1]" {
			t.Errorf("payload %v", body)
		}
		if hdr.Get("X-Client-Tag") != "tag-1" || hdr.Get("X-Hasura-Admin-Secret") != "" {
			t.Errorf("forwarded headers %v", hdr)
		}
		// Another user, and a role that does not see the action.
		if got := gql(t, a.URL, "user", "2", orderQuery, map[string]any{"id": id}); got != `{"data":{"place_order":null}}` {
			t.Errorf("user 2 reads user 1's call: %s", got)
		}
		if got := gql(t, a.URL, "guest", "1", orderQuery, map[string]any{"id": id}); !strings.Contains(got, `"errors"`) || strings.Contains(got, `"data"`) {
			t.Errorf("guest: %s", got)
		}
		admin := gql(t, a.URL, "", "", `query($id: uuid!) { place_order(id: $id) { id output { note } } }`, map[string]any{"id": id})
		if admin != `{"data":{"place_order":{"id":"`+id+`","output":{"note":"slow"}}}}` {
			t.Errorf("admin: %s", admin)
		}
		if got := gql(t, a.URL, "user", "1", orderQuery, map[string]any{"id": "not-a-uuid"}); !strings.Contains(got, `"errors"`) {
			t.Errorf("a bad id: %s", got)
		}
	})

	t.Run("relationship under permissions", func(t *testing.T) {
		id := placeOrder(t, a.URL, "other")
		q := `query($id: uuid!) { place_order(id: $id) { output { user_id buyer { id name } } } }`
		var got string
		eventually(t, "the output is stored", func() bool {
			got = gql(t, a.URL, "user", "1", q, map[string]any{"id": id})
			return !strings.Contains(got, `"output":null`)
		})
		// User 1 may not see user 2's row.
		if got != `{"data":{"place_order":{"output":{"user_id":2,"buyer":null}}}}` {
			t.Errorf("user 1: %s", got)
		}
		if got := gql(t, a.URL, "", "", q, map[string]any{"id": id}); got != `{"data":{"place_order":{"output":{"user_id":2,"buyer":{"id":2,"name":"bob"}}}}}` {
			t.Errorf("admin: %s", got)
		}
	})

	t.Run("4xx is stored as errors", func(t *testing.T) {
		id := placeOrder(t, b.URL, "bad")
		want := `{"data":{"place_order":{"__typename":"place_order","id":"` + id + `","errors":{"code":"no-stock","path":"$","error":"out of stock"},"output":null}}}`
		var got string
		eventually(t, "the errors are stored", func() bool {
			got = gql(t, a.URL, "user", "1", orderQuery, map[string]any{"id": id})
			return !strings.Contains(got, `"errors":null`)
		})
		if got != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	})

	t.Run("an answer that is not the output type is stored as errors", func(t *testing.T) {
		id := placeOrder(t, a.URL, "invalid")
		want := `{"data":{"place_order":{"__typename":"place_order","id":"` + id + `","errors":{"code":"unexpected","path":"$","error":"field \"order_id\" expected in webhook response, but not found"},"output":null}}}`
		var got string
		eventually(t, "the errors are stored", func() bool {
			got = gql(t, a.URL, "user", "1", orderQuery, map[string]any{"id": id})
			return !strings.Contains(got, `"errors":null`)
		})
		if got != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	})

	t.Run("beside other root fields", func(t *testing.T) {
		// Each root field on its own, in order, as Hasura runs a mutation
		// with actions.
		resp := gql(t, b.URL, "", "", `mutation { insert_users_one(object: {id: 3, name: "cy"}) { id } first: place_order(item: "mixed-1") second: place_order(item: "mixed-2") }`, nil)
		var r struct {
			Data struct {
				Insert        struct{ ID int } `json:"insert_users_one"`
				First, Second string
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(resp), &r); err != nil || r.Data.Insert.ID != 3 || len(r.Data.First) != 36 || len(r.Data.Second) != 36 || r.Data.First == r.Data.Second {
			t.Fatalf("%s", resp)
		}
		eventually(t, "both calls are made", func() bool { return h.count("mixed-1") == 1 && h.count("mixed-2") == 1 })
	})

	t.Run("subscription", func(t *testing.T) {
		c := dial(t, a.URL, protoNew, nil)
		c.init(map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": "user", "X-Hasura-User-Id": "1"}})
		other := dial(t, a.URL, protoNew, nil)
		other.init(map[string]any{"headers": map[string]string{"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": "user", "X-Hasura-User-Id": "2"}})
		id := placeOrder(t, a.URL, "held")
		sub := `subscription($id: uuid!) { place_order(id: $id) { id output { note } } }`
		c.subscribe("1", sub, map[string]any{"id": id})
		other.subscribe("2", sub, map[string]any{"id": id})
		// Another user: null, and the subscription is over.
		if m := other.expect("next", "2"); string(m.Payload) != `{"data":{"place_order":null}}` {
			t.Errorf("user 2: %s", m.Payload)
		}
		other.expect("complete", "2")
		pending := `{"data":{"place_order":{"id":"` + id + `","output":null}}}`
		if m := c.expect("next", "1"); string(m.Payload) != pending {
			t.Fatalf("first message %s, want %s", m.Payload, pending)
		}
		eventually(t, "the handler is called", func() bool { return h.count("held") == 1 })
		// The call went to processing meanwhile: the same value is not
		// sent again.
		time.Sleep(300 * time.Millisecond)
		close(h.hold)
		m := c.next()
		if want := `{"data":{"place_order":{"id":"` + id + `","output":{"note":"held"}}}}`; m.Type != "next" || string(m.Payload) != want {
			t.Errorf("got %s %s, want next %s", m.Type, m.Payload, want)
		}
		c.expect("complete", "1")
		// An id that is not a UUID ends the subscription with an error.
		c.subscribe("3", sub, map[string]any{"id": "nope"})
		if m := c.expect("error", "3"); !strings.Contains(string(m.Payload), "uuid") {
			t.Errorf("bad id: %s", m.Payload)
		}
	})

	t.Run("introspection", func(t *testing.T) {
		q := `{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }`
		if got := gql(t, a.URL, "guest", "1", q, nil); strings.Contains(got, "place_order") {
			t.Errorf("guest sees the action: %s", got)
		}
		got := gql(t, a.URL, "user", "1", q, nil)
		if strings.Count(got, `"place_order"`) != 3 {
			t.Errorf("user: %s", got)
		}
		q = `{ __type(name: "place_order") { description fields { name type { kind name ofType { name } } } } }`
		want := `{"data":{"__type":{"description":"fields of action: \"place_order\"","fields":[` +
			`{"name":"created_at","type":{"kind":"NON_NULL","name":null,"ofType":{"name":"timestamptz"}}},` +
			`{"name":"errors","type":{"kind":"SCALAR","name":"json","ofType":null}},` +
			`{"name":"id","type":{"kind":"NON_NULL","name":null,"ofType":{"name":"uuid"}}},` +
			`{"name":"output","type":{"kind":"OBJECT","name":"OrderResult","ofType":null}}]}}}`
		if got := gql(t, a.URL, "user", "1", q, nil); got != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	})

	t.Run("two workers call each action once", func(t *testing.T) {
		const n = 30
		ids := make([]string, n)
		for i := range n {
			srv := a
			if i%2 == 1 {
				srv = b
			}
			ids[i] = placeOrder(t, srv.URL, fmt.Sprintf("item-%02d", i))
		}
		for i, id := range ids {
			eventually(t, "call "+id+" is done", func() bool {
				return !strings.Contains(gql(t, a.URL, "user", "1", orderQuery, map[string]any{"id": id}), `"output":null`)
			})
			if c := h.count(fmt.Sprintf("item-%02d", i)); c != 1 {
				t.Errorf("item-%02d: %d handler calls, want 1", i, c)
			}
		}
		// A backlog that no mutation of theirs announces: both workers
		// find it at their fetch interval and claim from it at once.
		pool := newPool(t, url, nil)
		if _, err := pool.Exec(context.Background(), `INSERT INTO hdb_catalog.hdb_action_log (action_name, input_payload, request_headers, session_variables, status)
SELECT 'place_order', jsonb_build_object('item', 'bulk-' || i), '{}', '{"x-hasura-role": "user", "x-hasura-user-id": "1"}', 'created'
FROM generate_series(1, 60) AS i`); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the backlog is done", func() bool {
			var pending int
			pool.QueryRow(context.Background(), `SELECT count(*) FROM hdb_catalog.hdb_action_log WHERE status IN ('created', 'processing')`).Scan(&pending)
			return pending == 0
		})
		for i := 1; i <= 60; i++ {
			if c := h.count(fmt.Sprintf("bulk-%d", i)); c != 1 {
				t.Errorf("bulk-%d: %d handler calls, want 1", i, c)
			}
		}
	})
}

// TestAsyncActionsLease: a call left 'processing' by an instance that
// died is taken again once the lease has passed; one that is still
// leased is not.
func TestAsyncActionsLease(t *testing.T) {
	h := newOrderHandler(t)
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), asyncSQL))
	project := e2e.Project{DatabaseURL: url, Config: filepath.Join(repoRoot(t), asyncConfig)}
	srv := e2e.StartT(t, project, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": e2eSecret, "ASYNC_BASE": h.URL, "HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL": "100"})
	pool := newPool(t, url, nil)
	ctx := context.Background()
	// A dead instance's claim (as old as the lease: 10 s timeout + 30 s),
	// a live one, and one Hasura left (no claim time).
	for _, row := range []struct{ item, claimed string }{{"dead", "now() - interval '41 seconds'"}, {"live", "now()"}, {"hasura", "NULL"}} {
		created := "now()"
		if row.item == "hasura" {
			created = "now() - interval '1 hour'"
		}
		if _, err := pool.Exec(ctx, `INSERT INTO hdb_catalog.hdb_action_log (action_name, input_payload, request_headers, session_variables, status, response_received_at, created_at)
VALUES ('place_order', jsonb_build_object('item', $1::text), '{}', '{"x-hasura-role": "user", "x-hasura-user-id": "1"}', 'processing', `+row.claimed+`, `+created+`)`, row.item); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the dead instance's and Hasura's calls are taken again", func() bool { return h.count("dead") == 1 && h.count("hasura") == 1 })
	time.Sleep(500 * time.Millisecond)
	if h.count("live") != 0 {
		t.Errorf("a call still leased was taken")
	}
	var status string
	if err := pool.QueryRow(ctx, `SELECT string_agg(input_payload->>'item' || ':' || status, ',' ORDER BY input_payload->>'item') FROM hdb_catalog.hdb_action_log`).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != "dead:completed,hasura:completed,live:processing" {
		t.Errorf("statuses %s", status)
	}
	_ = srv
}

// TestAsyncWorkerShutdown: a call cut off by Shutdown is put back to
// 'created', and another worker takes it.
func TestAsyncWorkerShutdown(t *testing.T) {
	h := newOrderHandler(t)
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), asyncSQL))
	pool := newPool(t, url, nil)
	ctx := context.Background()
	if err := actions.Install(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := actions.Install(ctx, pool); err != nil { // again: nothing changes
		t.Fatal(err)
	}
	svc, err := actions.New(&actions.Config{Actions: []actions.Action{{Name: "place_order", Mutation: true, Async: true,
		Handler: h.URL, TimeoutSec: 10, OutputType: "OrderResult"}}}, actions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := svc.NewWorker(pool, actions.WorkerOptions{FetchInterval: 50 * time.Millisecond})
	w.Start(ctx)
	id, err := svc.Enqueue(ctx, pool, actions.Call{Name: "place_order", Input: map[string]any{"item": "slow"}, Session: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the handler is called", func() bool { return h.count("slow") == 1 })
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := w.Shutdown(sctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown: %v, want the deadline", err)
	}
	status := func() string {
		var s string
		var claimed bool
		if err := pool.QueryRow(ctx, `SELECT status, response_received_at IS NOT NULL FROM hdb_catalog.hdb_action_log WHERE id = $1`, id).Scan(&s, &claimed); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %v", s, claimed)
	}
	if got := status(); got != "created false" {
		t.Fatalf("after shutdown: %s", got)
	}
	close(h.release)
	w2 := svc.NewWorker(pool, actions.WorkerOptions{FetchInterval: 50 * time.Millisecond})
	w2.Start(ctx)
	defer w2.Close()
	eventually(t, "another worker completes the call", func() bool { return status() == "completed true" })
	if c := h.count("slow"); c != 2 {
		t.Errorf("%d calls, want 2 (the one cut off, then the new one)", c)
	}
	e, err := actions.Lookup(ctx, pool, "place_order", id, map[string]string{"x-hasura-user-id": "1", "x-hasura-role": "user"})
	if err != nil || e == nil || string(e.Output) == "" {
		t.Fatalf("Lookup: %+v %v", e, err)
	}
	if e, _ := actions.Lookup(ctx, pool, "place_order", id, map[string]string{"x-hasura-user-id": "2", "x-hasura-role": "user"}); e != nil {
		t.Errorf("another session reads the call: %+v", e)
	}
}
