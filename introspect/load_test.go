package introspect_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Load takes a connection, a pool or a transaction.
var (
	_ introspect.Querier = (*pgx.Conn)(nil)
	_ introspect.Querier = (*pgxpool.Pool)(nil)
	_ introspect.Querier = pgx.Tx(nil)
)

// datasets returns the shared datasets directory, a sibling of the
// repository root (the directory holding go.mod).
func datasets(t testing.TB) string {
	t.Helper()
	root := filepath.Dir(filepath.Dir(golden.Dir(t)))
	dir := filepath.Join(root, "..", "shared", "datasets")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("datasets: %v (expected next to the repository, at ../shared/datasets)", err)
	}
	return dir
}

func pagilaFiles(t testing.TB) []string {
	d := datasets(t)
	return []string{filepath.Join(d, "pagila", "pagila-schema.sql"), filepath.Join(d, "pagila", "pagila-data.sql")}
}

// connect opens a connection closed when the test ends. params are
// session settings (RuntimeParams).
func connect(t testing.TB, url string, params map[string]string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func load(t testing.TB, db introspect.Querier, schemas ...string) *introspect.Schema {
	t.Helper()
	s, err := introspect.Load(context.Background(), db, schemas)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func snapshot(t testing.TB, s *introspect.Schema) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := introspect.WriteSnapshot(&buf, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// oddSettings are session settings that change how Postgres prints names,
// dates and numbers; Load's output must not depend on them.
var oddSettings = map[string]string{
	"search_path":           "public, app, other",
	"DateStyle":             "SQL, DMY",
	"IntervalStyle":         "sql_standard",
	"TimeZone":              "Asia/Kolkata",
	"extra_float_digits":    "0",
	"quote_all_identifiers": "on",
}

// TestLoadGolden introspects each dataset twice, in two databases loaded
// separately (so OIDs differ) and through sessions with different settings,
// compares the two snapshots byte for byte, compares them with the golden
// file, and reads the snapshot back.
func TestLoadGolden(t *testing.T) {
	t.Parallel()
	d := datasets(t)
	fixture := filepath.Join(t.TempDir(), "fixture.sql")
	if err := os.WriteFile(fixture, []byte(fixtureSQL), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		files   []string
		schemas []string
	}{
		{"chinook", []string{filepath.Join(d, "chinook", "Chinook_PostgreSql.sql")}, nil},
		{"chinook_pascal", []string{filepath.Join(d, "chinook", "Chinook_PostgreSql_v1.4_PascalCase.sql")}, nil},
		{"chinook_graphql_bench", []string{filepath.Join(d, "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql")}, nil},
		{"pagila", pagilaFiles(t), nil},
		{"fixture", []string{fixture}, fixtureSchemas},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			first := load(t, connect(t, pgtest.NewDatabase(t, tc.files...), nil), tc.schemas...)

			// A second database loaded from scratch, not copied from the
			// first's template: its objects get other OIDs.
			url := pgtest.NewDatabase(t)
			if err := pgtest.Shared(t).LoadFiles(ctx, url, tc.files...); err != nil {
				t.Fatal(err)
			}
			second := load(t, connect(t, url, oddSettings), tc.schemas...)

			a, b := snapshot(t, first), snapshot(t, second)
			if !bytes.Equal(a, b) {
				t.Errorf("two loads differ (-first +second):\n%s", cmp.Diff(string(a), string(b)))
			}
			golden.Compare(t, filepath.Join(golden.Dir(t), "introspect", tc.name+".json"), a)

			back, err := introspect.ReadSnapshot(bytes.NewReader(a))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(first, back); diff != "" {
				t.Errorf("snapshot read back differs (-loaded +read):\n%s", diff)
			}
			if again := snapshot(t, back); !bytes.Equal(a, again) {
				t.Errorf("snapshot written again differs:\n%s", cmp.Diff(string(a), string(again)))
			}
		})
	}
}

func TestPagila(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pagilaFiles(t)...)
	conn := connect(t, url, nil)
	start := time.Now()
	s := load(t, conn)
	cold := time.Since(start)
	start = time.Now()
	load(t, conn)
	t.Logf("Load(pagila): %v on a new connection, %v on a warm one (%d tables, %d columns)",
		cold, time.Since(start), len(s.Tables), countColumns(s))

	table := func(name string) *introspect.Table {
		t.Helper()
		tb := s.Table("public", name)
		if tb == nil {
			t.Fatalf("no table public.%s", name)
		}
		return tb
	}
	column := func(tb *introspect.Table, name string) *introspect.Column {
		t.Helper()
		c := tb.Column(name)
		if c == nil {
			t.Fatalf("no column %s.%s", tb.Name, name)
		}
		return c
	}

	if got := table("payment").Kind; got != introspect.KindPartitionedTable {
		t.Errorf("payment is %s, want %s", got, introspect.KindPartitionedTable)
	}
	if pk := table("payment").PrimaryKey; pk == nil || !slices.Equal(pk.Columns, []string{"payment_date", "payment_id"}) {
		t.Errorf("payment primary key = %+v, want (payment_date, payment_id)", pk)
	}
	for _, tb := range s.Tables {
		if len(tb.Name) > len("payment_p") && tb.Name[:len("payment_p")] == "payment_p" {
			t.Errorf("partition %s is listed as a table", tb.Name)
		}
	}

	film := table("film")
	rating := column(film, "rating")
	wantRating := introspect.Type{Schema: "public", Name: "mpaa_rating", Kind: introspect.TypeEnum, SQL: "public.mpaa_rating"}
	if diff := cmp.Diff(wantRating, rating.Type); diff != "" {
		t.Errorf("film.rating type (-want +got):\n%s", diff)
	}
	if rating.Default != "'G'::public.mpaa_rating" {
		t.Errorf("film.rating default = %q", rating.Default)
	}
	if e := s.Enum("public", "mpaa_rating"); e == nil || !slices.Equal(e.Labels, []string{"G", "PG", "PG-13", "R", "NC-17"}) {
		t.Errorf("enum mpaa_rating = %+v, want labels G, PG, PG-13, R, NC-17", e)
	}
	if diff := cmp.Diff(introspect.Type{Schema: "pg_catalog", Name: "text", Kind: introspect.TypeBase, Dims: 1, SQL: "text[]"},
		column(film, "special_features").Type); diff != "" {
		t.Errorf("film.special_features type (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(introspect.Type{Schema: "pg_catalog", Name: "tsvector", Kind: introspect.TypeBase, SQL: "tsvector"},
		column(film, "fulltext").Type); diff != "" {
		t.Errorf("film.fulltext type (-want +got):\n%s", diff)
	}
	wantYear := introspect.Type{Schema: "public", Name: "year", Kind: introspect.TypeDomain, SQL: "public.year",
		Base: &introspect.Type{Schema: "pg_catalog", Name: "int4", Kind: introspect.TypeBase, SQL: "integer"}}
	if diff := cmp.Diff(wantYear, column(film, "release_year").Type); diff != "" {
		t.Errorf("film.release_year type (-want +got):\n%s", diff)
	}
	if got := column(film, "rental_rate").Type.SQL; got != "numeric(4,2)" {
		t.Errorf("film.rental_rate SQL = %q, want numeric(4,2)", got)
	}
	if got := column(film, "film_id").Default; got != "nextval('public.film_film_id_seq'::regclass)" {
		t.Errorf("film.film_id default = %q", got)
	}
	fk := film.ForeignKey("film_language_id_fkey")
	wantFK := &introspect.ForeignKey{Name: "film_language_id_fkey", Columns: []string{"language_id"}, RefSchema: "public",
		RefTable: "language", RefColumns: []string{"language_id"}, OnUpdate: "cascade", OnDelete: "restrict"}
	if diff := cmp.Diff(wantFK, fk); diff != "" {
		t.Errorf("film_language_id_fkey (-want +got):\n%s", diff)
	}

	// No column uses bıgınt, but it is a domain of public.
	domains := map[string]introspect.Domain{}
	for _, d := range s.Domains {
		domains[d.Schema+"."+d.Name] = d
	}
	if d, ok := domains["public.bıgınt"]; !ok || d.Base.Name != "int8" {
		t.Errorf("domain bıgınt = %+v, want one over int8", d)
	}
	if d := domains["public.year"]; len(d.Checks) != 1 || d.Checks[0].Name != "year_check" ||
		d.Checks[0].Definition != "CHECK (((VALUE >= 1901) AND (VALUE <= 2155)))" {
		t.Errorf("domain year checks = %+v", d.Checks)
	}

	// Views, as Postgres's pg_relation_is_updatable sees them: actor_info
	// aggregates, customer_list joins; none is automatically updatable.
	for _, name := range []string{"actor_info", "customer_list", "film_list", "nicer_but_slower_film_list",
		"sales_by_film_category", "sales_by_store", "staff_list"} {
		v := table(name)
		if v.Kind != introspect.KindView || v.Insertable || v.Updatable || v.Deletable || v.PrimaryKey != nil {
			t.Errorf("%s: kind %s, insertable %v, updatable %v, deletable %v, pk %v; want a read-only view",
				name, v.Kind, v.Insertable, v.Updatable, v.Deletable, v.PrimaryKey)
		}
	}
	if mv := table("rental_by_category"); mv.Kind != introspect.KindMaterializedView || mv.Insertable || mv.Updatable || mv.Deletable {
		t.Errorf("rental_by_category = %s (%v %v %v), want a read-only materialized_view", mv.Kind, mv.Insertable, mv.Updatable, mv.Deletable)
	}
	if actor := table("actor"); !actor.Insertable || !actor.Updatable || !actor.Deletable {
		t.Errorf("actor is not writable")
	}

	var fns []string
	for _, f := range s.Functions {
		fns = append(fns, f.Schema+"."+f.Name)
	}
	if !slices.Equal(fns, []string{"public.rewards_report"}) {
		t.Errorf("functions = %v, want [public.rewards_report]", fns)
	}
	wantFn := introspect.Function{Schema: "public", Name: "rewards_report",
		Args: []introspect.Arg{
			{Name: "min_monthly_purchases", Type: introspect.Type{Schema: "pg_catalog", Name: "int4", Kind: introspect.TypeBase, SQL: "integer"}},
			{Name: "min_dollar_amount_purchased", Type: introspect.Type{Schema: "pg_catalog", Name: "numeric", Kind: introspect.TypeBase, SQL: "numeric"}},
		},
		ReturnSchema: "public", ReturnTable: "customer", Volatility: "volatile"}
	if len(s.Functions) == 1 {
		if diff := cmp.Diff(wantFn, s.Functions[0]); diff != "" {
			t.Errorf("rewards_report (-want +got):\n%s", diff)
		}
	}
}

func countColumns(s *introspect.Schema) int {
	n := 0
	for _, t := range s.Tables {
		n += len(t.Columns)
	}
	return n
}

// TestQueriers loads through each kind of Querier and checks that a
// caller's transaction and its settings are left as they were.
func TestQueriers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t, pagilaFiles(t)...)
	conn := connect(t, url, nil)
	want := snapshot(t, load(t, conn))

	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got := snapshot(t, load(t, pool)); !bytes.Equal(want, got) {
		t.Errorf("through a pool:\n%s", cmp.Diff(string(want), string(got)))
	}

	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = pg_catalog, public; SET LOCAL TimeZone = 'Europe/Paris'"); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, load(t, tx)); !bytes.Equal(want, got) {
		t.Errorf("through a read-only transaction:\n%s", cmp.Diff(string(want), string(got)))
	}
	var searchPath, tz string
	if err := tx.QueryRow(ctx, "SELECT current_setting('search_path'), current_setting('TimeZone')").Scan(&searchPath, &tz); err != nil {
		t.Fatalf("the transaction is not usable after Load: %v", err)
	}
	if searchPath != "pg_catalog, public" || tz != "Europe/Paris" {
		t.Errorf("after Load the transaction has search_path %q and TimeZone %q, want the caller's", searchPath, tz)
	}
}

func TestLoadDefaultsToPublic(t *testing.T) {
	t.Parallel()
	conn := connect(t, pgtest.NewDatabase(t), nil)
	for _, schemas := range [][]string{nil, {}, {"public", "public"}} {
		s := load(t, conn, schemas...)
		if !slices.Equal(s.Schemas, []string{"public"}) || s.Version != introspect.SnapshotVersion {
			t.Errorf("Load(%q): schemas %q, version %d", schemas, s.Schemas, s.Version)
		}
		if s.Tables == nil || len(s.Tables) != 0 {
			t.Errorf("Load(%q) of an empty database: tables %#v, want []", schemas, s.Tables)
		}
	}
}

func TestSchemaNotFound(t *testing.T) {
	t.Parallel()
	conn := connect(t, pgtest.NewDatabase(t), nil)
	cases := []struct {
		schemas []string
		want    string
	}{
		{[]string{"nope"}, `introspect: schema "nope" does not exist`},
		{[]string{"public", "Public"}, `introspect: schema "Public" does not exist`},
		{[]string{"zz", "public", "aa"}, `introspect: schemas "aa", "zz" do not exist`},
	}
	for _, tc := range cases {
		s, err := introspect.Load(context.Background(), conn, tc.schemas)
		if !errors.Is(err, introspect.ErrSchemaNotFound) {
			t.Errorf("Load(%q) = %v, %v; want ErrSchemaNotFound", tc.schemas, s, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("Load(%q) error = %q, want %q", tc.schemas, err, tc.want)
		}
	}
	// The connection is still usable.
	load(t, conn)
}

// queryCounter counts the statements a connection sends.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// manyTablesSQL is n tables, each with a foreign key to the one before, a
// unique constraint, a check and comments, and a view over each.
func manyTablesSQL(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `CREATE TABLE t%03d (
	id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	code text NOT NULL UNIQUE CHECK (code <> ''),
	parent integer%s,
	amount numeric(10,2) DEFAULT 0,
	tags text[],
	created timestamptz NOT NULL DEFAULT now(),
	note varchar(200),
	flag boolean
);
COMMENT ON TABLE t%03d IS 'Table %d.';
COMMENT ON COLUMN t%03d.code IS 'Its code.';
CREATE VIEW v%03d AS SELECT id, code, note FROM t%03d;
`, i, map[bool]string{true: fmt.Sprintf(" REFERENCES t%03d", i-1)}[i > 0], i, i, i, i, i)
	}
	return b.String()
}

// TestQueryCount checks that the number of catalog queries does not grow
// with the schema, and logs how long a large schema takes.
func TestQueryCount(t *testing.T) {
	t.Parallel()
	counts := map[int]int64{}
	for _, n := range []int{1, 300} {
		file := filepath.Join(t.TempDir(), "many.sql")
		if err := os.WriteFile(file, []byte(manyTablesSQL(n)), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := pgx.ParseConfig(pgtest.NewDatabase(t, file))
		if err != nil {
			t.Fatal(err)
		}
		counter := &queryCounter{}
		cfg.Tracer = counter
		ctx := context.Background()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		start := time.Now()
		s := load(t, conn)
		elapsed := time.Since(start)
		counts[n] = counter.n.Load()
		if len(s.Tables) != 2*n {
			t.Errorf("%d tables: Load found %d relations, want %d", n, len(s.Tables), 2*n)
		}
		t.Logf("%d tables and %d views (%d columns): %d statements, %v", n, n, countColumns(s), counts[n], elapsed)
	}
	if counts[1] != counts[300] || counts[1] > 10 {
		t.Errorf("Load sent %d statements for 1 table and %d for 300; want the same handful", counts[1], counts[300])
	}
}

// TestExecModes loads through every pgx query execution mode, PgBouncer-safe
// ones included, and expects the same snapshot.
func TestExecModes(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t, pagilaFiles(t)...)
	var want []byte
	for _, mode := range []pgx.QueryExecMode{
		pgx.QueryExecModeCacheStatement,
		pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec,
		pgx.QueryExecModeExec,
		pgx.QueryExecModeSimpleProtocol,
	} {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = mode
		ctx := context.Background()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		s, err := introspect.Load(ctx, conn, nil)
		if err != nil {
			t.Errorf("%v: %v", mode, err)
			continue
		}
		got := snapshot(t, s)
		if want == nil {
			want = got
		} else if !bytes.Equal(want, got) {
			t.Errorf("%v gives another snapshot:\n%s", mode, cmp.Diff(string(want), string(got)))
		}
	}
}

func BenchmarkLoadPagila(b *testing.B) {
	conn := connect(b, pgtest.NewDatabase(b, pagilaFiles(b)...), nil)
	ctx := context.Background()
	for b.Loop() {
		if _, err := introspect.Load(ctx, conn, nil); err != nil {
			b.Fatal(err)
		}
	}
}
