package budget

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// LockClass is the first key of the budget's advisory locks: an
// instance holds pg_advisory_lock(LockClass, its key) for as long as its
// control connection lives, and a heartbeat holds
// pg_advisory_xact_lock(LockClass, 0) while it reads and publishes the
// limits. ("hsgb", positive so that pg_locks shows it as is.)
const LockClass int32 = 0x68736762

// CatalogLockKey is the transaction advisory lock,
// pg_advisory_xact_lock(hashtext(CatalogLockKey)), held by every hasgen
// piece that creates hdb_catalog objects (events.CatalogLockKey, which
// this package is below).
const CatalogLockKey = "hasgen hdb_catalog"

// InstancesSQL creates the registry of the instances: one row per
// instance, published by its heartbeat; a row counts while its
// instance's advisory lock is held.
const InstancesSQL = `CREATE SCHEMA IF NOT EXISTS hdb_catalog;
CREATE TABLE IF NOT EXISTS hdb_catalog.hasgen_instances (
  lock_key integer PRIMARY KEY,
  application_name text NOT NULL,
  conn_limit integer NOT NULL,
  connections integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
`

// liveSQL is true for a row of hdb_catalog.hasgen_instances i whose
// instance holds its lock, in this database.
var liveSQL = fmt.Sprintf(`EXISTS (SELECT FROM pg_catalog.pg_locks AS l WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.classid = %d AND l.objid = i.lock_key::oid AND l.objsubid = 2)`, LockClass)

// Options configure Join.
type Options struct {
	// ConnConfig is how to connect: the instance's pools' configuration
	// (the control connection uses a copy).
	ConnConfig *pgx.ConnConfig
	// Total is the budget: the connections of every instance together.
	Total int
	// Interval is the time between heartbeats (default 1 s).
	Interval time.Duration
	// Timeout bounds a heartbeat (default 5 s); one that takes longer
	// loses the control connection.
	Timeout time.Duration
	// Linger is how long the row of an instance whose lock is gone still
	// counts after its last heartbeat (default 3 s): its connections'
	// server processes may outlive its control connection's for a moment,
	// until they notice that their client is gone (the pools' connections
	// check every second, client_connection_check_interval).
	Linger time.Duration
	Log    *slog.Logger
}

// Coordinator is an instance's membership of the budget: its control
// connection, its row, its heartbeat and the Limiter sized to its share.
type Coordinator struct {
	o    Options
	lim  *Limiter
	name string
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	key    int32
	conn   *pgx.Conn // nil while reconnecting
	status Status
	warned bool
	// followers are the limiters of other servers' pools (read replicas)
	// kept at this instance's share by every heartbeat.
	followers []*Limiter
}

// Status is what the last heartbeat found.
type Status struct {
	// Instances is how many instances are live, Share this one's share of
	// the budget among them.
	Instances, Share int
	// Limit is how many connections this instance may open, its control
	// connection included; Open how many it has open.
	Limit, Open int
}

// Join connects the instance to the others sharing o.Total connections:
// it opens the control connection (which counts in the instance's share),
// creates hdb_catalog.hasgen_instances when missing, takes its advisory
// lock and runs the first heartbeat, which sizes the Limiter; then it
// heartbeats every o.Interval until Close. That first connection is opened
// before the instance can know the others' limits: an instance joining
// while the others use the whole budget is one connection over it until
// they have shrunk to their new shares (one heartbeat and the time their
// connections in use take to be released).
func Join(ctx context.Context, o Options) (*Coordinator, error) {
	if o.Total < 1 {
		return nil, errors.New("connection budget: the total must be at least 1")
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Linger <= 0 {
		o.Linger = 3 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	c := &Coordinator{o: o, lim: NewLimiter(0), key: newKey(), stop: make(chan struct{}), done: make(chan struct{})}
	c.name = o.ConnConfig.RuntimeParams["application_name"]
	if c.name == "" {
		c.name = fmt.Sprintf("hasgen-%08x", c.key)
	}
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	if err := c.heartbeat(ctx); err != nil {
		c.conn.Close(context.Background())
		return nil, fmt.Errorf("connection budget: %w", err)
	}
	go c.run()
	return c, nil
}

// newKey is a random positive advisory lock key.
func newKey() int32 {
	var b [4]byte
	rand.Read(b[:])
	return int32(binary.BigEndian.Uint32(b[:])&0x7fffffff) | 1
}

// Follow returns a Limiter for the pool of another server the instances
// share in the same way (a read replica): every heartbeat sets it to this
// instance's share of the budget, so the instances' connections to that
// server stay within the budget too and re-balance with the primary's.
// It has no control connection to count, and keeps its last share while
// the primary cannot be reached (the replica may still serve).
func (c *Coordinator) Follow() *Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := NewLimiter(c.status.Share)
	c.followers = append(c.followers, l)
	return l
}

// Limiter is the limiter every connection of the instance takes its
// share from.
func (c *Coordinator) Limiter() *Limiter { return c.lim }

// ApplicationName is the instance's application_name: the connection
// configuration's, else hasgen-<its key in hex>, which its connections
// carry so that pg_stat_activity tells the instances apart.
func (c *Coordinator) ApplicationName() string { return c.name }

// Status returns what the last heartbeat found.
func (c *Coordinator) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// connect opens the control connection, creates the registry when
// missing and takes the instance's lock.
func (c *Coordinator) connect(ctx context.Context) error {
	cc := c.o.ConnConfig.Copy()
	cc.Tracer = nil
	rp := cc.RuntimeParams
	rp["application_name"] = c.name
	// A host that is cut off is noticed by the server within seconds: its
	// lock, and so its share, go with the connection. (Ignored over a
	// Unix socket.)
	for k, v := range map[string]string{"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"} {
		if rp[k] == "" {
			rp[k] = v
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("connection budget: %w", err)
	}
	// The instance's other connections: a cut-off host, or a dead
	// process's statement, is noticed within seconds (Linger).
	params := map[string]string{"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"}
	var version int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		conn.Close(context.Background())
		return fmt.Errorf("connection budget: %w", err)
	}
	if version >= 140000 {
		params["client_connection_check_interval"] = "1000"
	}
	c.lim.setParams(params)
	if err := install(ctx, conn); err != nil {
		conn.Close(context.Background())
		return err
	}
	for tries := 0; ; tries++ {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, LockClass, c.key).Scan(&ok); err != nil {
			conn.Close(context.Background())
			return fmt.Errorf("connection budget: lock: %w", err)
		}
		if ok {
			break
		}
		if tries > 10 {
			conn.Close(context.Background())
			return errors.New("connection budget: no free instance key")
		}
		c.key = newKey()
	}
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	return nil
}

// install creates hdb_catalog.hasgen_instances unless it exists, under
// the catalog's lock.
func install(ctx context.Context, conn *pgx.Conn) error {
	var ok bool
	err := conn.QueryRow(ctx, `SELECT to_regclass('hdb_catalog.hasgen_instances') IS NOT NULL`).Scan(&ok)
	if err == nil && !ok {
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, CatalogLockKey); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, InstancesSQL)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("connection budget: create hdb_catalog.hasgen_instances: %w", err)
	}
	return nil
}

// member is a live instance's row.
type member struct {
	key   int32
	limit int
}

// decision is what a heartbeat decides.
type decision struct {
	instances, share int
	// limit is the instance's new limit, its control connection included.
	limit int
}

// decide computes the instance me's share among the live members (me
// among them or not yet) and the limit it may take now: its share, but no
// more than what the others' published limits leave of total, and at
// least its control connection.
func decide(total int, me int32, members []member) decision {
	keys := []int32{me}
	others := 0
	for _, m := range members {
		if m.key != me {
			keys = append(keys, m.key)
			others += m.limit
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	idx := sort.Search(len(keys), func(i int) bool { return keys[i] >= me })
	share := Share(total, len(keys), idx)
	return decision{instances: len(keys), share: share, limit: max(1, min(share, total-others))}
}

// heartbeat reads the live instances under the budget's lock, removes
// the rows of dead ones (no lock, and no heartbeat for Linger), and publishes this instance's limit: a larger
// one is published before the limiter grows to it, a smaller one once the
// limiter has shrunk and as long as more connections are open.
func (c *Coordinator) heartbeat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	c.mu.Lock()
	conn, key := c.conn, c.key
	c.mu.Unlock()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, LockClass); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM hdb_catalog.hasgen_instances AS i WHERE i.heartbeat_at < now() - make_interval(secs => $1) AND NOT `+liveSQL,
		c.o.Linger.Seconds()); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT lock_key, conn_limit FROM hdb_catalog.hasgen_instances`)
	if err != nil {
		return err
	}
	members, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (member, error) {
		var m member
		err := r.Scan(&m.key, &m.limit)
		return m, err
	})
	if err != nil {
		return err
	}
	d := decide(c.o.Total, key, members)
	cur := c.lim.Stats().Limit + 1
	if d.limit < cur {
		c.lim.SetLimit(d.limit - 1)
	}
	open := c.lim.Stats().Open + 1
	publish := max(d.limit, open)
	if _, err := tx.Exec(ctx, `INSERT INTO hdb_catalog.hasgen_instances AS i (lock_key, application_name, conn_limit, connections)
VALUES ($1, $2, $3, $4)
ON CONFLICT (lock_key) DO UPDATE SET conn_limit = excluded.conn_limit, connections = excluded.connections, heartbeat_at = now()`,
		key, c.name, publish, open); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if d.limit > cur {
		c.lim.SetLimit(d.limit - 1)
	}
	c.mu.Lock()
	old := c.status
	c.status = Status{Instances: d.instances, Share: d.share, Limit: d.limit, Open: open}
	followers := c.followers
	warn := d.share < 2 && !c.warned
	c.warned = c.warned || warn
	c.mu.Unlock()
	for _, f := range followers {
		f.SetLimit(d.share)
	}
	if old.Instances != d.instances || old.Limit != d.limit {
		c.o.Log.Info("connection budget", "instances", d.instances, "share", d.share, "limit", d.limit, "open", open, "total", c.o.Total)
	}
	if warn {
		c.o.Log.Warn("connection budget: this instance's share leaves no connection besides its control connection; requests wait until instances leave",
			"total", c.o.Total, "instances", d.instances)
	}
	return nil
}

// run heartbeats until Close. When the control connection is lost, the
// instance's lock and share are gone: it closes its connections (limit 0,
// those in use as they are released) and joins again.
func (c *Coordinator) run() {
	defer close(c.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-c.stop
		cancel()
	}()
	t := time.NewTicker(c.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		conn := c.conn
		c.mu.Unlock()
		if conn == nil && !c.reconnect(ctx) {
			continue
		}
		err := c.heartbeat(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		c.mu.Lock()
		lost := c.conn.IsClosed()
		if lost {
			c.conn = nil
		}
		c.mu.Unlock()
		if lost {
			c.lim.SetLimit(0)
			c.o.Log.Error("connection budget: control connection lost; closing this instance's connections until it is back", "error", err)
			// At once: requests wait for a share meanwhile, or fail
			// if the database cannot be reached.
			if c.reconnect(ctx) {
				if err := c.heartbeat(ctx); err != nil {
					c.o.Log.Warn("connection budget: heartbeat failed", "error", err)
				}
			}
		} else {
			c.o.Log.Warn("connection budget: heartbeat failed; keeping the current limit", "error", err)
		}
	}
}

// reconnect opens the control connection again. While it cannot, the
// database is unreachable and the instance holds no share: the limiter
// fails acquirers at once with the reason (they would wait for the
// database otherwise), until a connection succeeds.
func (c *Coordinator) reconnect(ctx context.Context) bool {
	if err := c.connect(ctx); err != nil {
		if ctx.Err() == nil {
			c.lim.SetUnavailable(fmt.Errorf("database unavailable: %w", err))
			c.o.Log.Warn("connection budget: reconnecting", "error", err)
		}
		return false
	}
	c.lim.SetUnavailable(nil)
	return true
}

// Close stops the heartbeat and leaves the budget: the instance's row is
// deleted and its lock released, so that the others grow at their next
// heartbeat. Close the pools first: their connections count until then.
func (c *Coordinator) Close() {
	if c == nil {
		return
	}
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	<-c.done
	c.mu.Lock()
	conn, key := c.conn, c.key
	c.conn = nil
	c.mu.Unlock()
	if conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn.Exec(ctx, `DELETE FROM hdb_catalog.hasgen_instances WHERE lock_key = $1`, key)
	conn.Close(ctx)
}
