package schedule

import (
	"github.com/prometheus/client_golang/prometheus"
)

// scheduleMetrics are a Scheduler's Prometheus metrics, after Hasura's
// (hasura_cron_events_* and hasura_oneoff_events_*), with hasgen's
// prefix: by kind, the tries and the events done with, each by status
// (success or failed).
type scheduleMetrics struct {
	invocations [2]*prometheus.CounterVec // by kind
	processed   [2]*prometheus.CounterVec
}

// newScheduleMetrics registers the metrics with r; with r nil they are
// kept but not exported. Both statuses exist from the start, so that
// dashboards see zeros.
func newScheduleMetrics(r prometheus.Registerer) (*scheduleMetrics, error) {
	m := &scheduleMetrics{}
	for k, name := range map[kind]string{cronKind: "cron", oneOffKind: "oneoff"} {
		m.invocations[k] = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hasgen_" + name + "_events_invocation_total",
			Help: "Tries of " + name + " events, by status (success: a 2xx; failed)."}, []string{"status"})
		m.processed[k] = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hasgen_" + name + "_events_processed_total",
			Help: "The " + name + " events done with, by status (success: delivered; failed: error or dead)."}, []string{"status"})
		for _, st := range []string{"success", "failed"} {
			m.invocations[k].WithLabelValues(st)
			m.processed[k].WithLabelValues(st)
		}
	}
	if r == nil {
		return m, nil
	}
	for k := range m.invocations {
		for _, c := range []prometheus.Collector{m.invocations[k], m.processed[k]} {
			if err := r.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// record counts one try and, when the event is done with, its end.
func (m *scheduleMetrics) record(k kind, tried bool, ok bool, status string) {
	label := func(ok bool) string {
		if ok {
			return "success"
		}
		return "failed"
	}
	if tried {
		m.invocations[k].WithLabelValues(label(ok)).Inc()
	}
	switch status {
	case statusDelivered:
		m.processed[k].WithLabelValues("success").Inc()
	case statusError, statusDead:
		m.processed[k].WithLabelValues("failed").Inc()
	}
}
