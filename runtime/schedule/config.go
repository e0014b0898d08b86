// Package schedule delivers Hasura's scheduled triggers: the cron
// triggers of the metadata (cron_triggers.yaml) and one-off scheduled
// events created through /v1/metadata, stored in Hasura's hdb_catalog
// layout. Every server instance runs the scheduler; each occurrence is
// claimed with FOR UPDATE SKIP LOCKED and delivered once.
package schedule

import (
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/hasgen/hasgen/runtime/events"
)

// Config is what schema/events.jsonc declares for this package.
type Config struct {
	Crons []Cron `json:"cron_triggers,omitempty"`
}

// Cron is one cron trigger as cron_triggers.yaml declares it, with the
// environment references kept unresolved.
type Cron struct {
	Name           string          `json:"name"`
	Webhook        string          `json:"webhook,omitempty"`
	WebhookFromEnv string          `json:"webhook_from_env,omitempty"`
	Schedule       string          `json:"schedule"`
	Payload        json.RawMessage `json:"payload,omitempty"`
	Headers        []events.Header `json:"headers,omitempty"`
	Retry          Retry           `json:"retry_conf"`
	Comment        string          `json:"comment,omitempty"`
	// RequestTransform is Hasura's request_transform object, unchanged
	// (runtime/transform parses it).
	RequestTransform json.RawMessage `json:"request_transform,omitempty"`
}

// Retry is a scheduled trigger's retry_conf, with Hasura's defaults
// applied: 0 retries, 10 s between tries, 60 s timeout, 6 h tolerance.
type Retry struct {
	NumRetries           int `json:"num_retries"`
	RetryIntervalSeconds int `json:"retry_interval_seconds"`
	TimeoutSeconds       int `json:"timeout_seconds"`
	ToleranceSeconds     int `json:"tolerance_seconds"`
}

// DefaultRetry is Hasura's retry_conf of a scheduled trigger.
var DefaultRetry = Retry{NumRetries: 0, RetryIntervalSeconds: 10, TimeoutSeconds: 60, ToleranceSeconds: 21600}

// Load reads the cron triggers of schema/events.jsonc; a project without
// the file has none.
func Load(fsys fs.FS) (*Config, error) {
	b, err := events.ReadFile(fsys)
	if err != nil || b == nil {
		return &Config{}, err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("schema/%s: %w", events.File, err)
	}
	return &c, nil
}
