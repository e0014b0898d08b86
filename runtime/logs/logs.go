// Package logs writes the server's structured logs in Hasura GraphQL
// Engine v2's shapes, so that log pipelines built for Hasura parse them:
// one JSON object a line, {"type", "timestamp", "level", "detail"}, with
// Hasura's log types (startup, http-log, websocket-log, query-log,
// webhook-log), HASURA_GRAPHQL_LOG_LEVEL and
// HASURA_GRAPHQL_ENABLED_LOG_TYPES (Hasura's Hasura.Logging and
// Hasura.Server.Logging).
package logs

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Type is a log type: the "type" of a line.
type Type string

// The log types hasgen writes.
const (
	Startup   Type = "startup"
	HTTP      Type = "http-log"
	Webhook   Type = "webhook-log"
	Websocket Type = "websocket-log"
	Query     Type = "query-log"
)

// DefaultTypes are Hasura's enabled log types when
// HASURA_GRAPHQL_ENABLED_LOG_TYPES is not set.
const DefaultTypes = "startup,http-log,webhook-log,websocket-log"

// knownTypes are the log types Hasura accepts in
// HASURA_GRAPHQL_ENABLED_LOG_TYPES; hasgen writes those of the constants
// above and accepts the others without effect.
var knownTypes = map[string]bool{
	"startup": true, "http-log": true, "webhook-log": true, "websocket-log": true, "query-log": true,
	"execution-log": true, "livequery-poller-log": true, "action-handler-log": true,
	"data-connector-log": true, "jwk-refresh-log": true, "validate-input-log": true,
	"health-check-log": true, "event-trigger": true, "scheduled-trigger": true,
	"cron-event-generator": true, "source-catalog-migration": true,
}

// Level is a log level, as Hasura orders them.
type Level int8

// Levels.
const (
	Debug Level = iota
	Info
	Warn
	Error
)

var levelNames = [...]string{"debug", "info", "warn", "error"}

// String is the level's name in a log line.
func (l Level) String() string { return levelNames[l] }

// ParseLevel reads debug, info, warn (or warning) or error, in any case.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return Debug, nil
	case "", "info":
		return Info, nil
	case "warn", "warning":
		return Warn, nil
	case "error":
		return Error, nil
	}
	return Info, fmt.Errorf("log level %q: want debug, info, warn or error", s)
}

// Logger writes log lines to one writer. The zero of *Logger (nil) logs
// nothing, so that handlers without one pay nothing. Safe for concurrent
// use: a line is written with one Write.
type Logger struct {
	mu    sync.Mutex
	w     io.Writer
	min   Level
	types map[Type]bool
	now   func() time.Time
}

// New returns a logger writing to w the lines of the types listed in
// types (comma-separated; empty is DefaultTypes) at level or above
// (empty is info).
func New(w io.Writer, level, types string) (*Logger, error) {
	min, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	enabled, err := ParseTypes(types)
	if err != nil {
		return nil, err
	}
	return &Logger{w: w, min: min, types: enabled, now: time.Now}, nil
}

// ParseTypes reads a HASURA_GRAPHQL_ENABLED_LOG_TYPES value: log types
// separated by commas (spaces allowed); empty is DefaultTypes. An unknown
// type is an error naming it.
func ParseTypes(s string) (map[Type]bool, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultTypes
	}
	out := map[Type]bool{}
	var bad []string
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !knownTypes[t] {
			bad = append(bad, t)
			continue
		}
		out[Type(t)] = true
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("unknown log types %s", strings.Join(bad, ", "))
	}
	return out, nil
}

// Enabled reports whether a line of type t at level lv would be written:
// callers check it before building a line's detail.
func (l *Logger) Enabled(t Type, lv Level) bool {
	return l != nil && lv >= l.min && l.types[t]
}

// timeLayout is Hasura's timestamp: milliseconds and a numeric zone.
const timeLayout = "2006-01-02T15:04:05.000-0700"

// Log writes a line of type t at level lv with detail (marshalled with
// encoding/json) when that type and level are enabled.
func (l *Logger) Log(t Type, lv Level, detail any) {
	if !l.Enabled(t, lv) {
		return
	}
	d, err := json.Marshal(detail)
	if err != nil {
		d, _ = json.Marshal(map[string]string{"error": "unloggable detail: " + err.Error()})
	}
	l.LogJSON(t, lv, d)
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// LogJSON is Log with the detail already encoded as JSON, for the lines
// written on every request (http-log), encoded without reflection.
func (l *Logger) LogJSON(t Type, lv Level, detail []byte) {
	if !l.Enabled(t, lv) {
		return
	}
	bp := linePool.Get().(*[]byte)
	b := append((*bp)[:0], `{"type":`...)
	b = AppendString(b, string(t))
	b = append(b, `,"timestamp":"`...)
	b = l.now().AppendFormat(b, timeLayout)
	b = append(b, `","level":"`...)
	b = append(b, lv.String()...)
	b = append(b, `","detail":`...)
	b = append(b, detail...)
	b = append(b, "}\n"...)
	l.mu.Lock()
	l.w.Write(b)
	l.mu.Unlock()
	if cap(b) <= 64<<10 {
		*bp = b
		linePool.Put(bp)
	}
}

// AppendString appends s as a JSON string, as encoding/json writes it.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// RequestIDHeader is the header a request id travels in, both ways.
const RequestIDHeader = "X-Request-Id"

// RequestID is the request's x-request-id header, or a new random UUID
// (version 4) when it sent none, as Hasura does.
func RequestID(h http.Header) string {
	if vs := h[RequestIDHeader]; len(vs) > 0 && vs[0] != "" {
		return vs[0]
	}
	return NewID()
}

// NewID returns a random UUID (version 4). The bits come from the
// runtime's ChaCha8 generator (math/rand/v2), seeded from the system's
// randomness: unpredictable enough for a request id, without
// crypto/rand's system call on every request.
func NewID() string {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

type ctxKey struct{}

// WithRequestID returns ctx carrying a request id, for the logs written
// deeper down (query-log).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestIDFrom returns the request id ctx carries, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}
