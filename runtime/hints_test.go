package runtime_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/jackc/pgx/v5"
)

var rtTables = []live.TableName{{Schema: "public", Name: "owners"}, {Schema: "public", Name: "items"}, {Schema: "public", Name: "events"}}

// TestChangeHints: with the triggers installed, polls of unchanged tables
// are skipped and changes still arrive; while the listening connection is
// down every subscription is polled.
func TestChangeHints(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, live.ChangeHintsInstallSQL(rtTables)); err != nil {
		t.Fatal(err)
	}
	r := newRTOn(t, url, rtOptions{autoHints: true})
	waitMetric(t, r.url, `hasgen_change_hints_up`, 1)

	c := dial(t, r.url, protoNew, nil)
	c.init(userInit(1))
	c.subscribe("live", itemsQuery, nil)
	c.data("live")
	c.subscribe("stream", `subscription { events_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id } }`, nil)
	r.exec(t, `INSERT INTO events (owner_id) VALUES (1)`)
	c.data("stream")

	statements := func() float64 {
		return metric(t, r.url, `hasgen_poll_statements_total{kind="live"}`) + metric(t, r.url, `hasgen_poll_statements_total{kind="stream"}`)
	}
	skipped := func() float64 {
		return metric(t, r.url, `hasgen_polls_skipped_total{kind="live"}`) + metric(t, r.url, `hasgen_polls_skipped_total{kind="stream"}`)
	}
	// Once both batches skip, no statement runs while nothing changes.
	quiet := func(what string) {
		t.Helper()
		k := skipped()
		eventually(t, "skipped polls", func() bool { return skipped() >= k+2 })
		s0 := statements()
		k = skipped()
		eventually(t, "more skipped polls", func() bool { return skipped() >= k+6 })
		if s := statements(); s != s0 {
			t.Fatalf("%s: %v statements ran while no table changed", what, s-s0)
		}
	}
	quiet("idle")

	// Changes arrive.
	r.exec(t, `INSERT INTO items (owner_id, label) VALUES (1, 'hinted')`)
	if got := fmt.Sprint(labels(t, c.data("live"), "items", 1)); got != "[hinted]" {
		t.Fatalf("live query after a change: %s", got)
	}
	r.exec(t, `INSERT INTO events (owner_id) VALUES (1)`)
	if got := column(streamRows(t, c.data("stream"), "events_stream"), "id"); got != `["2"]` {
		t.Fatalf("stream after a change: %s", got)
	}
	quiet("after changes")

	// The listener's connection dies: every subscription is polled until
	// it is back, and a change made meanwhile arrives.
	r.exec(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hasgen-hints'`)
	waitMetric(t, r.url, `hasgen_change_hints_up`, 0)
	r.exec(t, `UPDATE items SET label = 'while down'`)
	if got := fmt.Sprint(labels(t, c.data("live"), "items", 1)); got != "[while down]" {
		t.Fatalf("live query while the listener is down: %s", got)
	}
	waitMetric(t, r.url, `hasgen_change_hints_up`, 1)
	quiet("after reconnecting")

	// Removed triggers: nothing is skipped any more (the listener
	// rereads them when it is idle, or on reconnect).
	if _, err := conn.Exec(ctx, live.ChangeHintsUninstallSQL()); err != nil {
		t.Fatal(err)
	}
	r.exec(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hasgen-hints'`)
	waitMetric(t, r.url, `hasgen_change_hints_up`, 0)
	r.exec(t, `UPDATE items SET label = 'no hints'`)
	if got := fmt.Sprint(labels(t, c.data("live"), "items", 1)); got != "[no hints]" {
		t.Fatalf("live query without hints: %s", got)
	}
}
