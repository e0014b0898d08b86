package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
)

// TestPrimaryDown: a generated server with a streaming read replica and a
// connection budget loses its primary (stopped). Queries go on being
// answered by the replica; a mutation gets a Hasura-shaped error, in
// bounded time, not a 500 nor a hang (it waited for a share of the
// budget, which the instance cannot get back without the primary, until
// the client gave up); /healthz says 503. The primary comes
// back: mutations succeed again, /healthz is 200, and a live query polled
// on the replica gets the row written after the outage.
func TestPrimaryDown(t *testing.T) {
	ctx := context.Background()
	c := startReplicas(t, 1)
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: c.url, Config: filepath.Join(repoRoot(t), replicaConfig)}, map[string]string{
		"HASURA_GRAPHQL_ADMIN_SECRET":                              rtSecret,
		"HASURA_GRAPHQL_READ_REPLICA_URLS":                         c.url1,
		"HASGEN_PG_TOTAL_MAX_CONNECTIONS":                          "8",
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "100",
		"HASGEN_CHANGE_HINTS":                                      "false",
	})
	client := &http.Client{Timeout: rtTimeout} // a hang fails the test
	post := func(query string) (int, string) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest("POST", srv.URL+"/v1/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hasura-Admin-Secret", rtSecret)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	healthz := func() int {
		t.Helper()
		resp, err := client.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const insert = `mutation { insert_items_one(object: {name: "%s"}) { name } }`
	if code, out := post(strings.Replace(insert, "%s", "before", 1)); code != 200 || out != `{"data":{"insert_items_one":{"name":"before"}}}` {
		t.Fatalf("mutation before the outage: %d %s", code, out)
	}
	ws := dial(t, srv.URL, protoNew, nil)
	ws.init(adminInit())
	ws.subscribe("l", `subscription { items_seen(order_by: {id: desc}, limit: 1) { name replica } }`, nil)
	for jsonOf(ws.data("l")) != `{"items_seen":[{"name":"before","replica":true}]}` {
		// The replica had not replayed the insert yet; its next poll will.
	}

	if err := c.primary.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// The instance notices: its control connection is lost and cannot be
	// opened again, so it holds no share of the budget. Requests for the
	// primary must then fail, not wait for a share (they hung before).
	eventually(t, "the server to find the primary unreachable", func() bool {
		return strings.Contains(srv.Logs(), `"msg":"connection budget: reconnecting"`)
	})
	for i := range 10 {
		if s := mustServe(t, srv.URL); s != (served{Replica: true, Port: c.port1}) {
			t.Fatalf("query %d with the primary down was served by %+v", i, s)
		}
	}
	start := time.Now()
	code, out := post(strings.Replace(insert, "%s", "during", 1))
	t.Logf("a mutation with the primary down: %d %s in %v", code, out, time.Since(start).Round(time.Millisecond))
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &answer); err != nil || code != 200 || len(answer.Errors) == 0 ||
		answer.Errors[0].Extensions.Code == "" || answer.Data != nil {
		t.Fatalf("a mutation with the primary down: %d %s, want a Hasura-shaped error", code, out)
	}
	if h := healthz(); h != 503 {
		t.Errorf("/healthz with the primary down: %d, want 503", h)
	}

	if err := c.primary.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a mutation to succeed after the primary's restart", func() bool {
		code, out := post(strings.Replace(insert, "%s", "after", 1))
		return code == 200 && out == `{"data":{"insert_items_one":{"name":"after"}}}`
	})
	eventually(t, "/healthz 200", func() bool { return healthz() == 200 })
	for {
		m := ws.next()
		if m.Type != "next" {
			t.Fatalf("live query: %+v %s", m, m.Payload)
		}
		if strings.Contains(string(m.Payload), `"errors"`) {
			t.Fatalf("live query on the replica got an error: %s", m.Payload)
		}
		if string(m.Payload) == `{"data":{"items_seen":[{"name":"after","replica":true}]}}` {
			break
		}
	}
}
