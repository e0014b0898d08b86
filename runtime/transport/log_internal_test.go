package transport

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// BenchmarkLogHTTP is the CPU cost of one http-log line (to io.Discard),
// away from the database's noise: what the access log adds to a request.
func BenchmarkLogHTTP(b *testing.B) {
	l, err := logs.New(io.Discard, "", "")
	if err != nil {
		b.Fatal(err)
	}
	h := &Handler{Logs: l}
	r := httptest.NewRequest(http.MethodPost, "/v1/graphql", nil)
	s := &session.Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}}
	req := &wire.Request{Query: "query AlbumByPK { albums_by_pk(id: 1) { id title } }"}
	b.ReportAllocs()
	for b.Loop() {
		lw := &logWriter{status: 200, size: 70, session: s, req: req, reqSize: 65, read: time.Microsecond}
		h.logHTTP(r, "072b3617-6653-4fd5-b5ee-580e9d098c3d", lw, 80*time.Microsecond)
	}
}

// BenchmarkRequestID is the cost of a request id made for a request
// that sent none (paid with every log type off).
func BenchmarkRequestID(b *testing.B) {
	hdr := http.Header{}
	b.ReportAllocs()
	for b.Loop() {
		_ = logs.RequestID(hdr)
	}
}

// TestLogHTTPFast: the hand-encoded http-log detail is byte for byte the
// one encoding/json writes of httpLog.
func TestLogHTTPFast(t *testing.T) {
	cases := []*logWriter{
		{status: 200, size: 70, reqSize: 65, read: 1500 * time.Nanosecond,
			session: &session.Session{Vars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "7", "x-hasura-org": "a\"b<\\>\n\u00e9"}}},
		{size: 3, batch: true, session: &session.Session{Vars: map[string]string{}}},
		{status: 413},
		{read: 80*time.Microsecond - 5*time.Nanosecond}, // times in e notation
	}
	for i, lw := range cases {
		var buf bytes.Buffer
		l, err := logs.New(&buf, "", "")
		if err != nil {
			t.Fatal(err)
		}
		h := &Handler{Logs: l}
		r := httptest.NewRequest(http.MethodPost, "/v1/graphql?x=\"1\"", nil)
		r.Header.Set("X-Forwarded-For", "10.0.0.1, 10.0.0.2")
		h.logHTTPFast(r, "id-\u00e9", lw, 80*time.Microsecond)
		var got struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%d: %v\n%s", i, err, buf.String())
		}
		op := operationLog{QueryExecutionTime: (80*time.Microsecond - lw.read).Seconds(), RequestID: "id-\u00e9", ResponseSize: lw.size,
			RequestSize: lw.reqSize, RequestReadTime: lw.read.Seconds(), RequestMode: "single"}
		if lw.batch {
			op.RequestMode = "batched"
		}
		if lw.session != nil {
			op.UserVars = lw.session.Vars
		}
		status := lw.status
		if status == 0 {
			status = 200
		}
		want, _ := json.Marshal(&httpLog{Operation: op, RequestID: "id-\u00e9", HTTPInfo: httpInfo{Status: status, HTTPVersion: r.Proto,
			URL: r.URL.RequestURI(), IP: "10.0.0.1", Method: "POST"}})
		if string(got.Detail) != string(want) {
			t.Errorf("%d:\n got %s\nwant %s", i, got.Detail, want)
		}
	}
}
