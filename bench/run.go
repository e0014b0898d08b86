package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/templates"
	"github.com/jackc/pgx/v5"
)

// query is one benchmark query. graphql-bench's three are run as admin;
// the role-filtered one as a customer, through their invoices.
type query struct {
	Name    string
	GraphQL string
	Role    string
	Session map[string]string
}

var queries = []query{
	{Name: "AlbumByPK", GraphQL: `query AlbumByPK { albums_by_pk(id: 1) { id title } }`, Role: "admin"},
	{Name: "SearchAlbumsWithArtist", GraphQL: `query SearchAlbumsWithArtist { albums(where: {title: {_like: "%Rock%"}}) { id title artist { name id } } }`, Role: "admin"},
	{Name: "AlbumsArtistTracksGenreAll", GraphQL: `query AlbumsArtistTracksGenreAll { albums { id title artist { id name } tracks { id name genre { name } } } }`, Role: "admin"},
	{Name: "CustomerInvoicesRole", GraphQL: `query CustomerInvoicesRole { customers { id first_name invoices(order_by: {id: asc}) { id total invoice_lines { quantity track { name } } } } }`,
		Role: "customer", Session: map[string]string{"x-hasura-user-id": "2"}},
}

const adminSecret = "bench-secret"

// contender is a server under test.
type contender struct {
	name    string
	pid     int
	request func(q query) *http.Request
	stop    func()
}

func run(ctx context.Context, o options) error {
	root, err := e2e.RepoRoot()
	if err != nil {
		return err
	}
	qs := queries
	if len(o.queries) > 0 {
		qs = nil
		for _, name := range o.queries {
			found := false
			for _, q := range queries {
				if q.Name == name {
					qs = append(qs, q)
					found = true
				}
			}
			if !found {
				return fmt.Errorf("unknown query %q", name)
			}
		}
	}

	log("database: loading graphql-bench's Chinook")
	srv, err := pgtest.FromEnv(ctx)
	if err != nil {
		return err
	}
	defer srv.Close()
	dbName := "hasgen_bench"
	srv.DropDatabase(ctx, dbName)
	url, err := srv.CreateDatabase(ctx, dbName, "")
	if err != nil {
		return err
	}
	defer srv.DropDatabase(context.Background(), dbName)
	dataset := filepath.Join(root, "..", "shared", "datasets", "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql")
	if err := srv.LoadFiles(ctx, url, dataset); err != nil {
		return err
	}
	config := filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml")

	// Pin this process (the load generator) to CPU 0 once Postgres runs
	// unpinned; servers go to the other CPUs.
	serverCPUs := ""
	if n := goruntime.NumCPU(); n >= 2 {
		if err := exec.Command("taskset", "-a", "-cp", "0", strconv.Itoa(os.Getpid())).Run(); err == nil {
			serverCPUs = fmt.Sprintf("1-%d", n-1)
			log("load generator pinned to CPU 0, servers to CPU %s", serverCPUs)
		}
	}

	log("generating and building the hasgen server")
	build, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: url, Config: config})
	if err != nil {
		return err
	}
	sqls, err := compiledSQL(ctx, url, config, qs)
	if err != nil {
		return err
	}

	var contenders []*contender
	hg, err := startHasgen(ctx, build, url, serverCPUs)
	if err != nil {
		return err
	}
	defer hg.stop()
	contenders = append(contenders, hg)
	raw, err := startRaw(ctx, url, serverCPUs, sqls)
	if err != nil {
		return err
	}
	defer raw.stop()
	contenders = append(contenders, raw)

	log("checking that every contender returns the same data")
	for _, q := range qs {
		var want []byte
		for _, c := range contenders {
			got, err := fetch(c.request(q))
			if err != nil {
				return fmt.Errorf("%s %s: %w", c.name, q.Name, err)
			}
			data, err := canonicalData(got)
			if err != nil {
				return fmt.Errorf("%s %s: %w: %.300s", c.name, q.Name, err, got)
			}
			if want == nil {
				want = data
			} else if !bytes.Equal(want, data) {
				return fmt.Errorf("%s answers %s differently from %s", c.name, q.Name, contenders[0].name)
			}
		}
	}

	measureFn := measure
	if o.loadgen == "wrk" || (o.loadgen == "auto" && o.rate == 0 && haveWrk()) {
		measureFn = measureWrk
		log("load generator: wrk")
	} else {
		log("load generator: Go net/http client")
	}
	results := map[string]map[string]*result{} // query → contender → result
	for _, q := range qs {
		results[q.Name] = map[string]*result{}
		for _, c := range contenders {
			log("warm-up: %s on %s", q.Name, c.name)
			if _, err := measureFn(ctx, c, q, o, o.warmup); err != nil {
				return err
			}
			results[q.Name][c.name] = &result{}
		}
		for r := 0; r < o.rounds; r++ {
			for _, c := range contenders {
				m, err := measureFn(ctx, c, q, o, o.duration)
				if err != nil {
					return err
				}
				results[q.Name][c.name].add(m)
				log("round %d: %-26s %-8s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  cpu %3.0f%%",
					r+1, q.Name, c.name, m.rps(), ms(m.p(50)), ms(m.p(99)), m.cpu*100)
			}
		}
	}
	report := markdown(qs, contenders, results, o)
	fmt.Println(report)
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(o.out, "results.md"), []byte(report), 0o644)
	}
	return nil
}

func log(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05")+" "+format+"\n", args...)
}

// compiledSQL returns, per query, the statement hasgen compiles for it and
// its parameters bound: what the raw pgx server runs.
func compiledSQL(ctx context.Context, url, config string, qs []query) (map[string]rawQuery, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	db, err := introspect.Load(ctx, conn, nil)
	conn.Close(ctx)
	if err != nil {
		return nil, err
	}
	md, err := metadata.Load(config, db)
	if err != nil {
		return nil, err
	}
	p, err := model.Build(db, md)
	if err != nil {
		return nil, err
	}
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		return nil, err
	}
	engine, err := runtime.NewEngine(cfg, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]rawQuery{}
	for _, q := range qs {
		s := &runtime.Session{Role: q.Role, Vars: q.Session}
		ex, gerr := engine.Explain(s, &runtime.Request{Query: q.GraphQL})
		if gerr != nil {
			return nil, fmt.Errorf("%s: %s", q.Name, gerr.Message)
		}
		if len(ex) != 1 {
			return nil, fmt.Errorf("%s: %d statements, want 1", q.Name, len(ex))
		}
		if ex[0].Args == nil && len(ex[0].Params) > 0 {
			return nil, fmt.Errorf("%s: parameters cannot be bound: %v", q.Name, ex[0].Params)
		}
		out[q.Name] = rawQuery{Key: ex[0].Field, SQL: ex[0].SQL, Args: ex[0].Args}
	}
	return out, nil
}

func startHasgen(ctx context.Context, b *e2e.Build, url, cpus string) (*contender, error) {
	env := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":   url,
		"HASURA_GRAPHQL_ADMIN_SECRET":   adminSecret,
		"HASURA_GRAPHQL_PG_CONNECTIONS": "32",
		"HASGEN_LOG_LEVEL":              "warn",
	}
	pinned := *b
	if cpus != "" {
		wrapper, err := pinScript(b.Binary, cpus)
		if err != nil {
			return nil, err
		}
		pinned.Binary = wrapper
	}
	s, err := pinned.Start(ctx, env)
	if err != nil {
		return nil, err
	}
	c := &contender{name: "hasgen", pid: s.PID(), stop: func() { s.Stop() }}
	c.request = func(q query) *http.Request {
		body, _ := json.Marshal(map[string]string{"query": q.GraphQL})
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
		if q.Role != "admin" {
			req.Header.Set("X-Hasura-Role", q.Role)
			for k, v := range q.Session {
				req.Header.Set(k, v)
			}
		}
		return req
	}
	return c, nil
}

// pinScript writes a script that execs binary under taskset, so that the
// pid the harness watches is the server's.
func pinScript(binary, cpus string) (string, error) {
	path := binary + ".pinned.sh"
	script := "#!/bin/sh\nexec taskset -c " + cpus + " " + binary + " \"$@\"\n"
	return path, os.WriteFile(path, []byte(script), 0o755)
}

func fetch(req *http.Request) ([]byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return b, nil
}

// canonicalData returns a response's data re-encoded, so that responses
// that differ only in whitespace compare equal.
func canonicalData(b []byte) ([]byte, error) {
	var r struct {
		Data   any `json:"data"`
		Errors any `json:"errors"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&r); err != nil {
		return nil, err
	}
	if r.Errors != nil || r.Data == nil {
		return nil, fmt.Errorf("errors in the response")
	}
	return json.Marshal(r.Data)
}

func haveWrk() bool {
	_, err := exec.LookPath("wrk")
	return err == nil
}
