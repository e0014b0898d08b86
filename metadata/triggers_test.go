package metadata

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/schedule"
)

// TestEventTriggers reads every key of an event trigger, with Hasura's
// defaults where a key is absent, and sorts the triggers by name across
// tables.
func TestEventTriggers(t *testing.T) {
	m := mustLoad(t, `- table: orgs
  event_triggers:
    - name: org_changed
      definition:
        enable_manual: true
        insert: {columns: '*'}
        update: {columns: [name], payload: [id, name]}
        delete: {columns: '*', payload: '*'}
      retry_conf: {num_retries: 3, interval_sec: 5}
      webhook_from_env: ORG_HOOK
      headers:
        - {name: X-Secret, value_from_env: SECRET}
        - {name: X-Fixed, value: "1"}
      request_transform:
        version: 2
        method: PUT
        template_engine: Kriti
        body: {action: transform, template: '{"id": {{$body.event.data.new.id}}}'}
      cleanup_config: {schedule: '0 0 * * *', clear_older_than: 168, clean_invocation_logs: true}
- table: authors
  event_triggers:
    - name: author_new
      definition: {insert: {columns: '*'}}
      webhook: http://hooks/author
`)
	want := []events.Trigger{
		{Name: "author_new", Schema: "public", Table: "authors", Insert: &events.Operation{},
			Webhook: "http://hooks/author", Retry: events.Retry{NumRetries: 0, IntervalSec: 10, TimeoutSec: 60}},
		{Name: "org_changed", Schema: "public", Table: "orgs", EnableManual: true,
			Insert:         &events.Operation{},
			Update:         &events.Operation{Columns: []string{"name"}, Payload: []string{"id", "name"}},
			Delete:         &events.Operation{},
			WebhookFromEnv: "ORG_HOOK",
			Headers:        []events.Header{{Name: "X-Secret", ValueFromEnv: "SECRET"}, {Name: "X-Fixed", Value: "1"}},
			Retry:          events.Retry{NumRetries: 3, IntervalSec: 5, TimeoutSec: 60},
			RequestTransform: json.RawMessage(`{"body":{"action":"transform","template":"{\"id\": {{$body.event.data.new.id}}}"},` +
				`"method":"PUT","template_engine":"Kriti","version":2}`),
			Cleanup: &events.Cleanup{Schedule: "0 0 * * *", BatchSize: 10000, ClearOlderThan: 168, Timeout: 60, CleanInvocationLogs: true}},
	}
	if diff := cmp.Diff(want, m.EventTriggers); diff != "" {
		t.Errorf("event triggers (-want +got):\n%s", diff)
	}
	if len(m.Unsupported) != 0 {
		t.Errorf("unsupported: %v", m.UnsupportedError())
	}
}

// TestCronTriggers reads cron_triggers.yaml, sorted by name, with Hasura's
// retry_conf defaults.
func TestCronTriggers(t *testing.T) {
	m, err := loadString(t,
		"metadata/databases/databases.yaml", "- name: default\n  kind: postgres\n  tables: [{table: orgs}]\n",
		"metadata/cron_triggers.yaml", `- name: nightly
  webhook: http://cron/nightly
  schedule: '0 3 * * *'
  include_in_metadata: true
  payload: {report: daily, ids: [1, 2]}
  headers: [{name: X-Key, value_from_env: KEY}]
  retry_conf: {num_retries: 2, retry_interval_seconds: 30, timeout_seconds: 20, tolerance_seconds: 600}
  comment: the nightly report
- name: every_minute
  webhook_from_env: MINUTE_HOOK
  schedule: '* * * * *'
  comment: ""
  request_transform: {version: 2, method: GET, request_headers: {add_headers: {}, remove_headers: [content-type]}}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []schedule.Cron{
		{Name: "every_minute", WebhookFromEnv: "MINUTE_HOOK", Schedule: "* * * * *", Retry: schedule.DefaultRetry,
			RequestTransform: json.RawMessage(`{"method":"GET","request_headers":{"add_headers":{},"remove_headers":["content-type"]},"version":2}`)},
		{Name: "nightly", Webhook: "http://cron/nightly", Schedule: "0 3 * * *",
			Payload: json.RawMessage(`{"ids":[1,2],"report":"daily"}`),
			Headers: []events.Header{{Name: "X-Key", ValueFromEnv: "KEY"}},
			Retry:   schedule.Retry{NumRetries: 2, RetryIntervalSeconds: 30, TimeoutSeconds: 20, ToleranceSeconds: 600},
			Comment: "the nightly report"},
	}
	if diff := cmp.Diff(want, m.CronTriggers); diff != "" {
		t.Errorf("cron triggers (-want +got):\n%s", diff)
	}
}

// TestCronTriggersInExport reads the cron_triggers key of a metadata
// export.
func TestCronTriggersInExport(t *testing.T) {
	m, err := loadString(t, "m.json", `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
  {"table": {"schema": "public", "name": "orgs"}, "event_triggers": [{"name": "t", "definition": {"delete": {"columns": "*"}}, "webhook": "http://t"}]}]}],
 "cron_triggers": [{"name": "c", "webhook": "http://c", "schedule": "*/5 * * * *"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.CronTriggers) != 1 || m.CronTriggers[0].Schedule != "*/5 * * * *" || m.CronTriggers[0].Retry != schedule.DefaultRetry {
		t.Errorf("cron triggers = %+v", m.CronTriggers)
	}
	if len(m.EventTriggers) != 1 || m.EventTriggers[0].Delete == nil || m.EventTriggers[0].Insert != nil {
		t.Errorf("event triggers = %+v", m.EventTriggers)
	}
}

// TestTriggerErrors: each mistake is reported where it is written, naming
// the table and the trigger.
func TestTriggerErrors(t *testing.T) {
	long := strings.Repeat("x", 43)
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"no webhook", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {insert: {columns: '*'}}\n",
			[]string{`t.yaml:3:7: table public.orgs: event trigger "a": no webhook: set webhook or webhook_from_env`}},
		{"both webhooks", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {insert: {columns: '*'}}\n      webhook: http://a\n      webhook_from_env: A\n",
			[]string{`t.yaml:6:7: table public.orgs: event trigger "a": both webhook and webhook_from_env are set: keep one`}},
		{"unknown column", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {update: {columns: [nme]}}\n      webhook: http://a\n",
			[]string{`t.yaml:4:39: table public.orgs: event trigger "a" update columns: column "nme" is not in public.orgs`}},
		{"unknown payload column", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {insert: {columns: '*', payload: [id, x]}}\n      webhook: http://a\n",
			[]string{`t.yaml:4:57: table public.orgs: event trigger "a" insert payload: column "x" is not in public.orgs`}},
		{"columns missing", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {insert: {}}\n      webhook: http://a\n",
			[]string{`t.yaml:4:28: table public.orgs: event trigger "a" insert: columns is missing: "*" or a list of columns`}},
		{"fires on nothing", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {enable_manual: false}\n      webhook: http://a\n",
			[]string{`t.yaml:4:19: table public.orgs: event trigger "a": the definition fires on nothing: set insert, update, delete or enable_manual`}},
		{"no definition", "- table: orgs\n  event_triggers:\n    - name: a\n      webhook: http://a\n",
			[]string{`t.yaml:3:7: table public.orgs: event trigger "a": the event trigger has no definition`}},
		{"duplicate across tables", "- table: orgs\n  event_triggers:\n    - {name: a, definition: {insert: {columns: '*'}}, webhook: http://a}\n" +
			"- table: authors\n  event_triggers:\n    - {name: a, definition: {insert: {columns: '*'}}, webhook: http://b}\n",
			[]string{`t.yaml:6:14: table public.authors: event trigger "a": an event trigger of this name is already defined at t.yaml:3:14: names are unique across tables`}},
		{"name too long", "- table: orgs\n  event_triggers:\n    - {name: " + long + ", definition: {insert: {columns: '*'}}, webhook: http://a}\n",
			[]string{`t.yaml:3:14: table public.orgs: event trigger "` + long + `": the name is 43 characters long; Hasura allows at most 42 (the Postgres trigger is notify_hasura_<name>_<OPERATION>)`}},
		{"name characters", "- table: orgs\n  event_triggers:\n    - {name: 'a b', definition: {insert: {columns: '*'}}, webhook: http://a}\n",
			[]string{`t.yaml:3:14: table public.orgs: event trigger "a b": the name may hold only letters, digits, _ and -`}},
		{"no name", "- table: orgs\n  event_triggers:\n    - {definition: {insert: {columns: '*'}}, webhook: http://a}\n",
			[]string{`t.yaml:3:7: table public.orgs: the event trigger has no name`}},
		{"unknown key", "- table: orgs\n  event_triggers:\n    - {name: a, definition: {insert: {columns: '*'}}, webhook: http://a, retries: 3}\n",
			[]string{`t.yaml:3:74: table public.orgs: event trigger "a": unknown key "retries"`}},
		{"bad retry", "- table: orgs\n  event_triggers:\n    - {name: a, definition: {insert: {columns: '*'}}, webhook: http://a, retry_conf: {num_retries: -1, timeout_sec: 0}}\n",
			[]string{`t.yaml:3:100: table public.orgs: event trigger "a": retry_conf.num_retries must be a non-negative 32-bit integer, not the number -1`,
				`t.yaml:3:117: table public.orgs: event trigger "a": retry_conf.timeout_sec must be at least 1`}},
		{"retry key", "- table: orgs\n  event_triggers:\n    - {name: a, definition: {insert: {columns: '*'}}, webhook: http://a, retry_conf: {timeout_seconds: 3}}\n",
			[]string{`t.yaml:3:87: table public.orgs: event trigger "a": unknown key "timeout_seconds" in retry_conf (num_retries, interval_sec, timeout_sec)`}},
		{"header without value", "- table: orgs\n  event_triggers:\n    - {name: a, definition: {insert: {columns: '*'}}, webhook: http://a, headers: [{name: X}]}\n",
			[]string{`t.yaml:3:84: table public.orgs: event trigger "a": header "X" must have one of value and value_from_env`}},
		{"request transform refused", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {insert: {columns: '*'}}\n      webhook: http://a\n      request_transform: {version: 2, bogus: 1}\n",
			[]string{`t.yaml:6:26: table public.orgs: event trigger "a": request_transform: json: unknown field "bogus"`}},
		{"cleanup schedule", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {insert: {columns: '*'}}\n      webhook: http://a\n      cleanup_config: {schedule: '61 * * * *', clear_older_than: 1}\n",
			[]string{`t.yaml:6:34: table public.orgs: event trigger "a" cleanup_config: schedule "61 * * * *": end of range (61) above maximum (59): 61`}},
		{"cleanup missing age", "- table: orgs\n  event_triggers:\n    - name: a\n      definition: {insert: {columns: '*'}}\n      webhook: http://a\n      cleanup_config: {schedule: '0 0 * * *', batch_size: 0}\n",
			[]string{`t.yaml:6:23: table public.orgs: event trigger "a" cleanup_config: clear_older_than is missing`,
				`t.yaml:6:59: table public.orgs: event trigger "a" cleanup_config: batch_size must be between 1 and 10000, not 0`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadString(t, "t.yaml", c.yaml)
			if diff := cmp.Diff(c.want, errorLines(err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCronTriggerErrors: the mistakes of cron_triggers.yaml, where they are
// written, naming the trigger.
func TestCronTriggerErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"bad schedule", "- {name: c, webhook: http://c, schedule: '* * *'}\n",
			[]string{`metadata/cron_triggers.yaml:1:42: cron trigger "c": schedule "* * *": expected exactly 5 fields, found 3: [* * *]`}},
		{"descriptor", "- {name: c, webhook: http://c, schedule: '@daily'}\n",
			[]string{`metadata/cron_triggers.yaml:1:42: cron trigger "c": schedule "@daily": Hasura takes five cron fields (minute hour day-of-month month day-of-week), in UTC`}},
		{"no schedule", "- {name: c, webhook: http://c}\n",
			[]string{`metadata/cron_triggers.yaml:1:3: cron trigger "c": schedule is missing`}},
		{"no webhook", "- {name: c, schedule: '* * * * *'}\n",
			[]string{`metadata/cron_triggers.yaml:1:3: cron trigger "c": no webhook: set webhook or webhook_from_env`}},
		{"duplicate", "- {name: c, webhook: http://c, schedule: '* * * * *'}\n- {name: c, webhook: http://d, schedule: '* * * * *'}\n",
			[]string{`metadata/cron_triggers.yaml:2:10: cron trigger "c": a cron trigger of this name is already defined at metadata/cron_triggers.yaml:1:10`}},
		{"retry key", "- {name: c, webhook: http://c, schedule: '* * * * *', retry_conf: {interval_sec: 3}}\n",
			[]string{`metadata/cron_triggers.yaml:1:68: cron trigger "c": unknown key "interval_sec" in retry_conf (num_retries, retry_interval_seconds, timeout_seconds, tolerance_seconds)`}},
		{"retry timeout", "- {name: c, webhook: http://c, schedule: '* * * * *', retry_conf: {timeout_seconds: 0, num_retries: x}}\n",
			[]string{`metadata/cron_triggers.yaml:1:85: cron trigger "c": retry_conf.timeout_seconds must be at least 1`,
				`metadata/cron_triggers.yaml:1:101: cron trigger "c": retry_conf.num_retries must be a non-negative 32-bit integer, not the string "x"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadString(t,
				"metadata/databases/databases.yaml", "- name: default\n  kind: postgres\n  tables: [{table: orgs}]\n",
				"metadata/cron_triggers.yaml", c.yaml)
			if diff := cmp.Diff(c.want, errorLines(err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEventTriggerOnView: a view has no row triggers to capture with.
func TestEventTriggerOnView(t *testing.T) {
	s := blog()
	s.Table("public", "untracked").Kind = introspect.KindView
	fsys := fstest.MapFS{"t.yaml": {Data: []byte("- table: untracked\n  event_triggers:\n    - {name: v, definition: {insert: {columns: '*'}}, webhook: http://v}\n")}}
	_, err := LoadFS(fsys, "t.yaml", s)
	want := []string{`t.yaml:3:14: table public.untracked: event trigger "v": event triggers capture the writes of a table, and public.untracked is a view`}
	if diff := cmp.Diff(want, errorLines(err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// errorLines returns a Load error's lines, nil for none.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}
