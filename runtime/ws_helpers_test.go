package runtime_test

// Helpers of the websocket and subscription tests: the server in process
// (engine over a pool whose tracer records every statement and its
// arguments, subscriptions, websocket handler, /metrics), the same
// project generated, built and started, and a websocket client for both
// protocols.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/hasgen/hasgen/templates"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	rtFixture  = "testdata/fixtures/subscriptions/schema.sql"
	rtConfig   = "testdata/fixtures/subscriptions/hasgen.yaml"
	rtSecret   = "rt-secret"
	rtJWTKey   = "a-test-hs256-key-of-at-least-32-bytes!!"
	rtTimeout  = 20 * time.Second // guards waits; never a timing assertion
	protoNew   = "graphql-transport-ws"
	protoOld   = "graphql-ws"
	pollPrefix = "/* hasgen poll */"
)

// rtOptions tune the in-process server.
type rtOptions struct {
	live, stream time.Duration // refetch intervals (default 100 ms)
	batch        int
	keepAlive    time.Duration
	initTimeout  time.Duration
	hints        live.HintsMode // HintsAuto only with autoHints; else off
	autoHints    bool
	jwt          bool   // HS256 JWT mode (with the admin secret)
	config       string // the permissions file; default rtConfig
	authHook     string // HASURA_GRAPHQL_AUTH_HOOK (with the admin secret)
	authHookMode string
	logs         *logs.Logger // the Hasura-shaped logs; nil: none
	ignoreCookie bool         // transport.WebsocketConfig.IgnoreCookie
}

// rt is a server in process over a fresh database of the fixture.
type rt struct {
	dbURL   string
	pool    *pgxpool.Pool
	engine  *engine.Engine
	subs    *live.Poller
	metrics *metrics.Metrics
	tracer  *argTracer
	url     string // http://127.0.0.1:port
}

func newRT(t *testing.T, o rtOptions) *rt {
	t.Helper()
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	return newRTOn(t, url, o)
}

// newRTOn starts a server in process over an existing database.
func newRTOn(t *testing.T, url string, o rtOptions) *rt {
	t.Helper()
	ctx := context.Background()
	if o.live == 0 {
		o.live = 100 * time.Millisecond
	}
	if o.stream == 0 {
		o.stream = 100 * time.Millisecond
	}
	if o.hints == live.HintsAuto && !o.autoHints {
		o.hints = live.HintsOff
	}
	config := rtConfig
	if o.config != "" {
		config = o.config
	}
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: filepath.Join(repoRoot(t), config)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &argTracer{}
	pool := newPool(t, url, tr)
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	ac := auth.Config{AdminSecret: rtSecret, AuthHook: o.authHook, AuthHookMode: o.authHookMode}
	if o.jwt {
		ac.JWTSecret = `{"type":"HS256","key":"` + rtJWTKey + `"}`
	}
	auth, err := auth.New(ctx, ac)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(pool)
	subs := live.New(e, pool, live.Config{
		LiveInterval: o.live, StreamInterval: o.stream, LiveBatchSize: o.batch, StreamBatchSize: o.batch,
		Hints: o.hints, DatabaseURL: url,
	}, m, nil)
	wsh := transport.NewWebsocketHandler(e, pool, auth, subs, transport.WebsocketConfig{KeepAlive: o.keepAlive, InitTimeout: o.initTimeout, IgnoreCookie: o.ignoreCookie}, m, nil)
	mux := http.NewServeMux()
	wsh.Logs = o.logs
	mux.Handle("/v1/graphql", transport.Endpoint(&transport.Handler{Engine: e, Auth: auth, DB: pool, Logs: o.logs}, wsh))
	mux.Handle("/metrics", m.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		subs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		wsh.Shutdown(ctx)
		srv.Close()
	})
	return &rt{dbURL: url, pool: pool, engine: e, subs: subs, metrics: m, tracer: tr, url: srv.URL}
}

// generated starts the fixture's generated server on the same database,
// with env added to the admin secret.
func (r *rt) generated(t *testing.T, env map[string]string) *e2e.Server {
	t.Helper()
	all := map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": rtSecret,
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL":      "100",
		"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "100"}
	for k, v := range env {
		all[k] = v
	}
	return e2e.StartT(t, e2e.Project{DatabaseURL: r.dbURL, Config: filepath.Join(repoRoot(t), rtConfig)}, all)
}

// exec runs SQL on the test database (not through the traced pool).
func (r *rt) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%v\nSQL: %s", err, sql)
	}
}

// argTracer records every statement run on a pool with its arguments.
type argTracer struct {
	mu    sync.Mutex
	stmts []traced
}

type traced struct {
	sql  string
	args []any
}

func (tr *argTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	tr.mu.Lock()
	tr.stmts = append(tr.stmts, traced{d.SQL, d.Args})
	tr.mu.Unlock()
	return ctx
}

func (tr *argTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// polls returns the poll statements recorded so far.
func (tr *argTracer) polls() []traced {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []traced
	for _, s := range tr.stmts {
		if strings.HasPrefix(s.sql, pollPrefix) {
			out = append(out, s)
		}
	}
	return out
}

// metric reads one sample of the server's /metrics: name with its labels
// as written ({kind="live"}), 0 when absent.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	return 0
}

// eventually waits until cond holds, failing the test after rtTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(rtTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitMetric waits until a metric has the value want.
func waitMetric(t *testing.T, base, name string, want float64) {
	t.Helper()
	var got float64
	deadline := time.Now().Add(rtTimeout)
	for {
		if got = metric(t, base, name); got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metric %s = %v, want %v", name, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// token signs an HS256 JWT with Hasura's claims for role and user, valid
// for ttl (negative: already expired).
func token(t *testing.T, role, userID string, ttl time.Duration) string {
	t.Helper()
	claims := jwt.MapClaims{
		"sub": userID,
		"exp": time.Now().Add(ttl).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles": []string{role},
			"x-hasura-default-role":  role,
			"x-hasura-user-id":       userID,
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(rtJWTKey))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wsMsg is a server message.
type wsMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
	// close is set for the connection's end: its code and reason.
	closed bool
	code   int
	reason string
}

// wsClient is a websocket client of either protocol.
type wsClient struct {
	t     *testing.T
	proto string
	c     *websocket.Conn
	in    chan wsMsg
	wmu   sync.Mutex
}

// dial opens a websocket to base (http://...) with a subprotocol ("" for
// none) and extra upgrade headers.
func dial(t *testing.T, base, proto string, header http.Header) *wsClient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: rtTimeout}
	if proto != "" {
		d.Subprotocols = []string{proto}
	}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/v1/graphql", header)
	if err != nil {
		t.Fatal(err)
	}
	wc := &wsClient{t: t, proto: proto, c: c, in: make(chan wsMsg, 1024)}
	go func() {
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				m := wsMsg{closed: true, code: -1, reason: err.Error()}
				if ce, ok := err.(*websocket.CloseError); ok {
					m.code, m.reason = ce.Code, ce.Text
				}
				wc.in <- m
				close(wc.in)
				return
			}
			var m wsMsg
			if err := json.Unmarshal(b, &m); err != nil {
				m = wsMsg{Type: "unparsable", Payload: b}
			}
			wc.in <- m
		}
	}()
	t.Cleanup(func() { c.Close() })
	return wc
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.c.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message, keep-alives (ka, server pings) skipped
// unless keep is set.
func (c *wsClient) read(keep bool) wsMsg {
	c.t.Helper()
	m, _ := c.receive(keep, nil)
	return m
}

// receive is read that gives up, returning false, when stop is closed
// first (a nil stop never is).
func (c *wsClient) receive(keep bool, stop <-chan struct{}) (wsMsg, bool) {
	c.t.Helper()
	timer := time.NewTimer(rtTimeout)
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return wsMsg{}, false
		case m, ok := <-c.in:
			if !ok {
				c.t.Fatal("connection already closed")
			}
			if !keep && (m.Type == "ka" || (m.Type == "ping" && c.proto == protoNew)) {
				if m.Type == "ping" {
					c.send(map[string]any{"type": "pong"})
				}
				continue
			}
			return m, true
		case <-timer.C:
			c.t.Fatal("timed out waiting for a websocket message")
		}
	}
}

// next returns the next message that is not a keep-alive.
func (c *wsClient) next() wsMsg {
	c.t.Helper()
	return c.read(false)
}

// expect reads the next message and checks its type (and id when not
// empty).
func (c *wsClient) expect(typ, id string) wsMsg {
	c.t.Helper()
	m := c.next()
	if m.Type != typ || (id != "" && m.ID != id) {
		c.t.Fatalf("want %s %s, got %+v (payload %s)", typ, id, m, m.Payload)
	}
	return m
}

// expectClose reads until the connection closes and returns the code.
func (c *wsClient) expectClose() (int, string) {
	c.t.Helper()
	for {
		m := c.read(true)
		if m.closed {
			return m.code, m.reason
		}
	}
}

// init sends connection_init with the payload and waits for the ack.
func (c *wsClient) init(payload any) {
	c.t.Helper()
	c.send(map[string]any{"type": "connection_init", "payload": payload})
	c.expect("connection_ack", "")
}

// subscribe starts an operation (subscribe or start, by protocol).
func (c *wsClient) subscribe(id, query string, variables any) {
	typ := "subscribe"
	if c.proto != protoNew {
		typ = "start"
	}
	p := map[string]any{"query": query}
	if variables != nil {
		p["variables"] = variables
	}
	c.send(map[string]any{"type": typ, "id": id, "payload": p})
}

// stop ends an operation (complete or stop, by protocol).
func (c *wsClient) stop(id string) {
	typ := "complete"
	if c.proto != protoNew {
		typ = "stop"
	}
	c.send(map[string]any{"type": typ, "id": id})
}

// dataType is the type of a result message of the protocol.
func (c *wsClient) dataType() string {
	if c.proto == protoNew {
		return "next"
	}
	return "data"
}

// data reads the next result of operation id and returns its data
// decoded.
func (c *wsClient) data(id string) map[string]any {
	c.t.Helper()
	m := c.expect(c.dataType(), id)
	var p struct {
		Data   map[string]any  `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Errors != nil || p.Data == nil {
		c.t.Fatalf("want data, got %s", m.Payload)
	}
	return p.Data
}

// sync sends a ping (graphql-transport-ws) and returns the messages that
// came before its pong: everything the server queued before it read the
// ping.
func (c *wsClient) sync() []wsMsg {
	c.t.Helper()
	c.send(map[string]any{"type": "ping", "payload": map[string]any{"sync": true}})
	var out []wsMsg
	for {
		m := c.next()
		if m.Type == "pong" && strings.Contains(string(m.Payload), "sync") {
			return out
		}
		out = append(out, m)
	}
}

// adminInit is the connection_init payload of the admin secret, with
// session variables for impersonation (X-Hasura-Role, ...).
func adminInit(kv ...string) map[string]any {
	h := map[string]any{"x-hasura-admin-secret": rtSecret}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return map[string]any{"headers": h}
}

// userInit impersonates role user with the user id.
func userInit(id int) map[string]any {
	return adminInit("X-Hasura-Role", "user", "X-Hasura-User-Id", fmt.Sprint(id))
}

// jsonOf encodes v as JSON.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
