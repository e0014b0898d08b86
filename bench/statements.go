package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

// statements measures the statements alone, without servers or HTTP:
// hasgen's compiled statement and the hand-written one of each query, run
// on one connection as prepared statements (as the servers run them), in
// alternating rounds. Postgres's time per statement is the CPU its backend
// spends, read from /proc/<pid>/schedstat (nanoseconds on the CPU), which
// waiting for the machine does not count; then EXPLAIN (ANALYZE, BUFFERS)
// of each, once.
//
//	go run ./bench statements [-n 200] [-rounds 5] [-queries AlbumByPK]
func statements(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("statements", flag.ContinueOnError)
	n := fl.Int("n", 200, "executions per statement and round")
	rounds := fl.Int("rounds", 5, "alternating rounds")
	names := fl.String("queries", "", "comma-separated query names (default all)")
	explain := fl.Bool("explain", true, "print EXPLAIN (ANALYZE, BUFFERS) of each statement")
	printSQL := fl.Bool("sql", false, "print each statement's text")
	conc := fl.Int("concurrency", 1, "connections running the statement at once; above 1, Postgres's CPU is that of all of them (the bench's servers keep 32 statements in flight)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	var sel []string
	if *names != "" {
		sel = strings.Split(*names, ",")
	}
	qs, err := selectQueries(sel)
	if err != nil {
		return err
	}
	root, err := e2e.RepoRoot()
	if err != nil {
		return err
	}
	srv, err := pgtest.FromEnv(ctx)
	if err != nil {
		return err
	}
	defer srv.Close()
	dbName := "hasgen_bench_statements"
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
	if err := analyze(ctx, url); err != nil {
		return err
	}
	compiled, err := compiledSQL(ctx, url, filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml"), qs)
	if err != nil {
		return err
	}
	hand := handWritten(qs)
	if *printSQL {
		for _, q := range qs {
			fmt.Printf("%s, hasgen:\n\n    %s\n    args %v\n\n%s, hand-written:\n\n    %s\n    args %v\n\n",
				q.Name, compiled[q.Name].SQL, compiled[q.Name].Args, q.Name, hand[q.Name].SQL, hand[q.Name].Args)
		}
	}
	if *conc > 1 {
		return concurrentStatements(ctx, url, qs, compiled, hand, *conc, *n, *rounds)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return err
	}
	if _, err := onCPU(backend); err != nil {
		return fmt.Errorf("the backend's CPU time (Postgres must run on this machine): %w", err)
	}
	type stmt struct {
		label string
		q     rawQuery
	}
	fmt.Printf("Postgres backend CPU per execution, µs (%d executions per round, %d rounds, alternating)\n\n", *n, *rounds)
	fmt.Println("| query | statement | rounds (µs) | median µs |")
	fmt.Println("|---|---|---|---:|")
	for _, q := range qs {
		ss := []stmt{{"hasgen", compiled[q.Name]}, {"hand-written", hand[q.Name]}}
		times := make([][]float64, len(ss))
		run := func(s stmt, k int) error {
			for i := 0; i < k; i++ {
				rows, err := conn.Query(ctx, s.q.SQL, s.q.Args...)
				if err != nil {
					return fmt.Errorf("%s %s: %w", q.Name, s.label, err)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return fmt.Errorf("%s %s: %w", q.Name, s.label, err)
				}
			}
			return nil
		}
		for _, s := range ss {
			if err := run(s, 10); err != nil { // past the custom plans
				return err
			}
		}
		for r := 0; r < *rounds; r++ {
			for i, s := range ss {
				before, _ := onCPU(backend)
				if err := run(s, *n); err != nil {
					return err
				}
				after, _ := onCPU(backend)
				times[i] = append(times[i], float64(after-before)/float64(time.Microsecond)/float64(*n))
			}
		}
		for i, s := range ss {
			var parts []string
			for _, v := range times[i] {
				parts = append(parts, strconv.FormatFloat(v, 'f', 0, 64))
			}
			fmt.Printf("| %s | %s | %s | %.0f |\n", q.Name, s.label, strings.Join(parts, ", "), median(times[i]))
		}
	}
	if !*explain {
		return nil
	}
	for _, q := range qs {
		for _, s := range []stmt{{"hasgen", compiled[q.Name]}, {"hand-written", hand[q.Name]}} {
			rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+s.q.SQL, s.q.Args...)
			if err != nil {
				return fmt.Errorf("explain %s %s: %w", q.Name, s.label, err)
			}
			fmt.Printf("\n%s, %s:\n\n", q.Name, s.label)
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					return err
				}
				fmt.Println("    " + line)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// onCPU is the time a process has spent on a CPU (Linux schedstat).
func onCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/schedstat")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("empty schedstat")
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns), err
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// concurrentStatements runs each statement on conc connections at once, n
// executions per connection and round, alternating hasgen's and the
// hand-written statement per round, and prints the CPU all the backends
// spent per execution. One connection alone hides what concurrency costs:
// shared-buffer pins and locks taken by many backends at once, which a plan
// with more buffer accesses pays for.
func concurrentStatements(ctx context.Context, url string, qs []query, compiled, hand map[string]rawQuery, conc, n, rounds int) error {
	conns := make([]*pgx.Conn, conc)
	pids := make([]int, conc)
	for i := range conns {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		if err := c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pids[i]); err != nil {
			return err
		}
		conns[i] = c
	}
	cpu := func() (time.Duration, error) {
		var sum time.Duration
		for _, pid := range pids {
			d, err := onCPU(pid)
			if err != nil {
				return 0, err
			}
			sum += d
		}
		return sum, nil
	}
	run := func(q rawQuery, k int) error {
		errs := make(chan error, conc)
		for _, c := range conns {
			go func(c *pgx.Conn) {
				for i := 0; i < k; i++ {
					rows, err := c.Query(ctx, q.SQL, q.Args...)
					if err != nil {
						errs <- err
						return
					}
					rows.Close()
					if err := rows.Err(); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}(c)
		}
		var first error
		for range conns {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	fmt.Printf("Postgres backend CPU per execution, µs, %d connections at once (%d executions per connection and round, %d rounds, alternating)\n\n", conc, n, rounds)
	fmt.Println("| query | statement | rounds (µs) | median µs | executions/s |")
	fmt.Println("|---|---|---|---:|---:|")
	for _, q := range qs {
		ss := []struct {
			label string
			q     rawQuery
		}{{"hasgen", compiled[q.Name]}, {"hand-written", hand[q.Name]}}
		times := make([][]float64, len(ss))
		rates := make([][]float64, len(ss))
		for _, s := range ss {
			if err := run(s.q, 10); err != nil {
				return fmt.Errorf("%s %s: %w", q.Name, s.label, err)
			}
		}
		for r := 0; r < rounds; r++ {
			for i, s := range ss {
				before, err := cpu()
				if err != nil {
					return err
				}
				start := time.Now()
				if err := run(s.q, n); err != nil {
					return fmt.Errorf("%s %s: %w", q.Name, s.label, err)
				}
				wall := time.Since(start)
				after, _ := cpu()
				execs := float64(n * conc)
				times[i] = append(times[i], float64(after-before)/float64(time.Microsecond)/execs)
				rates[i] = append(rates[i], execs/wall.Seconds())
			}
		}
		for i, s := range ss {
			var parts []string
			for _, v := range times[i] {
				parts = append(parts, strconv.FormatFloat(v, 'f', 0, 64))
			}
			fmt.Printf("| %s | %s | %s | %.0f | %.0f |\n", q.Name, s.label, strings.Join(parts, ", "), median(times[i]), median(rates[i]))
		}
	}
	return nil
}

// analyze gathers the planner's statistics of the loaded database, as a
// database in service has them (autovacuum would, a minute or so after
// the load, in the middle of a run): with them, Postgres knows that
// artists and genres are small tables and plans accordingly.
func analyze(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
