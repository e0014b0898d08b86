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
	compiled, err := compiledSQL(ctx, url, filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml"), qs)
	if err != nil {
		return err
	}
	hand := handWritten(qs)
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
