package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
)

// File is the generated file, in a project's schema/ directory, that
// declares its event triggers (and, under "cron_triggers", the cron
// triggers runtime/schedule reads): JSON after // comment lines.
const File = "events.jsonc"

// Config is what schema/events.jsonc declares for this package.
type Config struct {
	Triggers []Trigger `json:"event_triggers,omitempty"`
}

// Trigger is one event trigger of a table, as Hasura's metadata declares
// it (table metadata event_triggers[]), with the environment references
// kept unresolved: the server resolves them when it starts.
type Trigger struct {
	Name   string `json:"name"`
	Schema string `json:"schema"`
	Table  string `json:"table"`
	// Insert, Update and Delete are nil when the trigger does not fire on
	// that operation.
	Insert       *Operation `json:"insert,omitempty"`
	Update       *Operation `json:"update,omitempty"`
	Delete       *Operation `json:"delete,omitempty"`
	EnableManual bool       `json:"enable_manual,omitempty"`
	// Webhook is the URL; WebhookFromEnv names the variable holding it.
	Webhook        string   `json:"webhook,omitempty"`
	WebhookFromEnv string   `json:"webhook_from_env,omitempty"`
	Headers        []Header `json:"headers,omitempty"`
	Retry          Retry    `json:"retry_conf"`
	// RequestTransform is Hasura's request_transform object, unchanged
	// (runtime/transform parses it).
	RequestTransform json.RawMessage `json:"request_transform,omitempty"`
	Cleanup          *Cleanup        `json:"cleanup_config,omitempty"`
}

// Operation is when an operation fires a trigger and what its payload
// holds: Columns nil means every column ("*"); for an update, only a
// change of one of Columns fires it. Payload nil means every column.
type Operation struct {
	Columns []string `json:"columns"`
	Payload []string `json:"payload,omitempty"`
}

// Retry is an event trigger's retry_conf, with Hasura's defaults applied
// by the generator: 0 retries, 10 s between tries, 60 s timeout.
type Retry struct {
	NumRetries  int `json:"num_retries"`
	IntervalSec int `json:"interval_sec"`
	TimeoutSec  int `json:"timeout_sec"`
}

// Header is one header sent with a delivery: a value, or the name of the
// environment variable holding it.
type Header struct {
	Name         string `json:"name"`
	Value        string `json:"value,omitempty"`
	ValueFromEnv string `json:"value_from_env,omitempty"`
}

// Cleanup is an event trigger's cleanup_config: delete delivered and
// dead events (and their invocation logs) older than ClearOlderThan
// hours, on Schedule (cron), BatchSize at a time.
type Cleanup struct {
	Schedule            string `json:"schedule"`
	BatchSize           int    `json:"batch_size"`
	ClearOlderThan      int    `json:"clear_older_than"`
	Timeout             int    `json:"timeout"`
	CleanInvocationLogs bool   `json:"clean_invocation_logs"`
	Paused              bool   `json:"paused"`
}

// Load reads schema/events.jsonc from a project's schema files; a
// project without the file has no event triggers.
func Load(fsys fs.FS) (*Config, error) {
	b, err := ReadFile(fsys)
	if err != nil || b == nil {
		return &Config{}, err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("schema/%s: %w", File, err)
	}
	return &c, nil
}

// ReadFile returns schema/events.jsonc without its leading // comment
// lines, or nil when the project has none.
func ReadFile(fsys fs.FS) ([]byte, error) {
	if fsys == nil {
		return nil, nil
	}
	b, err := fs.ReadFile(fsys, File)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schema/%s: %w", File, err)
	}
	for bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("//")) {
		_, b, _ = bytes.Cut(bytes.TrimLeft(b, " \t\r\n"), []byte("\n"))
	}
	return b, nil
}
