package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasgen/hasgen/runtime/wire"
)

// TestWebhookConfig refuses the combinations Hasura refuses.
func TestWebhookConfig(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{AuthHook: "http://h"}, "requires HASURA_GRAPHQL_ADMIN_SECRET"},
		{Config{AdminSecret: "s", AuthHook: "http://h", JWTSecret: `{"type":"HS256","key":"0123456789abcdef0123456789abcdef"}`}, "cannot both be set"},
		{Config{AdminSecret: "s", AuthHook: "http://h", UnauthorizedRole: "anon"}, "not allowed when HASURA_GRAPHQL_AUTH_HOOK"},
		{Config{AdminSecret: "s", AuthHook: "http://h", AuthHookMode: "PUT"}, `HASURA_GRAPHQL_AUTH_HOOK_MODE="PUT"`},
		{Config{AdminSecret: "s", AuthHook: "ftp://h"}, "want an http:// or https:// URL"},
	}
	for _, c := range cases {
		_, err := New(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
	for _, mode := range []string{"", "GET", "post"} {
		if _, err := New(context.Background(), Config{AdminSecret: "s", AuthHook: "https://h", AuthHookMode: mode}); err != nil {
			t.Errorf("mode %q: %v", mode, err)
		}
	}
}

// TestWebhookExpiry reads Cache-Control and Expires as Hasura does.
func TestWebhookExpiry(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		cacheControl, expires string
		want                  time.Duration // 0: not cached
	}{
		{"max-age=60", "", time.Minute},
		{"public, max-age=30, must-revalidate", "", 30 * time.Second},
		{"max-age=0", "", 0},
		{"no-cache", "", 0},
		{"no-store, max-age=60", "", 0},
		{"max-age=abc", "", 0},
		{"", now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{"", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"", "not a date", 0},
		{"private", now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{"", "", 0},
	}
	for _, c := range cases {
		got := expiry(now, c.cacheControl, c.expires)
		var d time.Duration
		if !got.IsZero() {
			d = got.Sub(now)
		}
		if d != c.want {
			t.Errorf("Cache-Control %q Expires %q: %v, want %v", c.cacheControl, c.expires, d, c.want)
		}
	}
}

// TestWebhookAnswers maps the webhook's answers to sessions and errors,
// and expires cached answers.
func TestWebhookAnswers(t *testing.T) {
	var calls atomic.Int32
	var status atomic.Int32
	var answer atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(int(status.Load()))
		w.Write([]byte(answer.Load().(string)))
	}))
	defer srv.Close()
	a := newTestAuth(t, Config{AdminSecret: "s", AuthHook: srv.URL})
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a.hook.now = func() time.Time { return clock }

	cases := []struct {
		name     string
		status   int
		answer   string
		wantErr  *wire.Error
		wantRole string
		wantVars map[string]string
	}{
		{"session", 200, `{"X-Hasura-Role":"user","X-Hasura-User-Id":"5","other":"x","X-Hasura-Admin-Secret":"no"}`, nil,
			"user", map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "5"}},
		{"no role", 200, `{"X-Hasura-User-Id":"5"}`, &wire.Error{Code: wire.CodeUnexpected, Message: "missing x-hasura-role key in webhook response"}, "", nil},
		{"not strings", 200, `{"X-Hasura-Role":"user","X-Hasura-User-Id":5}`, &wire.Error{Code: wire.CodeUnexpected, Message: "Invalid response from authorization hook: json"}, "", nil},
		{"401", 401, ``, &wire.Error{Code: wire.CodeAccessDenied, Message: "Authentication hook unauthorized this request"}, "", nil},
		{"403", 403, `{}`, &wire.Error{Code: wire.CodeUnexpected, Message: "Invalid response from authorization hook"}, "", nil},
	}
	for _, c := range cases {
		status.Store(int32(c.status))
		answer.Store(c.answer)
		s, err := a.Authenticate(context.Background(), hdr("Cookie", "session="+c.name))
		if c.wantErr != nil {
			var we *wire.Error
			if s != nil || err == nil || !asWire(err, &we) || we.Code != c.wantErr.Code || !strings.HasPrefix(we.Message, c.wantErr.Message) {
				t.Errorf("%s: session %v, error %v, want %v", c.name, s, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if s.Role != c.wantRole || !equalVars(s.Vars, c.wantVars) || s.AdminSecret {
			t.Errorf("%s: role %q vars %v admin %v", c.name, s.Role, s.Vars, s.AdminSecret)
		}
	}

	// Cached until max-age passes, then asked again; the session expires
	// with the answer.
	status.Store(200)
	answer.Store(`{"X-Hasura-Role":"user","Cache-Control":"max-age=10"}`)
	calls.Store(0)
	h := hdr("Cookie", "session=cached")
	for i := 0; i < 3; i++ {
		s, err := a.Authenticate(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		if want := clock.Add(10 * time.Second); i == 0 && !s.Expires.Equal(want) {
			t.Errorf("session expires %v, want %v", s.Expires, want)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls within max-age, want 1", n)
	}
	clock = clock.Add(11 * time.Second)
	if _, err := a.Authenticate(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d calls after max-age, want 2", n)
	}
	// Other headers: another entry.
	if _, err := a.Authenticate(context.Background(), hdr("Cookie", "session=other")); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d calls for other headers, want 3", n)
	}
	// The admin secret never calls the webhook.
	if s, err := a.Authenticate(context.Background(), hdr("X-Hasura-Admin-Secret", "s")); err != nil || s.Role != "admin" || calls.Load() != 3 {
		t.Errorf("admin secret: %v %v, %d calls", s, err, calls.Load())
	}
	if s, err := a.Authenticate(context.Background(), hdr("X-Hasura-Admin-Secret", "wrong")); err == nil || s != nil || calls.Load() != 3 {
		t.Errorf("wrong admin secret: %v %v, %d calls", s, err, calls.Load())
	}
}

func asWire(err error, we **wire.Error) bool {
	e, ok := err.(*wire.Error)
	*we = e
	return ok
}

func equalVars(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
