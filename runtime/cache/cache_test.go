package cache_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/runtime/cache"
)

// redisAddr is the Redis the tests use; the machine runs one there.
const redisAddr = "127.0.0.1:6379"

// testRedis returns a Redis store under a prefix of the test's own,
// removed at cleanup. A Redis that does not answer fails the test,
// saying so.
func testRedis(t testing.TB) (*cache.Redis, string) {
	t.Helper()
	prefix := testPrefix()
	r, err := cache.NewRedis("redis://"+redisAddr, prefix)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := r.Ping(ctx); err != nil {
		t.Fatalf("the response cache tests need a Redis server at %s (apt install redis-server; redis-server --daemonize yes): %v", redisAddr, err)
	}
	t.Cleanup(func() {
		r.Clear(context.Background(), "", "")
		r.Close()
	})
	return r, prefix
}

// testPrefix is a fresh key prefix: tests running at once, here or in
// another process, never see each other's keys.
func testPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "hasgen:test:" + hex.EncodeToString(b) + ":"
}

func key(family, k string) cache.Key { return cache.Key{Family: family, Key: k} }

// TestStores: both stores keep, expire and clear entries alike.
func TestStores(t *testing.T) {
	r, _ := testRedis(t)
	for _, tc := range []struct {
		name  string
		store cache.Store
	}{
		{"memory", cache.NewMemory(1 << 20)},
		{"redis", r},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := tc.store
			long := time.Now().Add(time.Minute)
			for _, k := range []cache.Key{key("f1", "k1"), key("f1", "k2"), key("f2", "k3")} {
				if err := s.Set(ctx, k, []byte(`{"data":"`+k.Key+`"}`), long); err != nil {
					t.Fatal(err)
				}
			}
			e, ok, err := s.Get(ctx, key("f1", "k2"))
			if err != nil || !ok || string(e.Body) != `{"data":"k2"}` {
				t.Fatalf("get k2: %q %v %v", e.Body, ok, err)
			}
			if d := e.Expires.Sub(long); d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("expires %v, want %v", e.Expires, long)
			}
			if _, ok, _ := s.Get(ctx, key("f1", "nope")); ok {
				t.Error("a key never stored was found")
			}
			// Expiry.
			if err := s.Set(ctx, key("f3", "short"), []byte("x"), time.Now().Add(150*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.Get(ctx, key("f3", "short")); !ok {
				t.Fatal("short entry missing before its expiry")
			}
			time.Sleep(250 * time.Millisecond)
			if _, ok, _ := s.Get(ctx, key("f3", "short")); ok {
				t.Error("entry found after its expiry")
			}
			// Clearing: one key, one family, everything.
			if n, err := s.Clear(ctx, "k1", ""); err != nil || n != 1 {
				t.Errorf("clear key: %d %v, want 1", n, err)
			}
			if _, ok, _ := s.Get(ctx, key("f1", "k1")); ok {
				t.Error("k1 found after its clearing")
			}
			if _, ok, _ := s.Get(ctx, key("f1", "k2")); !ok {
				t.Error("k2 gone with k1")
			}
			if err := s.Set(ctx, key("f1", "k4"), []byte("4"), long); err != nil {
				t.Fatal(err)
			}
			if n, err := s.Clear(ctx, "", "f1"); err != nil || n != 2 {
				t.Errorf("clear family: %d %v, want 2 (k2, k4)", n, err)
			}
			if _, ok, _ := s.Get(ctx, key("f2", "k3")); !ok {
				t.Error("k3 of another family gone")
			}
			if n, err := s.Clear(ctx, "", ""); err != nil || n < 1 {
				t.Errorf("clear all: %d %v, want at least k3", n, err)
			}
			if _, ok, _ := s.Get(ctx, key("f2", "k3")); ok {
				t.Error("k3 found after clearing everything")
			}
		})
	}
}

// TestRedisClearKeepsOtherPrefixes: clearing everything clears this
// prefix's entries only (another deployment, or test, shares the Redis).
func TestRedisClearKeepsOtherPrefixes(t *testing.T) {
	a, _ := testRedis(t)
	b, _ := testRedis(t)
	ctx := context.Background()
	long := time.Now().Add(time.Minute)
	if err := a.Set(ctx, key("f", "k"), []byte("a"), long); err != nil {
		t.Fatal(err)
	}
	if err := b.Set(ctx, key("f", "k"), []byte("b"), long); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Clear(ctx, "", ""); err != nil || n != 1 {
		t.Fatalf("clear: %d %v", n, err)
	}
	if e, ok, _ := b.Get(ctx, key("f", "k")); !ok || string(e.Body) != "b" {
		t.Errorf("the other prefix's entry: %q %v", e.Body, ok)
	}
}

// TestMemoryBounded: the in-process store stays within its size, the
// least recently used out first.
func TestMemoryBounded(t *testing.T) {
	ctx := context.Background()
	m := cache.NewMemory(20 << 10)
	long := time.Now().Add(time.Minute)
	body := bytes.Repeat([]byte("x"), 1000)
	for i := range 100 {
		if err := m.Set(ctx, key("f", fmt.Sprint(i)), body, long); err != nil {
			t.Fatal(err)
		}
		if i == 50 {
			m.Get(ctx, key("f", "0")) // used: stays
		}
	}
	if m.Bytes() > 20<<10 {
		t.Errorf("%d bytes, over the 20 KiB cap", m.Bytes())
	}
	if _, ok, _ := m.Get(ctx, key("f", "99")); !ok {
		t.Error("the newest entry was evicted")
	}
	if _, ok, _ := m.Get(ctx, key("f", "50")); ok {
		t.Error("an old entry was kept past the cap")
	}
	// Replacing an entry does not count it twice.
	before := m.Bytes()
	if err := m.Set(ctx, key("f", "99"), body, long); err != nil {
		t.Fatal(err)
	}
	if m.Bytes() != before {
		t.Errorf("replacing an entry: %d bytes, was %d", m.Bytes(), before)
	}
	if err := m.Set(ctx, key("f", "big"), make([]byte, 30<<10), long); err != cache.ErrTooLarge {
		t.Errorf("an entry over the whole store: %v, want ErrTooLarge", err)
	}
	if n, _ := m.Clear(ctx, "", ""); n == 0 || m.Bytes() != 0 {
		t.Errorf("after clearing: %d cleared, %d bytes", n, m.Bytes())
	}
}

// TestMakeKey: every part of the request enters the key; only the
// variables leave the family unchanged.
func TestMakeKey(t *testing.T) {
	base := cache.KeyParts{Role: "user", OperationName: "Q", Query: "query Q { a }",
		Session: []string{"x-hasura-user-id=1"}, Variables: [][2]string{{"v", "1"}}}
	k0 := cache.MakeKey(base)
	if k1 := cache.MakeKey(base); k1 != k0 {
		t.Fatalf("the same parts hash to %v and %v", k0, k1)
	}
	if len(k0.Key) != 40 || len(k0.Family) != 40 {
		t.Errorf("keys %q %q: want 40 hex digits", k0.Key, k0.Family)
	}
	for _, tc := range []struct {
		name       string
		change     func(*cache.KeyParts)
		sameFamily bool
	}{
		{"role", func(p *cache.KeyParts) { p.Role = "manager" }, false},
		{"operation name", func(p *cache.KeyParts) { p.OperationName = "R" }, false},
		{"query", func(p *cache.KeyParts) { p.Query = "query Q { b }" }, false},
		{"session value", func(p *cache.KeyParts) { p.Session = []string{"x-hasura-user-id=2"} }, false},
		{"headers", func(p *cache.KeyParts) { p.Headers = []string{"Authorization: x"} }, false},
		{"variable value", func(p *cache.KeyParts) { p.Variables = [][2]string{{"v", "2"}} }, true},
		{"variable name", func(p *cache.KeyParts) { p.Variables = [][2]string{{"w", "1"}} }, true},
		// Parts are length-prefixed: moving a boundary changes the key.
		{"boundary", func(p *cache.KeyParts) { p.Role, p.OperationName = "userQ", "" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.change(&p)
			k := cache.MakeKey(p)
			if k.Key == k0.Key {
				t.Error("same key")
			}
			if (k.Family == k0.Family) != tc.sameFamily {
				t.Errorf("same family %v, want %v", k.Family == k0.Family, tc.sameFamily)
			}
		})
	}
}

// TestCacheLimits: the ttl is capped; a response over the entry size is
// not stored, with Hasura's warning.
func TestCacheLimits(t *testing.T) {
	c := cache.New(cache.NewMemory(1<<20), cache.Config{MaxTTL: 5 * time.Second, MaxEntrySize: 10})
	if got := c.TTL(300); got != 5*time.Second {
		t.Errorf("ttl 300 under a 5 s cap: %v", got)
	}
	if got := c.TTL(2); got != 2*time.Second {
		t.Errorf("ttl 2: %v", got)
	}
	ctx := context.Background()
	o, _ := c.Put(ctx, key("f", "big"), []byte("01234567890"), time.Minute)
	if o != cache.TooLarge || o.Warning() != "199 - cache-store-size-limit-exceeded" {
		t.Errorf("11 bytes over a 10-byte cap: %v %q", o, o.Warning())
	}
	if _, ok := c.Get(ctx, key("f", "big")); ok {
		t.Error("the refused entry was stored")
	}
	if o, exp := c.Put(ctx, key("f", "ok"), []byte("0123"), time.Minute); o != cache.Stored || time.Until(exp) < 59*time.Second {
		t.Errorf("a small entry: %v, expires %v", o, exp)
	}
	if e, ok := c.Get(ctx, key("f", "ok")); !ok || string(e.Body) != "0123" {
		t.Errorf("get: %q %v", e.Body, ok)
	}
	if h, m := c.Counts(); h != 1 || m != 1 {
		t.Errorf("counts: %d hits %d misses, want 1 and 1", h, m)
	}
}

// TestRedisDown: a Redis that does not answer makes lookups miss and
// stores fail with Hasura's warning, never an error for the request; the
// outage is logged once, not per request, and the store is asked again
// after the backoff.
func TestRedisDown(t *testing.T) {
	var logs bytes.Buffer
	// Port 1: nothing listens, connections are refused at once.
	r, err := cache.NewRedis("redis://127.0.0.1:1", testPrefix())
	if err != nil {
		t.Fatal(err)
	}
	c := cache.New(r, cache.Config{Backoff: 200 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	defer c.Close()
	ctx := context.Background()
	start := time.Now()
	for range 20 {
		if _, ok := c.Get(ctx, key("f", "k")); ok {
			t.Fatal("a hit from a Redis that is down")
		}
		if o, _ := c.Put(ctx, key("f", "k"), []byte("x"), time.Minute); o != cache.StoreError || o.Warning() != "199 - cache-store-error" {
			t.Fatalf("put: %v %q", o, o.Warning())
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("40 operations on a Redis that is down took %v", d)
	}
	if n := strings.Count(logs.String(), "response cache unavailable"); n != 1 {
		t.Errorf("the outage logged %d times, want once:\n%s", n, logs.String())
	}
	if _, err := c.Clear(ctx, "", ""); err == nil {
		t.Error("clearing a Redis that is down reported success")
	}
}
