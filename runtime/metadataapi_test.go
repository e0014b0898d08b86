package runtime_test

// /v1/metadata and the delivery of event triggers in runtime.NewServer:
// the real handler over a fresh database of the subscriptions fixture,
// a real webhook receiver.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMetadataAPIEvents(t *testing.T) {
	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var mu sync.Mutex
	var got [][]byte
	var transformed []string // method path body of the transformed requests
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/transformed" {
			transformed = append(transformed, r.Method+" "+r.URL.Path+" "+string(b))
			return
		}
		got = append(got, b)
	}))
	defer hook.Close()
	eventsJSON := `{"event_triggers":[{"name":"owner_manual","schema":"public","table":"owners","enable_manual":true,
		"webhook_from_env":"OWNER_HOOK","retry_conf":{"num_retries":0,"interval_sec":1,"timeout_sec":5}},
		{"name":"owner_insert","schema":"public","table":"owners","insert":{"columns":null},
		"webhook_from_env":"OWNER_HOOK","retry_conf":{"num_retries":0,"interval_sec":1,"timeout_sec":5},
		"request_transform":{"version":2,"template_engine":"Kriti","method":"PUT","url":"{{$base_url}}/transformed",
		  "body":{"action":"transform","template":"{\"name\": {{$body.event.data.new.name}}, \"by\": {{$session_variables['x-hasura-user-id']}}}"}}}]}`
	var ecfg events.Config
	if err := json.Unmarshal([]byte(eventsJSON), &ecfg); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, events.InstallSQL(&ecfg)); err != nil {
		t.Fatal(err)
	}
	srv, logs, err := eventsServer(t, db, eventsJSON, map[string]string{"OWNER_HOOK": hook.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("log:\n%s", logs)
	}
	admin := map[string]string{"X-Hasura-Admin-Secret": rtSecret}

	// An insert through GraphQL, delivered through the request transform
	// with the mutation's session variables.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/graphql", strings.NewReader(`{"query":"mutation { insert_owners_one(object: {id: 99, name: \"Zoe\"}) { id } }"}`))
	req.Header.Set("X-Hasura-Admin-Secret", rtSecret)
	req.Header.Set("X-Hasura-User-Id", "7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"data":{"insert_owners_one":{"id":99}}}` {
		t.Fatalf("insert: %s", b)
	}
	deadline := time.Now().Add(rtTimeout)
	for {
		mu.Lock()
		n := len(transformed)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the insert's event was not delivered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	if want := `PUT /transformed {"by":"7","name":"Zoe"}`; len(transformed) != 1 || transformed[0] != want {
		t.Errorf("transformed requests %q, want [%s]", transformed, want)
	}
	mu.Unlock()

	status, body := metadata(t, srv.URL, `{"type":"pg_invoke_event_trigger","args":{"name":"owner_manual","source":"default","payload":{"new":{"id":1},"old":null}}}`, admin)
	var inv struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal([]byte(body), &inv); status != 200 || err != nil || inv.EventID == "" {
		t.Fatalf("invoke: %d %s", status, body)
	}
	deadline = time.Now().Add(rtTimeout)
	for {
		var delivered bool
		if err := pool.QueryRow(ctx, "SELECT delivered FROM hdb_catalog.event_log WHERE id = $1", inv.EventID).Scan(&delivered); err != nil {
			t.Fatal(err)
		}
		if delivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the invoked event was not delivered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	var p struct {
		ID    string `json:"id"`
		Event struct {
			Op               string            `json:"op"`
			SessionVariables map[string]string `json:"session_variables"`
		} `json:"event"`
		Trigger struct{ Name string } `json:"trigger"`
		Table   struct{ Schema, Name string }
	}
	json.Unmarshal(got[0], &p)
	mu.Unlock()
	if p.ID != inv.EventID || p.Event.Op != "MANUAL" || p.Event.SessionVariables["x-hasura-role"] != "admin" || p.Trigger.Name != "owner_manual" || p.Table.Name != "owners" {
		t.Errorf("webhook got %+v", p)
	}

	cases := []struct {
		name    string
		body    string
		headers map[string]string
		status  int
		want    string // a substring of the answer
	}{
		{"no secret", `{"type":"pg_get_event_logs","args":{"name":"owner_manual"}}`, nil, 401, `"code":"access-denied"`},
		{"wrong secret", `{"type":"pg_get_event_logs","args":{"name":"owner_manual"}}`, map[string]string{"X-Hasura-Admin-Secret": "no"}, 401, `"code":"access-denied"`},
		{"not the admin", `{"type":"pg_get_event_logs","args":{"name":"owner_manual"}}`, map[string]string{"X-Hasura-Admin-Secret": rtSecret, "X-Hasura-Role": "user"}, 400, `{"path":"$","error":"restricted access : admin only","code":"access-denied"}`},
		{"unknown type", `{"type":"replace_metadata","args":{}}`, admin, 400, `"error":"unknown metadata command \"replace_metadata\"`},
		{"not JSON", `{"type":`, admin, 400, `"code":"parse-failed"`},
		{"an error", `{"type":"pg_get_event_logs","args":{"name":"nope"}}`, admin, 400, `{"path":"$","error":"event trigger \"nope\" does not exist","code":"not-exists"}`},
		{"bulk", `{"type":"bulk","args":[{"type":"pg_get_event_logs","args":{"name":"owner_manual","status":"processed"}},{"type":"pg_get_event_invocation_logs","args":{"name":"owner_manual"}}]}`, admin, 200, `"delivered":true`},
		{"bulk error", `{"type":"bulk","args":[{"type":"pg_get_event_logs","args":{"name":"owner_manual"}},{"type":"pg_get_event_by_id","args":{"event_id":"x"}}]}`, admin, 400, `{"path":"$.args[1]","error":"event id x does not exist","code":"not-exists"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := metadata(t, srv.URL, c.body, c.headers)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Errorf("got %d %s\nwant %d with %s", status, body, c.status, c.want)
			}
		})
	}
	// The delivery's metrics are the server's (counted once a try is
	// recorded, just after the webhook's answer).
	waitMetrics(t, srv.URL, `hasgen_event_invocations_total{status="success",trigger_name="owner_insert"} 1`, `hasgen_event_processed_total{status="success",trigger_name="owner_manual"} 1`)
	_, body = metadata(t, srv.URL, `{"type":"bulk","args":[{"type":"pg_get_event_logs","args":{"name":"owner_manual"}},{"type":"pg_get_event_invocation_logs","args":{"name":"owner_manual"}}]}`, admin)
	var results [][]map[string]any
	if err := json.Unmarshal([]byte(body), &results); err != nil || len(results) != 2 || len(results[0]) != 1 || len(results[1]) != 1 || results[1][0]["http_status"] != 200.0 {
		t.Errorf("bulk answered %s", body)
	}
}

// TestEventsNotDelivered: a configuration that cannot be delivered is
// logged, naming what to fix, and the rest of the server serves.
func TestEventsNotDelivered(t *testing.T) {
	trigger := `{"event_triggers":[{"name":"owner_hook","schema":"public","table":"owners","insert":{"columns":null},"webhook_from_env":"OWNER_HOOK","retry_conf":{"num_retries":0,"interval_sec":1,"timeout_sec":5}TRANSFORM}]}`
	cases := []struct {
		name    string
		env     map[string]string
		catalog bool
		want    string
	}{
		{"variable not set", nil, true, `event trigger \"owner_hook\": webhook_from_env: environment variable OWNER_HOOK is not set`},
		{"no catalog", map[string]string{"OWNER_HOOK": "http://127.0.0.1:1"}, false, "missing: the event catalog"},
		{"triggers not installed", map[string]string{"OWNER_HOOK": "http://127.0.0.1:1"}, true, "hasgen triggers install"},
		{"bad transform", map[string]string{"OWNER_HOOK": "http://127.0.0.1:1", "TRANSFORM": `,"request_transform":{"version":2,"body":{"action":"transform","template":"{{$nope}}"}}`}, true, `event trigger \"owner_hook\": request_transform.body.template:1:3: variable $nope is not defined`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
			if c.catalog {
				pool, err := pgxpool.New(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				_, err = pool.Exec(context.Background(), events.CatalogSQL)
				pool.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			srv, logs, err := eventsServer(t, db, strings.Replace(trigger, "TRANSFORM", c.env["TRANSFORM"], 1), c.env, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), "level=ERROR msg=\"event triggers are not delivered: ") || !strings.Contains(logs.String(), c.want) {
				t.Errorf("log:\n%s\nwant an error with %s", logs, c.want)
			}
			status, body := metadata(t, srv.URL, `{"type":"pg_get_event_logs","args":{"name":"owner_hook"}}`, map[string]string{"X-Hasura-Admin-Secret": rtSecret})
			if status != 400 || !strings.Contains(body, "unknown metadata command") {
				t.Errorf("/v1/metadata: %d %s", status, body)
			}
			// GraphQL is served.
			_, b := post(t, srv.URL+"/v1/graphql", `{"query":"{ owners { id } }"}`, map[string]string{"X-Hasura-Admin-Secret": rtSecret})
			if !strings.HasPrefix(b, `{"data":{"owners":[{"id":1}`) {
				t.Errorf("/v1/graphql: %s", b)
			}
		})
	}
}
