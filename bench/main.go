// Command bench compares GraphQL servers on graphql-bench's Chinook, in one
// run on one machine: the hasgen-generated server; its peers PostGraphile 5,
// PostGraphile 4 and GraphJin; and "raw pgx", a minimal Go HTTP server that
// runs a hand-written SQL statement for each query straight through pgx
// (the limit a generated server can approach; -raw hasgen runs the
// statement hasgen compiles instead).
//
//	go run ./bench -out bench/results   # everything, as committed (~14 min)
//	go run ./bench -peers=false         # hasgen and raw pgx only
//	go run ./bench -duration 5s -queries AlbumByPK -contenders hasgen,GraphJin
//	go run ./bench statements           # Postgres's CPU per statement, hasgen's vs hand-written
//
// It installs the peers (bench/peers/install.sh: npm and the Go module
// proxy, cached outside the repo), starts a throwaway Postgres (or uses
// $DATABASE_URL), loads the dataset, generates and builds the server,
// starts every contender, checks that each answers each query with the same
// data, then measures: a warm-up, then rounds that alternate between
// contenders so that drift in the machine hits all of them alike. The load
// generator is pinned to CPU 0 and the servers to the other CPUs when there
// are at least two. See bench/README.md.
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
	if len(os.Args) > 1 && os.Args[1] == "statements" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		if err := statements(ctx, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench statements:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.DurationVar(&o.duration, "duration", 6*time.Second, "length of one measured round per contender and query")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up per contender and query before measuring")
	flag.IntVar(&o.rounds, "rounds", 5, "alternating rounds per contender and query")
	flag.IntVar(&o.concurrency, "concurrency", 32, "requests in flight (fixed-concurrency mode)")
	flag.IntVar(&o.rate, "rate", 0, "requests per second (fixed-rate mode, open loop); 0 for fixed concurrency")
	queries := flag.String("queries", "", "comma-separated query names (default all)")
	flag.StringVar(&o.loadgen, "loadgen", "auto", "load generator: go, wrk, or auto (wrk when installed, for fixed concurrency)")
	flag.StringVar(&o.out, "out", "", "directory to write results.md and one SVG chart per query to")
	flag.StringVar(&o.rawSQL, "raw", "hand", `what raw pgx runs: "hand", a hand-written statement per query (queries.go), or "hasgen", the statement hasgen compiles`)
	flag.BoolVar(&o.peers, "peers", true, "also run PostGraphile 5, PostGraphile 4 and GraphJin (installs them on first use)")
	contenders := flag.String("contenders", "", `comma-separated contenders to run (default all): hasgen, "raw pgx", "PostGraphile 5", "PostGraphile 4", GraphJin`)
	flag.Parse()
	if *queries != "" {
		o.queries = strings.Split(*queries, ",")
	}
	if *contenders != "" {
		o.contenders = strings.Split(*contenders, ",")
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
	peers            bool
	contenders       []string
	rawSQL           string // "hand" or "hasgen"

	dbPID int // Postgres's postmaster, when on this machine: its CPU is measured too
}

// wants reports whether contender name is to be run.
func (o options) wants(name string) bool {
	if len(o.contenders) == 0 {
		return true
	}
	for _, c := range o.contenders {
		if strings.EqualFold(strings.TrimSpace(c), name) {
			return true
		}
	}
	return false
}
