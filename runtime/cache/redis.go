package cache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store in Redis, shared by every instance that names the
// same server and prefix. An entry is the key <prefix><family>:<key>
// holding the expiry (unix milliseconds, 8 bytes) then the body, with
// Redis's own expiry set to the same time: the family in the name lets
// a family be cleared by one SCAN, the expiry in the value gives
// Cache-Control's remaining seconds in the same round trip as the body.
type Redis struct {
	client *redis.Client
	prefix string
}

// RedisTimeout bounds each Redis command: a Redis that hangs costs a
// request this long once, then Cache takes it out for a while.
const RedisTimeout = 500 * time.Millisecond

// NewRedis connects to the Redis of url (redis:// or rediss://, as
// HASURA_GRAPHQL_REDIS_URL names it), its keys under prefix. It does
// not wait for the server: a Redis that is down makes requests uncached
// until it is up.
func NewRedis(url, prefix string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("HASURA_GRAPHQL_REDIS_URL: %w", err)
	}
	opt.DialTimeout = RedisTimeout
	opt.ReadTimeout = RedisTimeout
	opt.WriteTimeout = RedisTimeout
	// A failed command is not retried: the request runs uncached instead.
	opt.MaxRetries = -1
	return &Redis{client: redis.NewClient(opt), prefix: prefix}, nil
}

// Ping checks that the server answers.
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

func (r *Redis) name(k Key) string { return r.prefix + k.Family + ":" + k.Key }

// Get implements Store.
func (r *Redis) Get(ctx context.Context, k Key) (Entry, bool, error) {
	b, err := r.client.Get(ctx, r.name(k)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("redis GET: %w", err)
	}
	if len(b) < 8 {
		return Entry{}, false, nil // not an entry of ours
	}
	exp := time.UnixMilli(int64(binary.BigEndian.Uint64(b)))
	if !time.Now().Before(exp) {
		return Entry{}, false, nil
	}
	return Entry{Body: b[8:], Expires: exp}, true, nil
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, k Key, body []byte, expires time.Time) error {
	ttl := time.Until(expires)
	if ttl < time.Millisecond {
		return nil
	}
	v := make([]byte, 8+len(body))
	binary.BigEndian.PutUint64(v, uint64(expires.UnixMilli()))
	copy(v[8:], body)
	if err := r.client.Set(ctx, r.name(k), v, ttl).Err(); err != nil {
		return fmt.Errorf("redis SET: %w", err)
	}
	return nil
}

// Clear implements Store: the keys under the prefix that match, found by
// SCAN (never KEYS, which stops the server) and deleted a batch at a time.
func (r *Redis) Clear(ctx context.Context, key, family string) (int, error) {
	match := globEscape(r.prefix)
	switch {
	case key != "" && family != "":
		match += globEscape(family) + ":" + globEscape(key)
	case key != "":
		match += "*:" + globEscape(key)
	case family != "":
		match += globEscape(family) + ":*"
	default:
		match += "*"
	}
	n := 0
	var cursor uint64
	for {
		keys, next, err := r.client.Scan(ctx, cursor, match, 1000).Result()
		if err != nil {
			return n, fmt.Errorf("redis SCAN: %w", err)
		}
		if len(keys) > 0 {
			d, err := r.client.Del(ctx, keys...).Result()
			if err != nil {
				return n, fmt.Errorf("redis DEL: %w", err)
			}
			n += int(d)
		}
		if cursor = next; cursor == 0 {
			return n, nil
		}
	}
}

// Close implements Store.
func (r *Redis) Close() error { return r.client.Close() }

// globEscape quotes the characters SCAN's MATCH reads as a pattern.
func globEscape(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
