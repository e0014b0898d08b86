package runtime_test

// The auth webhook (HASURA_GRAPHQL_AUTH_HOOK) against a real webhook
// server: Hasura's GET and POST contracts, roles and session variables
// applied to permissions, 401, caching by Cache-Control and Expires, and
// websocket connection_init.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookCall is one request the webhook received.
type hookCall struct {
	method string
	header http.Header
	body   map[string]any
}

// authHook is a webhook server. Tokens ("Authorization: Bearer <token>")
// say what it answers:
//
//	user-N...       200, role user with X-Hasura-User-Id N; cached by a
//	                "Cache-Control" key of the body (Hasura's contract)
//	user-N-header   the same, cached by the Cache-Control response header
//	user-N-expires  the same, cached by the Expires response header
//	user-N-nocache  the same, not cacheable
//	user-N-short    the same, cached for a second
//	reader          200, role reader, no cache
//	bad             401
//	broken          500
type authHook struct {
	url   string
	mu    sync.Mutex
	calls map[string][]hookCall // by token
}

func newAuthHook(t *testing.T) *authHook {
	t.Helper()
	h := &authHook{calls: map[string][]hookCall{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call := hookCall{method: r.Method, header: r.Header.Clone()}
		authz := r.Header.Get("Authorization")
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &call.body); err != nil {
				http.Error(w, "bad body", 400)
				return
			}
			hs, _ := call.body["headers"].(map[string]any)
			authz, _ = hs["Authorization"].(string)
		}
		token := strings.TrimPrefix(authz, "Bearer ")
		h.mu.Lock()
		h.calls[token] = append(h.calls[token], call)
		h.mu.Unlock()
		answer := map[string]string{}
		switch {
		case token == "bad":
			w.WriteHeader(http.StatusUnauthorized)
			return
		case token == "broken":
			w.WriteHeader(http.StatusInternalServerError)
			return
		case token == "reader":
			answer["X-Hasura-Role"] = "reader"
		case strings.HasPrefix(token, "user-"):
			id, policy, _ := strings.Cut(strings.TrimPrefix(token, "user-"), "-")
			answer["X-Hasura-Role"] = "user"
			answer["X-Hasura-User-Id"] = id
			switch policy {
			case "header":
				w.Header().Set("Cache-Control", "max-age=600")
			case "expires":
				w.Header().Set("Expires", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			case "nocache":
			case "short":
				answer["Cache-Control"] = "max-age=1"
			default:
				answer["Cache-Control"] = "max-age=600"
			}
		default:
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

func (h *authHook) callsOf(token string) []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookCall(nil), h.calls[token]...)
}

const ownersQuery = `{"query":"{ owners(order_by: {id: asc}) { id name } }"}`

// bearer is the headers of a request with a token.
func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token, "X-Custom": "c1", "Origin": "http://example.test"}
}

func TestAuthWebhook(t *testing.T) {
	for _, mode := range []string{"GET", "POST"} {
		t.Run(mode, func(t *testing.T) {
			hook := newAuthHook(t)
			r := newRT(t, rtOptions{authHook: hook.url, authHookMode: mode})
			url := r.url + "/v1/graphql"
			cases := []struct {
				name    string
				headers map[string]string
				want    string
				calls   int // webhook calls for the token after two requests
			}{
				// Role user sees its own owner row only: 1 and 3 must not come back.
				{"body cache-control", bearer("user-2"), `{"data":{"owners":[{"id":2,"name":"bob"}]}}`, 1},
				{"header cache-control", bearer("user-3-header"), `{"data":{"owners":[{"id":3,"name":"cyd"}]}}`, 1},
				{"expires header", bearer("user-1-expires"), `{"data":{"owners":[{"id":1,"name":"ann"}]}}`, 1},
				{"no cache", bearer("user-1-nocache"), `{"data":{"owners":[{"id":1,"name":"ann"}]}}`, 2},
				// Role reader has no permission on owners.
				{"other role", bearer("reader"), `{"errors":[{"message":"field 'owners' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.owners","code":"validation-failed"}}]}`, 2},
				{"401", bearer("bad"), `{"errors":[{"message":"Authentication hook unauthorized this request","extensions":{"path":"$","code":"access-denied"}}]}`, 2},
				{"500", bearer("broken"), `{"errors":[{"message":"Invalid response from authorization hook","extensions":{"path":"$","code":"unexpected"}}]}`, 2},
				// The admin secret wins: the webhook is not called.
				{"admin secret", map[string]string{"X-Hasura-Admin-Secret": rtSecret, "Authorization": "Bearer admin-token"},
					`{"data":{"owners":[{"id":1,"name":"ann"}, {"id":2,"name":"bob"}, {"id":3,"name":"cyd"}]}}`, 0},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					for i := 0; i < 2; i++ {
						// A request id of its own each time: still cached.
						h := map[string]string{"X-Request-Id": fmt.Sprint(c.name, i)}
						for k, v := range c.headers {
							h[k] = v
						}
						status, body := post(t, url, ownersQuery, h)
						if status != 200 || body != c.want {
							t.Fatalf("request %d: %d %s\nwant %s", i, status, body, c.want)
						}
					}
					token := strings.TrimPrefix(c.headers["Authorization"], "Bearer ")
					if n := len(hook.callsOf(token)); n != c.calls {
						t.Errorf("webhook called %d times, want %d", n, c.calls)
					}
				})
			}

			// The contract of the mode.
			call := hook.callsOf("user-2")[0]
			if call.method != mode {
				t.Fatalf("webhook method %s, want %s", call.method, mode)
			}
			if mode == "GET" {
				if call.header.Get("Authorization") != "Bearer user-2" || call.header.Get("X-Custom") != "c1" {
					t.Errorf("GET webhook did not get the client's headers: %v", call.header)
				}
				// Hasura's commonClientHeadersIgnored are not forwarded.
				for _, k := range []string{"Origin", "Content-Type"} {
					if v := call.header.Get(k); v != "" {
						t.Errorf("GET webhook got %s: %q", k, v)
					}
				}
			} else {
				hs, _ := call.body["headers"].(map[string]any)
				if hs["Authorization"] != "Bearer user-2" || hs["X-Custom"] != "c1" {
					t.Errorf("POST webhook body headers: %v", call.body)
				}
				req, _ := call.body["request"].(map[string]any)
				if q, _ := req["query"].(string); !strings.Contains(q, "owners") {
					t.Errorf("POST webhook body request: %v", call.body)
				}
				if ct := call.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("POST webhook Content-Type %q", ct)
				}
			}

			// Websockets: the connection_init payload's headers go to the
			// webhook.
			for _, proto := range []string{protoNew, protoOld} {
				c := dial(t, r.url, proto, nil)
				c.init(map[string]any{"headers": map[string]any{"Authorization": "Bearer user-3-nocache"}})
				c.subscribe("1", `{ owners { id name } }`, nil)
				if got := jsonOf(c.data("1")); got != `{"owners":[{"id":3,"name":"cyd"}]}` {
					t.Errorf("%s: websocket as user 3: %s", proto, got)
				}
			}
			if n := len(hook.callsOf("user-3-nocache")); n != 2 {
				t.Errorf("websocket inits called the webhook %d times, want 2", n)
			}
			// The answer's max-age is the session's end: the connection
			// is closed then, as when a JWT expires.
			c := dial(t, r.url, protoNew, nil)
			c.init(map[string]any{"headers": map[string]any{"Authorization": "Bearer user-2-short"}})
			if code, _ := c.expectClose(); code != 4403 {
				t.Errorf("websocket past the webhook's max-age: close %d, want 4403", code)
			}
			c = dial(t, r.url, protoOld, nil)
			c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"headers": map[string]any{"Authorization": "Bearer bad"}}})
			m := c.next()
			if m.Type != "connection_error" || !strings.Contains(string(m.Payload), "Authentication hook unauthorized this request") {
				t.Errorf("websocket with a refused token: %+v %s", m, m.Payload)
			}
		})
	}
}

// TestWebsocketCookie: the upgrade request's Cookie reaches the auth
// webhook, except when the websocket ignores it (CORS disabled without
// HASURA_GRAPHQL_WS_READ_COOKIE, as Hasura).
func TestWebsocketCookie(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprint("ignore=", ignore), func(t *testing.T) {
			hook := newAuthHook(t)
			r := newRT(t, rtOptions{authHook: hook.url, authHookMode: "GET", ignoreCookie: ignore})
			c := dial(t, r.url, protoNew, http.Header{"Cookie": {"session=s3cret"}})
			c.init(map[string]any{"headers": map[string]any{"Authorization": "Bearer user-3-nocache"}})
			c.subscribe("1", `{ owners { id name } }`, nil)
			if got := jsonOf(c.data("1")); got != `{"owners":[{"id":3,"name":"cyd"}]}` {
				t.Fatalf("websocket as user 3: %s", got)
			}
			calls := hook.callsOf("user-3-nocache")
			if len(calls) != 1 {
				t.Fatalf("webhook called %d times, want 1", len(calls))
			}
			got := calls[0].header.Get("Cookie")
			if ignore && got != "" {
				t.Errorf("webhook got the ignored cookie %q", got)
			}
			if !ignore && got != "session=s3cret" {
				t.Errorf("webhook got cookie %q, want session=s3cret", got)
			}
		})
	}
}

// TestAuthWebhookAndLogsGenerated runs the generated server with the
// webhook (both modes) and Hasura's logs from its environment: the
// webhook's roles and variables are applied, its answers cached, a 401
// refused, and the server's output carries the startup, http-log,
// websocket-log and (enabled) query-log lines with the request's id.
func TestAuthWebhookAndLogsGenerated(t *testing.T) {
	r := newRT(t, rtOptions{})
	for _, mode := range []string{"GET", "POST"} {
		t.Run(mode, func(t *testing.T) {
			hook := newAuthHook(t)
			env := map[string]string{"HASURA_GRAPHQL_AUTH_HOOK": hook.url, "HASURA_GRAPHQL_AUTH_HOOK_MODE": mode}
			if mode == "POST" {
				env["HASURA_GRAPHQL_ENABLED_LOG_TYPES"] = "startup,http-log,webhook-log,websocket-log,query-log"
				env["HASURA_GRAPHQL_LOG_LEVEL"] = "debug"
			}
			srv := r.generated(t, env)
			url := srv.URL + "/v1/graphql"
			for i := 0; i < 2; i++ {
				h := bearer("user-2")
				h["X-Request-Id"] = fmt.Sprint("gen-", mode, i)
				_, body, rh := postH(t, url, ownersQuery, h)
				if want := `{"data":{"owners":[{"id":2,"name":"bob"}]}}`; body != want {
					t.Fatalf("as user 2: %s, want %s", body, want)
				}
				if got := rh.Get("X-Request-Id"); got != h["X-Request-Id"] {
					t.Errorf("x-request-id %q, want %q", got, h["X-Request-Id"])
				}
			}
			if n := len(hook.callsOf("user-2")); n != 1 {
				t.Errorf("webhook called %d times within max-age, want 1", n)
			}
			if c := hook.callsOf("user-2"); len(c) > 0 && c[0].method != mode {
				t.Errorf("webhook method %s, want %s", c[0].method, mode)
			}
			if _, body, _ := postH(t, url, ownersQuery, bearer("bad")); !strings.Contains(body, `"Authentication hook unauthorized this request"`) || strings.Contains(body, `"data"`) {
				t.Errorf("refused token: %s", body)
			}
			c := dial(t, srv.URL, protoNew, nil)
			c.init(map[string]any{"headers": map[string]any{"Authorization": "Bearer user-3-nocache"}})
			c.subscribe("1", `{ owners { id } }`, nil)
			if got := jsonOf(c.data("1")); got != `{"owners":[{"id":3}]}` {
				t.Errorf("websocket as user 3: %s", got)
			}
			c.c.Close()

			var types map[string]int
			eventually(t, "the logs", func() bool {
				types = map[string]int{}
				for _, l := range linesOf(t, srv.Logs(), "") {
					types[l.Type]++
				}
				return types["websocket-log"] >= 3 // accepted, started, closed
			})
			// webhook-log: one line a webhook call (user 2 once, cached; the
			// refused token; user 3's websocket).
			if types["startup"] < 2 || types["http-log"] != 3 || types["webhook-log"] != 3 {
				t.Errorf("log lines by type: %v\n%s", types, srv.Logs())
			}
			wantQueryLog := 0
			if mode == "POST" {
				wantQueryLog = 3 // two over HTTP, one over the websocket
			}
			if types["query-log"] != wantQueryLog {
				t.Errorf("%d query-log lines, want %d", types["query-log"], wantQueryLog)
			}
			logs := srv.Logs()
			for _, want := range []string{`"request_id":"gen-` + mode + `0"`, `"x-hasura-user-id":"2"`, `"kind":"server_configuration"`, `"auth_mode":"webhook"`, `"status_code":401`} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %s:\n%s", want, logs)
				}
			}
		})
	}
}
