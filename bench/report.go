package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The peers' versions, as pinned in bench/peers.
const (
	postgraphile5Version = "5.1.5"
	postgraphile4Version = "4.14.1"
	graphjinVersion      = "v3.1.0"
)

// environment describes the machine and the software a run measured.
type environment struct {
	cpuModel  string
	cpus      int
	postgres  string // server version
	node      string // the peers' Node, when run
	loadgen   string
	serverCPU string // the CPUs the servers are pinned to ("" unpinned)
	dbPID     int    // Postgres's postmaster when on this machine, else 0
}

// describe finds out what the report says about the run; it also finds
// Postgres's postmaster, whose process tree's CPU is measured when it runs
// on this machine.
func describe(ctx context.Context, url, cache string) (*environment, error) {
	env := &environment{cpus: goruntime.NumCPU(), cpuModel: cpuModel()}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	var backend int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), pg_backend_pid()").Scan(&env.postgres, &backend); err != nil {
		return nil, err
	}
	// The backend's parent is the postmaster, if the server runs here (a
	// pid seen in /proc may be another machine's otherwise: check names).
	if st, ok := readStat(backend); ok && comm(backend) == "postgres" && comm(st.ppid) == "postgres" {
		env.dbPID = st.ppid
	}
	if cache != "" {
		out, err := exec.CommandContext(ctx, nodeBinary(cache), "--version").Output()
		if err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		env.node = strings.TrimSpace(string(out))
	}
	return env, nil
}

func comm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return goruntime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return goruntime.GOARCH
}

// ratios returns, for one query, the best peer's req/s (0 without peers)
// and raw pgx's (0 without it).
func ratios(cs []*contender, res map[string]*result) (best float64, bestName string, raw float64) {
	for _, c := range cs {
		r, ok := res[c.name]
		if !ok {
			continue
		}
		rps := r.merged().rps()
		switch {
		case c.peer && rps > best:
			best, bestName = rps, c.name
		case c.name == "raw pgx":
			raw = rps
		}
	}
	return best, bestName, raw
}

// markdown renders the results: how they were measured, then per query
// each contender's req/s with its ratios to the best peer and to raw pgx,
// its latencies, CPU and memory; then hasgen's ratios in a summary.
func markdown(qs []query, cs []*contender, res map[string]map[string]*result, o options, env *environment) string {
	var b strings.Builder
	b.WriteString("# hasgen and its peers on graphql-bench's Chinook\n\n")
	b.WriteString("Written by `go run ./bench -out bench/results` (bench/README.md says what it does).\n\n")
	fmt.Fprintf(&b, "- Machine: %d × %s; PostgreSQL %s on the same machine, unpinned.\n", env.cpus, env.cpuModel, env.postgres)
	pin := "nothing pinned (one CPU)"
	if env.serverCPU != "" {
		pin = fmt.Sprintf("servers pinned to CPU %s, the load generator to CPU 0", env.serverCPU)
	}
	mode := fmt.Sprintf("fixed concurrency, %d requests in flight", o.concurrency)
	if o.rate > 0 {
		mode = fmt.Sprintf("fixed rate, %d req/s (open loop)", o.rate)
	}
	fmt.Fprintf(&b, "- Load: %s; %s; %s. %d rounds of %s per contender and query, alternating, after a %s warm-up.\n",
		env.loadgen, mode, pin, o.rounds, o.duration, o.warmup)
	b.WriteString("- Contenders, each with a pool of 32 connections and prepared statements: hasgen (this commit); raw pgx, a minimal Go server running one statement per query (the limit)")
	if o.rawSQL == "hasgen" {
		b.WriteString(", the statement hasgen compiles")
	} else {
		b.WriteString(", a hand-written statement (bench/queries.go)")
	}
	if o.peers {
		fmt.Fprintf(&b, "; PostGraphile %s and %s (on Node %s, production mode); GraphJin %s (production mode, %s)",
			postgraphile5Version, postgraphile4Version, strings.TrimPrefix(env.node, "v"), graphjinVersion, goruntime.Version())
	}
	b.WriteString(".\n")
	b.WriteString("- req/s: all rounds' requests over their time; rounds' req/s: the slowest and fastest round. × best peer: req/s over the best of PostGraphile 5, PostGraphile 4 and GraphJin on the query; × raw pgx: over raw pgx. ")
	b.WriteString("Server CPU and peak RSS count the server's process tree; Postgres CPU, all of Postgres's processes, in cores, and per request; ")
	b.WriteString("server CPU µs/req, the server's CPU time per request, is the least sensitive to other load on the machine.")
	if env.loadgen != "" && strings.HasPrefix(env.loadgen, "wrk") {
		b.WriteString(" Latencies: wrk's p50 and p99, p95 interpolated from its p90 and p99 (log scale); over rounds, percentiles of the rounds' mixture.")
	}
	b.WriteString("\n\n")
	b.WriteString("| query | contender | req/s | rounds' req/s | × best peer | × raw pgx | p50 ms | p95 ms | p99 ms | server CPU | server CPU µs/req | Postgres CPU | Postgres CPU µs/req | peak RSS |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, q := range qs {
		best, _, raw := ratios(cs, res[q.Name])
		for _, c := range cs {
			r, ok := res[q.Name][c.name]
			if !ok {
				continue
			}
			m := r.merged()
			dbCPU, dbPerReq := "–", "–"
			if env.dbPID != 0 {
				dbCPU = fmt.Sprintf("%.0f%%", m.dbCPU*100)
				dbPerReq = fmt.Sprintf("%.0f", m.dbCPU*1e6/m.rps())
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s | %s | %.2f | %.2f | %.2f | %.0f%% | %.0f | %s | %s | %.0f MB |\n",
				q.Name, c.name, m.rps(), r.spread(), ratio(m.rps(), best), ratio(m.rps(), raw),
				ms(m.p(50)), ms(m.p(95)), ms(m.p(99)), m.cpu*100, m.cpu*1e6/m.rps(), dbCPU, dbPerReq, float64(m.rss)/(1<<20))
		}
	}
	if o.peers {
		b.WriteString("\nhasgen, by query:\n\n")
		for _, q := range qs {
			hg, ok := res[q.Name]["hasgen"]
			if !ok {
				continue
			}
			best, bestName, raw := ratios(cs, res[q.Name])
			rps := hg.merged().rps()
			fmt.Fprintf(&b, "- %s: %s the best peer (%s), %s raw pgx.\n", q.Name, times(rps, best), bestName, times(rps, raw))
		}
	}
	if o.out != "" {
		b.WriteString("\n")
		for _, q := range qs {
			fmt.Fprintf(&b, "![%s: req/s and p99 per contender](%s.svg)\n", q.Name, q.Name)
		}
	}
	return b.String()
}

// spread is the lowest and highest req/s of the rounds: how steady the
// machine was.
func (r *result) spread() string {
	lo, hi := math.Inf(1), 0.0
	for _, m := range r.rounds {
		lo, hi = math.Min(lo, m.rps()), math.Max(hi, m.rps())
	}
	if len(r.rounds) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f–%.0f", lo, hi)
}

func times(x, base float64) string {
	if base == 0 {
		return "–"
	}
	return ratio(x, base) + "×"
}

func ratio(x, base float64) string {
	if base == 0 {
		return "–"
	}
	return strconv.FormatFloat(x/base, 'f', 2, 64)
}
