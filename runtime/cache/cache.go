// Package cache is the response cache of queries marked @cached, as Hasura
// Cloud and Enterprise serve it: a response is stored under a key over the
// role, the session variables the query's permissions read, the query
// text (whitespace aside), the operation name and the variables, for the
// directive's ttl; a request with the same key is answered with the stored
// bytes until then. Entries live in this process (Memory: least recently
// used out past a size) or in Redis (Redis), shared by every instance.
//
// Cache puts the policy over a Store: the largest ttl and entry, and a
// Store that fails (Redis down) making requests uncached rather than
// failed, for a while, without asking it again on every request.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Key names a cached response: Family covers the query, operation name,
// role and session (Hasura's "query family": the same operation with any
// variables), Key the family and the variables. Both are hex.
type Key struct {
	Family, Key string
}

// Entry is a stored response.
type Entry struct {
	Body    []byte
	Expires time.Time
}

// Store holds entries. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the entry under k, if one is stored and not expired.
	Get(ctx context.Context, k Key) (Entry, bool, error)
	// Set stores body under k until expires.
	Set(ctx context.Context, k Key, body []byte, expires time.Time) error
	// Clear removes every entry, or those of one key or one family when
	// key or family is not empty, and returns how many it removed.
	Clear(ctx context.Context, key, family string) (int, error)
	// Close releases the store's connections.
	Close() error
}

// KeyParts is what decides a cached response.
type KeyParts struct {
	Role          string
	OperationName string
	// Query is the document's text in a canonical form: the same
	// document written with other whitespace has the same text.
	Query string
	// Session are the session variables that enter the key, as
	// name=value (names lower case), sorted.
	Session []string
	// Headers are request headers that enter the key (name: value,
	// canonical names), sorted; empty but for fields whose answer may
	// depend on them.
	Headers []string
	// Variables are the request's variables, name then compact JSON
	// value, sorted by name.
	Variables [][2]string
}

// MakeKey hashes the parts into a Key. Each part is written with its
// length, so that no two different parts hash alike by concatenation.
func MakeKey(p KeyParts) Key {
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write("hasgen-cache-1") // changes when the stored form changes
	write(p.Role)
	write(p.OperationName)
	write(p.Query)
	write("session")
	for _, s := range p.Session {
		write(s)
	}
	write("headers")
	for _, s := range p.Headers {
		write(s)
	}
	fam := h.Sum(nil)
	h.Reset()
	h.Write(fam)
	for _, v := range p.Variables {
		write(v[0])
		write(v[1])
	}
	k := h.Sum(nil)
	return Key{Family: hex.EncodeToString(fam[:20]), Key: hex.EncodeToString(k[:20])}
}

// Outcome is what became of a response offered for storing; its Warning
// is Hasura's header for the failures.
type Outcome int

// Outcomes of Put.
const (
	Stored Outcome = iota
	// TooLarge: the response is larger than the largest entry.
	TooLarge
	// StoreError: the store failed (or is taken out after failing).
	StoreError
)

// Warning is the Warning header Hasura answers for an outcome that did
// not store; "" for Stored.
func (o Outcome) Warning() string {
	switch o {
	case TooLarge:
		return "199 - cache-store-size-limit-exceeded"
	case StoreError:
		return "199 - cache-store-error"
	}
	return ""
}

// Config configures a Cache.
type Config struct {
	// MaxTTL caps a directive's ttl (HASURA_GRAPHQL_CACHE_MAX_ENTRY_TTL).
	MaxTTL time.Duration
	// MaxEntrySize is the largest response stored, in bytes
	// (HASURA_GRAPHQL_CACHE_MAX_ENTRY_SIZE).
	MaxEntrySize int
	// Backoff is how long a failed store is left alone before it is
	// asked again; 0 is one second.
	Backoff time.Duration
	// Log receives the store's failures and recoveries.
	Log *slog.Logger
}

// Cache is the response cache: a Store and its policy.
type Cache struct {
	store Store
	cfg   Config
	// downUntil is when a failed store is asked again (unix nanoseconds;
	// 0 when it is up).
	downUntil atomic.Int64
	// downMu serializes the logging of failures and recoveries.
	downMu sync.Mutex
	down   bool

	hits, misses atomic.Uint64
}

// New returns a cache over store.
func New(store Store, cfg Config) *Cache {
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Cache{store: store, cfg: cfg}
}

// TTL is the lifetime of an entry asked for with ttl seconds: at most
// MaxTTL.
func (c *Cache) TTL(ttl int) time.Duration {
	d := time.Duration(ttl) * time.Second
	if c.cfg.MaxTTL > 0 && d > c.cfg.MaxTTL {
		d = c.cfg.MaxTTL
	}
	return d
}

// Get returns the entry under k. A store that fails is logged and taken
// out for a while (Backoff): the request runs uncached.
func (c *Cache) Get(ctx context.Context, k Key) (Entry, bool) {
	if c.isDown() {
		c.misses.Add(1)
		return Entry{}, false
	}
	e, ok, err := c.store.Get(ctx, k)
	if err != nil {
		c.failed(ctx, err)
		c.misses.Add(1)
		return Entry{}, false
	}
	c.recovered()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, ok
}

// Put stores body under k for ttl and says what became of it.
func (c *Cache) Put(ctx context.Context, k Key, body []byte, ttl time.Duration) (Outcome, time.Time) {
	if c.cfg.MaxEntrySize > 0 && len(body) > c.cfg.MaxEntrySize {
		return TooLarge, time.Time{}
	}
	if c.isDown() {
		return StoreError, time.Time{}
	}
	expires := time.Now().Add(ttl)
	if err := c.store.Set(ctx, k, body, expires); err != nil {
		if errors.Is(err, ErrTooLarge) {
			return TooLarge, time.Time{}
		}
		c.failed(ctx, err)
		return StoreError, time.Time{}
	}
	c.recovered()
	return Stored, expires
}

// Clear removes every entry, or those of key or family.
func (c *Cache) Clear(ctx context.Context, key, family string) (int, error) {
	n, err := c.store.Clear(ctx, key, family)
	if err != nil {
		return n, err
	}
	c.recovered()
	return n, nil
}

// Counts returns how many lookups hit and missed (hasura_cache_request_count).
func (c *Cache) Counts() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Close closes the store; a nil Cache has nothing to close.
func (c *Cache) Close() error {
	if c == nil {
		return nil
	}
	return c.store.Close()
}

func (c *Cache) isDown() bool {
	u := c.downUntil.Load()
	return u != 0 && time.Now().UnixNano() < u
}

// failed takes the store out for Backoff, logging the first failure of
// an outage. A request that gave up (its context done) says nothing of
// the store.
func (c *Cache) failed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	c.downUntil.Store(time.Now().Add(c.cfg.Backoff).UnixNano())
	c.downMu.Lock()
	defer c.downMu.Unlock()
	if !c.down {
		c.down = true
		c.cfg.Log.Error("response cache unavailable: @cached queries are served uncached", "error", err, "retry_in", c.cfg.Backoff.String())
	}
}

func (c *Cache) recovered() {
	if c.downUntil.Load() == 0 {
		return
	}
	c.downUntil.Store(0)
	c.downMu.Lock()
	defer c.downMu.Unlock()
	if c.down {
		c.down = false
		c.cfg.Log.Info("response cache available again")
	}
}

// ErrTooLarge is a Store's refusal of an entry larger than it holds.
var ErrTooLarge = errors.New("cache: entry larger than the store holds")
