package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/runtime/events"
)

// captureSchema is the database of the capture tests: a table whose name
// and columns need quoting, a json column (no equality operator) and a
// nullable watched column.
const captureSchema = `
CREATE TABLE public.items (id serial PRIMARY KEY, name text, note text, doc json);
CREATE SCHEMA "Shop";
CREATE TABLE "Shop"."Order Lines" ("Id" int PRIMARY KEY, "Qty" int, "Price" numeric);
`

// captureConfig watches items: every insert, updates of name (payload
// id and name), every delete; and every change of "Shop"."Order Lines".
func captureConfig() *events.Config {
	return &events.Config{Triggers: []events.Trigger{
		{Name: "items_changed", Schema: "public", Table: "items",
			Insert: &events.Operation{},
			Update: &events.Operation{Columns: []string{"name"}, Payload: []string{"id", "name"}},
			Delete: &events.Operation{}},
		{Name: "order-lines", Schema: "Shop", Table: "Order Lines",
			Insert: &events.Operation{}, Update: &events.Operation{}},
	}}
}

// captureDB returns a pool on a fresh database of captureSchema with cfg
// installed.
func captureDB(t *testing.T, cfg *events.Config) *pgxpool.Pool {
	t.Helper()
	return dbWith(t, captureSchema+events.InstallSQL(cfg))
}

// capturedEvent is an event_log row, its payload decoded.
type capturedEvent struct {
	Schema, Table, Trigger string
	Op                     string
	Old, New               any
	Session                any
}

// drain returns the events logged so far, in the order they were
// written, and deletes them.
func drain(t *testing.T, pool *pgxpool.Pool) []capturedEvent {
	t.Helper()
	ctx := context.Background()
	// One transaction's events share created_at; ctid is the order they
	// were written in, as the log's rows are never updated here.
	rows, err := pool.Query(ctx, `SELECT schema_name, table_name, trigger_name, payload, created_at, id
		FROM hdb_catalog.event_log ORDER BY created_at, ctid`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		e   capturedEvent
		raw []byte
	}
	var got []row
	for rows.Next() {
		var r row
		var id string
		var at any
		if err := rows.Scan(&r.e.Schema, &r.e.Table, &r.e.Trigger, &r.raw, &at, &id); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM hdb_catalog.event_log`); err != nil {
		t.Fatal(err)
	}
	var out []capturedEvent
	for _, r := range got {
		var p struct {
			Op   string `json:"op"`
			Data struct {
				Old any `json:"old"`
				New any `json:"new"`
			} `json:"data"`
			Session any `json:"session_variables"`
		}
		if err := json.Unmarshal(r.raw, &p); err != nil {
			t.Fatalf("payload %s: %v", r.raw, err)
		}
		e := r.e
		e.Op, e.Old, e.New, e.Session = p.Op, p.Data.Old, p.Data.New, p.Session
		out = append(out, e)
	}
	return out
}

// write runs sql in a transaction whose session variables are vars, as a
// mutation does (hasura.user).
func write(t *testing.T, pool *pgxpool.Pool, vars string, sql string) {
	t.Helper()
	inSession(t, pool, vars, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
		return nil
	})
}

// TestCapture: each write to a watched table logs the event Hasura's
// trigger would, in the writing transaction, with its session
// variables; an update of an unwatched column logs nothing.
func TestCapture(t *testing.T) {
	pool := captureDB(t, captureConfig())
	user := `{"x-hasura-role": "user", "x-hasura-user-id": "7"}`
	session := map[string]any{"x-hasura-role": "user", "x-hasura-user-id": "7"}
	items := func(op string, old, new any) capturedEvent {
		return capturedEvent{Schema: "public", Table: "items", Trigger: "items_changed", Op: op, Old: old, New: new, Session: session}
	}
	row := func(id float64, name, note, doc any) map[string]any {
		return map[string]any{"id": id, "name": name, "note": note, "doc": doc}
	}
	cases := []struct {
		name, sql string
		want      []capturedEvent
	}{
		{"insert", `INSERT INTO items (name, note, doc) VALUES ('a', 'n', '{"k": 1}')`,
			[]capturedEvent{items("INSERT", nil, row(1, "a", "n", map[string]any{"k": 1.0}))}},
		{"update of an unwatched column", `UPDATE items SET note = 'm', doc = '[]' WHERE id = 1`, nil},
		{"update to the same value", `UPDATE items SET name = 'a' WHERE id = 1`, nil},
		{"update of a watched column", `UPDATE items SET name = 'b' WHERE id = 1`,
			[]capturedEvent{items("UPDATE", map[string]any{"id": 1.0, "name": "a"}, map[string]any{"id": 1.0, "name": "b"})}},
		{"update to null", `UPDATE items SET name = NULL WHERE id = 1`,
			[]capturedEvent{items("UPDATE", map[string]any{"id": 1.0, "name": "b"}, map[string]any{"id": 1.0, "name": nil})}},
		{"update from null", `UPDATE items SET name = 'c' WHERE id = 1`,
			[]capturedEvent{items("UPDATE", map[string]any{"id": 1.0, "name": nil}, map[string]any{"id": 1.0, "name": "c"})}},
		{"delete", `DELETE FROM items WHERE id = 1`,
			[]capturedEvent{items("DELETE", row(1, "c", "m", []any{}), nil)}},
		{"rolled back", `INSERT INTO items (name) VALUES ('x'); SELECT 1/0`, nil},
		{"quoted names, every column watched", `INSERT INTO "Shop"."Order Lines" VALUES (1, 2, 1.0); UPDATE "Shop"."Order Lines" SET "Qty" = "Qty"; UPDATE "Shop"."Order Lines" SET "Qty" = 3`,
			[]capturedEvent{
				{Schema: "Shop", Table: "Order Lines", Trigger: "order-lines", Op: "INSERT", New: map[string]any{"Id": 1.0, "Qty": 2.0, "Price": 1.0}, Session: session},
				{Schema: "Shop", Table: "Order Lines", Trigger: "order-lines", Op: "UPDATE", Old: map[string]any{"Id": 1.0, "Qty": 2.0, "Price": 1.0},
					New: map[string]any{"Id": 1.0, "Qty": 3.0, "Price": 1.0}, Session: session},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "rolled back" {
				ctx := context.Background()
				tx, err := pool.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec(ctx, c.sql); err == nil {
					t.Fatal("the statement did not fail")
				}
				tx.Rollback(ctx)
			} else {
				write(t, pool, user, c.sql)
			}
			if diff := cmp.Diff(c.want, drain(t, pool)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}

	// Without hasura.user (a write outside hasgen) the session is null.
	write(t, pool, "", `INSERT INTO items (id, name) VALUES (10, 'z')`)
	got := drain(t, pool)
	if len(got) != 1 || got[0].Session != nil {
		t.Errorf("events without a session: %+v", got)
	}
}

// TestCaptureJSONColumnWatched: with every column watched, a table with a
// json column (no equality operator) still compares rows: by their bytes.
func TestCaptureJSONColumnWatched(t *testing.T) {
	cfg := &events.Config{Triggers: []events.Trigger{{Name: "docs", Schema: "public", Table: "items", Update: &events.Operation{}}}}
	pool := captureDB(t, cfg)
	write(t, pool, "", `INSERT INTO items (id, name, doc) VALUES (1, 'a', '{"k": 1}')`)
	for _, c := range []struct {
		sql  string
		want int
	}{
		{`UPDATE items SET name = name`, 0},
		{`UPDATE items SET doc = '{"k": 2}'`, 1},
		{`UPDATE items SET doc = doc, note = NULL`, 0},
		{`UPDATE items SET note = 'x'`, 1},
	} {
		write(t, pool, "", c.sql)
		if got := drain(t, pool); len(got) != c.want {
			t.Errorf("%s: %d events, want %d: %+v", c.sql, len(got), c.want, got)
		}
	}
}

// triggerNames lists the notify_hasura_* triggers and functions of the
// database.
func triggerNames(t *testing.T, pool *pgxpool.Pool) (triggers, functions []string) {
	t.Helper()
	list := func(sql string) []string {
		rows, err := pool.Query(context.Background(), sql)
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	return list(`SELECT tgname || ' on ' || tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'notify\_hasura\_%' ORDER BY 1`),
		list(`SELECT proname::text FROM pg_proc WHERE pronamespace = 'hdb_catalog'::regnamespace AND proname LIKE 'notify\_hasura\_%' ORDER BY 1`)
}

// TestInstallIdempotentAndUninstall: installing again changes nothing;
// installing a smaller config drops what left it; uninstalling drops
// every trigger and function and keeps the log.
func TestInstallIdempotentAndUninstall(t *testing.T) {
	cfg := captureConfig()
	pool := captureDB(t, cfg)
	ctx := context.Background()
	wantTriggers := []string{
		`notify_hasura_items_changed_DELETE on items`, `notify_hasura_items_changed_INSERT on items`, `notify_hasura_items_changed_UPDATE on items`,
		`notify_hasura_order-lines_INSERT on "Shop"."Order Lines"`, `notify_hasura_order-lines_UPDATE on "Shop"."Order Lines"`,
	}
	wantFunctions := []string{"notify_hasura_items_changed_DELETE", "notify_hasura_items_changed_INSERT", "notify_hasura_items_changed_UPDATE",
		"notify_hasura_order-lines_INSERT", "notify_hasura_order-lines_UPDATE"}
	write(t, pool, "", `INSERT INTO items (name) VALUES ('kept')`)
	if _, err := pool.Exec(ctx, events.InstallSQL(cfg)); err != nil {
		t.Fatalf("second install: %v", err)
	}
	tr, fn := triggerNames(t, pool)
	if diff := cmp.Diff(wantTriggers, tr); diff != "" {
		t.Errorf("triggers after two installs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFunctions, fn); diff != "" {
		t.Errorf("functions after two installs (-want +got):\n%s", diff)
	}
	if err := events.Check(ctx, pool, cfg); err != nil {
		t.Errorf("check after two installs: %v", err)
	}

	// The delete and the second trigger leave the config.
	small := captureConfig()
	small.Triggers = small.Triggers[:1]
	small.Triggers[0].Delete = nil
	if _, err := pool.Exec(ctx, events.InstallSQL(small)); err != nil {
		t.Fatalf("install of fewer triggers: %v", err)
	}
	tr, fn = triggerNames(t, pool)
	if diff := cmp.Diff(wantTriggers[1:3], tr); diff != "" {
		t.Errorf("triggers left (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFunctions[1:3], fn); diff != "" {
		t.Errorf("functions left (-want +got):\n%s", diff)
	}
	if err := events.Check(ctx, pool, small); err != nil {
		t.Errorf("check: %v", err)
	}

	for i := 0; i < 2; i++ {
		if _, err := pool.Exec(ctx, events.UninstallSQL(small)); err != nil {
			t.Fatalf("uninstall %d: %v", i+1, err)
		}
	}
	tr, fn = triggerNames(t, pool)
	if len(tr)+len(fn) != 0 {
		t.Errorf("left after uninstall: %v %v", tr, fn)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM hdb_catalog.event_log`).Scan(&n); err != nil || n != 1 {
		t.Errorf("event log after uninstall: %d rows, %v", n, err)
	}
	write(t, pool, "", `INSERT INTO items (name) VALUES ('not captured')`)
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM hdb_catalog.event_log`).Scan(&n); err != nil || n != 1 {
		t.Errorf("an insert after uninstall was captured: %d rows, %v", n, err)
	}
}

// TestCheck: each kind of drift is named.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	cfg := captureConfig()
	cases := []struct {
		name  string
		drift string // SQL run after install
		cfg   func(*events.Config)
		want  events.CheckError
	}{
		{name: "in sync"},
		{name: "dropped trigger", drift: `DROP TRIGGER "notify_hasura_items_changed_DELETE" ON items`,
			want: events.CheckError{Missing: []string{"notify_hasura_items_changed_DELETE on public.items"}}},
		{name: "disabled trigger", drift: `ALTER TABLE items DISABLE TRIGGER "notify_hasura_items_changed_INSERT"`,
			want: events.CheckError{Stale: []string{"notify_hasura_items_changed_INSERT on public.items (disabled)"}}},
		{name: "function edited", drift: `CREATE OR REPLACE FUNCTION hdb_catalog."notify_hasura_items_changed_INSERT"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
			want: events.CheckError{Stale: []string{"notify_hasura_items_changed_INSERT on public.items (its function was changed since it was installed)"}}},
		{name: "metadata changed", cfg: func(c *events.Config) { c.Triggers[0].Update.Columns = []string{"name", "note"} },
			want: events.CheckError{Stale: []string{"notify_hasura_items_changed_UPDATE on public.items (its function is not the one the metadata declares)"}}},
		{name: "trigger removed from the metadata", cfg: func(c *events.Config) { c.Triggers = c.Triggers[:1] },
			want: events.CheckError{Extra: []string{"notify_hasura_order-lines_INSERT on Shop.Order Lines", "notify_hasura_order-lines_UPDATE on Shop.Order Lines"}}},
		{name: "trigger added to the metadata", cfg: func(c *events.Config) {
			c.Triggers = append(c.Triggers, events.Trigger{Name: "new", Schema: "public", Table: "items", Insert: &events.Operation{}})
		}, want: events.CheckError{Missing: []string{"notify_hasura_new_INSERT on public.items"}}},
		{name: "fires before", drift: `DROP TRIGGER "notify_hasura_items_changed_INSERT" ON items;
			CREATE TRIGGER "notify_hasura_items_changed_INSERT" BEFORE INSERT ON items FOR EACH ROW EXECUTE PROCEDURE hdb_catalog."notify_hasura_items_changed_INSERT"()`,
			want: events.CheckError{Stale: []string{"notify_hasura_items_changed_INSERT on public.items (it does not fire AFTER INSERT FOR EACH ROW)"}}},
		{name: "no catalog", drift: `DROP TABLE hdb_catalog.event_log`, want: events.CheckError{Catalog: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pool := captureDB(t, cfg)
			if c.drift != "" {
				if _, err := pool.Exec(ctx, c.drift); err != nil {
					t.Fatal(err)
				}
			}
			want := captureConfig()
			if c.cfg != nil {
				c.cfg(want)
			}
			err := events.Check(ctx, pool, want)
			var got events.CheckError
			var ce *events.CheckError
			switch {
			case errors.As(err, &ce):
				got = *ce
			case err != nil:
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("drift (-want +got):\n%s", diff)
			}
			if err != nil && !strings.Contains(err.Error(), "hasgen triggers install") {
				t.Errorf("the error does not say what to do: %v", err)
			}
			if err == nil && c.name != "in sync" {
				t.Error("no drift reported")
			}
			if c.name == "in sync" {
				return
			}
			// Installing the metadata's triggers again repairs the drift.
			if _, err := pool.Exec(ctx, events.InstallSQL(want)); err != nil {
				t.Fatalf("reinstall: %v", err)
			}
			if err := events.Check(ctx, pool, want); err != nil {
				t.Errorf("after reinstall: %v", err)
			}
		})
	}
}

// TestInstallReplacesHasuras: a database Hasura served has its own
// notify_hasura_* functions (no hasgen comment): Check calls them stale
// and InstallSQL replaces them under the same names.
func TestInstallReplacesHasuras(t *testing.T) {
	ctx := context.Background()
	pool := dbWith(t, captureSchema+events.CatalogSQL+`
CREATE FUNCTION hdb_catalog."notify_hasura_items_changed_INSERT"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM hdb_catalog.insert_event_log(CAST(TG_TABLE_SCHEMA AS text), CAST(TG_TABLE_NAME AS text), CAST('items_changed' AS text), TG_OP,
    json_build_object('old', NULL, 'new', row_to_json(NEW)));
  RETURN NULL;
END;
$$;
CREATE TRIGGER "notify_hasura_items_changed_INSERT" AFTER INSERT ON items FOR EACH ROW EXECUTE PROCEDURE hdb_catalog."notify_hasura_items_changed_INSERT"();
CREATE FUNCTION hdb_catalog."notify_hasura_gone_DELETE"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER "notify_hasura_gone_DELETE" AFTER DELETE ON items FOR EACH ROW EXECUTE PROCEDURE hdb_catalog."notify_hasura_gone_DELETE"();
`)
	cfg := captureConfig()
	var ce *events.CheckError
	if err := events.Check(ctx, pool, cfg); !errors.As(err, &ce) || len(ce.Stale) != 1 || len(ce.Extra) != 1 || len(ce.Missing) != 4 {
		t.Fatalf("check of Hasura's triggers: %v", err)
	}
	if _, err := pool.Exec(ctx, events.InstallSQL(cfg)); err != nil {
		t.Fatal(err)
	}
	if err := events.Check(ctx, pool, cfg); err != nil {
		t.Errorf("after install: %v", err)
	}
	tr, _ := triggerNames(t, pool)
	for _, name := range tr {
		if strings.Contains(name, "gone") {
			t.Errorf("Hasura's trigger no longer in the metadata is left: %s", name)
		}
	}
}

// TestInstallSQLGolden compares the migrations of captureConfig with
// testdata/golden/events/capture/, where a reviewer reads them.
func TestInstallSQLGolden(t *testing.T) {
	dir := filepath.Join(golden.Dir(t), "events", "capture")
	golden.Compare(t, filepath.Join(dir, "install.sql"), []byte(events.InstallSQL(captureConfig())))
	golden.Compare(t, filepath.Join(dir, "uninstall.sql"), []byte(events.UninstallSQL(captureConfig())))
}

// TestInstallSQLDeterministic: the migration depends on the config only,
// not on its order.
func TestInstallSQLDeterministic(t *testing.T) {
	a, b := captureConfig(), captureConfig()
	b.Triggers[0], b.Triggers[1] = b.Triggers[1], b.Triggers[0]
	if events.InstallSQL(a) != events.InstallSQL(b) {
		t.Error("InstallSQL depends on the order of the triggers")
	}
	if !strings.Contains(events.InstallSQL(a), events.CatalogSQL) {
		t.Error("InstallSQL does not create the catalog")
	}
}

// BenchmarkCaptureInsert measures what capture costs a write: one
// single-row INSERT (autocommit) per op into a table without a trigger,
// then with captureConfig's triggers installed; and one UPDATE of a
// watched and of an unwatched column.
func BenchmarkCaptureInsert(b *testing.B) {
	ctx := context.Background()
	pool := dbWith(b, captureSchema+events.CatalogSQL)
	insert := func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := pool.Exec(ctx, `INSERT INTO items (name, note) VALUES ($1, 'n')`, "x"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
	}
	b.Run("no trigger", insert)
	if _, err := pool.Exec(ctx, events.InstallSQL(captureConfig())); err != nil {
		b.Fatal(err)
	}
	b.Run("with trigger", insert)
	if _, err := pool.Exec(ctx, `INSERT INTO items (id, name) VALUES (-1, 'u')`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, sql string }{
		{"update watched", `UPDATE items SET name = $1 WHERE id = -1`},
		{"update unwatched", `UPDATE items SET note = $1 WHERE id = -1`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := pool.Exec(ctx, c.sql, strconv.Itoa(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
		})
	}
}
