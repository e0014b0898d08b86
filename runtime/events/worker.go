package events

// The delivery loop: claim a batch of due events (FOR UPDATE SKIP LOCKED,
// with a lease), deliver each on its own goroutine within PoolSize, then
// record the try (invocation log and the event's new state) in one
// statement, the tries waiting together in one round trip; cleanup_config
// runs beside. The next file to read is runtime/delivery/delivery.go.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hasgen/hasgen/runtime/delivery"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Defaults of Options, Hasura's (HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE,
// HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL, HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE).
const (
	DefaultPoolSize       = 100
	DefaultFetchInterval  = time.Second
	DefaultFetchBatchSize = 100
	// DefaultLeaseMargin is added to the longest timeout of the triggers
	// to make the lease: the time a claimed event stays with the instance
	// that claimed it before another one may take it.
	DefaultLeaseMargin = 30 * time.Second
)

// TransformFunc applies a trigger's request_transform to a request that
// carries the event's payload (the body Hasura would send); it changes
// req in place. runtime/transform provides it; an error fails the event
// without retry, as in Hasura.
type TransformFunc func(t *Trigger, req *delivery.Request, payload []byte) error

// Options configure a Service; the zero value of a field is its default.
type Options struct {
	// PoolSize bounds the deliveries in flight (default 100).
	PoolSize int
	// FetchInterval is the wait after a fetch that found fewer events
	// than it asked for (default 1 s).
	FetchInterval time.Duration
	// FetchBatchSize bounds the events claimed by one fetch (default 100).
	FetchBatchSize int
	// LeaseMargin is added to the longest trigger timeout to make the
	// lease (default 30 s): an event claimed by an instance that died is
	// claimed again once the lease has passed.
	LeaseMargin time.Duration
	// Handlers deliver a trigger's events to Go code instead of its
	// webhook, by trigger name.
	Handlers map[string]Handler
	// LookupEnv resolves webhook_from_env and value_from_env (default
	// os.LookupEnv is not assumed: nil means no variable is set).
	LookupEnv func(string) (string, bool)
	// Logger receives delivery failures; nil discards them.
	Logger *slog.Logger
	// Client sends the webhook requests (default: a client that keeps
	// PoolSize idle connections per host).
	Client *http.Client
	// Transform applies request transforms; New refuses a trigger that
	// has one while it is nil.
	Transform TransformFunc
	// UserAgent is the User-Agent header of webhook requests
	// (default "hasgen").
	UserAgent string
	// Registerer, when set, gets the delivery's Prometheus metrics
	// (metrics.go).
	Registerer prometheus.Registerer
}

// Service delivers the events of a project's triggers from
// hdb_catalog.event_log. Any number of Services (in as many server
// instances) may share one database: each event is claimed by one of
// them at a time. Delivery is at least once: an event whose instance died
// mid-delivery is delivered again once its lease has passed.
type Service struct {
	pool     *pgxpool.Pool
	opts     Options
	triggers map[string]*target
	names    []string
	lease    time.Duration
	slots    chan struct{}
	inflight sync.WaitGroup

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	metrics *deliveryMetrics
	// aborted ends the deliveries in flight (Shutdown past its deadline).
	aborted context.Context
	abort   context.CancelFunc
}

// target is a trigger resolved for delivery.
type target struct {
	cfg     *Trigger
	url     string
	headers http.Header
	// secret holds the names of headers whose value came from the
	// environment: they are left out of the invocation logs.
	secret  map[string]bool
	handler Handler
	timeout time.Duration
	// cleanup is when cleanup_config runs; nil without one, or paused.
	cleanup cron.Schedule
}

// New resolves cfg's triggers (webhooks and header values from the
// environment, Go handlers) and returns a Service that is not yet
// running. The pool's transactions must be read committed (Postgres's
// default): claiming relies on it. The error names the trigger and the
// variable that is missing.
func New(pool *pgxpool.Pool, cfg *Config, o Options) (*Service, error) {
	if o.PoolSize <= 0 {
		o.PoolSize = DefaultPoolSize
	}
	if o.FetchInterval <= 0 {
		o.FetchInterval = DefaultFetchInterval
	}
	if o.FetchBatchSize <= 0 {
		o.FetchBatchSize = DefaultFetchBatchSize
	}
	if o.LeaseMargin <= 0 {
		o.LeaseMargin = DefaultLeaseMargin
	}
	if o.LookupEnv == nil {
		o.LookupEnv = func(string) (string, bool) { return "", false }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		// Keep a connection per delivery slot: the default keeps 2 per host,
		// and a busy webhook would get a new connection per event.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = o.PoolSize
		o.Client = &http.Client{Transport: tr}
	}
	if o.UserAgent == "" {
		o.UserAgent = "hasgen"
	}
	s := &Service{pool: pool, opts: o, triggers: map[string]*target{}, slots: make(chan struct{}, o.PoolSize)}
	s.aborted, s.abort = context.WithCancel(context.Background())
	if cfg == nil {
		cfg = &Config{}
	}
	var errs []error
	maxTimeout := time.Duration(0)
	for i := range cfg.Triggers {
		t, err := s.resolve(&cfg.Triggers[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if t.timeout > maxTimeout {
			maxTimeout = t.timeout
		}
		s.triggers[t.cfg.Name] = t
		s.names = append(s.names, t.cfg.Name)
	}
	for name := range o.Handlers {
		if s.triggers[name] == nil && !hasTrigger(cfg, name) {
			errs = append(errs, fmt.Errorf("event handler %q: no event trigger has that name", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Strings(s.names)
	s.lease = maxTimeout + o.LeaseMargin
	var err error
	if s.metrics, err = newDeliveryMetrics(o.Registerer, s.names); err != nil {
		return nil, fmt.Errorf("event trigger metrics: %w", err)
	}
	return s, nil
}

func hasTrigger(cfg *Config, name string) bool {
	for _, t := range cfg.Triggers {
		if t.Name == name {
			return true
		}
	}
	return false
}

// envRef is a {{VAR}} reference in a webhook URL.
var envRef = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// resolve prepares one trigger for delivery.
func (s *Service) resolve(tc *Trigger) (*target, error) {
	if s.triggers[tc.Name] != nil {
		return nil, fmt.Errorf("event trigger %q: declared twice", tc.Name)
	}
	t := &target{cfg: tc, handler: s.opts.Handlers[tc.Name], timeout: time.Duration(tc.Retry.TimeoutSec) * time.Second}
	if t.timeout <= 0 {
		t.timeout = 60 * time.Second
	}
	if c := tc.Cleanup; c != nil && !c.Paused {
		// Hasura's defaults, for a config written without them.
		if c.BatchSize <= 0 {
			c.BatchSize = 10000
		}
		if c.Timeout <= 0 {
			c.Timeout = 60
		}
		sched, err := cron.ParseStandard(c.Schedule)
		if err != nil {
			return nil, fmt.Errorf("event trigger %q: cleanup_config.schedule %q: %w", tc.Name, c.Schedule, err)
		}
		t.cleanup = sched
	}
	if t.handler != nil {
		// A Go handler replaces the webhook, its headers and transform.
		return t, nil
	}
	t.url = tc.Webhook
	if tc.WebhookFromEnv != "" {
		v, ok := s.opts.LookupEnv(tc.WebhookFromEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("event trigger %q: webhook_from_env: environment variable %s is not set", tc.Name, tc.WebhookFromEnv)
		}
		t.url = v
	}
	if t.url == "" {
		return nil, fmt.Errorf("event trigger %q: no webhook and no Go handler", tc.Name)
	}
	// Hasura's webhook templates: {{VAR}} is the variable's value.
	var missing []string
	t.url = envRef.ReplaceAllStringFunc(t.url, func(m string) string {
		name := envRef.FindStringSubmatch(m)[1]
		v, ok := s.opts.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("event trigger %q: webhook %q: environment variable %s is not set", tc.Name, tc.Webhook, missing[0])
	}
	if len(tc.RequestTransform) > 0 && string(tc.RequestTransform) != "null" && s.opts.Transform == nil {
		return nil, fmt.Errorf("event trigger %q: request_transform is not supported by this server", tc.Name)
	}
	t.headers = http.Header{}
	t.secret = map[string]bool{}
	for _, h := range tc.Headers {
		v := h.Value
		if h.ValueFromEnv != "" {
			var ok bool
			if v, ok = s.opts.LookupEnv(h.ValueFromEnv); !ok {
				return nil, fmt.Errorf("event trigger %q: header %s: environment variable %s is not set", tc.Name, h.Name, h.ValueFromEnv)
			}
			t.secret[http.CanonicalHeaderKey(h.Name)] = true
		}
		t.headers.Add(h.Name, v)
	}
	return t, nil
}

// Triggers returns the names of the triggers the Service delivers, sorted.
func (s *Service) Triggers() []string { return s.names }

// Lease is how long a claimed event stays with its instance.
func (s *Service) Lease() time.Duration { return s.lease }

// Start runs the Service in the background until Close.
func (s *Service) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		s.Run(ctx)
	}()
}

// Close stops claiming events and waits for the deliveries in flight to
// be recorded (each is bounded by its trigger's timeout). It is safe to
// call more than once, and without Start.
func (s *Service) Close() {
	s.Shutdown(context.Background())
	s.inflight.Wait()
}

// Shutdown stops claiming events and waits for the deliveries in flight
// to be recorded, until ctx is done: then they are cut off and their
// events unlocked, without counting a try, for another instance to
// deliver at once (as Hasura unlocks its events at shutdown), and
// Shutdown returns ctx's error once they are. Safe to call more than
// once, and without Start.
func (s *Service) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.abort()
		<-done
		return ctx.Err()
	}
}

// Run claims and delivers events until ctx is done, then waits for the
// deliveries in flight; they are not cancelled with ctx, so that each
// try is recorded. Errors of the database are logged and retried after
// FetchInterval.
func (s *Service) Run(ctx context.Context) {
	if len(s.names) == 0 {
		<-ctx.Done()
		return
	}
	// The deliveries outlive ctx (each try is recorded) unless Shutdown
	// aborts them; recording outlives both.
	record := context.WithoutCancel(ctx)
	work, cancelWork := context.WithCancel(record)
	defer cancelWork()
	defer context.AfterFunc(s.aborted, cancelWork)()
	records := make(chan *pendingRecord)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		s.recordLoop(record, records)
	}()
	cleaned := make(chan struct{})
	go func() {
		defer close(cleaned)
		s.cleanupLoop(ctx)
	}()
	defer func() {
		<-cleaned
		s.inflight.Wait()
		close(records)
		<-recorded
	}()
	for {
		// One free slot at least, then as many more as are free now, up to
		// a batch: events are claimed only when they can start at once, so
		// that the lease runs during their delivery only.
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < s.opts.FetchBatchSize {
			select {
			case s.slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		// The claim runs to its end even if ctx ends meanwhile: a claim
		// cut off after its commit would hold events until the lease ends.
		fetchStart := time.Now()
		evs, err := s.claim(record, n)
		s.metrics.fetch.Observe(time.Since(fetchStart).Seconds())
		if err != nil {
			s.opts.Logger.Error("event triggers: fetching events", "error", err)
		}
		for range n - len(evs) {
			<-s.slots
		}
		for _, e := range evs {
			s.inflight.Add(1)
			go func() {
				defer s.inflight.Done()
				defer func() { <-s.slots }()
				s.deliver(work, record, e, records)
			}()
		}
		if len(evs) < n {
			select {
			case <-time.After(s.opts.FetchInterval):
			case <-ctx.Done():
				return
			}
		}
	}
}

// claimed is an event this instance holds.
type claimed struct {
	id, schema, table, trigger string
	payload                    []byte
	tries                      int
	createdAt                  time.Time
	locked                     time.Time
}

// claimSQL takes up to $2 due events of the triggers $1: not delivered,
// not dead, not archived, not held by a live lease ($3 seconds), due for
// retry. SKIP LOCKED lets concurrent instances take disjoint batches.
const claimSQL = `UPDATE hdb_catalog.event_log SET locked = now()
WHERE id IN (
  SELECT id FROM hdb_catalog.event_log
  WHERE delivered = 'f' AND error = 'f' AND archived = 'f'
    AND (locked IS NULL OR locked < now() - make_interval(secs => $3))
    AND (next_retry_at IS NULL OR next_retry_at <= now())
    AND trigger_name = ANY($1)
  ORDER BY created_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED)
RETURNING id, schema_name, table_name, trigger_name, payload::text, tries, created_at, locked`

func (s *Service) claim(ctx context.Context, n int) ([]*claimed, error) {
	rows, err := s.pool.Query(ctx, claimSQL, s.names, n, s.lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*claimed, error) {
		var c claimed
		var payload string
		var created *time.Time
		err := r.Scan(&c.id, &c.schema, &c.table, &c.trigger, &payload, &c.tries, &created, &c.locked)
		c.payload = []byte(payload)
		if created != nil {
			c.createdAt = *created
		}
		return &c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	// The batch may come back in any order; deliver the oldest first.
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].createdAt.Before(evs[j].createdAt) })
	return evs, nil
}

// webhookPayload is Hasura's event payload, its keys in Hasura's order.
type webhookPayload struct {
	ID           string          `json:"id"`
	Table        TableRef        `json:"table"`
	Trigger      TriggerRef      `json:"trigger"`
	Event        json.RawMessage `json:"event"`
	DeliveryInfo struct {
		CurrentRetry int `json:"current_retry"`
		MaxRetries   int `json:"max_retries"`
	} `json:"delivery_info"`
	CreatedAt string `json:"created_at"`
}

// payload returns the body a webhook receives for the event: Hasura's
// shape, with event (op, data, session_variables, trace_context) as the
// trigger stored it.
func payload(c *claimed, t *Trigger) []byte {
	p := webhookPayload{ID: c.id, Table: TableRef{Schema: c.schema, Name: c.table}, Trigger: TriggerRef{Name: c.trigger}, Event: c.payload, CreatedAt: localTime(c.createdAt)}
	p.DeliveryInfo.CurrentRetry = c.tries
	p.DeliveryInfo.MaxRetries = t.Retry.NumRetries
	b, _ := json.Marshal(p)
	return b
}

// localTime formats a timestamp (without time zone) as Hasura's JSON
// encoder does: no zone, and the fraction of a second in groups of three
// digits, none when it is zero.
func localTime(t time.Time) string {
	s := t.Format("2006-01-02T15:04:05")
	us := t.Nanosecond() / 1000
	switch {
	case us == 0:
	case us%1000 == 0:
		s += fmt.Sprintf(".%03d", us/1000)
	default:
		s += fmt.Sprintf(".%06d", us)
	}
	return s
}

// deliver makes one try of an event and records it.
func (s *Service) deliver(ctx, record context.Context, c *claimed, records chan<- *pendingRecord) {
	t := s.triggers[c.trigger]
	body := payload(c, t.cfg)
	if c.tries == 0 && !c.createdAt.IsZero() {
		s.metrics.queue.Observe(time.Since(c.createdAt).Seconds())
	}
	s.metrics.inFlight.Inc()
	start := time.Now()
	var res *delivery.Result
	if t.handler != nil {
		res = s.runHandler(ctx, t, body)
	} else {
		req := delivery.Request{URL: t.url, Headers: t.headers.Clone(), Body: body, Timeout: t.timeout}
		req.Headers.Set("Content-Type", "application/json")
		req.Headers.Set("User-Agent", s.opts.UserAgent)
		if len(t.cfg.RequestTransform) > 0 && string(t.cfg.RequestTransform) != "null" {
			if err := s.opts.Transform(t.cfg, &req, body); err != nil {
				// As Hasura: a transform that fails will fail again; the
				// event is dead, with no invocation.
				s.opts.Logger.Error("event trigger: request transform failed", "trigger", c.trigger, "event_id", c.id, "error", err)
				s.metrics.inFlight.Dec()
				s.metrics.processed.WithLabelValues(c.trigger, "failed").Inc()
				s.fail(record, c)
				return
			}
		}
		res = delivery.Send(ctx, s.opts.Client, req)
	}
	s.metrics.inFlight.Dec()
	s.metrics.webhook.Observe(time.Since(start).Seconds())
	if ctx.Err() != nil {
		// Cut off by Shutdown: not a try of the event; another instance
		// takes it now rather than after the lease.
		if _, err := s.pool.Exec(record, "UPDATE hdb_catalog.event_log SET locked = NULL WHERE id = $1 AND locked = $2", c.id, c.locked); err != nil {
			s.opts.Logger.Error("event trigger: unlocking an event at shutdown", "trigger", c.trigger, "event_id", c.id, "error", err)
		}
		return
	}
	if !res.OK() {
		s.opts.Logger.Warn("event trigger: delivery failed", "trigger", c.trigger, "event_id", c.id, "status", res.Status, "error", res.Err, "try", c.tries+1)
	}
	if err := s.record(c, t, body, res, records); err != nil {
		s.opts.Logger.Error("event trigger: recording a delivery", "trigger", c.trigger, "event_id", c.id, "error", err)
	}
}

// runHandler calls a Go handler as one try: an error or a panic fails it.
func (s *Service) runHandler(ctx context.Context, t *target, body []byte) (res *delivery.Result) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			res = &delivery.Result{Err: fmt.Errorf("event handler panicked: %v", p)}
		}
	}()
	e := &Event{}
	if err := json.Unmarshal(body, e); err != nil {
		return &delivery.Result{Err: fmt.Errorf("decode event: %w", err)}
	}
	e.Payload = body
	if err := t.handler(ctx, e); err != nil {
		return &delivery.Result{Err: err}
	}
	return &delivery.Result{Status: http.StatusOK}
}

// recordSQL logs one try ($1 event, $2 trigger, $3 status, $4 request,
// $5 response) and sets the event's state: delivered ($6), dead ($7), or
// due again in $8 seconds. The lease is checked ($9, the claim's time):
// an event that another instance took after the lease passed is left to
// it.
const recordSQL = `WITH invocation AS (
  INSERT INTO hdb_catalog.event_invocation_logs (event_id, trigger_name, status, request, response)
  VALUES ($1, $2, $3, $4, $5))
UPDATE hdb_catalog.event_log SET
  tries = tries + 1, locked = NULL, delivered = $6, error = $7,
  next_retry_at = CASE WHEN $8::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $8::float8) END
WHERE id = $1 AND locked = $9`

// record stores one try and its outcome, by Hasura's rules: a 2xx is
// delivered; else the event is retried after interval_sec (or the
// webhook's Retry-After) while tries remain — or, as Hasura does, as long
// as the webhook sends Retry-After — and is dead otherwise.
func (s *Service) record(c *claimed, t *target, body []byte, res *delivery.Result, records chan<- *pendingRecord) error {
	// As Hasura logs a try: the event's payload (before any transform)
	// with the headers a webhook gets but for the transform's and those
	// from the environment, and a client_error holding the body of an
	// answer that is not a 2xx.
	logged := delivery.Request{Body: body, Headers: http.Header{}}
	if t.handler == nil {
		for name, vs := range t.headers {
			if !t.secret[name] {
				logged.Headers[name] = vs
			}
		}
		logged.Headers.Set("Content-Type", "application/json")
		logged.Headers.Set("User-Agent", s.opts.UserAgent)
	}
	response := res
	if res.Status != 0 && !res.OK() {
		response = &delivery.Result{Err: errors.New(string(res.Body))}
	}
	var status *int
	if res.Status != 0 {
		status = &res.Status
	}
	delivered, dead := res.OK(), false
	var retryIn *float64
	if !delivered {
		if c.tries >= t.cfg.Retry.NumRetries && res.RetryAfter == 0 {
			dead = true
		} else {
			d := time.Duration(t.cfg.Retry.IntervalSec) * time.Second
			if res.RetryAfter > 0 {
				d = res.RetryAfter
			}
			secs := d.Seconds()
			retryIn = &secs
		}
	}
	r := &pendingRecord{args: []any{c.id, c.trigger, status, delivery.RequestLog(logged), delivery.ResponseLog(response), delivered, dead, retryIn, c.locked}, done: make(chan error, 1)}
	records <- r
	if err := <-r.done; err != nil {
		return fmt.Errorf("record event %s: %w", c.id, err)
	}
	outcome := "success"
	if !delivered {
		outcome = "failed"
	}
	s.metrics.invocations.WithLabelValues(c.trigger, outcome).Inc()
	if delivered || dead {
		s.metrics.processed.WithLabelValues(c.trigger, outcome).Inc()
	}
	return nil
}

// pendingRecord is a try waiting to be recorded (recordSQL's arguments).
type pendingRecord struct {
	args []any
	done chan error
}

// maxRecordBatch bounds the tries recorded in one round trip.
const maxRecordBatch = 200

// recordLoop records the tries sent on records until it is closed: all
// that are waiting go in one round trip (a pipelined batch), so that the
// database is not the bottleneck of many short deliveries.
func (s *Service) recordLoop(ctx context.Context, records <-chan *pendingRecord) {
	for r := range records {
		batch := []*pendingRecord{r}
	more:
		for len(batch) < maxRecordBatch {
			select {
			case r, ok := <-records:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.flush(ctx, batch)
	}
}

// flush runs a batch of records. A batch runs in one implicit
// transaction: when it fails, each record is run on its own, so that one
// bad record does not fail the others.
func (s *Service) flush(ctx context.Context, batch []*pendingRecord) {
	if len(batch) > 1 {
		b := &pgx.Batch{}
		for _, r := range batch {
			b.Queue(recordSQL, r.args...)
		}
		if err := s.pool.SendBatch(ctx, b).Close(); err == nil {
			for _, r := range batch {
				r.done <- nil
			}
			return
		}
	}
	for _, r := range batch {
		_, err := s.pool.Exec(ctx, recordSQL, r.args...)
		r.done <- err
	}
}

// fail marks an event dead without a try.
func (s *Service) fail(ctx context.Context, c *claimed) {
	_, err := s.pool.Exec(ctx, `UPDATE hdb_catalog.event_log SET error = 't', locked = NULL, next_retry_at = NULL WHERE id = $1 AND locked = $2`, c.id, c.locked)
	if err != nil {
		s.opts.Logger.Error("event trigger: recording a failed event", "trigger", c.trigger, "event_id", c.id, "error", err)
	}
}

// cleanupLoop runs the triggers' cleanup_config on their schedules until
// ctx is done. Occurrences missed while no instance ran are not made up:
// the next one deletes everything old enough.
func (s *Service) cleanupLoop(ctx context.Context) {
	next := map[string]time.Time{}
	now := time.Now()
	for _, name := range s.names {
		if t := s.triggers[name]; t.cleanup != nil {
			next[name] = t.cleanup.Next(now)
		}
	}
	if len(next) == 0 {
		return
	}
	for {
		var first time.Time
		for _, at := range next {
			if first.IsZero() || at.Before(first) {
				first = at
			}
		}
		select {
		case <-time.After(time.Until(first)):
		case <-ctx.Done():
			return
		}
		for _, name := range s.names {
			at, ok := next[name]
			if !ok || time.Now().Before(at) {
				continue
			}
			if _, err := s.cleanup(ctx, name, at); err != nil && ctx.Err() == nil {
				s.opts.Logger.Error("event trigger: cleanup failed", "trigger", name, "scheduled_at", at, "error", err)
			}
			next[name] = s.triggers[name].cleanup.Next(at)
		}
	}
}

// CleanupStats counts what one cleanup deleted.
type CleanupStats struct {
	EventLogs, InvocationLogs int
}

// cleanupBatchSQL deletes one batch ($3) of a trigger's ($1) delivered
// and dead events older than $2 hours and not held, and their invocation
// logs when $4: Hasura's cleanup, in one statement.
const cleanupBatchSQL = `WITH dead AS (
  SELECT id FROM hdb_catalog.event_log
  WHERE (delivered OR error) AND trigger_name = $1
    AND created_at < now() - make_interval(hours => $2) AND locked IS NULL
  LIMIT $3
  FOR UPDATE SKIP LOCKED),
invocations AS (
  DELETE FROM hdb_catalog.event_invocation_logs WHERE $4 AND event_id IN (SELECT id FROM dead) RETURNING 1),
events AS (
  DELETE FROM hdb_catalog.event_log WHERE id IN (SELECT id FROM dead) RETURNING 1)
SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM invocations)`

// cleanup runs a trigger's cleanup_config for the occurrence at, once
// across instances: the instance that records the occurrence in
// hdb_catalog.hdb_event_log_cleanups (unique by trigger and time) runs
// it, batch after batch, each under the configured timeout, and marks it
// completed with its counts (or dead on an error). Another instance
// finds the row and returns nil stats.
func (s *Service) cleanup(ctx context.Context, name string, at time.Time) (*CleanupStats, error) {
	c := s.triggers[name].cfg.Cleanup
	var id string
	err := s.pool.QueryRow(ctx, `INSERT INTO hdb_catalog.hdb_event_log_cleanups (trigger_name, scheduled_at, status)
		VALUES ($1, $2, 'scheduled') ON CONFLICT (trigger_name, scheduled_at) DO NOTHING RETURNING id`, name, at.UTC()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schedule cleanup: %w", err)
	}
	stats := &CleanupStats{}
	for {
		var events, invocations int
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true)", strconv.Itoa(c.Timeout*1000)); err != nil {
				return err
			}
			return tx.QueryRow(ctx, cleanupBatchSQL, name, c.ClearOlderThan, c.BatchSize, c.CleanInvocationLogs).Scan(&events, &invocations)
		})
		if err != nil {
			break
		}
		stats.EventLogs += events
		stats.InvocationLogs += invocations
		if events < c.BatchSize {
			break
		}
	}
	status := "completed"
	if err != nil {
		status = "dead"
	}
	if _, uerr := s.pool.Exec(ctx, `UPDATE hdb_catalog.hdb_event_log_cleanups SET status = $2,
		deleted_event_logs = $3, deleted_event_invocation_logs = $4 WHERE id = $1`, id, status, stats.EventLogs, stats.InvocationLogs); uerr != nil && err == nil {
		err = uerr
	}
	if err != nil {
		return stats, fmt.Errorf("cleanup of %q: %w", name, err)
	}
	return stats, nil
}
