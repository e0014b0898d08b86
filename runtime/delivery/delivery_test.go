package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/runtime/delivery"
)

func TestSend(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Echo-Method", r.Method)
			w.Write([]byte(r.Header.Get("X-Key") + ":" + string(b)))
		case "/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/slow":
			<-r.Context().Done() // the client gives up first
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	tests := []struct {
		name       string
		req        delivery.Request
		ok         bool
		status     int
		body       string
		retryAfter time.Duration
		err        string
	}{
		{"post with headers", delivery.Request{URL: srv.URL + "/ok", Headers: http.Header{"X-Key": {"k"}}, Body: []byte(`{"a":1}`)}, true, 200, `k:{"a":1}`, 0, ""},
		{"retry-after", delivery.Request{URL: srv.URL + "/busy"}, false, 503, "", 7 * time.Second, ""},
		{"timeout", delivery.Request{URL: srv.URL + "/slow", Timeout: 50 * time.Millisecond}, false, 0, "", 0, "timed out"},
		{"bad url", delivery.Request{URL: "http://127.0.0.1:1/x"}, false, 0, "", 0, "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := delivery.Send(ctx, srv.Client(), tt.req)
			if r.OK() != tt.ok || r.Status != tt.status || string(r.Body) != tt.body || r.RetryAfter != tt.retryAfter {
				t.Fatalf("got ok=%v status=%d body=%q retryAfter=%v err=%v", r.OK(), r.Status, r.Body, r.RetryAfter, r.Err)
			}
			if tt.err != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tt.err)) {
				t.Fatalf("error %v, want one containing %q", r.Err, tt.err)
			}
		})
	}
}

func TestInvocationLogs(t *testing.T) {
	req := delivery.Request{URL: "http://x", Headers: http.Header{"B": {"2"}, "A": {"1"}}, Body: []byte(`{"id":1}`)}
	if got, want := string(delivery.RequestLog(req)), `{"payload":{"id":1},"headers":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"version":"2"}`; got != want {
		t.Errorf("RequestLog\n got %s\nwant %s", got, want)
	}
	form := delivery.Request{Body: []byte("a=1&b=2")}
	if got, want := string(delivery.RequestLog(form)), `{"payload":"a=1\u0026b=2","headers":[],"version":"2"}`; got != want {
		t.Errorf("RequestLog of a form body\n got %s\nwant %s", got, want)
	}
	resp := &delivery.Result{Status: 500, Headers: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("boom")}
	if got, want := string(delivery.ResponseLog(resp)), `{"type":"webhook_response","data":{"body":"boom","headers":[{"name":"Content-Type","value":"text/plain"}],"status":500},"version":"2"}`; got != want {
		t.Errorf("ResponseLog\n got %s\nwant %s", got, want)
	}
	var v struct {
		Type string
		Data struct{ Message string }
	}
	if err := json.Unmarshal(delivery.ResponseLog(&delivery.Result{Err: context.DeadlineExceeded}), &v); err != nil || v.Type != "client_error" || v.Data.Message != "context deadline exceeded" {
		t.Errorf("ResponseLog of a failed try: %+v, %v", v, err)
	}
}
