// Package ratelimit enforces Hasura's api_limits.rate_limit: at most
// max_reqs_per_min GraphQL operations a minute for each role, and within a
// role for each client told apart by unique_params (its IP address, or the
// values of session variables). Admin is never limited, as in Hasura.
//
// The window is a sliding window counter (the "sliding window" of
// Hasura's documentation): the minute is cut into fixed windows, and an
// operation at elapsed time e of the current window counts
//
//	previous × (1 − e/60 s) + current
//
// operations before it. Unlike a fixed window, it does not let a client
// send 2N operations around a window's boundary; unlike a log of every
// operation's time (an exact sliding window), it keeps two counters per
// client whatever N is, which is one Redis key per client and minute and
// one round trip per operation (a Lua script reads both counters, decides
// and increments). The estimate assumes the previous window's operations
// were spread evenly; within one window it is exact.
//
// The counters live in the process (Memory) or, with
// HASURA_GRAPHQL_RATE_LIMIT_REDIS_URL, in Redis (Redis), shared by every
// instance. A Redis that cannot be reached fails open to this instance's
// own counters, and says so in the log.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Window is the length of a rate limit's window: Hasura's limits are per
// minute.
const Window = time.Minute

// CodeRateLimitExceeded is the error code Hasura answers an operation over
// its rate limit with.
const CodeRateLimitExceeded = "rate-limit-exceeded"

// Rule is one rate limit: Max operations a window for each role and
// value of the unique parameters.
type Rule struct {
	Max int
	// IP tells clients apart by their IP address.
	IP bool
	// Vars tell clients apart by the values of these session variables
	// (lower-case names).
	Vars []string
}

// Rules are api_limits.rate_limit: a global rule and per-role rules that
// replace it.
type Rules struct {
	Global  *Rule
	PerRole map[string]Rule
}

// FromWire returns the rules of api_limits.rate_limit; nil when there are
// none or api_limits is disabled.
func FromWire(v *wire.RateLimitValue, disabled bool) (*Rules, error) {
	if v == nil || disabled || (v.Global == nil && len(v.PerRole) == 0) {
		return nil, nil
	}
	rule := func(r wire.RateLimit, where string) (Rule, error) {
		if r.MaxReqsPerMin < 1 {
			return Rule{}, fmt.Errorf("api_limits: rate_limit.%s: max_reqs_per_min must be at least 1", where)
		}
		return Rule{Max: r.MaxReqsPerMin, IP: r.UniqueParams.IP, Vars: r.UniqueParams.SessionVariables}, nil
	}
	rs := &Rules{PerRole: map[string]Rule{}}
	if v.Global != nil {
		g, err := rule(*v.Global, "global")
		if err != nil {
			return nil, err
		}
		rs.Global = &g
	}
	for role, r := range v.PerRole {
		pr, err := rule(r, "per_role."+role)
		if err != nil {
			return nil, err
		}
		rs.PerRole[role] = pr
	}
	return rs, nil
}

// For returns the rule of role: its own, else the global one; none for
// admin.
func (rs *Rules) For(role string) (Rule, bool) {
	if rs == nil || role == session.AdminRole {
		return Rule{}, false
	}
	if r, ok := rs.PerRole[role]; ok {
		return r, true
	}
	if rs.Global != nil {
		return *rs.Global, true
	}
	return Rule{}, false
}

// Store counts operations per client in sliding windows.
type Store interface {
	// Take counts one operation of the client key at now, unless the
	// client already has max operations in the window ending at now; it
	// reports whether the operation was counted (allowed).
	Take(ctx context.Context, key string, max int, now time.Time) (bool, error)
}

// Limiter decides whether an operation may run.
type Limiter struct {
	rules *Rules
	store Store
	// now is the clock (injectable for tests).
	now func() time.Time
}

// New returns the limiter of rules over store; nil when rules is nil (no
// limit: Allow allows everything). now is the clock; nil is time.Now.
func New(rules *Rules, store Store, now func() time.Time) *Limiter {
	if rules == nil {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{rules: rules, store: store, now: now}
}

// Allow counts one operation of session s from the client address ip and
// returns Hasura's rate-limit-exceeded error when it is over its role's
// limit. A nil Limiter allows everything.
func (l *Limiter) Allow(ctx context.Context, s *session.Session, ip string) error {
	if l == nil || s == nil {
		return nil
	}
	r, ok := l.rules.For(s.Role)
	if !ok {
		return nil
	}
	ok, err := l.store.Take(ctx, ClientKey(r, s, ip), r.Max, l.now())
	if err != nil {
		return &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "rate limit", Err: err}
	}
	if !ok {
		return &wire.Error{Code: CodeRateLimitExceeded, Path: "$", Message: fmt.Sprintf("rate limit of %d exceeded", r.Max)}
	}
	return nil
}

// ClientKey names the client an operation counts for under rule r: the
// role, then a hash of the unique parameters' values (so that a key's
// length does not depend on what a client sends). A session variable the
// session lacks counts as empty: every such session of the role shares
// one counter.
func ClientKey(r Rule, s *session.Session, ip string) string {
	if !r.IP && len(r.Vars) == 0 {
		return s.Role
	}
	h := sha256.New()
	if r.IP {
		h.Write([]byte("ip\x00"))
		h.Write([]byte(ip))
	}
	for _, v := range r.Vars {
		val, _ := s.Var(v)
		h.Write([]byte("\x00" + v + "\x00"))
		h.Write([]byte(val))
	}
	var sum [sha256.Size]byte
	return s.Role + ":" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// windowOf splits now into its window's index and the time elapsed in
// it, in milliseconds.
func windowOf(now time.Time) (idx, elapsed int64) {
	ms := now.UnixMilli()
	w := Window.Milliseconds()
	return ms / w, ms % w
}

// allowed is the sliding window's decision: previous × (W − e) / W +
// current + 1 ≤ max, in integers.
func allowed(prev, cur, max, elapsed int64) bool {
	w := Window.Milliseconds()
	return prev*(w-elapsed)+(cur+1)*w <= max*w
}

// ClientIP is the address a request's IP rate limit counts for, as Hasura
// takes it: X-Real-IP, else the first address of X-Forwarded-For, else
// the peer's address (remoteAddr, host:port). Behind a load balancer that
// sets these headers it is the client's; a server reachable directly
// should not trust them (a client can send any).
func ClientIP(realIP, forwardedFor, remoteAddr string) string {
	if ip := strings.TrimSpace(realIP); ip != "" {
		return ip
	}
	if f := forwardedFor; f != "" {
		first, _, _ := strings.Cut(f, ",")
		if ip := strings.TrimSpace(first); ip != "" {
			return ip
		}
	}
	if i := strings.LastIndexByte(remoteAddr, ':'); i >= 0 {
		return strings.Trim(remoteAddr[:i], "[]")
	}
	return remoteAddr
}
