package transform

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/hasgen/hasgen/runtime/delivery"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/schedule"
)

// ForEventTriggers returns the hook events.Options.Transform takes. Each
// trigger's request_transform is parsed once and kept; $base_url is the
// resolved webhook and $session_variables the event's
// (event.session_variables of the payload), as in Hasura.
func ForEventTriggers() events.TransformFunc {
	var mu sync.Mutex
	type entry struct {
		raw  string
		spec *Spec
	}
	specs := map[string]entry{}
	return func(t *events.Trigger, req *delivery.Request, payload []byte) error {
		mu.Lock()
		e, ok := specs[t.Name]
		if !ok || e.raw != string(t.RequestTransform) {
			spec, err := Parse(t.RequestTransform)
			if err != nil {
				mu.Unlock()
				return fmt.Errorf("event trigger %q: %w", t.Name, err)
			}
			e = entry{raw: string(t.RequestTransform), spec: spec}
			specs[t.Name] = e
		}
		mu.Unlock()
		return e.spec.ApplyRequest(req, eventSession(payload))
	}
}

// ForCronTriggers is the hook schedule.Options.RequestTransform takes: a
// cron trigger's request_transform parsed once; scheduled events have no
// session ($session_variables is null).
func ForCronTriggers(raw json.RawMessage) (schedule.Transform, error) {
	spec, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return func(req *delivery.Request) error { return spec.ApplyRequest(req, nil) }, nil
}

// eventSession reads event.session_variables from an event payload; nil
// when there are none.
func eventSession(payload []byte) map[string]string {
	var p struct {
		Event struct {
			SessionVariables map[string]string `json:"session_variables"`
		} `json:"event"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil
	}
	return p.Event.SessionVariables
}
