// Package replica routes reads to a primary's streaming read replicas:
// each read takes the next healthy replica (round robin), a replica whose
// connection fails is taken out of rotation and pinged in the background
// until it answers again, and with no replica healthy the primary serves.
// It knows nothing of GraphQL: the transports and the poller decide what
// is a read (queries and live queries) and what stays on the primary
// (mutations, everything in a mutation's request, streams, workers).
//
// The hot path is Read, an atomic counter and a scan of a short slice;
// Failed looks at an error only when a read failed.
package replica

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultHealthInterval is how often a replica out of rotation is pinged.
const DefaultHealthInterval = time.Second

// Replica is one read replica: its pool and whether it is in rotation.
type Replica struct {
	// Name identifies the replica in logs and metrics: its host and port,
	// never its password.
	Name string
	pool *pgxpool.Pool
	down atomic.Bool
	// lagging is set while the replica's replay lag is over the Set's
	// MaxLag; lag is the last lag measured, in nanoseconds.
	lagging atomic.Bool
	lag     atomic.Int64
	// reads counts the reads started on the replica, failovers the reads
	// it failed that were run again elsewhere.
	reads, failovers atomic.Uint64
}

// Pool returns the replica's connection pool.
func (r *Replica) Pool() *pgxpool.Pool { return r.pool }

// Healthy reports whether the replica is in rotation: its connection
// works and its lag is within the Set's MaxLag.
func (r *Replica) Healthy() bool { return !r.down.Load() && !r.lagging.Load() }

// Lag is the replica's replay lag when last measured (with a MaxLag):
// zero when it has replayed all the WAL it received, else the time since
// the last transaction it replayed.
func (r *Replica) Lag() time.Duration { return time.Duration(r.lag.Load()) }

// Reads is the number of reads started on the replica.
func (r *Replica) Reads() uint64 { return r.reads.Load() }

// Failovers is the number of reads that failed on the replica for a lost
// connection and were run again on another replica or the primary.
func (r *Replica) Failovers() uint64 { return r.failovers.Load() }

// Set is a primary and its read replicas. A Set is safe for concurrent
// use; Close stops its health checks and closes the replicas' pools (not
// the primary's).
type Set struct {
	primary  *pgxpool.Pool
	replicas []*Replica
	next     atomic.Uint32
	log      *slog.Logger
	interval time.Duration
	maxLag   time.Duration
	stop     context.CancelFunc
	done     sync.WaitGroup
	// primaryReads counts the reads the primary served because no replica
	// was healthy.
	primaryReads atomic.Uint64
}

// Options tune a Set.
type Options struct {
	// HealthInterval is how often a replica out of rotation is pinged;
	// 0 is DefaultHealthInterval.
	HealthInterval time.Duration
	// Log receives a line when a replica leaves or rejoins the rotation;
	// nil is slog.Default().
	Log *slog.Logger
	// MaxLag, when positive, takes a replica out of rotation while its
	// replay lag (LagSQL, measured every HealthInterval) is over it, and
	// puts it back once it has caught up; 0 measures nothing.
	MaxLag time.Duration
}

// LagSQL measures a replica's replay lag in seconds: 0 when it has
// replayed all the WAL it received (an idle primary is no lag), else the
// time since the last transaction it replayed; 0 on a primary.
const LagSQL = `SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL
  OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
  ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8`

// New returns the set of primary and replicas (pools by name) and starts
// its health checks. Every replica starts in rotation: one that is down
// is found by its first read, which then runs elsewhere.
func New(primary *pgxpool.Pool, names []string, pools []*pgxpool.Pool, o Options) *Set {
	if o.HealthInterval <= 0 {
		o.HealthInterval = DefaultHealthInterval
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Set{primary: primary, log: o.Log, interval: o.HealthInterval, maxLag: o.MaxLag}
	for i, p := range pools {
		s.replicas = append(s.replicas, &Replica{Name: names[i], pool: p})
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		s.healthLoop(ctx)
	}()
	return s
}

// Primary returns the primary's pool.
func (s *Set) Primary() *pgxpool.Pool { return s.primary }

// Replicas returns the replicas, in configuration order.
func (s *Set) Replicas() []*Replica { return s.replicas }

// PrimaryReads is the number of reads the primary served because no
// replica was healthy (or every one failed the read).
func (s *Set) PrimaryReads() uint64 { return s.primaryReads.Load() }

// Read returns where attempt (0 for a read's first) of a read runs: the
// next healthy replica, round robin, and that replica; or the primary's
// pool and nil when no replica is healthy or attempt is past the number
// of replicas (each failed attempt takes one replica out, so a read runs
// at most once per replica and then on the primary).
func (s *Set) Read(attempt int) (*pgxpool.Pool, *Replica) {
	n := len(s.replicas)
	if attempt < n {
		start := int(s.next.Add(1) % uint32(n))
		for i := range n {
			r := s.replicas[(start+i)%n]
			if !r.down.Load() && !r.lagging.Load() {
				r.reads.Add(1)
				return r.pool, r
			}
		}
	}
	s.primaryReads.Add(1)
	return s.primary, nil
}

// Failed reports whether err, the error of a read that ran on r, is r's
// connection failing (the replica stopped, crashed, restarts or is
// unreachable) rather than the read's own: then r is taken out of
// rotation until a ping succeeds, and the caller runs the read again on
// Read(attempt+1). A read cancelled by its context (a client gone, a time
// limit) or refused by the database (a SQL error) is not retried. r nil
// (the primary) is never retried.
func (s *Set) Failed(ctx context.Context, r *Replica, err error) bool {
	if r == nil || err == nil || ctx.Err() != nil || !ConnectionLost(err) {
		return false
	}
	r.failovers.Add(1)
	if r.down.CompareAndSwap(false, true) {
		s.log.Warn("read replica out of rotation: its reads go to the other replicas, or the primary", "replica", r.Name, "error", err)
	}
	return true
}

// ConnectionLost reports whether err says the connection to the server
// failed or the server is going away, as opposed to an error of the
// statement itself: connecting failed, the socket broke, or Postgres
// reported a connection exception (class 08) or an operator intervention
// that ends sessions (57P01 admin shutdown, 57P02 crash shutdown, 57P03
// cannot connect now).
func ConnectionLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err)
}

// healthLoop pings the replicas out of rotation every interval and puts
// back those that answer; with a MaxLag it also measures every replica's
// lag (checkLag). A replica just taken out waits up to an
// interval for its first ping: no hammering of a server that restarts.
func (s *Set) healthLoop(ctx context.Context) {
	if len(s.replicas) == 0 {
		return
	}
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, r := range s.replicas {
			if !r.down.Load() {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := r.pool.Ping(pctx)
			cancel()
			if err == nil && r.down.CompareAndSwap(true, false) {
				s.log.Info("read replica back in rotation", "replica", r.Name)
			}
		}
		if s.maxLag > 0 {
			s.checkLag(ctx)
		}
	}
}

// checkLag measures the lag of each replica whose connection works, and
// takes it out of rotation while the lag is over MaxLag. A replica that
// cannot answer is left to Failed and the pings.
func (s *Set) checkLag(ctx context.Context) {
	for _, r := range s.replicas {
		if r.down.Load() {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var secs float64
		err := r.pool.QueryRow(qctx, LagSQL).Scan(&secs)
		cancel()
		if err != nil {
			continue
		}
		lag := time.Duration(secs * float64(time.Second))
		r.lag.Store(int64(lag))
		switch over := lag > s.maxLag; {
		case over && r.lagging.CompareAndSwap(false, true):
			s.log.Warn("read replica out of rotation: it lags", "replica", r.Name, "lag", lag.String(), "max_lag", s.maxLag.String())
		case !over && r.lagging.CompareAndSwap(true, false):
			s.log.Info("read replica back in rotation: caught up", "replica", r.Name, "lag", lag.String())
		}
	}
}

// Close stops the health checks and closes the replicas' pools. A nil
// Set (no replicas) has nothing to close.
func (s *Set) Close() {
	if s == nil {
		return
	}
	s.stop()
	s.done.Wait()
	for _, r := range s.replicas {
		r.pool.Close()
	}
}
