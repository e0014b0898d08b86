package actions

// Asynchronous actions, in Hasura's hdb_catalog.hdb_action_log: the
// mutation inserts a row (status 'created') and returns its id (Enqueue);
// a Worker claims created rows (status 'processing'), calls the handler
// with Hasura's payload and stores response_payload or errors (status
// 'completed' or 'error'); the query and subscription <action>(id:) read
// the row (Lookup). The table is Hasura's, column for column, so that the
// actions a Hasura deployment left pending are processed after a switch,
// and Hasura can take the database back.
//
// Claims are safe across instances: FOR UPDATE SKIP LOCKED, and a lease.
// Hasura never sets response_received_at before the answer, so while a row
// is 'processing' hasgen keeps there the time its instance claimed it. A
// row still 'processing' once the lease (the longest timeout of the
// asynchronous actions plus LeaseMargin) has passed belongs to an
// instance that died: another one takes it and calls the handler again
// (at least once). A row Hasura left 'processing' (it has no claim time)
// is taken once created_at is older than the lease. At shutdown the
// calls cut off are put back to 'created', as Hasura does. A handler's
// error is stored, never retried, as in Hasura.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/wire"
)

// LogSQL creates, when missing, Hasura's hdb_catalog.hdb_action_log with
// its definition, and an index hasgen's worker claims through (created
// and processing rows only, so that it stays small).
const LogSQL = events.UUIDFunctionSQL + `
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_action_log (
  id UUID PRIMARY KEY DEFAULT hdb_catalog.gen_hasura_uuid(),
  action_name TEXT,
  input_payload JSONB NOT NULL,
  request_headers JSONB NOT NULL,
  session_variables JSONB NOT NULL,
  response_payload JSONB NULL,
  errors JSONB NULL,
  created_at timestamptz NOT NULL default now(),
  response_received_at timestamptz NULL,
  status text NOT NULL,
  CHECK (status IN ('created', 'processing', 'completed', 'error'))
);
CREATE INDEX IF NOT EXISTS hasgen_action_log_pending ON hdb_catalog.hdb_action_log (created_at)
  WHERE status IN ('created', 'processing');
`

// Install creates the action log (LogSQL) in one transaction under the
// advisory lock every hasgen piece that creates hdb_catalog objects
// holds (events.CatalogLockKey), unless the table and the index exist
// already. Safe from any number of instances at once.
func Install(ctx context.Context, pool *pgxpool.Pool) error {
	var installed bool
	err := pool.QueryRow(ctx, `SELECT to_regclass('hdb_catalog.hdb_action_log') IS NOT NULL
  AND to_regclass('hdb_catalog.hasgen_action_log_pending') IS NOT NULL`).Scan(&installed)
	if err == nil && installed {
		return nil
	}
	if err == nil {
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, events.CatalogLockKey); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, LogSQL)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("install the asynchronous actions' log (hdb_catalog.hdb_action_log): %w", err)
	}
	return nil
}

// Async reports whether name is an asynchronous action of the service.
func (s *Service) Async(name string) bool {
	if s == nil {
		return false
	}
	a := s.actions[name]
	return a != nil && a.Async
}

// AsyncNames returns the names of the asynchronous actions, sorted.
func (s *Service) AsyncNames() []string {
	if s == nil {
		return nil
	}
	var out []string
	for n, a := range s.actions {
		if a.Async {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Querier is what the log is read and written on: a pool, a connection
// or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Enqueue inserts a call of an asynchronous action in the log (status
// 'created') and returns its id. The session variables are stored as
// Hasura stores them (the query compares them), the client's headers
// (ClientHeaders(ctx)) only when the action forwards them, as a JSON
// object. The worker of the service, if any, is woken.
func (s *Service) Enqueue(ctx context.Context, db Querier, c Call) (string, error) {
	a := s.actions[c.Name]
	if a == nil || !a.Async {
		return "", &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: fmt.Sprintf("action %q is not asynchronous", c.Name)}
	}
	input := c.Input
	if input == nil {
		input = map[string]any{}
	}
	session := c.Session
	if session == nil {
		session = map[string]string{}
	}
	headers := map[string]string{}
	if a.ForwardClientHeaders {
		h := http.Header{}
		forwardHeaders(h, ClientHeaders(ctx))
		for k, vs := range h {
			headers[k] = strings.Join(vs, ",")
		}
	}
	in, err1 := json.Marshal(input)
	sv, err2 := json.Marshal(session)
	hd, err3 := json.Marshal(headers)
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot encode the action's call", Err: err}
	}
	rows, err := db.Query(ctx, `INSERT INTO hdb_catalog.hdb_action_log
  (action_name, session_variables, request_headers, input_payload, status)
VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb, 'created') RETURNING id::text`, c.Name, string(sv), string(hd), string(in))
	if err != nil {
		return "", err
	}
	id, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	s.wake()
	return id, nil
}

// wake tells the service's worker that a call was enqueued.
func (s *Service) wake() {
	select {
	case s.enqueued <- struct{}{}:
	default:
	}
}

// LogEntry is what the query of an asynchronous action reads of a call.
type LogEntry struct {
	ID, Status string
	// CreatedAt is created_at as JSON (Postgres's rendering of a
	// timestamptz, as the tables' columns).
	CreatedAt json.RawMessage
	// Output is response_payload, Errors errors: nil while the call is
	// pending.
	Output, Errors json.RawMessage
}

// Lookup reads the call id of action name. As in Hasura, a call is seen
// by admin (session nil) or by a session whose variables are those of
// the session that made it (same role, same values); nil when there is no
// such call. An id that is not a UUID is Postgres's error.
func Lookup(ctx context.Context, db Querier, name, id string, session map[string]string) (*LogEntry, error) {
	var sv any
	if session != nil {
		b, err := json.Marshal(session)
		if err != nil {
			return nil, err
		}
		sv = string(b)
	}
	rows, err := db.Query(ctx, `SELECT id::text, status, to_json(created_at)::text, response_payload::text, errors::text
FROM hdb_catalog.hdb_action_log
WHERE id = $1::uuid AND action_name = $2 AND ($3::jsonb IS NULL OR session_variables = $3::jsonb)`, id, name, sv)
	if err != nil {
		return nil, err
	}
	e, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (*LogEntry, error) {
		var e LogEntry
		var created string
		var out, errs *string
		if err := r.Scan(&e.ID, &e.Status, &created, &out, &errs); err != nil {
			return nil, err
		}
		e.CreatedAt = json.RawMessage(created)
		if out != nil {
			e.Output = json.RawMessage(*out)
		}
		if errs != nil {
			// jsonb's text has spaces; Hasura's JSON has none.
			var b bytes.Buffer
			if err := json.Compact(&b, []byte(*errs)); err != nil {
				return nil, err
			}
			e.Errors = b.Bytes()
		}
		return &e, nil
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return e, err
}

// Statuses returns the statuses of the calls ids, by id; a call that is
// not in the log is left out. Subscriptions poll it, one statement for
// all of them.
func Statuses(ctx context.Context, db Querier, ids []string) (map[string]string, error) {
	rows, err := db.Query(ctx, `SELECT id::text, status FROM hdb_catalog.hdb_action_log WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var id, status string
	_, err = pgx.ForEachRow(rows, []any{&id, &status}, func() error {
		out[id] = status
		return nil
	})
	return out, err
}

// Defaults of WorkerOptions: Hasura's HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL
// and HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_BATCH_SIZE, and the lease margin
// of event triggers.
const (
	DefaultFetchInterval  = time.Second
	DefaultFetchBatchSize = 10
	DefaultLeaseMargin    = 30 * time.Second
)

// WorkerOptions configure a Worker; the zero value of a field is its
// default.
type WorkerOptions struct {
	// FetchInterval is the wait between two claims that found nothing
	// (another instance's calls are found then; this instance's wake the
	// worker at once).
	FetchInterval time.Duration
	// BatchSize bounds the calls claimed at once, and so the handler
	// calls in flight.
	BatchSize int
	// LeaseMargin is added to the longest timeout of the asynchronous
	// actions to make the lease.
	LeaseMargin time.Duration
	// Validate checks a handler's 2xx answer against the action's output
	// type (the engine's check of synchronous actions); an error is
	// stored as the call's errors. Nil accepts any JSON.
	Validate func(action string, raw []byte) error
	// Logger receives the worker's failures; nil discards them.
	Logger *slog.Logger
}

// Worker calls the handlers of the asynchronous actions logged in
// hdb_catalog.hdb_action_log. Any number of workers (in as many
// instances) may share one database.
type Worker struct {
	svc   *Service
	pool  *pgxpool.Pool
	opts  WorkerOptions
	names []string
	lease time.Duration
	slots chan struct{}

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	// aborted cuts off the calls in flight (Shutdown past its deadline).
	aborted context.Context
	abort   context.CancelFunc
}

// NewWorker returns the worker of the service's asynchronous actions on
// pool (read committed: claims rely on it), not yet running.
func (s *Service) NewWorker(pool *pgxpool.Pool, o WorkerOptions) *Worker {
	if o.FetchInterval <= 0 {
		o.FetchInterval = DefaultFetchInterval
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultFetchBatchSize
	}
	if o.LeaseMargin <= 0 {
		o.LeaseMargin = DefaultLeaseMargin
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Worker{svc: s, pool: pool, opts: o, names: s.AsyncNames(), slots: make(chan struct{}, o.BatchSize)}
	longest := 0
	for _, n := range w.names {
		longest = max(longest, s.actions[n].TimeoutSec)
	}
	w.lease = time.Duration(longest)*time.Second + o.LeaseMargin
	w.aborted, w.abort = context.WithCancel(context.Background())
	return w
}

// Lease is how long a claimed call stays with its worker.
func (w *Worker) Lease() time.Duration { return w.lease }

// Start runs the worker in the background until Shutdown or Close.
func (w *Worker) Start(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done != nil {
		return
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		w.Run(ctx)
	}()
}

// Shutdown stops claiming and waits for the calls in flight to be
// stored, until ctx is done: then they are cut off and put back to
// 'created' for another instance, and ctx's error is returned once they
// are. Safe to call more than once, and without Start.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		w.abort()
		<-done
		return ctx.Err()
	}
}

// Close stops claiming and waits for the calls in flight (each bounded by
// its action's timeout).
func (w *Worker) Close() { w.Shutdown(context.Background()) }

// Run claims and processes calls until ctx is done, then waits for the
// calls in flight, which ctx does not cut off (their results are
// stored). Database errors are logged and retried after FetchInterval.
func (w *Worker) Run(ctx context.Context) {
	if len(w.names) == 0 {
		<-ctx.Done()
		return
	}
	record := context.WithoutCancel(ctx)
	work, cancelWork := context.WithCancel(record)
	defer cancelWork()
	defer context.AfterFunc(w.aborted, cancelWork)()
	var inflight sync.WaitGroup
	defer inflight.Wait()
	for {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < w.opts.BatchSize {
			select {
			case w.slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		calls, err := w.claim(record, n)
		if err != nil {
			w.opts.Logger.Error("asynchronous actions: claiming calls", "error", err)
		}
		for range n - len(calls) {
			<-w.slots
		}
		for _, c := range calls {
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				defer func() { <-w.slots }()
				w.process(work, record, c)
			}()
		}
		if len(calls) < n {
			select {
			case <-time.After(w.opts.FetchInterval):
			case <-w.svc.enqueued:
			case <-ctx.Done():
				return
			}
		}
	}
}

// claimedCall is a call this worker holds.
type claimedCall struct {
	id, action              string
	input, headers, session []byte
	// claimed is the claim's time, kept in response_received_at.
	claimed time.Time
}

// claimSQL takes up to $2 calls of the actions $1: created, or left
// processing by an instance whose lease ($3 seconds) has passed. SKIP
// LOCKED lets instances take disjoint batches; the lock's recheck sees a
// row another instance claimed meanwhile as processing with a fresh
// claim time, and skips it.
const claimSQL = `UPDATE hdb_catalog.hdb_action_log SET status = 'processing', response_received_at = now()
WHERE id IN (
  SELECT id FROM hdb_catalog.hdb_action_log
  WHERE status IN ('created', 'processing') AND action_name = ANY($1)
    AND (status = 'created' OR coalesce(response_received_at, created_at) < now() - make_interval(secs => $3))
  ORDER BY created_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED)
RETURNING id::text, action_name, input_payload::text, request_headers::text, session_variables::text, response_received_at`

func (w *Worker) claim(ctx context.Context, n int) ([]*claimedCall, error) {
	rows, err := w.pool.Query(ctx, claimSQL, w.names, n, w.lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claim asynchronous actions: %w", err)
	}
	calls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*claimedCall, error) {
		var c claimedCall
		var in, hd, sv string
		err := r.Scan(&c.id, &c.action, &in, &hd, &sv, &c.claimed)
		c.input, c.headers, c.session = []byte(in), []byte(hd), []byte(sv)
		return &c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim asynchronous actions: %w", err)
	}
	return calls, nil
}

// process calls the handler of one claimed call and stores the outcome.
func (w *Worker) process(ctx, record context.Context, c *claimedCall) {
	var call Call
	call.Name = c.action
	var headers map[string]any
	err := errors.Join(json.Unmarshal(c.input, &call.Input), json.Unmarshal(c.session, &call.Session), json.Unmarshal(c.headers, &headers))
	var out []byte
	if err != nil {
		err = &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "cannot read the logged call", Err: err}
	} else {
		h := http.Header{}
		for k, v := range headers {
			if s, ok := v.(string); ok {
				h.Set(k, s)
			}
		}
		out, err = w.svc.Do(WithHeaders(ctx, h), call)
		if err == nil && w.opts.Validate != nil {
			err = w.opts.Validate(c.action, out)
		}
	}
	if ctx.Err() != nil {
		// Cut off by Shutdown: back to created, for another instance.
		if _, err := w.pool.Exec(record, `UPDATE hdb_catalog.hdb_action_log SET status = 'created', response_received_at = NULL
WHERE id = $1 AND status = 'processing' AND response_received_at = $2`, c.id, c.claimed); err != nil {
			w.opts.Logger.Error("asynchronous action: releasing a call at shutdown", "action", c.action, "action_id", c.id, "error", err)
		}
		return
	}
	status := "completed"
	var payload, errs any
	if err != nil {
		status, errs = "error", string(StoredError(err))
		w.opts.Logger.Warn("asynchronous action: the handler failed", "action", c.action, "action_id", c.id, "error", err)
	} else {
		payload = string(out)
	}
	if _, err := w.pool.Exec(record, `UPDATE hdb_catalog.hdb_action_log
SET status = $3, response_payload = $4::jsonb, errors = $5::jsonb, response_received_at = now()
WHERE id = $1 AND status = 'processing' AND response_received_at = $2`, c.id, c.claimed, status, payload, errs); err != nil {
		w.opts.Logger.Error("asynchronous action: storing a result", "action", c.action, "action_id", c.id, "error", err)
	}
}

// StoredError is err as Hasura stores a call's errors: its error
// object {"path", "error", "code"}.
func StoredError(err error) []byte {
	we := wire.First(err)
	if we == nil {
		we = &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: err.Error()}
	}
	path := we.Path
	if path == "" {
		path = "$"
	}
	b, _ := json.Marshal(struct {
		Path  string `json:"path"`
		Error string `json:"error"`
		Code  string `json:"code"`
	}{path, we.Message, we.Code})
	return b
}
