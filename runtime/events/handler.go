package events

import (
	"context"
	"encoding/json"
	"fmt"
)

// Event is what a trigger delivers: Hasura's webhook payload, the same
// bytes a webhook receives (Payload), decoded.
type Event struct {
	ID           string          `json:"id"`
	CreatedAt    string          `json:"created_at"`
	Trigger      TriggerRef      `json:"trigger"`
	Table        TableRef        `json:"table"`
	DeliveryInfo DeliveryInfo    `json:"delivery_info"`
	Event        Change          `json:"event"`
	Payload      json.RawMessage `json:"-"`
}

// TriggerRef names the trigger of an event.
type TriggerRef struct {
	Name string `json:"name"`
}

// TableRef names the table of an event.
type TableRef struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

// DeliveryInfo counts the tries of an event: CurrentRetry is 0 on the
// first.
type DeliveryInfo struct {
	MaxRetries   int `json:"max_retries"`
	CurrentRetry int `json:"current_retry"`
}

// Change is the change that caused an event: op is INSERT, UPDATE,
// DELETE or MANUAL; old and new are the row before and after, as JSON.
type Change struct {
	Op               string            `json:"op"`
	Data             Data              `json:"data"`
	SessionVariables map[string]string `json:"session_variables"`
	TraceContext     json.RawMessage   `json:"trace_context,omitempty"`
}

// Data holds the row before (Old) and after (New) the change; null where
// the operation has none.
type Data struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// Handler handles a trigger's events in Go instead of a webhook. An
// error (or a panic) is a failed try: the event is retried as a webhook's
// would be, by the trigger's retry_conf. Delivery is at least once: a
// handler may see an event again after a server died mid-delivery, and
// should be idempotent by Event.ID.
type Handler func(ctx context.Context, e *Event) error

// RowEvent is an Event whose rows are decoded into the table's generated
// row struct: Old and New are nil where the operation has none.
type RowEvent[Row any] struct {
	*Event
	Old *Row
	New *Row
}

// Typed adapts a handler of typed rows to a Handler.
func Typed[Row any](fn func(ctx context.Context, e *RowEvent[Row]) error) Handler {
	return func(ctx context.Context, e *Event) error {
		re := &RowEvent[Row]{Event: e}
		var err error
		if re.Old, err = decodeRow[Row](e.Event.Data.Old); err != nil {
			return fmt.Errorf("event %s: old row: %w", e.ID, err)
		}
		if re.New, err = decodeRow[Row](e.Event.Data.New); err != nil {
			return fmt.Errorf("event %s: new row: %w", e.ID, err)
		}
		return fn(ctx, re)
	}
}

func decodeRow[Row any](b json.RawMessage) (*Row, error) {
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	r := new(Row)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Op is one operation of Hasura's /v1/metadata API that the server serves
// at run time (pg_invoke_event_trigger, redeliver_event,
// create_scheduled_event, …): args is the request's "args"; the result is
// written as the response's JSON. A *wire.Error gives Hasura's error
// shape and code; any other error is an unexpected one.
type Op func(ctx context.Context, args json.RawMessage) (any, error)
