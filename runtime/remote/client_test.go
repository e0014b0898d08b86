package remote

import (
	"net/http"
	"testing"

	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/session"
)

// TestHeaders: Hasura's precedence (configured > session > client), the
// client's ignored headers and x-hasura-* dropped, Host, User-Agent and
// Origin forwarded as X-Forwarded-*.
func TestHeaders(t *testing.T) {
	c, err := NewClient("r", &Definition{URL: "http://r", ForwardClientHeaders: true,
		Headers: []events.Header{{Name: "Authorization", Value: "conf"}, {Name: "X-Key", ValueFromEnv: "KEY"}}},
		func(k string) string { return map[string]string{"KEY": "k1"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	client := http.Header{"Authorization": {"client"}, "Cookie": {"c=1"}, "User-Agent": {"ua"}, "Host": {"h"}, "Content-Length": {"9"},
		"X-Hasura-User-Id": {"spoofed"}, "X-Hasura-Admin-Secret": {"s"}, "Accept-Encoding": {"gzip"}}
	s := &session.Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "7"}}
	h := c.Headers(s, client)
	want := map[string]string{"Authorization": "conf", "X-Key": "k1", "Cookie": "c=1", "X-Forwarded-User-Agent": "ua", "X-Forwarded-Host": "h",
		"X-Hasura-Role": "user", "X-Hasura-User-Id": "7", "Content-Type": "application/json; charset=utf-8"}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	for _, k := range []string{"User-Agent", "Host", "Content-Length", "X-Hasura-Admin-Secret", "Accept-Encoding"} {
		if h.Get(k) != "" {
			t.Errorf("%s forwarded: %q", k, h.Get(k))
		}
	}
	if _, err := NewClient("r", &Definition{URLFromEnv: "NOPE"}, func(string) string { return "" }); err == nil {
		t.Error("an unset url_from_env is accepted")
	}
	noFwd, _ := NewClient("r", &Definition{URL: "http://r"}, nil)
	if h := noFwd.Headers(s, client); h.Get("Cookie") != "" || h.Get("X-Hasura-User-Id") != "7" {
		t.Errorf("without forward_client_headers: %v", h)
	}
}
