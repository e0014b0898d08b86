package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hasgen/hasgen/runtime/delivery"
	"github.com/hasgen/hasgen/runtime/events"
)

// kind is one of the two event tables.
type kind int

const (
	cronKind kind = iota
	oneOffKind
)

// table and logTable are the kind's event and invocation log tables.
func (k kind) table() string {
	if k == cronKind {
		return "hdb_catalog.hdb_cron_events"
	}
	return "hdb_catalog.hdb_scheduled_events"
}

func (k kind) logTable() string {
	if k == cronKind {
		return "hdb_catalog.hdb_cron_event_invocation_logs"
	}
	return "hdb_catalog.hdb_scheduled_event_invocation_logs"
}

// claimed is one event a round claimed.
type claimed struct {
	id            string
	name          string // the cron trigger; "" for a one-off event
	scheduledTime time.Time
	createdAt     time.Time
	tries         int

	// One-off events carry their configuration.
	webhookConf json.RawMessage
	retryConf   json.RawMessage
	payload     json.RawMessage
	headerConf  json.RawMessage
	comment     *string
}

// Status values of Hasura's scheduled events.
const (
	statusScheduled = "scheduled"
	statusLocked    = "locked"
	statusDelivered = "delivered"
	statusError     = "error"
	statusDead      = "dead"
)

// A due event is 'scheduled' with its retry time (or else its scheduled
// time) past, or 'locked' with its lease (next_retry_at) past: the
// instance that claimed it died. A 'locked' event without a lease was
// locked by Hasura itself, which releases such events when it starts; it
// is claimed too.
const (
	claimCronSQL = `UPDATE hdb_catalog.hdb_cron_events e
SET status = 'locked', next_retry_at = $2::timestamptz + make_interval(secs => t.timeout) + make_interval(secs => $5)
FROM unnest($1::text[], $4::int[]) AS t(name, timeout),
  (SELECT id FROM hdb_catalog.hdb_cron_events
   WHERE trigger_name = ANY($1)
     AND ((status = 'scheduled' AND coalesce(next_retry_at, scheduled_time) <= $2)
       OR (status = 'locked' AND (next_retry_at IS NULL OR next_retry_at <= $2)))
   ORDER BY scheduled_time
   LIMIT $3
   FOR UPDATE SKIP LOCKED) AS due
WHERE e.id = due.id AND e.trigger_name = t.name
RETURNING e.id, e.trigger_name, e.scheduled_time, coalesce(e.created_at, e.scheduled_time), e.tries`

	claimOneOffSQL = `UPDATE hdb_catalog.hdb_scheduled_events e
SET status = 'locked', next_retry_at = $1::timestamptz
  + make_interval(secs => coalesce((e.retry_conf->>'timeout_seconds')::float8, 60)) + make_interval(secs => $3)
FROM (SELECT id FROM hdb_catalog.hdb_scheduled_events
   WHERE (status = 'scheduled' AND coalesce(next_retry_at, scheduled_time) <= $1)
      OR (status = 'locked' AND (next_retry_at IS NULL OR next_retry_at <= $1))
   ORDER BY scheduled_time
   LIMIT $2
   FOR UPDATE SKIP LOCKED) AS due
WHERE e.id = due.id
RETURNING e.id, e.scheduled_time, coalesce(e.created_at, e.scheduled_time), e.tries,
  e.webhook_conf, e.retry_conf, e.payload, e.header_conf, e.comment`
)

// deliverRound claims due events of kind k and delivers them, all at
// once; it returns how many it claimed.
func (s *Scheduler) deliverRound(ctx context.Context, k kind) (int, error) {
	now := s.opts.Now().UTC()
	lim := s.claimLimit()
	margin := s.opts.LeaseMargin.Seconds()
	var rows pgx.Rows
	var err error
	if k == cronKind {
		timeouts := make([]int, len(s.names))
		for i, n := range s.names {
			timeouts[i] = s.crons[n].Retry.TimeoutSeconds
		}
		rows, err = s.pool.Query(ctx, claimCronSQL, s.names, now, lim, timeouts, margin)
	} else {
		rows, err = s.pool.Query(ctx, claimOneOffSQL, now, lim, margin)
	}
	if err != nil {
		return 0, fmt.Errorf("claim due events of %s: %w", k.table(), err)
	}
	var batch []*claimed
	for rows.Next() {
		e := &claimed{}
		if k == cronKind {
			err = rows.Scan(&e.id, &e.name, &e.scheduledTime, &e.createdAt, &e.tries)
		} else {
			err = rows.Scan(&e.id, &e.scheduledTime, &e.createdAt, &e.tries,
				&e.webhookConf, &e.retryConf, &e.payload, &e.headerConf, &e.comment)
		}
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("claim due events of %s: %w", k.table(), err)
		}
		batch = append(batch, e)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("claim due events of %s: %w", k.table(), err)
	}
	var wg sync.WaitGroup
	for _, e := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.process(ctx, k, e, now); err != nil {
				s.opts.Logger.Error("scheduled event", "table", k.table(), "event_id", e.id, "error", err)
			}
		}()
	}
	wg.Wait()
	return len(batch), nil
}

// target is what a delivery needs of an event's trigger.
type target struct {
	url       string
	headers   http.Header
	secret    []string
	retry     Retry
	payload   json.RawMessage
	comment   *string
	transform Transform
}

// process delivers one claimed event and records the outcome.
func (s *Scheduler) process(ctx context.Context, k kind, e *claimed, now time.Time) error {
	tg, confErr := s.target(k, e)
	if tg.retry == (Retry{}) {
		tg.retry = DefaultRetry
	}
	if now.Sub(e.scheduledTime) > time.Duration(tg.retry.ToleranceSeconds)*time.Second {
		s.metrics.record(k, false, false, statusDead)
		return s.finish(ctx, k, e.id, statusDead, nil)
	}
	var req delivery.Request
	var res *delivery.Result
	if confErr == nil {
		req, confErr = s.request(k, e, tg)
	}
	if confErr != nil {
		// A configuration that cannot be resolved (a missing variable)
		// is logged as a try that got no response.
		res = &delivery.Result{Err: confErr}
	} else {
		res = delivery.Send(ctx, s.opts.Client, req)
		if ctx.Err() != nil {
			// Interrupted by Close: release the event without a try.
			return s.release(ctx, k, e.id)
		}
	}
	status, retryAt := statusDelivered, (*time.Time)(nil)
	if !res.OK() {
		// Hasura retries while tries remain, and whenever the webhook
		// asked for it with Retry-After.
		if e.tries < tg.retry.NumRetries || res.RetryAfter > 0 {
			delay := time.Duration(tg.retry.RetryIntervalSeconds) * time.Second
			if res.RetryAfter > 0 {
				delay = res.RetryAfter
			}
			t := s.opts.Now().UTC().Add(delay)
			status, retryAt = statusScheduled, &t
		} else {
			status = statusError
		}
	}
	if !res.OK() {
		s.opts.Logger.Warn("scheduled event: delivery failed", "table", k.table(), "trigger", e.name, "event_id", e.id,
			"status", res.Status, "error", res.Err, "try", e.tries+1, "next", status)
	}
	var code *int
	if res.Status != 0 {
		code = &res.Status
	}
	logged := req
	if len(tg.secret) > 0 {
		logged.Headers = req.Headers.Clone()
		for _, name := range tg.secret {
			logged.Headers.Del(name)
		}
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := pgx.BeginFunc(wctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(wctx, `INSERT INTO `+k.logTable()+` (event_id, status, request, response) VALUES ($1, $2, $3, $4)`,
			e.id, code, delivery.RequestLog(logged), delivery.ResponseLog(res)); err != nil {
			return err
		}
		// Only the holder of the event moves it on: an instance whose
		// lease ended may find it delivered by another.
		_, err := tx.Exec(wctx, `UPDATE `+k.table()+` SET tries = tries + 1, status = $2, next_retry_at = $3
WHERE id = $1 AND status = 'locked'`, e.id, status, retryAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("record the try: %w", err)
	}
	s.metrics.record(k, true, res.OK(), status)
	return nil
}

// target resolves the trigger of a cron event, or the configuration a
// one-off event carries.
func (s *Scheduler) target(k kind, e *claimed) (target, error) {
	if k == cronKind {
		c := s.crons[e.name]
		return target{url: c.url, headers: c.headers, secret: c.secret, retry: c.Retry, payload: c.Payload, comment: nonEmpty(c.Comment), transform: c.transform}, nil
	}
	tg := target{payload: e.payload, comment: e.comment}
	if len(e.retryConf) > 0 && string(e.retryConf) != "null" {
		tg.retry = DefaultRetry
		if err := json.Unmarshal(e.retryConf, &tg.retry); err != nil {
			return tg, fmt.Errorf("retry_conf: %w", err)
		}
	}
	var err error
	if tg.url, err = webhookFromConf(e.webhookConf, s.opts.LookupEnv); err != nil {
		return tg, err
	}
	var hs []events.Header
	if len(e.headerConf) > 0 && string(e.headerConf) != "null" {
		if err := json.Unmarshal(e.headerConf, &hs); err != nil {
			return tg, fmt.Errorf("header_conf: %w", err)
		}
	}
	tg.headers, tg.secret, err = resolveHeaders(hs, s.opts.LookupEnv)
	return tg, err
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// webhookPayload is the body a scheduled event's webhook receives,
// Hasura's ScheduledEventWebhookPayload: name for a cron event only,
// created_at for a one-off event only, comment when there is one.
type webhookPayload struct {
	ID            string          `json:"id"`
	Name          string          `json:"name,omitempty"`
	ScheduledTime string          `json:"scheduled_time"`
	Payload       json.RawMessage `json:"payload"`
	Comment       *string         `json:"comment,omitempty"`
	CreatedAt     string          `json:"created_at,omitempty"`
}

// timeJSON writes a time as Hasura (aeson) does: UTC, 'Z', the fraction
// only when there is one.
func timeJSON(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// request builds the webhook request of an event.
func (s *Scheduler) request(k kind, e *claimed, tg target) (delivery.Request, error) {
	p := webhookPayload{ID: e.id, Name: e.name, ScheduledTime: timeJSON(e.scheduledTime), Payload: tg.payload, Comment: tg.comment}
	if len(p.Payload) == 0 {
		p.Payload = json.RawMessage("null")
	}
	if k == oneOffKind {
		p.CreatedAt = timeJSON(e.createdAt)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return delivery.Request{}, fmt.Errorf("payload: %w", err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {s.opts.UserAgent}}
	for k, vs := range tg.headers {
		h[k] = vs
	}
	req := delivery.Request{URL: tg.url, Headers: h, Body: body, Timeout: time.Duration(tg.retry.TimeoutSeconds) * time.Second}
	if tg.transform != nil {
		if err := tg.transform(&req); err != nil {
			return req, fmt.Errorf("request_transform: %w", err)
		}
	}
	return req, nil
}

// finish sets a claimed event's status without a try (dead, or released
// to 'scheduled'), even when ctx has just ended: else the event would stay
// locked until its lease ends.
func (s *Scheduler) finish(ctx context.Context, k kind, id, status string, retryAt *time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE `+k.table()+` SET status = $2, next_retry_at = $3 WHERE id = $1 AND status = 'locked'`, id, status, retryAt)
	if err != nil {
		return fmt.Errorf("mark %s: %w", status, err)
	}
	return nil
}

// release gives back an event whose delivery Close interrupted.
func (s *Scheduler) release(ctx context.Context, k kind, id string) error {
	return s.finish(ctx, k, id, statusScheduled, nil)
}

// envRef is a {{VAR}} reference in a webhook URL.
var envRef = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// resolveURL replaces every {{VAR}} of a webhook URL by the variable's
// value, as Hasura does.
func resolveURL(u string, lookup func(string) (string, bool)) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(u, func(m string) string {
		name := envRef.FindStringSubmatch(m)[1]
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("webhook %q: environment variable %s is not set", u, missing[0])
	}
	return out, nil
}

// resolveWebhook resolves a trigger's webhook or webhook_from_env.
func resolveWebhook(url, fromEnv string, lookup func(string) (string, bool)) (string, error) {
	if fromEnv != "" {
		v, ok := lookup(fromEnv)
		if !ok {
			return "", fmt.Errorf("webhook_from_env: environment variable %s is not set", fromEnv)
		}
		return v, nil
	}
	if url == "" {
		return "", errors.New("no webhook")
	}
	return resolveURL(url, lookup)
}

// webhookFromConf resolves a one-off event's webhook_conf: Hasura stores
// the URL as a JSON string, or {"from_env": "VAR"}.
func webhookFromConf(conf json.RawMessage, lookup func(string) (string, bool)) (string, error) {
	var url string
	if err := json.Unmarshal(conf, &url); err == nil {
		return resolveWebhook(url, "", lookup)
	}
	var env struct {
		FromEnv string `json:"from_env"`
	}
	if err := json.Unmarshal(conf, &env); err != nil || env.FromEnv == "" {
		return "", fmt.Errorf("webhook_conf %s: neither a URL nor {\"from_env\": ...}", conf)
	}
	return resolveWebhook("", env.FromEnv, lookup)
}

// resolveHeaders resolves header values and value_from_env; secret
// holds the names of the headers whose value came from the environment,
// which the invocation logs leave out.
func resolveHeaders(hs []events.Header, lookup func(string) (string, bool)) (h http.Header, secret []string, err error) {
	h = http.Header{}
	for _, x := range hs {
		v := x.Value
		if x.ValueFromEnv != "" {
			var ok bool
			if v, ok = lookup(x.ValueFromEnv); !ok {
				return nil, nil, fmt.Errorf("header %s: environment variable %s is not set", x.Name, x.ValueFromEnv)
			}
			secret = append(secret, x.Name)
		}
		h.Add(x.Name, v)
	}
	return h, secret, nil
}
