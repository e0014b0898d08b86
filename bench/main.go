// Command bench compares GraphQL servers on graphql-bench's Chinook, in one
// run on one machine: the hasgen-generated server, and "raw pgx", a minimal
// Go HTTP server that runs the very SQL statement hasgen compiles for each
// query straight through pgx (the limit a generated server can approach).
//
//	go run ./bench                      # all queries, 3 alternating rounds
//	go run ./bench -duration 5s -concurrency 16 -queries AlbumByPK
//
// It starts a throwaway Postgres (or uses $DATABASE_URL), loads the
// dataset, generates and builds the server, checks that every contender
// answers each query with the same data, then measures: a warm-up, then
// rounds that alternate between contenders so that drift in the machine
// hits all of them alike. The load generator is pinned to CPU 0 and the
// servers to the other CPUs when there are at least two.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "rawserver" {
		if err := rawServer(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "rawserver:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of one measured round per contender and query")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up per contender and query before measuring")
	flag.IntVar(&o.rounds, "rounds", 3, "alternating rounds per contender and query")
	flag.IntVar(&o.concurrency, "concurrency", 32, "requests in flight (fixed-concurrency mode)")
	flag.IntVar(&o.rate, "rate", 0, "requests per second (fixed-rate mode, open loop); 0 for fixed concurrency")
	queries := flag.String("queries", "", "comma-separated query names (default all)")
	flag.StringVar(&o.loadgen, "loadgen", "auto", "load generator: go, wrk, or auto (wrk when installed, for fixed concurrency)")
	flag.StringVar(&o.out, "out", "", "directory to write results.md (and charts) to")
	flag.Parse()
	if *queries != "" {
		o.queries = strings.Split(*queries, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	duration, warmup time.Duration
	rounds           int
	concurrency      int
	rate             int
	queries          []string
	out              string
	loadgen          string
}
