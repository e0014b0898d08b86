package runtime

// The response cache of @cached queries (runtime/cache): in this process
// by default, in Redis when HASURA_GRAPHQL_REDIS_URL is set, so that
// every instance shares it.

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hasgen/hasgen/runtime/cache"
	"github.com/prometheus/client_golang/prometheus"
)

// CacheConfig configures the response cache.
type CacheConfig struct {
	// RedisURL is HASURA_GRAPHQL_REDIS_URL: the Redis every instance
	// shares; empty keeps the cache in this process.
	RedisURL string
	// RedisPrefix is HASGEN_CACHE_REDIS_PREFIX: the prefix of the
	// cache's Redis keys.
	RedisPrefix string
	// MaxTTL is HASURA_GRAPHQL_CACHE_MAX_ENTRY_TTL (seconds): the
	// largest ttl a query gets.
	MaxTTL time.Duration
	// MaxEntryMB is HASURA_GRAPHQL_CACHE_MAX_ENTRY_SIZE (megabytes, as
	// Hasura counts it): the largest response stored.
	MaxEntryMB int
	// Memory is HASGEN_CACHE_MEMORY (bytes): the in-process cache's size.
	Memory int
}

// Defaults, Hasura EE's for the ttl and entry size; the in-process size
// is Hasura Cloud's standard tier's cache.
const (
	defaultCacheMaxTTL     = 3600 * time.Second
	defaultCacheMaxEntryMB = 1000
	defaultCacheMemory     = 100 << 20
	defaultCachePrefix     = "hasgen:cache:"
)

func readCacheEnv(env *envReader, c *CacheConfig) {
	c.MaxTTL, c.MaxEntryMB, c.Memory, c.RedisPrefix = defaultCacheMaxTTL, defaultCacheMaxEntryMB, defaultCacheMemory, defaultCachePrefix
	env.str(&c.RedisURL, "HASURA_GRAPHQL_REDIS_URL")
	env.str(&c.RedisPrefix, "HASGEN_CACHE_REDIS_PREFIX")
	env.duration(&c.MaxTTL, "HASURA_GRAPHQL_CACHE_MAX_ENTRY_TTL", time.Second, 1)
	env.num(&c.MaxEntryMB, "HASURA_GRAPHQL_CACHE_MAX_ENTRY_SIZE", 1)
	env.num(&c.Memory, "HASGEN_CACHE_MEMORY", 1)
}

// newCache builds the response cache. A Redis that cannot be reached at
// start is logged and does not fail the start: @cached queries run
// uncached until it answers.
func newCache(cfg CacheConfig, log *slog.Logger) (*cache.Cache, error) {
	ccfg := cache.Config{MaxTTL: cfg.MaxTTL, MaxEntrySize: cfg.MaxEntryMB << 20, Log: log}
	if cfg.RedisURL == "" {
		return cache.New(cache.NewMemory(cfg.Memory), ccfg), nil
	}
	r, err := cache.NewRedis(cfg.RedisURL, cfg.RedisPrefix)
	if err != nil {
		return nil, err
	}
	return cache.New(r, ccfg), nil
}

// registerCacheMetrics adds Hasura's hasura_cache_request_count{status}:
// lookups of @cached queries that hit and missed.
func registerCacheMetrics(reg *prometheus.Registry, c *cache.Cache) error {
	for _, status := range []string{"hit", "miss"} {
		f := func() float64 { h, _ := c.Counts(); return float64(h) }
		if status == "miss" {
			f = func() float64 { _, m := c.Counts(); return float64(m) }
		}
		if err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "hasura_cache_request_count",
			Help:        "Requests with the @cached directive, served from the cache (hit) or not (miss).",
			ConstLabels: prometheus.Labels{"status": status},
		}, f)); err != nil {
			return fmt.Errorf("cache metrics: %w", err)
		}
	}
	return nil
}
