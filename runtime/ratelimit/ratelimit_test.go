package ratelimit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/redis/go-redis/v9"
)

// redisURL is the Redis server the tests need.
const redisURL = "redis://127.0.0.1:6379"

// newRedisStore returns a store on the test Redis under a fresh key
// prefix, failing the test when Redis is not there.
func newRedisStore(t *testing.T) *Redis {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("these tests need a Redis server at 127.0.0.1:6379 (apt install redis-server): %v", err)
	}
	s, err := NewRedis(redisURL, testPrefix(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testPrefix is a key prefix no other test uses.
func testPrefix() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "hasgen-test:" + hex.EncodeToString(b) + ":"
}

// TestSlidingWindow runs the same timeline against both stores, on a
// clock the test moves: within a window a client gets max operations;
// in the next one the previous window's count weighs by the part of it
// still inside the last minute; after two idle windows it starts afresh;
// refused operations are not counted; clients are apart.
func TestSlidingWindow(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"memory": func(*testing.T) Store { return NewMemory() },
		"redis":  func(t *testing.T) Store { return newRedisStore(t) },
	}
	w0 := time.Unix(1_800_000_000-1_800_000_000%60, 0) // a window's start
	steps := []struct {
		at        time.Duration // since w0
		client    string
		tries     int
		wantTaken int
	}{
		{10 * time.Second, "a", 5, 3},  // 3 of 5 in the first window
		{20 * time.Second, "b", 3, 3},  // another client is not affected
		{70 * time.Second, "a", 2, 0},  // 3 × 50/60 = 2.5 still count: none
		{100 * time.Second, "a", 3, 2}, // 3 × 20/60 = 1: two more
		{130 * time.Second, "a", 2, 1}, // 2 × 50/60 = 1.67: one
		{250 * time.Second, "a", 4, 3}, // two windows idle: afresh
	}
	for name, mk := range stores {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			for _, st := range steps {
				taken := 0
				for range st.tries {
					ok, err := s.Take(context.Background(), st.client, 3, w0.Add(st.at))
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						taken++
					}
				}
				if taken != st.wantTaken {
					t.Errorf("at %s client %s: %d of %d allowed, want %d", st.at, st.client, taken, st.tries, st.wantTaken)
				}
			}
		})
	}
}

// TestMemoryForgets: clients idle for two windows are dropped, so that
// the store's memory is bounded by recent clients.
func TestMemoryForgets(t *testing.T) {
	m := NewMemory()
	w0 := time.Unix(1_800_000_000-1_800_000_000%60, 0)
	for i := range 100 {
		m.Take(context.Background(), "c"+string(rune('a'+i%26))+string(rune('a'+i/26)), 1, w0)
	}
	if n := m.clientCount(); n != 100 {
		t.Fatalf("%d clients", n)
	}
	m.Take(context.Background(), "new", 1, w0.Add(time.Minute)) // previous window: kept
	if n := m.clientCount(); n != 101 {
		t.Fatalf("after one window: %d clients", n)
	}
	m.Take(context.Background(), "newer", 1, w0.Add(2*time.Minute))
	if n := m.clientCount(); n != 2 {
		t.Fatalf("after two windows: %d clients, want 2", n)
	}
}

// TestRedisDown: with Redis unreachable, operations are counted by the
// instance itself (the limit still holds per instance), and the outage is
// logged once, however many operations run into it.
func TestRedisDown(t *testing.T) {
	var logBuf bytes.Buffer
	s, err := NewRedis("redis://127.0.0.1:1", testPrefix(), slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1_800_000_010, 0)
	taken := 0
	for range 5 {
		ok, err := s.Take(context.Background(), "a", 2, now)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			taken++
		}
	}
	if taken != 2 {
		t.Errorf("%d of 5 allowed with Redis down, want 2", taken)
	}
	if n := strings.Count(logBuf.String(), "Redis is unreachable"); n != 1 {
		t.Errorf("the outage is logged %d times:\n%s", n, logBuf.String())
	}
	if _, err := NewRedis("http://127.0.0.1:6379", "", nil); err == nil || !strings.Contains(err.Error(), "HASURA_GRAPHQL_RATE_LIMIT_REDIS_URL") {
		t.Errorf("a bad URL: %v", err)
	}
}

// TestRules: a role's own rule over the global one, none for admin, none
// for a role without a rule when there is no global one, nothing when
// api_limits is disabled.
func TestRules(t *testing.T) {
	v := &wire.RateLimitValue{
		Global:  &wire.RateLimit{MaxReqsPerMin: 10, UniqueParams: wire.UniqueParams{IP: true}},
		PerRole: map[string]wire.RateLimit{"user": {MaxReqsPerMin: 5, UniqueParams: wire.UniqueParams{SessionVariables: []string{"x-hasura-user-id"}}}},
	}
	rs, err := FromWire(v, false)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		role string
		want Rule
		ok   bool
	}{
		{"user", Rule{Max: 5, Vars: []string{"x-hasura-user-id"}}, true},
		{"guest", Rule{Max: 10, IP: true}, true},
		{"admin", Rule{}, false},
	}
	for _, c := range cases {
		got, ok := rs.For(c.role)
		if ok != c.ok || got.Max != c.want.Max || got.IP != c.want.IP || strings.Join(got.Vars, ",") != strings.Join(c.want.Vars, ",") {
			t.Errorf("%s: got %+v %v, want %+v %v", c.role, got, ok, c.want, c.ok)
		}
	}
	onlyUser, _ := FromWire(&wire.RateLimitValue{PerRole: v.PerRole}, false)
	if _, ok := onlyUser.For("guest"); ok {
		t.Error("guest is limited without a global rule")
	}
	if rs, _ := FromWire(v, true); rs != nil {
		t.Error("disabled api_limits still limit")
	}
	if _, err := FromWire(&wire.RateLimitValue{Global: &wire.RateLimit{}}, false); err == nil {
		t.Error("max_reqs_per_min 0 accepted")
	}
}

// TestClientKey: the unique parameters tell clients apart, and nothing
// else does.
func TestClientKey(t *testing.T) {
	u := func(role, id, org string) *session.Session {
		return &session.Session{Role: role, Vars: map[string]string{"x-hasura-user-id": id, "x-hasura-org-id": org}}
	}
	byUser := Rule{Max: 1, Vars: []string{"x-hasura-user-id"}}
	byIP := Rule{Max: 1, IP: true}
	byRole := Rule{Max: 1}
	cases := []struct {
		name       string
		r          Rule
		a, b       *session.Session
		ipA, ipB   string
		wantShared bool
	}{
		{"same user, other org", byUser, u("user", "1", "x"), u("user", "1", "y"), "1.1.1.1", "2.2.2.2", true},
		{"other user", byUser, u("user", "1", "x"), u("user", "2", "x"), "1.1.1.1", "1.1.1.1", false},
		{"same user, other role", byUser, u("user", "1", "x"), u("editor", "1", "x"), "", "", false},
		{"same IP, other user", byIP, u("user", "1", "x"), u("user", "2", "x"), "1.1.1.1", "1.1.1.1", true},
		{"other IP", byIP, u("user", "1", "x"), u("user", "1", "x"), "1.1.1.1", "1.1.1.2", false},
		{"role only", byRole, u("user", "1", "x"), u("user", "2", "y"), "1.1.1.1", "2.2.2.2", true},
	}
	for _, c := range cases {
		ka, kb := ClientKey(c.r, c.a, c.ipA), ClientKey(c.r, c.b, c.ipB)
		if (ka == kb) != c.wantShared {
			t.Errorf("%s: keys %q and %q, want shared=%v", c.name, ka, kb, c.wantShared)
		}
	}
}

// TestLimiterAllow: Hasura's error past the limit; admin and roles
// without a rule never limited.
func TestLimiterAllow(t *testing.T) {
	rs, _ := FromWire(&wire.RateLimitValue{PerRole: map[string]wire.RateLimit{"user": {MaxReqsPerMin: 2}}}, false)
	now := time.Unix(1_800_000_010, 0)
	l := New(rs, NewMemory(), func() time.Time { return now })
	user := &session.Session{Role: "user"}
	for i := range 2 {
		if err := l.Allow(context.Background(), user, ""); err != nil {
			t.Fatalf("operation %d: %v", i+1, err)
		}
	}
	err := l.Allow(context.Background(), user, "")
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != "rate-limit-exceeded" || we.Path != "$" || we.Message != "rate limit of 2 exceeded" {
		t.Fatalf("third operation: %#v", err)
	}
	for _, s := range []*session.Session{{Role: "admin"}, {Role: "guest"}} {
		for range 5 {
			if err := l.Allow(context.Background(), s, ""); err != nil {
				t.Fatalf("%s: %v", s.Role, err)
			}
		}
	}
	now = now.Add(2 * time.Minute)
	if err := l.Allow(context.Background(), user, ""); err != nil {
		t.Errorf("two minutes later: %v", err)
	}
	if New(nil, NewMemory(), nil).Allow(context.Background(), user, "") != nil {
		t.Error("a nil limiter limits")
	}
}

// TestClientIP takes the address as Hasura does.
func TestClientIP(t *testing.T) {
	cases := []struct{ realIP, xff, remote, want string }{
		{"", "", "10.0.0.1:5000", "10.0.0.1"},
		{"", "", "[::1]:5000", "::1"},
		{"", "203.0.113.7, 10.0.0.2", "10.0.0.1:5000", "203.0.113.7"},
		{"198.51.100.1", "203.0.113.7", "10.0.0.1:5000", "198.51.100.1"},
		{" ", " , x", "10.0.0.1:5000", "10.0.0.1"},
	}
	for _, c := range cases {
		if got := ClientIP(c.realIP, c.xff, c.remote); got != c.want {
			t.Errorf("ClientIP(%q, %q, %q) = %q, want %q", c.realIP, c.xff, c.remote, got, c.want)
		}
	}
}
