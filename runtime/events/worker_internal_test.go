package events

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestCleanup(t *testing.T) {
	for _, clean := range []bool{true, false} {
		t.Run(map[bool]string{true: "with invocation logs", false: "events only"}[clean], func(t *testing.T) {
			ctx := context.Background()
			pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			if _, err := pool.Exec(ctx, CatalogSQL); err != nil {
				t.Fatal(err)
			}
			tr := Trigger{Name: "tr", Schema: "public", Table: "items", Webhook: "http://127.0.0.1:1", Insert: &Operation{},
				Cleanup: &Cleanup{Schedule: "0 0 * * *", BatchSize: 2, ClearOlderThan: 1, Timeout: 60, CleanInvocationLogs: clean}}
			s, err := New(pool, &Config{Triggers: []Trigger{tr}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// Old: 5 delivered, 1 dead, 1 pending, 1 delivered but held; new: 1
			// delivered; another trigger's old delivered one. Each has an
			// invocation log.
			_, err = pool.Exec(ctx, `
INSERT INTO hdb_catalog.event_log (schema_name, table_name, trigger_name, payload, delivered, error, created_at, locked)
SELECT 'public', 'items', trigger, '{}', delivered, error, created_at, locked FROM (VALUES
  ('tr', true, false, now() - interval '2 hours', NULL::timestamptz),
  ('tr', true, false, now() - interval '2 hours', NULL),
  ('tr', true, false, now() - interval '2 hours', NULL),
  ('tr', true, false, now() - interval '2 hours', NULL),
  ('tr', true, false, now() - interval '2 hours', NULL),
  ('tr', false, true, now() - interval '3 hours', NULL),
  ('tr', false, false, now() - interval '2 hours', NULL),
  ('tr', true, false, now() - interval '2 hours', now()),
  ('tr', true, false, now(), NULL),
  ('other', true, false, now() - interval '2 hours', NULL)) AS v(trigger, delivered, error, created_at, locked);
INSERT INTO hdb_catalog.event_invocation_logs (event_id, trigger_name, status) SELECT id, trigger_name, 200 FROM hdb_catalog.event_log;`)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
			stats, err := s.cleanup(ctx, "tr", at)
			if err != nil {
				t.Fatal(err)
			}
			wantInv := 0
			if clean {
				wantInv = 6
			}
			if stats == nil || *stats != (CleanupStats{EventLogs: 6, InvocationLogs: wantInv}) {
				t.Errorf("stats %+v, want 6 events and %d invocation logs", stats, wantInv)
			}
			var events, invocations int
			pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM hdb_catalog.event_log), (SELECT count(*) FROM hdb_catalog.event_invocation_logs)").Scan(&events, &invocations)
			if events != 4 || invocations != 10-wantInv {
				t.Errorf("left %d events and %d invocation logs, want 4 and %d", events, invocations, 10-wantInv)
			}
			var status string
			var deleted int
			if err := pool.QueryRow(ctx, "SELECT status, deleted_event_logs FROM hdb_catalog.hdb_event_log_cleanups WHERE trigger_name = 'tr' AND scheduled_at = $1", at).Scan(&status, &deleted); err != nil || status != "completed" || deleted != 6 {
				t.Errorf("cleanup row: %s %d %v", status, deleted, err)
			}
			// Another instance at the same occurrence does nothing.
			if stats, err := s.cleanup(ctx, "tr", at); stats != nil || err != nil {
				t.Errorf("second run of one occurrence: %+v %v", stats, err)
			}
		})
	}
}

func TestCleanupSchedule(t *testing.T) {
	bad := Trigger{Name: "tr", Webhook: "http://x", Cleanup: &Cleanup{Schedule: "every day", ClearOlderThan: 1}}
	if _, err := New(nil, &Config{Triggers: []Trigger{bad}}, Options{}); err == nil || !strings.Contains(err.Error(), `event trigger "tr": cleanup_config.schedule "every day"`) {
		t.Errorf("error %v", err)
	}
	bad.Cleanup.Paused = true
	s, err := New(nil, &Config{Triggers: []Trigger{bad}}, Options{})
	if err != nil || s.triggers["tr"].cleanup != nil {
		t.Errorf("a paused cleanup is not scheduled: %v", err)
	}
}
