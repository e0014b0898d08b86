package transport

// The websocket transport of /v1/graphql, both subprotocols Hasura
// clients use, one type each behind the subprotocol interface:
// graphql-transport-ws (graphql-ws's protocol, graphql_transport_ws.go)
// and the legacy graphql-ws (subscriptions-transport-ws, graphql_ws.go),
// the default when the client names none. This file holds what they
// share: the connection, its outgoing queue, connection_init (headers from
// the payload, over the upgrade request's, authenticated like an HTTP
// request), keep-alive, the JWT's expiry, and operations: each is
// prepared by the engine; subscriptions go to the poller (package live),
// queries and mutations run once.
//
// Memory per idle connection is what bounds how many one process holds.
// gorilla/websocket is used for that (about 5 KB per idle connection
// measured, against about 16 KB for coder/websocket): the handler returns
// right after the upgrade, so that net/http's per-request buffers are
// freed; the connection keeps a 1 KB read buffer, borrows a write buffer
// from a pool only while writing, and has one goroutine, its reader. A
// writer goroutine exists only while messages are queued, and the timers
// (keep-alive, init timeout, JWT expiry) are runtime timers, not
// goroutines.

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/cache"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/hasgen/hasgen/runtime/ratelimit"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/runtime/replica"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// The subprotocols.
const (
	protoTransportWS = "graphql-transport-ws"
	protoGraphQLWS   = "graphql-ws"
)

// subprotocol is what differs between the two protocols: the messages a
// client sends, and how the server says what both must say.
type subprotocol interface {
	// handle handles one client message.
	handle(ctx context.Context, c *wsConn, m *wsMessage)
	// badMessage answers a message that cannot be parsed.
	badMessage(c *wsConn, msg string)
	// keepAlive is the keep-alive message.
	keepAlive() []byte
	// expired ends a connection whose JWT expired.
	expired(c *wsConn)
	// dataType is the type of the message carrying a result.
	dataType() string
	// startFailed ends an operation that could not start; queryFailed
	// answers a query or mutation that failed.
	startFailed(c *wsConn, op *wsOp, err error)
	queryFailed(c *wsConn, op *wsOp, err error)
	// initTimeout reports whether connection_init must come within the
	// init timeout.
	initTimeout() bool
}

var _ = []subprotocol{graphQLWS{}, graphQLTransportWS{}}

// Websocket limits.
const (
	wsWriteTimeout = 10 * time.Second
	// wsMaxQueued is how many bytes may wait for a slow client before
	// the connection is closed (1008, policy violation).
	wsMaxQueued = 32 << 20
)

// WebsocketConfig configures the websocket transport.
type WebsocketConfig struct {
	// KeepAlive is HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE: how often ka
	// (graphql-ws) or ping (graphql-transport-ws) is sent; default 5 s.
	KeepAlive time.Duration
	// InitTimeout is HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT: how
	// long a graphql-transport-ws client may take to send
	// connection_init; default 3 s.
	InitTimeout time.Duration
	// IgnoreCookie drops the upgrade request's Cookie header before
	// authentication, as Hasura does when CORS is disabled and
	// HASURA_GRAPHQL_WS_READ_COOKIE is not set: with no origin check, a
	// page of any site could open a websocket that the browser sends the
	// user's cookies with.
	IgnoreCookie bool
}

// WebsocketHandler serves GraphQL over websockets. It is safe for
// concurrent use; Shutdown closes every connection.
type WebsocketHandler struct {
	engine   *engine.Engine
	db       engine.DBTX
	auth     *auth.Authenticator
	poller   *live.Poller
	cfg      WebsocketConfig
	m        *metrics.Metrics
	log      *slog.Logger
	upgrader websocket.Upgrader
	// Logs receives the websocket-log lines (wslog.go); nil writes none.
	Logs *logs.Logger
	// Reads, when set, runs the queries sent over the socket on the read
	// replicas (RunRouted); mutations run on db.
	Reads *replica.Set
	// RateLimit counts each operation started (api_limits.rate_limit);
	// nil is no limit.
	RateLimit *ratelimit.Limiter
	// Cache answers queries marked @cached (cache.go), as HTTP does; nil
	// runs them uncached.
	Cache *cache.Cache

	mu      sync.Mutex
	closing bool
	conns   map[*wsConn]struct{}
	// open counts the open connections and queries the queries and
	// mutations running, for Shutdown to wait on.
	open    sync.WaitGroup
	queries sync.WaitGroup
}

// NewWebsocketHandler returns the websocket transport of an engine:
// sessions from a, queries and mutations run on db, subscriptions by p.
func NewWebsocketHandler(e *engine.Engine, db engine.DBTX, a *auth.Authenticator, p *live.Poller, cfg WebsocketConfig, m *metrics.Metrics, log *slog.Logger) *WebsocketHandler {
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 5 * time.Second
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 3 * time.Second
	}
	if m == nil {
		m = metrics.New(nil)
	}
	if log == nil {
		log = slog.Default()
	}
	return &WebsocketHandler{
		engine: e, db: db, auth: a, poller: p, cfg: cfg, m: m, log: log,
		conns: map[*wsConn]struct{}{},
		upgrader: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferPool: &sync.Pool{},
			Subprotocols:    []string{protoTransportWS, protoGraphQLWS},
			// As Hasura with its default CORS policy: any origin.
			CheckOrigin: func(*http.Request) bool { return true },
		},
	}
}

// ServeHTTP upgrades the request and hands the connection to a goroutine
// of its own.
func (h *WebsocketHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	closing := h.closing
	if !closing {
		h.open.Add(1)
	}
	h.mu.Unlock()
	if closing {
		w.Header().Set("Retry-After", "0")
		http.Error(w, "Server is shutting down", http.StatusServiceUnavailable)
		return
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.open.Done()
		return // Upgrade answered with the HTTP error
	}
	var proto subprotocol = graphQLWS{}
	if ws.Subprotocol() == protoTransportWS {
		proto = graphQLTransportWS{}
	}
	c := &wsConn{h: h, ws: ws, proto: proto, header: upgradeHeaders(r.Header, h.cfg.IgnoreCookie), ops: map[string]*wsOp{}}
	if h.RateLimit != nil {
		c.ip = ratelimit.ClientIP(r.Header.Get("X-Real-IP"), r.Header.Get("X-Forwarded-For"), r.RemoteAddr)
	}
	if c.logging() {
		c.id = logs.NewID()
		c.logEvent(logs.Info, wsEvent{Type: "accepted"})
	}
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.m.WSConnections.Inc()
	go c.run()
}

// upgradeHeaders are the upgrade request's headers that take part in
// authentication: all but the websocket handshake's own (and the Cookie
// when ignoreCookie).
func upgradeHeaders(in http.Header, ignoreCookie bool) http.Header {
	out := make(http.Header, len(in))
	for k, v := range in {
		if ignoreCookie && k == "Cookie" {
			continue
		}
		switch k {
		case "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol", "Upgrade", "Connection":
			continue
		}
		out[k] = v
	}
	return out
}

// Shutdown stops accepting connections, waits for the queries running on
// them (until ctx ends), then closes every connection with 1001 (going
// away) after the messages queued for it, and waits for them to end.
// Subscriptions are completed by the poller's Close, which the server
// calls first.
func (h *WebsocketHandler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	wait := func(wg *sync.WaitGroup) error {
		done := make(chan struct{})
		go func() {
			wg.Wait()
			close(done)
		}()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	qerr := wait(&h.queries)
	h.mu.Lock()
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.goingAway()
	}
	if err := wait(&h.open); err != nil {
		for _, c := range conns {
			c.ws.Close()
		}
		return err
	}
	return qerr
}

// wsConn is one websocket connection.
type wsConn struct {
	h      *WebsocketHandler
	ws     *websocket.Conn
	proto  subprotocol
	header http.Header
	// initHeader is header merged with connection_init's headers.
	initHeader http.Header
	cancel     context.CancelFunc
	id         string // websocket_id of the logs, when logging
	ip         string // the client's address, for IP rate limits

	mu sync.Mutex
	// out is the queue of messages for the writer goroutine, which runs
	// while writing is set; closeMsg is a close frame to write after the
	// queue. closed means nothing more is queued.
	out      [][]byte
	queued   int
	writing  bool
	closed   bool
	closeMsg []byte
	// session is set by a successful connection_init (acked).
	session  *session.Session
	initSeen bool
	acked    bool
	ops      map[string]*wsOp
	timers   [3]*time.Timer // keep-alive, init timeout, expiry
}

const (
	timerKeepAlive = iota
	timerInit
	timerExpiry
)

// wsMessage is a client message of either protocol.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// run reads and handles messages until the connection ends, then
// releases everything the connection holds.
func (c *wsConn) run() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	defer c.teardown()
	if c.proto.initTimeout() {
		c.mu.Lock()
		c.timers[timerInit] = time.AfterFunc(c.h.cfg.InitTimeout, c.initTimeout)
		c.mu.Unlock()
	}
	c.ws.SetReadLimit(maxBody)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		// Each message is handled on a goroutine of its own, waited for:
		// parsing and compiling a subscription grow a stack, and a
		// goroutine that ends frees it, so the reader's stays small for
		// the connection's idle life.
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.handle(ctx, b)
		}()
		<-done
	}
}

// handle handles one client message.
func (c *wsConn) handle(ctx context.Context, b []byte) {
	defer func() {
		if p := recover(); p != nil {
			c.h.log.Error("panic serving websocket", "panic", p, "stack", string(debug.Stack()))
			c.closeWith(websocket.CloseInternalServerErr, "internal error")
		}
	}()
	var m wsMessage
	if err := json.Unmarshal(b, &m); err != nil || m.Type == "" {
		msg := "parsing ClientMessage failed: invalid message"
		if err != nil {
			msg = "parsing ClientMessage failed: " + err.Error()
		}
		c.protocolError(msg)
		return
	}
	c.proto.handle(ctx, c, &m)
}

// teardown ends the connection's operations and forgets it.
func (c *wsConn) teardown() {
	c.cancel()
	c.mu.Lock()
	c.closed = true
	for _, t := range c.timers {
		if t != nil {
			t.Stop()
		}
	}
	ops := make([]*wsOp, 0, len(c.ops))
	for _, op := range c.ops {
		op.ended = true
		ops = append(ops, op)
	}
	c.ops = nil
	c.out = nil
	c.mu.Unlock()
	for _, op := range ops {
		if op.stop != nil {
			op.stop()
		}
	}
	c.ws.Close()
	c.logEvent(logs.Info, wsEvent{Type: "closed"})
	h := c.h
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.m.WSConnections.Dec()
	h.open.Done()
}

// protocolError answers a message that cannot be parsed.
func (c *wsConn) protocolError(msg string) {
	c.h.m.Errors.WithLabelValues(metrics.KindWebsocket).Inc()
	c.proto.badMessage(c, msg)
}

// send queues a message. It never blocks: a writer goroutine is started
// when none runs. A client that lets more than wsMaxQueued bytes pile up
// is disconnected.
func (c *wsConn) send(b []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.out = append(c.out, b)
	c.queued += len(b)
	if c.queued > wsMaxQueued {
		c.out, c.queued = nil, 0
		c.closed = true
		c.closeMsg = websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "client too slow: too many queued messages")
	}
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.flush()
	}
}

// closeWith closes the connection after the queued messages, with a close
// frame of code and reason.
func (c *wsConn) closeWith(code int, reason string) {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.closeMsg = websocket.FormatCloseMessage(code, reason)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.flush()
	}
}

// flush writes the queue until it is empty, then the close frame if one
// is pending.
func (c *wsConn) flush() {
	for {
		c.mu.Lock()
		msgs := c.out
		c.out, c.queued = nil, 0
		if len(msgs) == 0 {
			cm := c.closeMsg
			c.closeMsg = nil
			if cm == nil {
				c.writing = false
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			c.ws.WriteControl(websocket.CloseMessage, cm, time.Now().Add(time.Second))
			// The reader fails and tears the connection down.
			c.ws.Close()
			return
		}
		c.mu.Unlock()
		for _, m := range msgs {
			c.ws.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
			if err := c.ws.WriteMessage(websocket.TextMessage, m); err != nil {
				c.mu.Lock()
				c.closed = true
				c.out = nil
				c.mu.Unlock()
				c.ws.Close()
				return
			}
			c.h.m.MessagesSent.Inc()
		}
	}
}

// goingAway closes the connection for a shutdown: 1001 after the queued
// messages (the subscriptions' complete).
func (c *wsConn) goingAway() {
	c.closeWith(websocket.CloseGoingAway, "server shutting down")
}

// init handles connection_init: again reports one after the first, which
// is not handled when once is set. The session is authenticated
// (connectionInit), recorded and acknowledged; a failure is counted and
// returned for the protocol to answer.
func (c *wsConn) init(ctx context.Context, payload json.RawMessage, once bool) (again bool, err error) {
	c.mu.Lock()
	again = c.initSeen
	c.initSeen = true
	c.mu.Unlock()
	if again && once {
		return true, nil
	}
	s, err := c.connectionInit(ctx, payload)
	if err != nil {
		c.logEvent(logs.Error, wsEvent{Type: "rejected", Detail: qerr(err)})
		c.h.m.Errors.WithLabelValues(metrics.KindWebsocket).Inc()
		return again, err
	}
	c.initialised(s)
	c.send([]byte(`{"type":"connection_ack"}`))
	return again, nil
}

// connectionInit authenticates the connection with the headers of the
// connection_init payload, {"headers": {...}} and, as some clients send
// them, top-level keys, over those of the upgrade request, as Hasura
// merges them (the payload's win).
func (c *wsConn) connectionInit(ctx context.Context, payload json.RawMessage) (*session.Session, error) {
	h := c.header.Clone()
	if len(payload) > 0 && string(payload) != "null" {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, &wire.Error{Code: wire.CodeBadRequest, Path: "$", Message: "parsing ClientMessage failed: connection_init payload: " + err.Error(), Err: err}
		}
		set := func(m map[string]json.RawMessage) {
			for k, raw := range m {
				var v string
				if json.Unmarshal(raw, &v) == nil {
					h.Set(k, v)
				}
			}
		}
		top := make(map[string]json.RawMessage, len(p))
		for k, v := range p {
			if k != "headers" {
				top[k] = v
			}
		}
		set(top)
		if raw, ok := p["headers"]; ok {
			var hs map[string]json.RawMessage
			if json.Unmarshal(raw, &hs) == nil {
				set(hs)
			}
		}
	}
	c.mu.Lock()
	c.initHeader = h // what actions with forward_client_headers pass on
	c.mu.Unlock()
	return c.h.auth.Authenticate(ctx, h)
}

// initialised records the session of a successful connection_init and
// starts the keep-alive and the expiry timer.
func (c *wsConn) initialised(s *session.Session) {
	c.mu.Lock()
	c.session, c.acked = s, true
	if t := c.timers[timerInit]; t != nil {
		t.Stop()
	}
	if c.timers[timerKeepAlive] == nil {
		c.timers[timerKeepAlive] = time.AfterFunc(c.h.cfg.KeepAlive, c.keepAlive)
	}
	if t := c.timers[timerExpiry]; t != nil {
		t.Stop()
		c.timers[timerExpiry] = nil
	}
	if !s.Expires.IsZero() {
		c.timers[timerExpiry] = time.AfterFunc(time.Until(s.Expires), c.expired)
	}
	c.mu.Unlock()
}

// keepAlive sends ka (graphql-ws) or a ping (graphql-transport-ws) every
// KeepAlive.
func (c *wsConn) keepAlive() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.timers[timerKeepAlive].Reset(c.h.cfg.KeepAlive)
	c.mu.Unlock()
	c.send(c.proto.keepAlive())
}

// initTimeout closes a graphql-transport-ws connection that did not send
// connection_init in time (4408).
func (c *wsConn) initTimeout() {
	c.mu.Lock()
	seen := c.initSeen
	c.mu.Unlock()
	if !seen {
		c.closeWith(4408, "Connection initialisation timeout")
	}
}

// expired closes the connection when its JWT expires: 4403, which
// graphql-ws clients retry, with a fresh token from their
// connectionParams.
func (c *wsConn) expired() { c.proto.expired(c) }

// wsOp is an operation of a connection: a subscription, or a query or
// mutation in flight. It is the live.Sink of its subscription.
type wsOp struct {
	c      *wsConn
	id     string
	idJSON []byte
	// stop ends the operation (unsubscribes, or cancels the query);
	// ended is set once the operation is over. Both are guarded by c.mu.
	stop  func()
	ended bool
}

// addOp registers an operation id; false when one with that id runs.
func (c *wsConn) addOp(id string) (*wsOp, bool) {
	op := &wsOp{c: c, id: id, idJSON: idJSON(id)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops == nil {
		op.ended = true
		return op, true
	}
	if _, dup := c.ops[id]; dup {
		return nil, false
	}
	c.ops[id] = op
	return op, true
}

// setStop records how to stop an operation; if it ended meanwhile, stop
// runs at once.
func (c *wsConn) setStop(op *wsOp, stop func()) {
	c.mu.Lock()
	ended := op.ended
	op.stop = stop
	c.mu.Unlock()
	if ended {
		stop()
	}
}

// endOp marks an operation over and forgets its id; it reports whether it
// was still running.
func (c *wsConn) endOp(op *wsOp) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if op.ended {
		return false
	}
	op.ended = true
	if c.ops[op.id] == op {
		delete(c.ops, op.id)
	}
	return true
}

// stopOp ends the operation id at the client's request.
func (c *wsConn) stopOp(id string) {
	c.mu.Lock()
	op := c.ops[id]
	var stop func()
	if op != nil {
		op.ended = true
		delete(c.ops, id)
		stop = op.stop
	}
	c.mu.Unlock()
	if stop != nil {
		c.logOp(id, "", nil, "stopped", nil)
		stop()
	}
}

// start runs an operation: a subscription until it is stopped, a query or
// mutation once.
func (c *wsConn) start(ctx context.Context, op *wsOp, payload json.RawMessage) {
	req, err := wire.DecodeRequest(payload)
	if err == nil && req.NoQuery && c.h.engine.PersistedQueries() == engine.PersistedOff {
		err = wire.ErrNoQuery() // a bare persisted-query hash, refused as before
	}
	if len(payload) == 0 || err != nil {
		c.proto.startFailed(c, op, &wire.Error{Code: wire.CodeBadRequest, Path: "$", Message: "the payload must be a GraphQL request: {query, variables, operationName}", Err: err})
		return
	}
	c.mu.Lock()
	s, hdr := c.session, c.initHeader
	c.mu.Unlock()
	rid := c.opRequestID()
	if err := c.h.RateLimit.Allow(ctx, s, c.ip); err != nil {
		c.logOp(op.id, rid, &req, "query_err", err)
		c.proto.startFailed(c, op, err)
		return
	}
	p, err := c.h.engine.Prepare(ctx, s, &req)
	if err != nil {
		c.logOp(op.id, rid, &req, "query_err", err)
		c.proto.startFailed(c, op, err)
		return
	}
	c.logOp(op.id, rid, &req, "started", nil)
	cd, cached := p.Cached()
	cached = cached && c.h.Cache != nil
	if rid != "" && !cached { // a cached query's line says whether it hit
		LogQuery(logs.WithRequestID(ctx, rid), c.h.Logs, p)
	}
	if p.Operation == ast.Subscription {
		stop, err := c.h.poller.Subscribe(p, op)
		if err != nil {
			c.proto.startFailed(c, op, err)
			return
		}
		c.setStop(op, stop)
		return
	}
	qctx, cancel := context.WithCancel(remote.WithClientHeaders(actions.WithHeaders(session.With(ctx, s), hdr), hdr))
	if rid != "" {
		qctx = logs.WithRequestID(qctx, rid) // query tags
	}
	c.setStop(op, cancel)
	c.h.queries.Add(1)
	go func() {
		defer c.h.queries.Done()
		defer cancel()
		var res []byte
		var err error
		primary := p.Operation != ast.Query
		if cached {
			lctx, ql := qctx, (*logs.Logger)(nil)
			if rid != "" {
				lctx, ql = logs.WithRequestID(qctx, rid), c.h.Logs
			}
			res, err = runCached(lctx, c.h.Cache, c.h.engine, c.h.db, c.h.Reads, primary, p, cd, nil, nil, ql)
		} else {
			res, err = RunRouted(qctx, c.h.engine, c.h.db, c.h.Reads, primary, p, nil)
		}
		if !c.endOp(op) {
			return // stopped by the client
		}
		if err != nil {
			c.logOp(op.id, rid, &req, "query_err", err)
			c.proto.queryFailed(c, op, err)
			return
		}
		c.logOp(op.id, "", nil, "completed", nil)
		c.send(frame(c.proto.dataType(), op.idJSON, res))
		c.send(frame("complete", op.idJSON, nil))
	}()
}

// Next implements live.Sink: {"data": {key: value}}.
func (op *wsOp) Next(key string, value []byte) {
	typ := op.c.proto.dataType()
	b := make([]byte, 0, len(value)+len(op.idJSON)+len(key)+48)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","id":`...)
	b = append(b, op.idJSON...)
	b = append(b, `,"payload":{"data":{"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	b = append(b, value...)
	b = append(b, "}}}"...)
	op.c.send(b)
}

// Fail implements live.Sink. A final error ends the operation like a
// request error; otherwise {"errors": [...]} is sent as data, as Hasura
// does when a refetch fails.
func (op *wsOp) Fail(err error, final bool) {
	if final {
		op.c.proto.startFailed(op.c, op, err)
		return
	}
	op.c.send(frame(op.c.proto.dataType(), op.idJSON, wire.AppendErrors(nil, err)))
}

// Complete implements live.Sink: the server ends the subscription.
func (op *wsOp) Complete() {
	if op.c.endOp(op) {
		op.c.send(frame("complete", op.idJSON, nil))
	}
}

// frame writes a server message {"type", "id", "payload"} (in Hasura's
// key order); no payload when it is nil.
func frame(typ string, idJSON, payload []byte) []byte {
	b := make([]byte, 0, len(payload)+len(idJSON)+40)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, '"')
	if idJSON != nil {
		b = append(b, `,"id":`...)
		b = append(b, idJSON...)
	}
	if payload != nil {
		b = append(b, `,"payload":`...)
		b = append(b, payload...)
	}
	return append(b, '}')
}

// idJSON is an operation id as JSON.
func idJSON(id string) []byte {
	b, _ := json.Marshal(id)
	return b
}
