// Package metrics holds a server's Prometheus metrics, served on
// /metrics. Each server has its own registry (no package-level state):
// websocket connections, the subscription poller (subscribers, groups,
// cohorts, poll durations, statements, rows streamed, errors), HTTP
// requests, the connection pool, and the Go and process collectors (CPU
// seconds, resident memory). The transports and the poller update the
// exported metrics directly.
package metrics

import (
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Kinds, the "kind" label of the subscription and error metrics.
const (
	KindLive      = "live"
	KindStream    = "stream"
	KindWebsocket = "websocket"
)

// Metrics holds a server's Prometheus metrics. Its methods are safe for
// concurrent use. A nil *Metrics is not valid; New makes one.
type Metrics struct {
	// Registry holds every metric below; Handler serves it.
	Registry *prometheus.Registry

	// The metrics, named as on /metrics without the hasgen_ prefix; the
	// Kind constants label subscribers, poll and error metrics.
	WSConnections  prometheus.Gauge
	Subscribers    *prometheus.GaugeVec
	LiveGroups     prometheus.Gauge
	LiveCohorts    prometheus.Gauge
	StreamGroups   prometheus.Gauge
	PollDuration   *prometheus.HistogramVec
	PollStatements *prometheus.CounterVec
	PollsSkipped   *prometheus.CounterVec
	StreamRows     prometheus.Counter
	MessagesSent   prometheus.Counter
	Errors         *prometheus.CounterVec
	HintsUp        prometheus.Gauge
	HTTPRequests   prometheus.Counter
	HTTPDuration   prometheus.Histogram
}

// New creates a registry with hasgen's metrics, Go's and the
// process's collectors and, when pool is not nil, the pool's statistics.
func New(pool *pgxpool.Pool) *Metrics {
	reg := prometheus.NewRegistry()
	f := promauto.With(reg)
	kind := []string{"kind"}
	m := &Metrics{
		Registry:       reg,
		WSConnections:  f.NewGauge(prometheus.GaugeOpts{Name: "hasgen_websocket_connections", Help: "Open websocket connections on /v1/graphql."}),
		Subscribers:    f.NewGaugeVec(prometheus.GaugeOpts{Name: "hasgen_subscribers", Help: "Active subscriptions, by kind (live query or stream)."}, kind),
		LiveGroups:     f.NewGauge(prometheus.GaugeOpts{Name: "hasgen_live_groups", Help: "Live-query groups: subscriptions sharing one SQL statement."}),
		LiveCohorts:    f.NewGauge(prometheus.GaugeOpts{Name: "hasgen_live_cohorts", Help: "Live-query cohorts: subscribers of a group with the same variable and session-variable values, computed once."}),
		StreamGroups:   f.NewGauge(prometheus.GaugeOpts{Name: "hasgen_stream_groups", Help: "Streaming-subscription groups: subscriptions sharing one SQL statement."}),
		PollDuration:   f.NewHistogramVec(prometheus.HistogramOpts{Name: "hasgen_poll_duration_seconds", Help: "Time to run one multiplexed poll statement and fan its results out, by kind.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, kind),
		PollStatements: f.NewCounterVec(prometheus.CounterOpts{Name: "hasgen_poll_statements_total", Help: "Multiplexed poll statements run, by kind."}, kind),
		PollsSkipped:   f.NewCounterVec(prometheus.CounterOpts{Name: "hasgen_polls_skipped_total", Help: "Polls skipped because change hints said none of the tables read changed, by kind."}, kind),
		StreamRows:     f.NewCounter(prometheus.CounterOpts{Name: "hasgen_stream_rows_total", Help: "Rows sent to streaming subscribers."}),
		MessagesSent:   f.NewCounter(prometheus.CounterOpts{Name: "hasgen_websocket_messages_sent_total", Help: "Messages written to websocket clients."}),
		Errors:         f.NewCounterVec(prometheus.CounterOpts{Name: "hasgen_subscription_errors_total", Help: "Errors: failed poll statements and errors sent to subscribers (live, stream), websocket protocol errors (websocket)."}, kind),
		HintsUp:        f.NewGauge(prometheus.GaugeOpts{Name: "hasgen_change_hints_up", Help: "1 while the change-hints listener is connected and listening, else 0."}),
		HTTPRequests:   f.NewCounter(prometheus.CounterOpts{Name: "hasgen_http_requests_total", Help: "GraphQL requests over HTTP POST."}),
		HTTPDuration:   f.NewHistogram(prometheus.HistogramOpts{Name: "hasgen_http_request_duration_seconds", Help: "Time to answer a GraphQL request over HTTP POST.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}),
	}
	reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsGC)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every label exists from the start, so that dashboards see zeros.
	for _, k := range []string{KindLive, KindStream} {
		m.Subscribers.WithLabelValues(k)
		m.PollStatements.WithLabelValues(k)
		m.PollsSkipped.WithLabelValues(k)
		m.Errors.WithLabelValues(k)
	}
	m.Errors.WithLabelValues(KindWebsocket)
	if pool != nil {
		stat := func(name, help string, v func(*pgxpool.Stat) int32) {
			f.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(v(pool.Stat())) })
		}
		stat("hasgen_pool_connections", "Open database connections in the pool.", (*pgxpool.Stat).TotalConns)
		stat("hasgen_pool_acquired_connections", "Pool connections in use.", (*pgxpool.Stat).AcquiredConns)
		stat("hasgen_pool_max_connections", "The pool's connection limit.", (*pgxpool.Stat).MaxConns)
	}
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// InstrumentHTTP counts the requests next serves and times them.
func (m *Metrics) InstrumentHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		m.HTTPRequests.Inc()
		m.HTTPDuration.Observe(time.Since(start).Seconds())
	})
}
