package logs

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Level
		err  bool
	}{{"", Info, false}, {"DEBUG", Debug, false}, {"warning", Warn, false}, {"error", Error, false}, {"loud", Info, true}} {
		got, err := ParseLevel(c.in)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseLevel(%q) = %v, %v", c.in, got, err)
		}
	}
	types, err := ParseTypes("")
	if err != nil || len(types) != 4 || !types[Startup] || !types[HTTP] || !types[Webhook] || !types[Websocket] || types[Query] {
		t.Errorf("default types: %v %v", types, err)
	}
	if _, err := ParseTypes("http-log, nope, bad"); err == nil || err.Error() != "unknown log types bad, nope" {
		t.Errorf("unknown types: %v", err)
	}
}

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, "warn", "http-log,query-log")
	if err != nil {
		t.Fatal(err)
	}
	l.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.FixedZone("", 5*3600+1800)) }
	l.Log(HTTP, Info, map[string]int{"a": 1})       // under the level
	l.Log(Websocket, Error, map[string]int{"a": 1}) // not enabled
	l.Log(HTTP, Error, map[string]any{"a": "x\n"})
	l.Log(Query, Warn, nil)
	want := `{"type":"http-log","timestamp":"2026-01-02T03:04:05.006+0530","level":"error","detail":{"a":"x\n"}}` + "\n" +
		`{"type":"query-log","timestamp":"2026-01-02T03:04:05.006+0530","level":"warn","detail":null}` + "\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("not JSON: %s", line)
		}
	}
	var nilLogger *Logger
	if nilLogger.Enabled(HTTP, Error) {
		t.Error("a nil logger is enabled")
	}
	nilLogger.Log(HTTP, Error, 1) // no panic
}

func TestRequestID(t *testing.T) {
	if got := RequestID(http.Header{"X-Request-Id": {"abc"}}); got != "abc" {
		t.Errorf("request id %q, want the client's", got)
	}
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := RequestID(http.Header{}), RequestID(http.Header{"X-Request-Id": {""}})
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Errorf("generated ids %q %q", a, b)
	}
}
