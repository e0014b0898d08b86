package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/hasgen/hasgen/runtime/delivery"
)

// Upcoming is how many future occurrences of each cron trigger are kept
// in hdb_catalog.hdb_cron_events, as Hasura does: a restart or a slow
// instance never leaves a trigger without its next occurrences.
const Upcoming = 100

// maxGenerated bounds the occurrences one trigger gets in one Tick.
const maxGenerated = 10000

// Options tune a Scheduler; a zero field takes its default.
type Options struct {
	// FetchInterval is the time between two Ticks of Run (10 s).
	FetchInterval time.Duration
	// BatchSize bounds the events one query claims (100).
	BatchSize int
	// Concurrency bounds the deliveries in flight (100). A claim takes
	// no more events than there are free deliveries, so that every
	// claimed event starts at once and its lease is its own timeout plus
	// LeaseMargin.
	Concurrency int
	// LeaseMargin is added to an event's timeout to make its lease (30 s):
	// an event still locked when its lease ends belongs to an instance
	// that died mid-delivery, and is claimed again.
	LeaseMargin time.Duration
	// LookupEnv resolves webhook_from_env, value_from_env and {{VAR}} in
	// webhook URLs (os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Now is the clock (time.Now); every time the scheduler compares or
	// stores comes from it, never from the database's now().
	Now func() time.Time
	// Client sends the webhook requests (a new http.Client).
	Client *http.Client
	// Logger receives what fails outside any request (slog.Default()).
	Logger *slog.Logger
	// UserAgent is the User-Agent header of webhook requests ("hasgen").
	UserAgent string
	// Registerer gets the scheduler's metrics (hasgen_cron_events_* and
	// hasgen_oneoff_events_*); nil does not export them.
	Registerer prometheus.Registerer
	// RequestTransform compiles a cron trigger's request_transform once,
	// when New runs; nil refuses every cron trigger that has one.
	RequestTransform func(raw json.RawMessage) (Transform, error)
}

// Transform rewrites a webhook request (method, URL, headers, body) as a
// trigger's request_transform says. The request holds the payload as its
// Body and the webhook as its URL when it is called.
type Transform func(req *delivery.Request) error

// Scheduler delivers the cron triggers of a Config and the one-off
// scheduled events of the database. Any number of Schedulers, in as many
// instances, may share a database: each occurrence is made once (unique
// index, generation under an advisory lock) and claimed by one of them
// (FOR UPDATE SKIP LOCKED), and it is claimed again when the instance
// that claimed it died before its lease ended.
type Scheduler struct {
	pool    *pgxpool.Pool
	opts    Options
	metrics *scheduleMetrics
	crons   map[string]*cronTrigger
	names   []string // sorted

	mu         sync.Mutex
	reconciled bool // future occurrences of changed or removed triggers dropped
	closed     bool
	stop       chan struct{} // closed by Shutdown and Close
	cancel     context.CancelFunc
	done       chan struct{}
}

// cronTrigger is a Cron resolved for delivery.
type cronTrigger struct {
	Cron
	schedule  cron.Schedule
	url       string
	headers   http.Header
	secret    []string // headers from the environment, not logged
	transform Transform
}

// New checks and resolves cfg's cron triggers: schedules, webhooks and
// header values from the environment, request transforms. It reports
// every problem, each naming its trigger.
func New(pool *pgxpool.Pool, cfg *Config, opts Options) (*Scheduler, error) {
	if opts.FetchInterval <= 0 {
		opts.FetchInterval = 10 * time.Second
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 100
	}
	if opts.LeaseMargin <= 0 {
		opts.LeaseMargin = 30 * time.Second
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "hasgen"
	}
	// names is never nil: a NULL array would make "<> ALL($1)" NULL.
	s := &Scheduler{pool: pool, opts: opts, crons: map[string]*cronTrigger{}, names: []string{}, stop: make(chan struct{})}
	var errs []error
	if cfg != nil {
		for _, c := range cfg.Crons {
			ct, err := s.resolveCron(c)
			if err != nil {
				errs = append(errs, fmt.Errorf("cron trigger %q: %w", c.Name, err))
				continue
			}
			if s.crons[c.Name] != nil {
				errs = append(errs, fmt.Errorf("cron trigger %q: declared twice", c.Name))
				continue
			}
			s.crons[c.Name] = ct
			s.names = append(s.names, c.Name)
		}
	}
	sort.Strings(s.names)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m, err := newScheduleMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("scheduled triggers' metrics: %w", err)
	}
	s.metrics = m
	return s, nil
}

// ParseSchedule parses a cron trigger's schedule as Hasura reads it: five
// fields (minute, hour, day of month, month, day of week), in UTC.
func ParseSchedule(spec string) (cron.Schedule, error) {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("schedule %q: a time zone is not supported (schedules are in UTC)", spec)
	}
	sched, err := cron.ParseStandard("CRON_TZ=UTC " + spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return sched, nil
}

func (s *Scheduler) resolveCron(c Cron) (*cronTrigger, error) {
	if c.Name == "" {
		return nil, errors.New("no name")
	}
	sched, err := ParseSchedule(c.Schedule)
	if err != nil {
		return nil, err
	}
	if c.Retry == (Retry{}) {
		c.Retry = DefaultRetry
	}
	ct := &cronTrigger{Cron: c, schedule: sched}
	if ct.url, err = resolveWebhook(c.Webhook, c.WebhookFromEnv, s.opts.LookupEnv); err != nil {
		return nil, err
	}
	if ct.headers, ct.secret, err = resolveHeaders(c.Headers, s.opts.LookupEnv); err != nil {
		return nil, err
	}
	if len(c.RequestTransform) > 0 && string(c.RequestTransform) != "null" {
		if s.opts.RequestTransform == nil {
			return nil, errors.New("request_transform is not supported by this server")
		}
		if ct.transform, err = s.opts.RequestTransform(c.RequestTransform); err != nil {
			return nil, fmt.Errorf("request_transform: %w", err)
		}
	}
	return ct, nil
}

// Run calls Tick every FetchInterval until ctx ends, or Shutdown or
// Close is called (before or during Run). A failed Tick is logged, and
// the next one tries again.
func (s *Scheduler) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if s.done != nil {
		s.mu.Unlock()
		return errors.New("schedule: Run called twice")
	}
	s.cancel, s.done = cancel, make(chan struct{})
	done := s.done
	s.mu.Unlock()
	defer close(done)
	t := time.NewTicker(s.opts.FetchInterval)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.opts.Logger.Error("scheduled triggers", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.stop:
			return nil
		case <-t.C:
		}
	}
}

// Shutdown stops Run gracefully: no event is claimed any more, the
// deliveries in flight go on until they end or ctx does; then they are
// cut off, their events released for another instance with no try
// counted. It waits for Run to return.
func (s *Scheduler) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	cancel()
	<-done
	return nil
}

// Close stops Run at once and waits for it to return: the deliveries in
// flight are cut off, their events released with no try counted. Calling
// it again, or after Shutdown, does nothing more.
func (s *Scheduler) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return s.Shutdown(ctx)
}

// stopping reports whether Shutdown or Close was called.
func (s *Scheduler) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// Tick does one round of work: it tops up each cron trigger's upcoming
// occurrences (the first Tick also drops the future occurrences of
// changed or removed triggers), then delivers every due cron event and
// one-off scheduled event, marking dead those older than their tolerance.
func (s *Scheduler) Tick(ctx context.Context) error {
	s.mu.Lock()
	reconciled := s.reconciled
	s.mu.Unlock()
	if len(s.names) > 0 || !reconciled {
		if err := s.generate(ctx); err != nil {
			return err
		}
	}
	for _, k := range []kind{cronKind, oneOffKind} {
		if k == cronKind && len(s.names) == 0 {
			continue
		}
		for !s.stopping() {
			n, err := s.deliverRound(ctx, k)
			if err != nil {
				return err
			}
			if n < s.claimLimit() || ctx.Err() != nil {
				break
			}
		}
	}
	return ctx.Err()
}

func (s *Scheduler) claimLimit() int { return min(s.opts.BatchSize, s.opts.Concurrency) }

// generateLockKey serializes the generation of cron events across
// instances: two instances reading the same latest occurrence would
// otherwise insert the occurrences after it twice once the first ones
// are no longer 'scheduled'.
const generateLockKey = "hasgen hdb_cron_events generate"

// generate keeps Upcoming future occurrences of every cron trigger,
// continuing after the latest one stored, as Hasura does (so that the
// occurrences missed while no instance ran are made, then delivered or
// marked dead by their tolerance). Occurrences older than the tolerance
// are not made at all.
func (s *Scheduler) generate(ctx context.Context) error {
	now := s.opts.Now().UTC()
	s.mu.Lock()
	reconcile := !s.reconciled
	s.mu.Unlock()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, generateLockKey); err != nil {
			return err
		}
		if reconcile {
			if err := s.dropStale(ctx, tx, now); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT trigger_name,
  count(*) FILTER (WHERE status = 'scheduled' AND scheduled_time > $2),
  max(scheduled_time)
FROM hdb_catalog.hdb_cron_events WHERE trigger_name = ANY($1) GROUP BY trigger_name`, s.names, now)
		if err != nil {
			return err
		}
		type stat struct {
			upcoming int
			last     time.Time
		}
		stats := map[string]stat{}
		for rows.Next() {
			var name string
			var st stat
			if err := rows.Scan(&name, &st.upcoming, &st.last); err != nil {
				return err
			}
			stats[name] = st
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var names []string
		var times []time.Time
		for _, name := range s.names {
			c := s.crons[name]
			st, ok := stats[name]
			if st.upcoming >= Upcoming {
				continue
			}
			from := now
			if ok {
				from = st.last
				if oldest := now.Add(-time.Duration(c.Retry.ToleranceSeconds) * time.Second); from.Before(oldest) {
					from = oldest
				}
			}
			// Past occurrences (within the tolerance) do not count as
			// upcoming; maxGenerated bounds a long tolerance of a frequent
			// schedule, the next Tick goes on.
			for up, n := st.upcoming, 0; up < Upcoming && n < maxGenerated; n++ {
				from = c.schedule.Next(from)
				if from.IsZero() { // a schedule that never matches (Feb 30)
					break
				}
				if from.After(now) {
					up++
				}
				names = append(names, name)
				times = append(times, from)
			}
		}
		if len(names) == 0 {
			return nil
		}
		// No conflict target: a catalog made by an older Hasura may lack
		// hdb_cron_events_unique_scheduled (the advisory lock is what
		// keeps instances from making an occurrence twice).
		_, err = tx.Exec(ctx, `INSERT INTO hdb_catalog.hdb_cron_events (trigger_name, scheduled_time)
SELECT * FROM unnest($1::text[], $2::timestamptz[])
ON CONFLICT DO NOTHING`, names, times)
		return err
	})
	if err != nil {
		return fmt.Errorf("generate cron events: %w", err)
	}
	if reconcile {
		s.mu.Lock()
		s.reconciled = true
		s.mu.Unlock()
	}
	return nil
}

// dropStale deletes the future occurrences that no longer match their
// trigger's schedule (the schedule changed since they were made), and
// those of triggers the metadata no longer has, as Hasura does when a cron
// trigger is updated or dropped.
func (s *Scheduler) dropStale(ctx context.Context, tx pgx.Tx, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM hdb_catalog.hdb_cron_events
WHERE status = 'scheduled' AND scheduled_time > $2 AND trigger_name <> ALL($1)`, s.names, now); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT id, trigger_name, scheduled_time FROM hdb_catalog.hdb_cron_events
WHERE trigger_name = ANY($1) AND status = 'scheduled' AND scheduled_time > $2`, s.names, now)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var id, name string
		var at time.Time
		if err := rows.Scan(&id, &name, &at); err != nil {
			return err
		}
		if !s.crons[name].schedule.Next(at.Add(-time.Second)).Equal(at) {
			stale = append(stale, id)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(stale) > 0 {
		_, err = tx.Exec(ctx, `DELETE FROM hdb_catalog.hdb_cron_events WHERE id = ANY($1)`, stale)
	}
	return err
}
