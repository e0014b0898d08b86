// Command permdiff runs the long differential permission test: it starts
// a throwaway PostgreSQL cluster, loads graphql-bench's Chinook, installs
// the reference RLS policies, generates, builds and starts the server of
// testdata/fixtures/chinook/hasgen.yaml, and runs random cases against
// both until -cases are done or -duration has passed. It prints progress,
// then cases/s and every difference with its shrunk reproduction, and
// exits 1 when it found any.
//
//	go run ./internal/permdiff/cmd/permdiff -cases 100000 -seed 1
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/internal/permdiff"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const secret = "permdiff-secret"

// run is the command: 0 when the run found nothing, 1 when it found
// differences or errors, 2 when it could not run.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("permdiff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cases := fs.Int("cases", 100000, "number of cases to run (0: until -duration)")
	duration := fs.Duration("duration", 0, "stop after this long (0: when -cases are done)")
	seed := fs.Uint64("seed", 1, "seed of the generated cases")
	first := fs.Int("first", 0, "index of the first case (to replay a case: -first N -cases 1)")
	workers := fs.Int("workers", 2, "cases run at once (the machine's cores are shared: keep it small)")
	shrink := fs.Int("shrink", 50, "differences shrunk (0: all); the others are reported as found")
	progress := fs.Duration("progress", 30*time.Second, "interval of progress lines")
	skipKnown := fs.Bool("skip-known", false, "steer clear of the known hasgen difference of RESULTS.md "+
		"(aggregates capped by a role's limit), to look for others")
	dataset := fs.String("dataset", "", "Chinook SQL file (default: ../shared/datasets/chinook-graphql-bench/chinook_pg_serial_pk_proper_naming.sql from the repository)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cases <= 0 && *duration <= 0 {
		fmt.Fprintln(stderr, "permdiff: -cases or -duration is needed")
		return 2
	}
	rep, err := longRun(ctx, stderr, options{
		dataset:   *dataset,
		skipKnown: *skipKnown,
		run: permdiff.RunOptions{
			Seed: *seed, Cases: *cases, Duration: *duration, First: *first, Workers: *workers,
			MaxShrink: *shrink, Progress: stderr, ProgressEvery: *progress,
		},
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	rep.Write(stdout)
	if rep.Failed() {
		return 1
	}
	return 0
}

type options struct {
	dataset   string
	skipKnown bool
	run       permdiff.RunOptions
}

// longRun sets up the database and the server, runs the cases and tears
// everything down.
func longRun(ctx context.Context, log io.Writer, o options) (*permdiff.Report, error) {
	root, err := e2e.RepoRoot()
	if err != nil {
		return nil, fmt.Errorf("permdiff: run from the hasgen repository: %w", err)
	}
	if o.dataset == "" {
		o.dataset = filepath.Join(root, "..", "shared", "datasets", "chinook-graphql-bench", "chinook_pg_serial_pk_proper_naming.sql")
	}
	start := time.Now()
	srv, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	db, err := srv.CreateDatabase(ctx, "permdiff", "")
	if err != nil {
		return nil, err
	}
	if err := srv.LoadFiles(ctx, db, o.dataset); err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("permdiff: %w", err)
	}
	err = permdiff.Install(ctx, conn)
	conn.Close(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "permdiff: Chinook loaded and policies installed in %s\n", time.Since(start).Round(time.Millisecond))

	// The generated project goes to a directory of ours, removed at the
	// end (e2e's own temporary directories are a test binary's).
	out, err := os.MkdirTemp("", "permdiff-server-")
	if err != nil {
		return nil, fmt.Errorf("permdiff: %w", err)
	}
	defer os.RemoveAll(out)
	b, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: db, Config: filepath.Join(root, "testdata", "fixtures", "chinook", "hasgen.yaml"), Out: out})
	if err != nil {
		return nil, err
	}
	server, err := b.Start(ctx, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": secret, "HASURA_GRAPHQL_DATABASE_URL": db})
	if err != nil {
		return nil, err
	}
	defer server.Stop()
	fmt.Fprintf(log, "permdiff: server generated, built and started at %s in %s\n", server.URL, time.Since(start).Round(time.Millisecond))

	h, err := permdiff.New(ctx, permdiff.Config{DatabaseURL: db, ServerURL: server.URL, AdminSecret: secret, CapAggregates: o.skipKnown})
	if err != nil {
		return nil, err
	}
	defer h.Close()
	rep, err := h.Run(ctx, o.run)
	if err != nil {
		return nil, err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		fmt.Fprintln(log, "permdiff: interrupted")
	}
	return rep, nil
}
