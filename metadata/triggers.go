package metadata

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/schedule"
	"github.com/hasgen/hasgen/runtime/transform"
)

// This file reads the triggers of the metadata: the event_triggers of the
// tables and cron_triggers.yaml, into Metadata.EventTriggers and
// Metadata.CronTriggers, with Hasura's defaults applied. What hasgen does
// not serve of them (response_transform, trigger_on_replication) is
// reported as unsupported.

// maxTriggerNameLength is Hasura's limit: the Postgres trigger is named
// notify_hasura_<name>_<OPERATION>, and an identifier has 63 bytes.
const maxTriggerNameLength = 42

// triggerNameRe is what Hasura accepts as an event trigger's name.
var triggerNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// cronParser reads a schedule as Hasura does: five fields, no
// descriptors (@daily) and no time zone prefix.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// defaultEventRetry is Hasura's retry_conf of an event trigger.
var defaultEventRetry = events.Retry{NumRetries: 0, IntervalSec: 10, TimeoutSec: 60}

// triggerState is what the loader keeps of the triggers read so far:
// each name's first place, to report a second trigger of the same name.
type triggerState struct {
	events  []*events.Trigger
	eventAt map[string]Pos
	cronAt  map[string]Pos
}

// eventTriggerList reads a table's event_triggers.
func (v *validator) eventTriggerList(t *Table, x ynode) {
	if v.isNull(x) {
		return
	}
	items, ok := v.seq(x, "table "+t.QualifiedName(), "event_triggers")
	if !ok {
		return
	}
	for _, it := range items {
		v.eventTrigger(t, it)
	}
}

// eventTrigger reads one event trigger of t.
func (v *validator) eventTrigger(t *Table, x ynode) {
	ctx := "table " + t.QualifiedName()
	fields, ok := v.mapping(x, ctx, "an event trigger")
	if !ok {
		return
	}
	at := v.deref(x).pos()
	name, namePos, ok := v.triggerName(fields, at, ctx, "event trigger")
	if !ok {
		return
	}
	ctx = fmt.Sprintf("%s: event trigger %q", ctx, name)
	good := true
	if len(name) > maxTriggerNameLength {
		v.errorf(namePos, ctx, "the name is %d characters long; Hasura allows at most %d (the Postgres trigger is notify_hasura_<name>_<OPERATION>)", len(name), maxTriggerNameLength)
		good = false
	}
	if !triggerNameRe.MatchString(name) {
		v.errorf(namePos, ctx, "the name may hold only letters, digits, _ and -")
		good = false
	}
	if k := t.def.Kind; k == introspect.KindView || k == introspect.KindMaterializedView {
		// Postgres has no AFTER ... FOR EACH ROW trigger on a view.
		v.errorf(namePos, ctx, "event triggers capture the writes of a table, and %s is a %s", t.QualifiedName(), strings.ReplaceAll(k, "_", " "))
		good = false
	}
	tr := &events.Trigger{Name: name, Schema: t.Schema, Table: t.Name, Retry: defaultEventRetry}
	var hasDef bool
	hooks := webhookKeys{}
	for _, f := range fields {
		switch f.key {
		case "name":
		case "definition":
			hasDef = true
			good = v.triggerDefinition(t, tr, f.val, ctx) && good
		case "retry_conf":
			good = v.eventRetry(&tr.Retry, f.val, ctx) && good
		case "webhook", "webhook_from_env":
			good = hooks.read(v.loader, f, ctx) && good
		case "headers":
			h, ok := v.headers(f.val, ctx)
			tr.Headers, good = h, ok && good
		case "request_transform":
			raw, ok := v.requestTransform(f.val, ctx)
			tr.RequestTransform, good = raw, ok && good
		case "response_transform":
			if !v.empty(f.val) {
				v.unsupportedf(f.keyPos, ctx, "response_transform")
			}
		case "cleanup_config":
			c, ok := v.cleanupConfig(f.val, ctx)
			tr.Cleanup, good = c, ok && good
		case "trigger_on_replication":
			if b, ok := v.boolean(f.val, ctx, "trigger_on_replication"); ok && b {
				v.unsupportedf(f.keyPos, ctx, "trigger_on_replication (true: firing on writes a logical replication applies)")
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q", f.key)
			good = false
		}
	}
	if !hasDef {
		v.errorf(at, ctx, "the event trigger has no definition")
		good = false
	}
	if !hooks.check(v.loader, at, ctx) {
		good = false
	}
	tr.Webhook, tr.WebhookFromEnv = hooks.url, hooks.env
	if first, dup := v.trig.eventAt[name]; dup {
		v.errorf(namePos, ctx, "an event trigger of this name is already defined at %s: names are unique across tables", first)
		return
	}
	if v.trig.eventAt == nil {
		v.trig.eventAt = map[string]Pos{}
	}
	v.trig.eventAt[name] = namePos
	if good {
		v.trig.events = append(v.trig.events, tr)
	}
}

// triggerName returns the name key of a trigger.
func (l *loader) triggerName(fields []field, at Pos, ctx, what string) (string, Pos, bool) {
	for _, f := range fields {
		if f.key == "name" {
			name, ok := l.name(f.val, ctx, what+" name")
			return name, l.deref(f.val).pos(), ok
		}
	}
	l.errorf(at, ctx, "the %s has no name", what)
	return "", at, false
}

// webhookKeys collects webhook and webhook_from_env: exactly one is set.
type webhookKeys struct {
	url, env string
	at       Pos
	n        int
}

func (w *webhookKeys) read(l *loader, f field, ctx string) bool {
	s, ok := l.name(f.val, ctx, f.key)
	if !ok {
		w.n = -1 << 8 // reported: say nothing more
		return false
	}
	if f.key == "webhook" {
		w.url = s
	} else {
		w.env = s
	}
	w.n++
	w.at = f.keyPos
	return true
}

func (w *webhookKeys) check(l *loader, at Pos, ctx string) bool {
	switch {
	case w.n < 0:
		return false
	case w.n == 0:
		l.errorf(at, ctx, "no webhook: set webhook or webhook_from_env")
		return false
	case w.url != "" && w.env != "":
		l.errorf(w.at, ctx, "both webhook and webhook_from_env are set: keep one")
		return false
	}
	return true
}

// triggerDefinition reads {enable_manual, insert, update, delete}.
func (v *validator) triggerDefinition(t *Table, tr *events.Trigger, x ynode, ctx string) bool {
	fields, ok := v.mapping(x, ctx, "definition")
	if !ok {
		return false
	}
	good := true
	for _, f := range fields {
		switch f.key {
		case "enable_manual":
			b, ok := v.boolean(f.val, ctx, "definition.enable_manual")
			tr.EnableManual, good = b, ok && good
		case "insert", "update", "delete":
			if v.isNull(f.val) {
				continue
			}
			op, ok := v.operation(t, f.val, ctx+" "+f.key)
			good = ok && good
			switch f.key {
			case "insert":
				tr.Insert = op
			case "update":
				tr.Update = op
			default:
				tr.Delete = op
			}
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q in definition", f.key)
			good = false
		}
	}
	if good && tr.Insert == nil && tr.Update == nil && tr.Delete == nil && !tr.EnableManual {
		v.errorf(v.deref(x).pos(), ctx, "the definition fires on nothing: set insert, update, delete or enable_manual")
		good = false
	}
	return good
}

// operation reads {columns, payload}: "*" or a list of columns of t.
func (v *validator) operation(t *Table, x ynode, ctx string) (*events.Operation, bool) {
	fields, ok := v.mapping(x, ctx, "the operation")
	if !ok {
		return nil, false
	}
	op := &events.Operation{}
	good, hasColumns := true, false
	for _, f := range fields {
		switch f.key {
		case "columns":
			hasColumns = true
			cols, ok := v.triggerColumns(t, f.val, ctx, "columns")
			op.Columns, good = cols, ok && good
		case "payload":
			if v.isNull(f.val) {
				continue
			}
			cols, ok := v.triggerColumns(t, f.val, ctx, "payload")
			op.Payload, good = cols, ok && good
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q", f.key)
			good = false
		}
	}
	if !hasColumns {
		v.errorf(v.deref(x).pos(), ctx, "columns is missing: \"*\" or a list of columns")
		good = false
	}
	return op, good
}

// triggerColumns reads "*" (nil: every column) or a list of columns of t.
func (v *validator) triggerColumns(t *Table, x ynode, ctx, what string) ([]string, bool) {
	d := v.deref(x)
	if s, ok := rawString(d); ok && s == "*" {
		return nil, true
	}
	if !isList(d) {
		v.typeError(d, ctx, what, `"*" or a list of columns`)
		return nil, false
	}
	names, poss, ok := v.columnNames(d, ctx, what)
	if !ok {
		return nil, false
	}
	if !v.checkColumns(t.def, names, poss, ctx+" "+what) {
		return nil, false
	}
	return names, true
}

// eventRetry reads an event trigger's retry_conf over Hasura's defaults.
func (v *validator) eventRetry(r *events.Retry, x ynode, ctx string) bool {
	return v.retryConf(x, ctx, "timeout_sec",
		retryField{"num_retries", &r.NumRetries},
		retryField{"interval_sec", &r.IntervalSec},
		retryField{"timeout_sec", &r.TimeoutSec})
}

// retryField is an integer key of a retry_conf and where its value goes.
type retryField struct {
	key string
	dst *int
}

// retryConf reads a retry_conf mapping of the integer keys fields over
// the defaults already in their destinations. The key timeout must be at
// least 1 (0 would give every delivery up at once); a key that is not in
// fields is an error naming them all.
func (l *loader) retryConf(x ynode, ctx, timeout string, fields ...retryField) bool {
	if l.isNull(x) {
		return true
	}
	entries, ok := l.mapping(x, ctx, "retry_conf")
	if !ok {
		return false
	}
	keys := make([]string, len(fields))
	for i, rf := range fields {
		keys[i] = rf.key
	}
	good := true
	for _, f := range entries {
		var dst *int
		for _, rf := range fields {
			if rf.key == f.key {
				dst = rf.dst
			}
		}
		if dst == nil {
			l.errorf(f.keyPos, ctx, "unknown key %q in retry_conf (%s)", f.key, strings.Join(keys, ", "))
			good = false
			continue
		}
		if l.isNull(f.val) {
			continue
		}
		n, ok := l.count(f.val, ctx, "retry_conf."+f.key)
		if ok && n == 0 && f.key == timeout {
			l.errorf(l.deref(f.val).pos(), ctx, "retry_conf.%s must be at least 1", timeout)
			ok = false
		}
		if ok {
			*dst = n
		}
		good = ok && good
	}
	return good
}

// headers reads [{name, value | value_from_env}].
func (l *loader) headers(x ynode, ctx string) ([]events.Header, bool) {
	if l.isNull(x) {
		return nil, true
	}
	items, ok := l.seq(x, ctx, "headers")
	if !ok {
		return nil, false
	}
	var out []events.Header
	good := true
	for _, it := range items {
		fields, ok := l.mapping(it, ctx, "a header")
		if !ok {
			good = false
			continue
		}
		var h events.Header
		values := 0
		for _, f := range fields {
			var err bool
			switch f.key {
			case "name":
				h.Name, ok = l.name(f.val, ctx, "header name")
			case "value":
				h.Value, ok = l.str(f.val, ctx, "header value")
				values++
			case "value_from_env":
				h.ValueFromEnv, ok = l.name(f.val, ctx, "header value_from_env")
				values++
			default:
				l.errorf(f.keyPos, ctx, "unknown key %q in a header (name, value, value_from_env)", f.key)
				err = true
			}
			good = good && ok && !err
		}
		at := l.deref(it).pos()
		switch {
		case h.Name == "":
			l.errorf(at, ctx, "a header has no name")
			good = false
		case values != 1:
			l.errorf(at, ctx, "header %q must have one of value and value_from_env", h.Name)
			good = false
		}
		out = append(out, h)
	}
	return out, good
}

// requestTransform returns request_transform as JSON, checked by
// transform.Parse.
func (l *loader) requestTransform(x ynode, ctx string) (json.RawMessage, bool) {
	return l.transformObject(x, ctx, "request_transform", func(raw json.RawMessage) error {
		_, err := transform.Parse(raw)
		return err
	})
}

// responseTransform returns an action's response_transform as JSON,
// checked by transform.ParseResponse.
func (l *loader) responseTransform(x ynode, ctx string) (json.RawMessage, bool) {
	return l.transformObject(x, ctx, "response_transform", func(raw json.RawMessage) error {
		_, err := transform.ParseResponse(raw)
		return err
	})
}

// transformObject returns the mapping at key as JSON, checked by parse.
func (l *loader) transformObject(x ynode, ctx, key string, parse func(json.RawMessage) error) (json.RawMessage, bool) {
	if l.isNull(x) {
		return nil, true
	}
	v, ok := l.literal(x, ctx+" "+key, 0)
	if !ok {
		return nil, false
	}
	if _, isMap := v.(map[string]any); !isMap {
		l.typeError(l.deref(x), ctx, key, "a mapping")
		return nil, false
	}
	raw, err := json.Marshal(v)
	if err != nil {
		l.errorf(l.deref(x).pos(), ctx, "%s: %v", key, err)
		return nil, false
	}
	if err := parse(raw); err != nil {
		l.errorf(l.deref(x).pos(), ctx, "%v", err)
		return nil, false
	}
	return raw, true
}

// cleanupConfig reads an event trigger's cleanup_config, with Hasura's
// defaults: 10000 events a batch, a 60 s timeout.
func (v *validator) cleanupConfig(x ynode, ctx string) (*events.Cleanup, bool) {
	if v.isNull(x) {
		return nil, true
	}
	ctx += " cleanup_config"
	fields, ok := v.mapping(x, ctx, "cleanup_config")
	if !ok {
		return nil, false
	}
	c := &events.Cleanup{BatchSize: 10000, Timeout: 60}
	good, hasSchedule, hasAge := true, false, false
	for _, f := range fields {
		var ok bool
		switch f.key {
		case "schedule":
			hasSchedule = true
			c.Schedule, ok = v.schedule(f.val, ctx)
		case "batch_size":
			c.BatchSize, ok = v.count(f.val, ctx, "batch_size")
			if ok && (c.BatchSize < 1 || c.BatchSize > 10000) {
				v.errorf(v.deref(f.val).pos(), ctx, "batch_size must be between 1 and 10000, not %d", c.BatchSize)
				ok = false
			}
		case "clear_older_than":
			hasAge = true
			c.ClearOlderThan, ok = v.count(f.val, ctx, "clear_older_than")
			if ok && c.ClearOlderThan == 0 {
				v.errorf(v.deref(f.val).pos(), ctx, "clear_older_than must be at least 1 (hours)")
				ok = false
			}
		case "timeout":
			c.Timeout, ok = v.count(f.val, ctx, "timeout")
			if ok && c.Timeout == 0 {
				v.errorf(v.deref(f.val).pos(), ctx, "timeout must be at least 1 (seconds)")
				ok = false
			}
		case "clean_invocation_logs":
			c.CleanInvocationLogs, ok = v.boolean(f.val, ctx, "clean_invocation_logs")
		case "paused":
			c.Paused, ok = v.boolean(f.val, ctx, "paused")
		default:
			v.errorf(f.keyPos, ctx, "unknown key %q", f.key)
		}
		good = ok && good
	}
	at := v.deref(x).pos()
	if !hasSchedule {
		v.errorf(at, ctx, "schedule is missing")
		good = false
	}
	if !hasAge {
		v.errorf(at, ctx, "clear_older_than is missing")
		good = false
	}
	return c, good
}

// schedule reads a cron schedule, checked with the parser the scheduler
// uses.
func (l *loader) schedule(x ynode, ctx string) (string, bool) {
	s, ok := l.name(x, ctx, "schedule")
	if !ok {
		return "", false
	}
	at := l.deref(x).pos()
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "@") || strings.HasPrefix(t, "TZ=") || strings.HasPrefix(t, "CRON_TZ=") {
		l.errorf(at, ctx, "schedule %q: Hasura takes five cron fields (minute hour day-of-month month day-of-week), in UTC", s)
		return "", false
	}
	if _, err := cronParser.Parse(s); err != nil {
		l.errorf(at, ctx, "schedule %q: %v", s, err)
		return "", false
	}
	return s, true
}

// cronTriggers reads cron_triggers (cron_triggers.yaml, or the key of a
// metadata export) into m.CronTriggers.
func (l *loader) cronTriggers(m *Metadata, x ynode) {
	if l.isNull(x) {
		return
	}
	items, ok := l.seq(x, "cron_triggers", "cron_triggers")
	if !ok {
		return
	}
	for _, it := range items {
		if c := l.cronTrigger(it); c != nil {
			m.CronTriggers = append(m.CronTriggers, *c)
		}
	}
	sort.Slice(m.CronTriggers, func(i, j int) bool { return m.CronTriggers[i].Name < m.CronTriggers[j].Name })
}

// cronTrigger reads one cron trigger; nil when it has problems, which are
// reported.
func (l *loader) cronTrigger(x ynode) *schedule.Cron {
	ctx := "cron_triggers"
	fields, ok := l.mapping(x, ctx, "a cron trigger")
	if !ok {
		return nil
	}
	at := l.deref(x).pos()
	name, namePos, ok := l.triggerName(fields, at, ctx, "cron trigger")
	if !ok {
		return nil
	}
	ctx = fmt.Sprintf("cron trigger %q", name)
	c := &schedule.Cron{Name: name, Retry: schedule.DefaultRetry}
	good, hasSchedule := true, false
	hooks := webhookKeys{}
	for _, f := range fields {
		var ok bool
		switch f.key {
		case "name":
			ok = true
		case "webhook", "webhook_from_env":
			ok = hooks.read(l, f, ctx)
		case "schedule":
			hasSchedule = true
			c.Schedule, ok = l.schedule(f.val, ctx)
		case "payload":
			c.Payload, ok = l.jsonValue(f.val, ctx, "payload")
		case "headers":
			c.Headers, ok = l.headers(f.val, ctx)
		case "retry_conf":
			ok = l.cronRetry(&c.Retry, f.val, ctx)
		case "comment":
			ok = true
			if !l.isNull(f.val) {
				c.Comment, ok = l.str(f.val, ctx, "comment")
			}
		case "include_in_metadata":
			_, ok = l.boolean(f.val, ctx, "include_in_metadata")
		case "request_transform":
			c.RequestTransform, ok = l.requestTransform(f.val, ctx)
		case "response_transform":
			ok = true
			if !l.empty(f.val) {
				l.unsupportedf(f.keyPos, ctx, "response_transform")
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
		}
		good = ok && good
	}
	if !hasSchedule {
		l.errorf(at, ctx, "schedule is missing")
		good = false
	}
	if !hooks.check(l, at, ctx) {
		good = false
	}
	c.Webhook, c.WebhookFromEnv = hooks.url, hooks.env
	if first, dup := l.trig.cronAt[name]; dup {
		l.errorf(namePos, ctx, "a cron trigger of this name is already defined at %s", first)
		return nil
	}
	if l.trig.cronAt == nil {
		l.trig.cronAt = map[string]Pos{}
	}
	l.trig.cronAt[name] = namePos
	if !good {
		return nil
	}
	return c
}

// cronRetry reads a cron trigger's retry_conf over Hasura's defaults.
func (l *loader) cronRetry(r *schedule.Retry, x ynode, ctx string) bool {
	return l.retryConf(x, ctx, "timeout_seconds",
		retryField{"num_retries", &r.NumRetries},
		retryField{"retry_interval_seconds", &r.RetryIntervalSeconds},
		retryField{"timeout_seconds", &r.TimeoutSeconds},
		retryField{"tolerance_seconds", &r.ToleranceSeconds})
}

// jsonValue returns x as JSON; null is nil.
func (l *loader) jsonValue(x ynode, ctx, what string) (json.RawMessage, bool) {
	if l.isNull(x) {
		return nil, true
	}
	v, ok := l.literal(x, ctx+" "+what, 0)
	if !ok {
		return nil, false
	}
	raw, err := json.Marshal(v)
	if err != nil {
		l.errorf(l.deref(x).pos(), ctx, "%s: %v", what, err)
		return nil, false
	}
	return raw, true
}

// sortedEvents returns the event triggers read, sorted by name.
func (s *triggerState) sortedEvents() []events.Trigger {
	if len(s.events) == 0 {
		return nil
	}
	out := make([]events.Trigger, len(s.events))
	for i, t := range s.events {
		out[i] = *t
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
