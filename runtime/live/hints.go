package live

// Change hints (beyond Hasura): a statement-level trigger on each tracked
// table notifies channel hasgen_changes with the table's name when a
// statement changes it (one notification per statement; Postgres merges
// identical ones of a transaction and delivers them at commit). The
// server listens on a connection of its own; a poll is skipped when none
// of the tables its statement reads changed since the previous poll of
// the same batch. While the listening connection is down, and until it is
// up, every batch is polled; when it comes back every batch polls once,
// for the notifications it missed.
//
// The trigger is installed only on request: `hasgen hints install`, or
// the migration `hasgen hints sql` prints (ChangeHintsInstallSQL). A
// tracked table without the trigger (a view, or a table added later) is
// never skipped.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hasgen/hasgen/runtime/catalog"
	"github.com/hasgen/hasgen/runtime/metrics"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Names of the change-hint objects in the database.
const (
	hintChannel  = "hasgen_changes"
	hintTrigger  = "hasgen_changes"
	hintFunction = "hasgen.notify_change"
)

// changeHints tracks which tables changed, from the notifications.
type changeHints struct {
	// seq numbers the events: a table's changed is the seq of its last
	// notification, a batch remembers the seq when its poll started.
	seq   atomic.Uint64
	ready atomic.Bool
	// tables by quoted name ("public"."albums"), byName by the
	// notification payload (public.albums); fixed after newChangeHints.
	tables map[string]*hintTable
	byName map[string]*hintTable
}

// hintTable is a tracked table's change state.
type hintTable struct {
	changed atomic.Uint64
	// hinted is set while the table has the trigger.
	hinted atomic.Bool
}

func newChangeHints(s *catalog.Schema) *changeHints {
	h := &changeHints{tables: map[string]*hintTable{}, byName: map[string]*hintTable{}}
	for _, t := range s.Tables {
		ht := &hintTable{}
		h.tables[t.SQL()] = ht
		h.byName[t.Schema+"."+t.Name] = ht
	}
	return h
}

// lookup returns the states of tables (quoted names); nil without change
// hints, or when one is not tracked, which makes a poll never skipped.
func (h *changeHints) lookup(tables []string) []*hintTable {
	if h == nil {
		return nil
	}
	out := make([]*hintTable, 0, len(tables))
	for _, name := range tables {
		t := h.tables[name]
		if t == nil {
			return nil
		}
		out = append(out, t)
	}
	return out
}

// current returns the sequence number to remember when a poll starts.
func (h *changeHints) current() uint64 {
	if h == nil {
		return 0
	}
	return h.seq.Load()
}

// unchanged reports whether a poll that started at since may be skipped:
// the listener is up and every table has the trigger and no notification
// after since. A poll started before a change notified after it.
func (h *changeHints) unchanged(tables []*hintTable, since uint64) bool {
	if h == nil || len(tables) == 0 || !h.ready.Load() {
		return false
	}
	for _, t := range tables {
		if !t.hinted.Load() || t.changed.Load() > since {
			return false
		}
	}
	return true
}

// touchAll marks every table changed: the notifications of a time when
// nobody listened are lost.
func (h *changeHints) touchAll() {
	n := h.seq.Add(1)
	for _, t := range h.tables {
		t.changed.Store(n)
	}
}

// run keeps a connection listening until ctx ends, reconnecting with a
// backoff. Unless required, it gives up when the trigger function is not
// installed (auto-detection).
func (h *changeHints) run(ctx context.Context, url string, configure func(*pgx.ConnConfig), required bool, log *slog.Logger, m *metrics.Metrics) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := h.listen(ctx, url, configure, required, log, m)
		h.ready.Store(false)
		m.HintsUp.Set(0)
		if err == errNoHints {
			log.Info("change hints off: the trigger function is not installed (hasgen hints install)")
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("change hints: listening connection lost; polling every subscription until it is back", "error", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
	}
}

var errNoHints = errors.New("change hints are not installed")

// listen connects, listens and marks tables changed as notifications come,
// until the connection fails or ctx ends.
func (h *changeHints) listen(ctx context.Context, url string, configure func(*pgx.ConnConfig), required bool, log *slog.Logger, m *metrics.Metrics) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = "hasgen-hints"
	if configure != nil {
		configure(cfg)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var installed bool
	if err := conn.QueryRow(ctx, `SELECT to_regprocedure('`+hintFunction+`()') IS NOT NULL`).Scan(&installed); err != nil {
		return err
	}
	if !installed && !required {
		return errNoHints
	}
	if !installed {
		log.Warn("change hints: HASGEN_CHANGE_HINTS=true but the trigger function is not installed (hasgen hints install); polling every subscription")
	}
	if _, err := conn.Exec(ctx, "LISTEN "+hintChannel); err != nil {
		return err
	}
	if err := h.refresh(ctx, conn); err != nil {
		return err
	}
	h.touchAll()
	h.ready.Store(true)
	m.HintsUp.Set(1)
	log.Info("change hints: listening", "channel", hintChannel)
	for {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if t := h.byName[n.Payload]; t != nil {
				t.changed.Store(h.seq.Add(1))
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err):
			// Quiet for a while: check the connection and whether
			// triggers were added or removed.
			if err := h.refresh(ctx, conn); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// refresh reads which tracked tables have the trigger.
func (h *changeHints) refresh(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT "n"."nspname" || '.' || "c"."relname" FROM pg_catalog.pg_trigger AS "t"`+
		` JOIN pg_catalog.pg_class AS "c" ON "c"."oid" = "t"."tgrelid" JOIN pg_catalog.pg_namespace AS "n" ON "n"."oid" = "c"."relnamespace"`+
		` WHERE "t"."tgname" = '`+hintTrigger+`' AND "t"."tgenabled" <> 'D' AND NOT "t"."tgisinternal"`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	for name, t := range h.byName {
		if was := t.hinted.Swap(has[name]); !was && has[name] {
			t.changed.Store(h.seq.Add(1))
		}
	}
	return nil
}

// TableName is a table's schema and name.
type TableName struct {
	Schema, Name string
}

// ChangeHintsInstallSQL returns the migration that installs change hints
// on tables: the trigger function hasgen.notify_change() and, on each
// table and each of its partitions (inserts straight into a partition
// fire only the partition's triggers), a statement-level trigger
// hasgen_changes. It is idempotent. Views and other relations that cannot
// have the trigger are skipped with a notice: subscriptions that read
// them are always polled. Partitions created later need it run again.
func ChangeHintsInstallSQL(tables []TableName) string {
	var b strings.Builder
	b.WriteString(`-- hasgen change hints: a statement-level trigger on each tracked table
-- notifies channel ` + hintChannel + ` with the table's name when a statement
-- changes it; a server with HASGEN_CHANGE_HINTS (or auto-detection) skips the
-- subscription polls whose tables did not change. Idempotent.
BEGIN;

CREATE SCHEMA IF NOT EXISTS hasgen;

CREATE OR REPLACE FUNCTION ` + hintFunction + `() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify('` + hintChannel + `', TG_ARGV[0]);
  RETURN NULL;
END
$fn$;

`)
	for _, t := range sortedTables(tables) {
		name := catalog.QuoteIdent(t.Schema) + "." + catalog.QuoteIdent(t.Name)
		fmt.Fprintf(&b, `DO $do$
DECLARE rel regclass;
BEGIN
  FOR rel IN
    WITH RECURSIVE tree(oid) AS (
      SELECT %[1]s::regclass::oid
      UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits AS i JOIN tree ON i.inhparent = tree.oid)
    SELECT tree.oid::regclass FROM tree JOIN pg_catalog.pg_class AS c ON c.oid = tree.oid
  LOOP
    IF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = rel) IN ('r', 'p') THEN
      EXECUTE format('DROP TRIGGER IF EXISTS %[2]s ON %%s', rel);
      EXECUTE format('CREATE TRIGGER %[2]s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %%s FOR EACH STATEMENT EXECUTE FUNCTION %[3]s(%%L)', rel, %[4]s);
    ELSE
      RAISE NOTICE 'hasgen change hints: %% is not a table; subscriptions reading it are always polled', rel;
    END IF;
  END LOOP;
END
$do$;

`, catalog.QuoteLiteral(name), hintTrigger, hintFunction, catalog.QuoteLiteral(t.Schema+"."+t.Name))
	}
	b.WriteString("COMMIT;\n")
	return b.String()
}

// ChangeHintsUninstallSQL returns the migration that removes change hints:
// the function and, with it, every trigger that calls it.
func ChangeHintsUninstallSQL() string {
	return `-- Remove hasgen change hints: the trigger function and every trigger using it.
BEGIN;
DROP FUNCTION IF EXISTS ` + hintFunction + `() CASCADE;
DROP SCHEMA IF EXISTS hasgen;
COMMIT;
`
}

func sortedTables(tables []TableName) []TableName {
	out := append([]TableName(nil), tables...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out
}
