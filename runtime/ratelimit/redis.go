package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// takeScript is the sliding window in one round trip: it reads the
// client's current and previous windows, decides, and counts the
// operation only when it is allowed (a refused operation does not count,
// so a client that keeps trying is let in again as its window slides).
// KEYS: the current window's counter, the previous one's. ARGV: max,
// window and elapsed time in milliseconds. Redis numbers are doubles:
// prev × window stays exact below 2^53 (150 billion operations a minute).
var takeScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local max, w, e = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if prev * (w - e) + (cur + 1) * w > max * w then
  return 0
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 2 * w)
return 1
`)

// Redis is a Store shared by every instance through a Redis server. When
// Redis cannot be reached it fails open: operations are counted by this
// instance alone (its Memory) until Redis answers again, so a limit still
// holds per instance; the outage and the recovery are logged once each.
// After a failure Redis is not asked again for a second, so that an
// outage does not add a timeout to every operation.
type Redis struct {
	client   redis.UniversalClient
	prefix   string
	fallback *Memory
	log      *slog.Logger

	mu        sync.Mutex
	down      bool
	downUntil time.Time
}

// RedisTimeout bounds each round trip to Redis (and a connection's
// dial): past it the operation is decided by the fallback.
const RedisTimeout = 500 * time.Millisecond

// NewRedis connects to the Redis server at url (redis://, rediss:// or
// unix://) and returns a store whose keys start with prefix. It does not
// wait for Redis: a Redis that is down at start is an outage like any
// other.
func NewRedis(url, prefix string, log *slog.Logger) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("HASURA_GRAPHQL_RATE_LIMIT_REDIS_URL: %w", err)
	}
	opt.DialTimeout = RedisTimeout
	opt.ReadTimeout = RedisTimeout
	opt.WriteTimeout = RedisTimeout
	opt.PoolTimeout = RedisTimeout
	// A retried script could count an operation twice.
	opt.MaxRetries = -1
	if log == nil {
		log = slog.Default()
	}
	return &Redis{client: redis.NewClient(opt), prefix: prefix, fallback: NewMemory(), log: log}, nil
}

// Close closes the connections to Redis.
func (r *Redis) Close() error { return r.client.Close() }

// Take implements Store.
func (r *Redis) Take(ctx context.Context, key string, max int, now time.Time) (bool, error) {
	r.mu.Lock()
	skip := r.down && time.Now().Before(r.downUntil)
	r.mu.Unlock()
	if skip {
		return r.fallback.Take(ctx, key, max, now)
	}
	idx, elapsed := windowOf(now)
	// The hash tag ({...}) keeps both windows of a client in one slot of
	// a Redis Cluster, as a script's keys must be.
	base := r.prefix + "{" + key + "}:"
	keys := []string{base + strconv.FormatInt(idx, 10), base + strconv.FormatInt(idx-1, 10)}
	n, err := takeScript.Run(ctx, r.client, keys, max, Window.Milliseconds(), elapsed).Int64()
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err() // the request is gone, Redis is not down
		}
		r.failed(err)
		return r.fallback.Take(ctx, key, max, now)
	}
	r.recovered()
	return n == 1, nil
}

// failed notes an outage: logged when it starts.
func (r *Redis) failed(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.downUntil = time.Now().Add(time.Second)
	if !r.down {
		r.down = true
		r.log.Error("rate limit: Redis is unreachable; each instance counts operations on its own until it answers", "error", err)
	}
}

func (r *Redis) recovered() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		r.down = false
		r.log.Info("rate limit: Redis answers again; operations are counted across instances")
	}
}
