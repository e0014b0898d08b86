package runtime_test

// Hasura-shaped logs (runtime/logs): http-log, query-log, websocket-log,
// request ids in and out, HASURA_GRAPHQL_LOG_LEVEL and
// HASURA_GRAPHQL_ENABLED_LOG_TYPES.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/transport"
)

// logBuffer collects log lines; safe for the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// logLine is a decoded log line.
type logLine struct {
	Type      string          `json:"type"`
	Timestamp string          `json:"timestamp"`
	Level     string          `json:"level"`
	Detail    json.RawMessage `json:"detail"`
}

// linesOf decodes every line of s (each must be a JSON object) and
// returns those of type typ (all when empty).
func linesOf(t *testing.T, s, typ string) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l == "" || !strings.HasPrefix(l, `{"type":`) {
			continue // the server's other (slog) lines
		}
		var ll logLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, l)
		}
		if typ == "" || ll.Type == typ {
			out = append(out, ll)
		}
	}
	return out
}

func (b *logBuffer) lines(t *testing.T, typ string) []logLine {
	t.Helper()
	b.mu.Lock()
	s := b.buf.String()
	b.mu.Unlock()
	return linesOf(t, s, typ)
}

// httpLogDetail is the part of an http-log line the tests read.
type httpLogDetail struct {
	RequestID string `json:"request_id"`
	Operation struct {
		RequestID    string            `json:"request_id"`
		UserVars     map[string]string `json:"user_vars"`
		ResponseSize int               `json:"response_size"`
		RequestMode  string            `json:"request_mode"`
		Error        *struct {
			Code  string `json:"code"`
			Error string `json:"error"`
			Path  string `json:"path"`
		} `json:"error"`
		Query *struct {
			Query string `json:"query"`
		} `json:"query"`
	} `json:"operation"`
	HTTPInfo struct {
		Status int    `json:"status"`
		URL    string `json:"url"`
		Method string `json:"method"`
		IP     string `json:"ip"`
	} `json:"http_info"`
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
var timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$`)

// postH posts body and returns the status, body and response headers.
func postH(t *testing.T, url, body string, headers map[string]string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), resp.Header
}

func newLogger(t *testing.T, level, types string) (*logs.Logger, *logBuffer) {
	t.Helper()
	buf := &logBuffer{}
	l, err := logs.New(buf, level, types)
	if err != nil {
		t.Fatal(err)
	}
	return l, buf
}

func TestHasuraLogs(t *testing.T) {
	def, defBuf := newLogger(t, "", "")
	r := newRT(t, rtOptions{logs: def})
	url := r.url + "/v1/graphql"
	admin := map[string]string{"X-Hasura-Admin-Secret": rtSecret}
	user2 := map[string]string{"X-Hasura-Admin-Secret": rtSecret, "X-Hasura-Role": "user", "X-Hasura-User-Id": "2", "X-Request-Id": "req-user-2"}

	// x-request-id in and out, and the http-log line of a success.
	_, body, h := postH(t, url, ownersQuery, user2)
	if got := h.Get("X-Request-Id"); got != "req-user-2" {
		t.Errorf("x-request-id response header %q, want the request's", got)
	}
	lines := defBuf.lines(t, "http-log")
	if len(lines) != 1 {
		t.Fatalf("%d http-log lines, want 1: %s", len(lines), defBuf.buf.String())
	}
	if lines[0].Level != "info" || !timestampRE.MatchString(lines[0].Timestamp) {
		t.Errorf("http-log level %q timestamp %q", lines[0].Level, lines[0].Timestamp)
	}
	var d httpLogDetail
	json.Unmarshal(lines[0].Detail, &d)
	if d.RequestID != "req-user-2" || d.Operation.RequestID != "req-user-2" {
		t.Errorf("request ids in the log: %s", lines[0].Detail)
	}
	if d.Operation.UserVars["x-hasura-role"] != "user" || d.Operation.UserVars["x-hasura-user-id"] != "2" {
		t.Errorf("user_vars: %v", d.Operation.UserVars)
	}
	if d.Operation.ResponseSize != len(body) || d.Operation.Error != nil || d.Operation.Query != nil || d.Operation.RequestMode != "single" {
		t.Errorf("operation of a success: %s (response %d bytes)", lines[0].Detail, len(body))
	}
	if d.HTTPInfo.Status != 200 || d.HTTPInfo.URL != "/v1/graphql" || d.HTTPInfo.Method != "POST" || d.HTTPInfo.IP != "127.0.0.1" {
		t.Errorf("http_info: %s", lines[0].Detail)
	}
	if n := len(defBuf.lines(t, "query-log")); n != 0 {
		t.Errorf("query-log is off by default, got %d lines", n)
	}

	// No x-request-id: one is made, sent back and logged.
	_, _, h = postH(t, url, `{"query":"{ owners { idx } }"}`, admin)
	id := h.Get("X-Request-Id")
	if !uuidRE.MatchString(id) {
		t.Errorf("generated request id %q is not a UUID", id)
	}
	lines = defBuf.lines(t, "http-log")
	d = httpLogDetail{}
	json.Unmarshal(lines[len(lines)-1].Detail, &d)
	if d.RequestID != id {
		t.Errorf("logged request id %q, sent back %q", d.RequestID, id)
	}
	// An error: the error and the query are logged.
	if d.Operation.Error == nil || d.Operation.Error.Code != "validation-failed" || d.Operation.Query == nil || !strings.Contains(d.Operation.Query.Query, "idx") {
		t.Errorf("operation of an error: %s", lines[len(lines)-1].Detail)
	}

	// websocket-log: accepted, operation started and stopped, closed.
	c := dial(t, r.url, protoNew, nil)
	c.init(userInit(2))
	c.subscribe("s1", `subscription { owners { id } }`, nil)
	c.data("s1")
	c.stop("s1")
	c.sync()
	c.c.Close()
	var events []string
	eventually(t, "websocket-log closed", func() bool {
		events = events[:0]
		for _, l := range defBuf.lines(t, "websocket-log") {
			var w struct {
				Event struct {
					Type   string `json:"type"`
					Detail struct {
						OperationID   string `json:"operation_id"`
						OperationType struct {
							Type string `json:"type"`
						} `json:"operation_type"`
					} `json:"detail"`
				} `json:"event"`
				ConnectionInfo struct {
					WebsocketID string `json:"websocket_id"`
				} `json:"connection_info"`
			}
			json.Unmarshal(l.Detail, &w)
			if !uuidRE.MatchString(w.ConnectionInfo.WebsocketID) {
				t.Fatalf("websocket_id: %s", l.Detail)
			}
			e := w.Event.Type
			if e == "operation" {
				e += ":" + w.Event.Detail.OperationID + ":" + w.Event.Detail.OperationType.Type
			}
			events = append(events, e)
		}
		return len(events) > 0 && events[len(events)-1] == "closed"
	})
	if got := strings.Join(events, " "); got != "accepted operation:s1:started operation:s1:stopped closed" {
		t.Errorf("websocket-log events: %s", got)
	}

	// HASURA_GRAPHQL_ENABLED_LOG_TYPES with query-log: the generated SQL
	// with its arguments, under the request's id.
	ql, qlBuf := newLogger(t, "info", "query-log, http-log")
	rq := newRTOn(t, r.dbURL, rtOptions{logs: ql})
	postH(t, rq.url+"/v1/graphql", ownersQuery, user2)
	qlines := qlBuf.lines(t, "query-log")
	if len(qlines) != 1 {
		t.Fatalf("%d query-log lines, want 1: %s", len(qlines), qlBuf.buf.String())
	}
	var q struct {
		RequestID string `json:"request_id"`
		Query     struct {
			Query string `json:"query"`
		} `json:"query"`
		GeneratedSQL map[string]struct {
			Query string `json:"query"`
			Args  []any  `json:"prepared_arguments"`
		} `json:"generated_sql"`
	}
	json.Unmarshal(qlines[0].Detail, &q)
	sql := q.GeneratedSQL["owners"]
	if q.RequestID != "req-user-2" || !strings.Contains(q.Query.Query, "owners") || !strings.Contains(sql.Query, `"owners"`) || !strings.Contains(jsonOf(sql.Args), `2`) {
		t.Errorf("query-log: %s", qlines[0].Detail)
	}
	// A query over a websocket has its query-log line too.
	wc := dial(t, rq.url, protoNew, nil)
	wc.init(userInit(2))
	wc.subscribe("q", `{ owners { id } }`, nil)
	wc.data("q")
	qlines = qlBuf.lines(t, "query-log")
	if len(qlines) != 2 {
		t.Fatalf("%d query-log lines after a websocket query, want 2", len(qlines))
	}
	q.RequestID, q.GeneratedSQL = "", nil
	json.Unmarshal(qlines[1].Detail, &q)
	if !uuidRE.MatchString(q.RequestID) || !strings.Contains(q.GeneratedSQL["owners"].Query, `"owners"`) {
		t.Errorf("websocket query-log: %s", qlines[1].Detail)
	}
	if n := len(qlBuf.lines(t, "websocket-log")); n != 0 {
		t.Errorf("websocket-log is not enabled, got %d lines", n)
	}

	// HASURA_GRAPHQL_LOG_LEVEL warn: no info lines (http-log), but an
	// error's.
	warn, warnBuf := newLogger(t, "warn", "")
	rw := newRTOn(t, r.dbURL, rtOptions{logs: warn})
	postH(t, rw.url+"/v1/graphql", ownersQuery, admin)
	if n := len(warnBuf.lines(t, "")); n != 0 {
		t.Errorf("log level warn: %d lines for a successful request: %s", n, warnBuf.buf.String())
	}
	// Enabled types without http-log: none, and the response still has
	// its request id.
	st, stBuf := newLogger(t, "debug", "startup")
	rs := newRTOn(t, r.dbURL, rtOptions{logs: st})
	_, _, h = postH(t, rs.url+"/v1/graphql", ownersQuery, admin)
	if n := len(stBuf.lines(t, "")); n != 0 || !uuidRE.MatchString(h.Get("X-Request-Id")) {
		t.Errorf("types startup only: %d lines, request id %q", n, h.Get("X-Request-Id"))
	}
	if testing.Verbose() {
		t.Logf("default logs:\n%s\nwith query-log:\n%s", defBuf.buf.String(), qlBuf.buf.String())
	}
}

// TestLogConfig reads HASURA_GRAPHQL_LOG_LEVEL, HASGEN_LOG_LEVEL (which
// wins), HASURA_GRAPHQL_ENABLED_LOG_TYPES and the auth hook variables,
// and refuses bad values.
func TestLogConfig(t *testing.T) {
	cases := []struct {
		env       map[string]string
		level     string
		types     string
		hook      string
		hookMode  string
		wantError string
	}{
		{env: map[string]string{}, level: "info"},
		{env: map[string]string{"HASURA_GRAPHQL_LOG_LEVEL": "debug"}, level: "debug"},
		{env: map[string]string{"HASURA_GRAPHQL_LOG_LEVEL": "debug", "HASGEN_LOG_LEVEL": "error"}, level: "error"},
		{env: map[string]string{"HASURA_GRAPHQL_LOG_LEVEL": "loud"}, wantError: `log level "loud"`},
		{env: map[string]string{"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup,query-log"}, level: "info", types: "startup,query-log"},
		{env: map[string]string{"HASURA_GRAPHQL_ENABLED_LOG_TYPES": "startup,sql-log"}, wantError: "unknown log types sql-log"},
		{env: map[string]string{"HASURA_GRAPHQL_AUTH_HOOK": "http://hook", "HASURA_GRAPHQL_AUTH_HOOK_MODE": "POST"}, level: "info", hook: "http://hook", hookMode: "POST"},
	}
	for _, c := range cases {
		env := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://x"}
		for k, v := range c.env {
			env[k] = v
		}
		cfg, err := runtime.ConfigFromEnv(nil, func(k string) string { return env[k] })
		if c.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantError) {
				t.Errorf("%v: error %v, want %q", c.env, err, c.wantError)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.env, err)
			continue
		}
		if cfg.LogLevel != c.level || cfg.EnabledLogTypes != c.types || cfg.Auth.AuthHook != c.hook || cfg.Auth.AuthHookMode != c.hookMode {
			t.Errorf("%v: level %q types %q hook %q %q", c.env, cfg.LogLevel, cfg.EnabledLogTypes, cfg.Auth.AuthHook, cfg.Auth.AuthHookMode)
		}
	}
	// The server reads them: no "not supported" warning.
	var environ []string
	for _, k := range []string{"HASURA_GRAPHQL_LOG_LEVEL", "HASURA_GRAPHQL_ENABLED_LOG_TYPES", "HASURA_GRAPHQL_AUTH_HOOK", "HASURA_GRAPHQL_AUTH_HOOK_MODE", "HASGEN_LOG_LEVEL"} {
		environ = append(environ, k+"=x")
	}
	if un := runtime.UnservedEnv(runtime.Project{}, environ); len(un) != 0 {
		t.Errorf("unserved: %v", un)
	}
}

// BenchmarkHandlerByPKLogged is BenchmarkHandlerByPK with Hasura's
// default log types on (an http-log line a request, to io.Discard): the
// cost of the access log.
func BenchmarkHandlerByPKLogged(b *testing.B) {
	e := newTestEngine(b, "chinook-bench", chinookConfig, false)
	authn, err := auth.New(context.Background(), auth.Config{AdminSecret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	l, err := logs.New(io.Discard, "", "")
	if err != nil {
		b.Fatal(err)
	}
	h := &transport.Handler{Engine: e.Engine, Auth: authn, DB: e.pool, Logs: l}
	body := `{"query":"query AlbumByPK { albums_by_pk(id: 1) { id title } }"}`
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/v1/graphql", strings.NewReader(body))
		req.Header.Set("X-Hasura-Admin-Secret", "s")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
