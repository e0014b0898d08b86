package runtime_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWebsocketGenerated talks to the generated, built server over both
// protocols: authentication through connection_init (admin secret, role
// impersonation, JWT; upgrade headers too), queries and mutations over
// the socket, keep-alives, errors, and a graceful shutdown.
func TestWebsocketGenerated(t *testing.T) {
	r := newRT(t, rtOptions{})
	admin := r.generated(t, map[string]string{"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE": "1"})
	jwtSrv := r.generated(t, map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"HS256","key":"` + rtJWTKey + `"}`})
	r.exec(t, `INSERT INTO items (owner_id, label) VALUES (1, 'ann-1'), (2, 'bob-1')`)

	for _, proto := range []string{protoNew, protoOld} {
		t.Run(proto, func(t *testing.T) {
			t.Run("admin secret", func(t *testing.T) {
				c := dial(t, admin.URL, proto, nil)
				c.init(adminInit())
				c.subscribe("1", `subscription { items(order_by: {id: asc}) { label } }`, nil)
				if got := labels(t, c.data("1"), "items", 0); fmt.Sprint(got) != "[ann-1 bob-1]" {
					t.Fatalf("admin sees %v", got)
				}
			})
			t.Run("role impersonation", func(t *testing.T) {
				c := dial(t, admin.URL, proto, nil)
				c.init(userInit(2))
				c.subscribe("1", itemsQuery, nil)
				if got := labels(t, c.data("1"), "items", 2); fmt.Sprint(got) != "[bob-1]" {
					t.Fatalf("user 2 sees %v", got)
				}
			})
			t.Run("headers at the top level of the payload", func(t *testing.T) {
				c := dial(t, admin.URL, proto, nil)
				c.init(map[string]any{"x-hasura-admin-secret": rtSecret, "x-hasura-role": "user", "x-hasura-user-id": "1"})
				c.subscribe("1", itemsQuery, nil)
				if got := labels(t, c.data("1"), "items", 1); fmt.Sprint(got) != "[ann-1]" {
					t.Fatalf("user 1 sees %v", got)
				}
			})
			t.Run("upgrade request headers", func(t *testing.T) {
				h := http.Header{}
				h.Set("X-Hasura-Admin-Secret", rtSecret)
				h.Set("X-Hasura-Role", "user")
				h.Set("X-Hasura-User-Id", "2")
				c := dial(t, admin.URL, proto, h)
				c.init(nil)
				c.subscribe("1", itemsQuery, nil)
				if got := labels(t, c.data("1"), "items", 2); fmt.Sprint(got) != "[bob-1]" {
					t.Fatalf("user 2 sees %v", got)
				}
			})
			t.Run("JWT", func(t *testing.T) {
				c := dial(t, jwtSrv.URL, proto, nil)
				c.init(map[string]any{"headers": map[string]any{"Authorization": "Bearer " + token(t, "user", "1", time.Hour)}})
				c.subscribe("1", itemsQuery, nil)
				if got := labels(t, c.data("1"), "items", 1); fmt.Sprint(got) != "[ann-1]" {
					t.Fatalf("user 1 sees %v", got)
				}
			})
			t.Run("expired JWT closes the connection", func(t *testing.T) {
				c := dial(t, jwtSrv.URL, proto, nil)
				c.init(map[string]any{"headers": map[string]any{"Authorization": "Bearer " + token(t, "user", "1", 3*time.Second)}})
				c.subscribe("1", itemsQuery, nil)
				c.data("1")
				code, reason := c.expectClose()
				if code != 4403 || !strings.Contains(reason, "JWT expired") {
					t.Fatalf("closed with %d %q", code, reason)
				}
			})
			t.Run("rejected connection_init", func(t *testing.T) {
				c := dial(t, jwtSrv.URL, proto, nil)
				c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]any{"Authorization": "Bearer " + token(t, "user", "1", -time.Minute)}}})
				if proto == protoOld {
					m := c.expect("connection_error", "")
					if !strings.Contains(string(m.Payload), "JWTExpired") {
						t.Fatalf("connection_error %s", m.Payload)
					}
				}
				code, _ := c.expectClose()
				if want := map[string]int{protoNew: 4403, protoOld: 4400}[proto]; code != want {
					t.Fatalf("closed with %d, want %d", code, want)
				}
			})
			t.Run("query and mutation", func(t *testing.T) {
				c := dial(t, admin.URL, proto, nil)
				c.init(userInit(1))
				c.subscribe("q", `query { items { label } owners { name } }`, nil)
				if d := c.data("q"); jsonOf(d) != `{"items":[{"label":"ann-1"}],"owners":[{"name":"ann"}]}` {
					t.Fatalf("query: %s", jsonOf(d))
				}
				c.expect("complete", "q")
				// A mutation over the socket, seen by a live query.
				c.subscribe("live", itemsQuery, nil)
				labels(t, c.data("live"), "items", 1)
				a := dial(t, admin.URL, proto, nil)
				a.init(adminInit())
				a.subscribe("m", `mutation { insert_items_one(object: {owner_id: 1, label: "ws-m"}) { label } }`, nil)
				if d := a.data("m"); jsonOf(d) != `{"insert_items_one":{"label":"ws-m"}}` {
					t.Fatalf("mutation: %s", jsonOf(d))
				}
				a.expect("complete", "m")
				if got := labels(t, c.data("live"), "items", 1); fmt.Sprint(got) != "[ann-1 ws-m]" {
					t.Fatalf("live query after the mutation: %v", got)
				}
				a.subscribe("d", `mutation { delete_items(where: {label: {_eq: "ws-m"}}) { affected_rows } }`, nil)
				a.data("d")
				a.expect("complete", "d")
				c.stop("live")
				c.subscribe("e", `query { nope }`, nil)
				m := c.expect("error", "e")
				if !strings.Contains(string(m.Payload), "validation-failed") {
					t.Fatalf("error payload %s", m.Payload)
				}
				if proto == protoOld {
					c.expect("complete", "e")
				}
			})
			t.Run("keep-alive", func(t *testing.T) {
				c := dial(t, admin.URL, proto, nil)
				c.init(adminInit())
				if proto == protoOld {
					if m := c.read(true); m.Type != "ka" {
						t.Fatalf("want ka, got %+v", m)
					}
					if m := c.read(true); m.Type != "ka" {
						t.Fatalf("want a second ka, got %+v", m)
					}
					return
				}
				if m := c.read(true); m.Type != "ping" {
					t.Fatalf("want ping, got %+v", m)
				}
				c.send(map[string]any{"type": "ping", "payload": map[string]any{"n": 1}})
				if m := c.next(); m.Type != "pong" || string(m.Payload) != `{"n":1}` {
					t.Fatalf("want pong, got %+v", m)
				}
			})
		})
	}

	t.Run("graphql-transport-ws protocol errors", func(t *testing.T) {
		c := dial(t, admin.URL, protoNew, nil)
		c.subscribe("1", itemsQuery, nil)
		if code, _ := c.expectClose(); code != 4401 {
			t.Fatalf("subscribe before ack: closed with %d, want 4401", code)
		}
		c = dial(t, admin.URL, protoNew, nil)
		c.init(adminInit())
		c.send(map[string]any{"type": "connection_init"})
		if code, _ := c.expectClose(); code != 4429 {
			t.Fatalf("second connection_init: closed with %d, want 4429", code)
		}
		c = dial(t, admin.URL, protoNew, nil)
		c.init(adminInit())
		c.subscribe("1", itemsQuery, nil)
		c.subscribe("1", itemsQuery, nil)
		if code, _ := c.expectClose(); code != 4409 {
			t.Fatalf("duplicate id: closed with %d, want 4409", code)
		}
		c = dial(t, admin.URL, protoNew, nil)
		c.send(map[string]any{"type": "nonsense"})
		if code, _ := c.expectClose(); code != 4400 {
			t.Fatalf("bad message: closed with %d, want 4400", code)
		}
	})

	t.Run("graphql-ws protocol errors", func(t *testing.T) {
		c := dial(t, admin.URL, protoOld, nil)
		c.subscribe("1", itemsQuery, nil)
		m := c.expect("error", "1")
		if !strings.Contains(string(m.Payload), "start received before the connection is initialised") {
			t.Fatalf("start before init: %s", m.Payload)
		}
		c.expect("complete", "1")
		c.send(map[string]any{"type": "nonsense"})
		c.expect("connection_error", "")
		c.send(map[string]any{"type": "stop"})
		c.expect("connection_error", "")
		c.init(adminInit())
		c.send(map[string]any{"type": "connection_terminate"})
		if code, _ := c.expectClose(); code != 1000 {
			t.Fatalf("connection_terminate: closed with %d", code)
		}
	})

	t.Run("one root field per subscription", func(t *testing.T) {
		c := dial(t, admin.URL, protoNew, nil)
		c.init(adminInit())
		c.subscribe("1", `subscription { items { id } owners { id } }`, nil)
		m := c.expect("error", "1")
		if string(m.Payload) != `[{"message":"subscriptions must select one top level field","extensions":{"path":"$","code":"validation-failed"}}]` {
			t.Fatalf("got %s", m.Payload)
		}
	})

	t.Run("graceful shutdown completes every subscription", func(t *testing.T) {
		srv := r.generated(t, nil)
		a := dial(t, srv.URL, protoNew, nil)
		a.init(userInit(1))
		a.subscribe("live", itemsQuery, nil)
		a.data("live")
		a.subscribe("stream", `subscription { events_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }`, nil)
		b := dial(t, srv.URL, protoOld, nil)
		b.init(userInit(2))
		b.subscribe("live", itemsQuery, nil)
		b.data("live")
		waitMetric(t, srv.URL, `hasgen_subscribers{kind="stream"}`, 1)
		stopped := make(chan error, 1)
		go func() { stopped <- srv.Stop() }()
		got := map[string]bool{}
		for len(got) < 2 {
			m := a.next()
			if m.Type != "complete" {
				t.Fatalf("want complete, got %+v", m)
			}
			got[m.ID] = true
		}
		if code, _ := a.expectClose(); code != 1001 {
			t.Fatalf("closed with %d, want 1001", code)
		}
		b.expect("complete", "live")
		if code, _ := b.expectClose(); code != 1001 {
			t.Fatalf("closed with %d, want 1001", code)
		}
		if err := <-stopped; err != nil {
			t.Fatalf("server exit: %v", err)
		}
	})
}

// TestWebsocketInitTimeout: a graphql-transport-ws client that does not
// send connection_init in time is closed with 4408.
func TestWebsocketInitTimeout(t *testing.T) {
	r := newRT(t, rtOptions{initTimeout: 200 * time.Millisecond})
	c := dial(t, r.url, protoNew, nil)
	if code, reason := c.expectClose(); code != 4408 {
		t.Fatalf("closed with %d %q, want 4408", code, reason)
	}
	// The legacy protocol has no init timeout, as in Hasura: it still
	// answers after longer than that.
	c = dial(t, r.url, protoOld, nil)
	time.Sleep(400 * time.Millisecond)
	c.init(adminInit())
}
