package runtime

// Read replicas: HASURA_GRAPHQL_READ_REPLICA_URLS, or the source's
// read_replicas in the metadata (schema/source.jsonc), each a pool of its
// own in a replica.Set. Queries and live queries run on them (transport,
// live); mutations, streams, the workers and the metadata API on the
// primary.

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/hasgen/hasgen/runtime/replica"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// ReplicaConfig is one read replica's connection: its URL and its pool's
// settings, the primary's where the metadata sets none.
type ReplicaConfig struct {
	URL                  string
	MaxConns             int
	ConnLifetime         time.Duration
	ConnIdleTimeout      time.Duration
	IsolationLevel       string
	NoPreparedStatements bool
}

// replicaEnv is what the environment says of the read replicas.
type replicaEnv struct {
	// urls is HASURA_GRAPHQL_READ_REPLICA_URLS.
	urls string
	// fromEnv holds, for each of the metadata's replicas, the value of the
	// variable its database_url.from_env names.
	fromEnv []string
}

// readReplicaEnv reads the replicas' variables: the list of URLs, and the
// variables the metadata's replicas name (read, so not reported as unused).
func readReplicaEnv(env *envReader, src Source) replicaEnv {
	re := replicaEnv{fromEnv: make([]string, len(src.ReadReplicas))}
	env.str(&re.urls, "HASURA_GRAPHQL_READ_REPLICA_URLS")
	for i, r := range src.ReadReplicas {
		if r.DatabaseURLFromEnv != "" {
			env.str(&re.fromEnv[i], r.DatabaseURLFromEnv)
		}
	}
	return re
}

// readReplicas is the configured replicas. HASURA_GRAPHQL_READ_REPLICA_URLS
// (comma-separated), when set, replaces the metadata's list, each replica
// with the primary's pool settings; otherwise each of the metadata's
// read_replicas, its own settings over the primary's. The errors name the
// replica by position, never by its URL (it may hold a password).
func readReplicas(src Source, re replicaEnv, cfg Config) ([]ReplicaConfig, error) {
	base := ReplicaConfig{MaxConns: cfg.MaxConns, ConnLifetime: cfg.ConnLifetime, ConnIdleTimeout: cfg.ConnIdleTimeout,
		IsolationLevel: cfg.IsolationLevel, NoPreparedStatements: cfg.NoPreparedStatements}
	var out []ReplicaConfig
	if strings.TrimSpace(re.urls) != "" {
		for i, u := range strings.Split(re.urls, ",") {
			rc := base
			rc.URL = strings.TrimSpace(u)
			if rc.URL == "" {
				return nil, fmt.Errorf("HASURA_GRAPHQL_READ_REPLICA_URLS: URL %d is empty", i+1)
			}
			if _, err := pgxpool.ParseConfig(rc.URL); err != nil {
				return nil, fmt.Errorf("HASURA_GRAPHQL_READ_REPLICA_URLS: URL %d: %w", i+1, err)
			}
			out = append(out, rc)
		}
		return out, nil
	}
	for i, r := range src.ReadReplicas {
		rc := base
		what := fmt.Sprintf("read_replicas[%d]", i)
		rc.URL = r.DatabaseURL
		if r.DatabaseURLFromEnv != "" {
			if rc.URL = re.fromEnv[i]; rc.URL == "" {
				return nil, fmt.Errorf("no read replica URL: set %s (the metadata's %s.database_url.from_env)", r.DatabaseURLFromEnv, what)
			}
		}
		if _, err := pgxpool.ParseConfig(rc.URL); err != nil {
			return nil, fmt.Errorf("the metadata's %s.database_url: %w", what, err)
		}
		if r.MaxConnections > 0 {
			rc.MaxConns = r.MaxConnections
		}
		if r.IdleTimeout > 0 {
			rc.ConnIdleTimeout = time.Duration(r.IdleTimeout) * time.Second
		}
		if r.ConnectionLifetime > 0 {
			rc.ConnLifetime = time.Duration(r.ConnectionLifetime) * time.Second
		}
		if r.IsolationLevel != "" {
			if _, err := isolation(r.IsolationLevel); err != nil {
				return nil, fmt.Errorf("the metadata's %s: %w", what, err)
			}
			rc.IsolationLevel = r.IsolationLevel
		}
		if r.UsePreparedStatements != nil {
			rc.NoPreparedStatements = !*r.UsePreparedStatements
		}
		out = append(out, rc)
	}
	return out, nil
}

// newReplicaSet opens a pool per configured replica (NewPool: the
// primary's session settings, the replica's pool settings, within the
// instance's share of the connection budget when there is one) and returns
// the set that routes reads to them, with its metrics registered on m;
// nil when no replica is configured. The pools connect lazily: a replica
// down at start is found by its first read.
func newReplicaSet(ctx context.Context, cfg Config, primary *pgxpool.Pool, m *metrics.Metrics, log *slog.Logger) (*replica.Set, error) {
	if len(cfg.ReadReplicas) == 0 {
		return nil, nil
	}
	names := make([]string, len(cfg.ReadReplicas))
	pools := make([]*pgxpool.Pool, len(cfg.ReadReplicas))
	closeAll := func() {
		for _, p := range pools {
			if p != nil {
				p.Close()
			}
		}
	}
	for i, rc := range cfg.ReadReplicas {
		c := cfg
		c.DatabaseURL, c.MaxConns, c.ConnLifetime, c.ConnIdleTimeout = rc.URL, rc.MaxConns, rc.ConnLifetime, rc.ConnIdleTimeout
		c.IsolationLevel, c.NoPreparedStatements = rc.IsolationLevel, rc.NoPreparedStatements
		// The instances find each other on the primary; a replica is
		// another server, whose connections the instances share by the
		// same budget: each replica's pool has a limiter of its own, kept
		// at the instance's share (Coordinator.Follow).
		c.budget = nil
		if cfg.budget != nil {
			c.replicaLimiter = cfg.budget.Follow()
		}
		p, err := NewPool(ctx, c)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("read replica %d: %w", i+1, err)
		}
		pools[i] = p
		cc := p.Config().ConnConfig
		names[i] = cc.Host + ":" + strconv.Itoa(int(cc.Port)) + "/" + cc.Database
	}
	set := replica.New(primary, names, pools, replica.Options{Log: log, MaxLag: cfg.ReplicaMaxLag})
	if m != nil {
		registerReplicaMetrics(m.Registry, set)
	}
	return set, nil
}

// registerReplicaMetrics exposes the replicas' state on /metrics: each
// replica's health, lag, reads and failovers, and the reads the primary served
// for want of a healthy replica.
func registerReplicaMetrics(reg *prometheus.Registry, set *replica.Set) {
	for _, r := range set.Replicas() {
		labels := prometheus.Labels{"replica": r.Name}
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hasgen_read_replica_up", Help: "1 when the read replica is in rotation, 0 while it is out (failed, pinged until it answers; or lagging over HASGEN_READ_REPLICA_MAX_LAG).", ConstLabels: labels},
				func() float64 {
					if r.Healthy() {
						return 1
					}
					return 0
				}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hasgen_read_replica_lag_seconds", Help: "The read replica's replay lag when last measured (with HASGEN_READ_REPLICA_MAX_LAG; 0 otherwise).", ConstLabels: labels},
				func() float64 { return r.Lag().Seconds() }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hasgen_read_replica_reads_total", Help: "Reads (queries, live-query polls) started on the read replica.", ConstLabels: labels},
				func() float64 { return float64(r.Reads()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hasgen_read_replica_failovers_total", Help: "Reads that lost their connection to the read replica and ran again elsewhere.", ConstLabels: labels},
				func() float64 { return float64(r.Failovers()) }),
		)
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hasgen_read_replica_primary_reads_total", Help: "Reads the primary served because no read replica was healthy."},
		func() float64 { return float64(set.PrimaryReads()) }))
}
