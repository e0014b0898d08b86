package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"github.com/hasgen/hasgen/runtime/ratelimit"
	"github.com/hasgen/hasgen/runtime/wire"
)

// RateLimitConfig says where the counters of api_limits.rate_limit live.
type RateLimitConfig struct {
	// RedisURL is HASURA_GRAPHQL_RATE_LIMIT_REDIS_URL (Hasura EE's name):
	// the counters are shared by every instance through this Redis;
	// unset, each instance counts on its own.
	RedisURL string
	// KeyPrefix starts every Redis key of the counters
	// (HASGEN_RATE_LIMIT_REDIS_PREFIX, default "hasgen:ratelimit:"):
	// projects sharing a Redis keep apart by it.
	KeyPrefix string
}

// DefaultRateLimitPrefix is the default KeyPrefix.
const DefaultRateLimitPrefix = "hasgen:ratelimit:"

func readRateLimitEnv(env *envReader, c *RateLimitConfig) {
	c.KeyPrefix = DefaultRateLimitPrefix
	env.str(&c.RedisURL, "HASURA_GRAPHQL_RATE_LIMIT_REDIS_URL")
	env.str(&c.KeyPrefix, "HASGEN_RATE_LIMIT_REDIS_PREFIX")
}

// newRateLimiter returns the limiter of the project's
// api_limits.rate_limit (schema/api_limits.jsonc) and what to close with
// the server; a nil limiter when the project has no rate limit.
func newRateLimiter(cfg Config, p Project, log *slog.Logger) (*ratelimit.Limiter, io.Closer, error) {
	var raw wire.APILimits
	if p.Schemas != nil {
		b, err := fs.ReadFile(p.Schemas, "api_limits.jsonc")
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		for bytes.HasPrefix(b, []byte("//")) {
			_, b, _ = bytes.Cut(b, []byte("\n"))
		}
		if len(bytes.TrimSpace(b)) > 0 {
			if err := json.Unmarshal(b, &raw); err != nil {
				return nil, nil, fmt.Errorf("schema/api_limits.jsonc: %w", err)
			}
		}
	}
	rules, err := ratelimit.FromWire(raw.RateLimit, raw.Disabled)
	if err != nil || rules == nil {
		return nil, nil, err
	}
	if cfg.RateLimit.RedisURL == "" {
		return ratelimit.New(rules, ratelimit.NewMemory(), nil), nil, nil
	}
	store, err := ratelimit.NewRedis(cfg.RateLimit.RedisURL, cfg.RateLimit.KeyPrefix, log)
	if err != nil {
		return nil, nil, err
	}
	return ratelimit.New(rules, store, nil), store, nil
}
