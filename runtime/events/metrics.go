package events

import (
	"github.com/prometheus/client_golang/prometheus"
)

// deliveryMetrics are a Service's Prometheus metrics, after Hasura's
// event trigger metrics (hasura_event_*), with hasgen's prefix.
type deliveryMetrics struct {
	inFlight    prometheus.Gauge
	queue       prometheus.Histogram
	webhook     prometheus.Histogram
	fetch       prometheus.Histogram
	invocations *prometheus.CounterVec
	processed   *prometheus.CounterVec
}

// newDeliveryMetrics registers the metrics with r; with r nil they are
// kept but not exported. Every trigger's labels exist from the start, so
// that dashboards see zeros.
func newDeliveryMetrics(r prometheus.Registerer, triggers []string) (*deliveryMetrics, error) {
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	m := &deliveryMetrics{
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hasgen_event_trigger_http_workers",
			Help: "Event deliveries in flight (webhook calls and Go handlers); at most HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE."}),
		queue: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hasgen_event_queue_time_seconds",
			Help: "Time from an event's creation to the start of its first try.", Buckets: latency}),
		webhook: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hasgen_event_webhook_processing_time_seconds",
			Help: "Time of one try: the webhook's answer or the Go handler's return.", Buckets: latency}),
		fetch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hasgen_event_fetch_time_per_batch_seconds",
			Help: "Time to claim one batch of events.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hasgen_event_invocations_total",
			Help: "Tries recorded, by trigger and status (success: a 2xx or a handler's nil; failed)."}, []string{"trigger_name", "status"}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hasgen_event_processed_total",
			Help: "Events done with, by trigger and status (success: delivered; failed: dead)."}, []string{"trigger_name", "status"}),
	}
	for _, t := range triggers {
		for _, st := range []string{"success", "failed"} {
			m.invocations.WithLabelValues(t, st)
			m.processed.WithLabelValues(t, st)
		}
	}
	if r == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.inFlight, m.queue, m.webhook, m.fetch, m.invocations, m.processed} {
		if err := r.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
