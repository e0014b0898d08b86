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
	"strings"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
)

const adminSecret = "bench-secret"

// contender is a server under test.
type contender struct {
	name string
	peer bool // PostGraphile or GraphJin, not hasgen or raw pgx
	pid  int  // the server's process; its children count too
	// request builds the request for q, or returns nil when the
	// contender does not run q.
	request func(q query) *http.Request
	// shape maps the contender's answer to q onto hasgen's.
	shape func(q query) normaliser
	stop  func()
}

func run(ctx context.Context, o options) error {
	defer pgtest.Cleanup() // the built servers' directories
	root, err := e2e.RepoRoot()
	if err != nil {
		return err
	}
	qs, err := selectQueries(o.queries)
	if err != nil {
		return err
	}
	var cache string
	if o.peers {
		// First, so that a missing npm fails before anything is built.
		if cache, err = cacheDir(); err != nil {
			return err
		}
		if err := installPeers(ctx, root, cache); err != nil {
			return err
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
	files := []string{dataset}
	if o.peers {
		// PostGraphile's roles are Postgres roles with row-level
		// security; the others connect as a superuser, which RLS does
		// not filter, and the equality check below confirms it.
		files = append(files, filepath.Join(root, "bench", "peers", "postgraphile-rls.sql"))
	}
	if err := srv.LoadFiles(ctx, url, files...); err != nil {
		return err
	}
	if err := analyze(ctx, url); err != nil {
		return err
	}
	config := filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml")
	env, err := describe(ctx, url, cache)
	if err != nil {
		return err
	}
	o.dbPID = env.dbPID

	// Pin this process (the load generator) to CPU 0 once Postgres runs
	// unpinned; servers go to the other CPUs.
	serverCPUs := ""
	if n := goruntime.NumCPU(); n >= 2 {
		if err := exec.Command("taskset", "-a", "-cp", "0", strconv.Itoa(os.Getpid())).Run(); err == nil {
			serverCPUs = fmt.Sprintf("1-%d", n-1)
			if n == 2 {
				serverCPUs = "1"
			}
			env.serverCPU = serverCPUs
			log("load generator pinned to CPU 0, servers to CPU %s", serverCPUs)
		}
	}

	log("generating and building the hasgen server")
	build, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: url, Config: config})
	if err != nil {
		return err
	}
	sqls := handWritten(qs)
	if o.rawSQL == "hasgen" {
		if sqls, err = compiledSQL(ctx, url, config, qs); err != nil {
			return err
		}
	}

	var contenders []*contender
	defer func() {
		for _, c := range contenders {
			c.stop()
		}
	}()
	start := func(name string, fn func() (*contender, error)) error {
		if !o.wants(name) {
			return nil
		}
		log("starting %s", name)
		c, err := fn()
		if err != nil {
			return err
		}
		contenders = append(contenders, c)
		return nil
	}
	steps := []struct {
		name string
		fn   func() (*contender, error)
	}{
		{"hasgen", func() (*contender, error) { return startHasgen(ctx, build, url, serverCPUs) }},
		{"raw pgx", func() (*contender, error) { return startRaw(ctx, url, serverCPUs, sqls) }},
		{"hasgen compiled", func() (*contender, error) { return startCompiled(ctx, url, config, serverCPUs, qs) }},
	}
	if o.peers {
		steps = append(steps, []struct {
			name string
			fn   func() (*contender, error)
		}{
			{"PostGraphile 5", func() (*contender, error) { return startPostGraphile(ctx, cache, postgraphile5, url, serverCPUs) }},
			{"PostGraphile 4", func() (*contender, error) { return startPostGraphile(ctx, cache, postgraphile4, url, serverCPUs) }},
			{"GraphJin", func() (*contender, error) { return startGraphJin(ctx, cache, url, serverCPUs, qs) }},
		}...)
	}
	for _, s := range steps {
		if err := start(s.name, s.fn); err != nil {
			return err
		}
	}
	if len(contenders) == 0 {
		return fmt.Errorf("no contender named in -contenders %q", strings.Join(o.contenders, ","))
	}

	log("checking that every contender returns the same data")
	if err := checkEqual(qs, contenders); err != nil {
		return err
	}

	measureFn := measure
	if o.loadgen == "wrk" || (o.loadgen == "auto" && o.rate == 0 && haveWrk()) {
		measureFn = measureWrk
		env.loadgen = "wrk (1 thread)"
	} else {
		env.loadgen = "Go net/http client"
	}
	log("load generator: %s", env.loadgen)
	results := map[string]map[string]*result{} // query → contender → result
	for _, q := range qs {
		results[q.Name] = map[string]*result{}
		var runs []*contender
		for _, c := range contenders {
			if c.request(q) != nil {
				runs = append(runs, c)
			}
		}
		for _, c := range runs {
			log("warm-up: %s on %s", q.Name, c.name)
			if _, err := measureFn(ctx, c, q, o, o.warmup); err != nil {
				return err
			}
			results[q.Name][c.name] = &result{}
		}
		for r := 0; r < o.rounds; r++ {
			for _, c := range runs {
				m, err := measureFn(ctx, c, q, o, o.duration)
				if err != nil {
					return err
				}
				results[q.Name][c.name].add(m)
				log("round %d: %-26s %-14s %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  cpu %3.0f%% %5.0f µs/req  db cpu %3.0f%% %5.0f µs/req",
					r+1, q.Name, c.name, m.rps(), ms(m.p(50)), ms(m.p(99)), m.cpu*100, m.cpu*1e6/m.rps(), m.dbCPU*100, m.dbCPU*1e6/m.rps())
			}
		}
	}
	report := markdown(qs, contenders, results, o, env)
	fmt.Println(report)
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(o.out, "results.md"), []byte(report), 0o644); err != nil {
			return err
		}
		for _, q := range qs {
			svg := chart(q, contenders, results[q.Name])
			if err := os.WriteFile(filepath.Join(o.out, q.Name+".svg"), []byte(svg), 0o644); err != nil {
				return err
			}
		}
		log("wrote %s", o.out)
	}
	return nil
}

// selectQueries returns the queries named, all of them for none.
func selectQueries(names []string) ([]query, error) {
	if len(names) == 0 {
		return queries, nil
	}
	var qs []query
	for _, name := range names {
		found := false
		for _, q := range queries {
			if q.Name == name {
				qs = append(qs, q)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown query %q", name)
		}
	}
	return qs, nil
}

// checkEqual asks every contender each query once and compares the
// answers, mapped onto hasgen's shape, with the first contender's. A
// difference is an error naming where the answers part.
func checkEqual(qs []query, cs []*contender) error {
	for _, q := range qs {
		var want any
		var wantFrom string
		for _, c := range cs {
			req := c.request(q)
			if req == nil {
				continue
			}
			got, err := fetch(req)
			if err != nil {
				return fmt.Errorf("%s %s: %w", c.name, q.Name, err)
			}
			data, err := responseData(got)
			if err != nil {
				return fmt.Errorf("%s %s: %w: %.300s", c.name, q.Name, err, got)
			}
			data = canonical(c.shape(q)(data))
			if want == nil {
				want, wantFrom = data, c.name
				continue
			}
			if d := firstDifference(data, want, "data"); d != "" {
				return fmt.Errorf("%s answers %s differently from %s:\n  %s\n(after mapping onto hasgen's shape; see bench/queries.go)", c.name, q.Name, wantFrom, d)
			}
		}
	}
	return nil
}

func log(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05")+" "+format+"\n", args...)
}

// handWritten returns, per query, the hand-written statement raw pgx runs
// by default, under the query's root field.
func handWritten(qs []query) map[string]rawQuery {
	out := map[string]rawQuery{}
	for _, q := range qs {
		// "query Name { field(args) { ... } }": the third word.
		words := strings.Fields(strings.NewReplacer("{", " ", "(", " ").Replace(q.GraphQL))
		out[q.Name] = rawQuery{Key: words[2], SQL: q.Raw, Args: q.RawArg}
	}
	return out
}

// compiledSQL returns, per query, the statement hasgen compiles for it and
// its parameters bound: what the raw pgx server runs.
func compiledSQL(ctx context.Context, url, config string, qs []query) (map[string]rawQuery, error) {
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: url, Config: config})
	if err != nil {
		return nil, err
	}
	cfg, err := templates.EngineConfig(p)
	if err != nil {
		return nil, err
	}
	e, err := engine.New(cfg, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]rawQuery{}
	for _, q := range qs {
		s := &session.Session{Role: q.Role, Vars: q.Session}
		ex, err := e.Explain(ctx, s, &wire.Request{Query: q.GraphQL})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Name, err)
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
	s, err := startHasgenServer(ctx, b, url, cpus)
	if err != nil {
		return nil, err
	}
	return hasgenContender("hasgen", s, func(q query) string { return q.GraphQL }), nil
}

// startHasgenServer starts a built hasgen server, pinned to cpus.
func startHasgenServer(ctx context.Context, b *e2e.Build, url, cpus string) (*e2e.Server, error) {
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
	return pinned.Start(ctx, env)
}

// hasgenContender is a hasgen server that is sent, for each query, the
// document text(q).
func hasgenContender(name string, s *e2e.Server, text func(query) string) *contender {
	c := &contender{name: name, pid: s.PID(), stop: func() { s.Stop() }, shape: func(query) normaliser { return identity }}
	c.request = func(q query) *http.Request {
		body, _ := json.Marshal(map[string]string{"query": text(q)})
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
	return c
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

func haveWrk() bool {
	_, err := exec.LookPath("wrk")
	return err == nil
}
