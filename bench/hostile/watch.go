package main

// The watchers, which run from before the first attack until after the
// last: /healthz every 100 ms, the server's RSS every 250 ms, and every
// second a SELECT 1 on a connection of their own and Postgres's memory.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// healthTimeout is how long /healthz may take: longer is a failure.
const healthTimeout = time.Second

// watch holds what the watchers saw.
type watch struct {
	mu sync.Mutex
	watchStats

	busy       fmt.Stringer
	start      time.Time
	pid        int
	postmaster int
	cpu0       cpuTimes
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

// watchStats are the figures of the watchers.
type watchStats struct {
	// health is the server's /healthz; control is a trivial process's
	// (hostile control), polled the same way: what the machine alone
	// does to a poll's latency.
	health, control healthStats

	rssPeak, rssLast int64 // the server's VmRSS
	rssSamples       int
	// heapPeak and heapLast are the server's live heap at its last
	// garbage collection (go_gc_heap_live_bytes of its /metrics, read
	// every second): what it keeps, as against garbage not yet collected
	// or returned.
	heapPeak, heapLast int64

	// cpu is the CPU time over the watch, in seconds: the server,
	// Postgres, this process, and the whole machine (busy, all cores).
	cpu        cpuTimes
	cpuElapsed time.Duration

	pgOK, pgFailed int
	pgFailures     map[string]int
	pgMemPeak      int64 // Postgres's processes' proportional set size, summed
	pgMemLast      int64
}

// healthStats are the polls of one /healthz.
type healthStats struct {
	ok, failed int
	failures   map[string]int
	max        time.Duration
	slow       int // polls answered in more than 100 ms
	// log is the first failed polls: when, why, and what was in flight
	// then.
	log []healthFailure
}

// healthFailure is one failed /healthz poll.
type healthFailure struct {
	at     time.Duration // since the watch started
	reason string
	busy   string // the attacks in flight
}

// maxHealthLog bounds healthStats.log.
const maxHealthLog = 30

// startWatch starts the watchers of the server at base (process pid), the
// control at controlURL (none if empty) and the database at dbURL. busy
// names the requests in flight when a poll fails.
func startWatch(ctx context.Context, base, controlURL string, pid int, dbURL string, busy fmt.Stringer) (*watch, error) {
	conn, err := pgConnect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("watch: connect to Postgres: %w", err)
	}
	var backend int
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("watch: %w", err)
	}
	postmaster := parentPID(backend) // 0 when Postgres runs elsewhere
	ctx, cancel := context.WithCancel(ctx)
	w := &watch{cancel: cancel, busy: busy, start: time.Now(), pid: pid, postmaster: postmaster}
	w.cpu0 = w.cpuNow()
	w.health.failures = map[string]int{}
	w.control.failures = map[string]int{}
	w.pgFailures = map[string]int{}
	w.wg.Add(3)
	go func() { defer w.wg.Done(); w.poll(ctx, base, &w.health) }()
	if controlURL != "" {
		w.wg.Add(1)
		go func() { defer w.wg.Done(); w.poll(ctx, controlURL, &w.control) }()
	}
	go func() { defer w.wg.Done(); w.memory(ctx, base, pid) }()
	go func() { defer w.wg.Done(); w.postgres(ctx, conn, dbURL, postmaster) }()
	return w, nil
}

// stop stops the watchers and returns what they saw.
func (w *watch) stop() watchStats {
	w.cancel()
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.cpuNow()
	w.cpu = cpuTimes{server: now.server - w.cpu0.server, postgres: now.postgres - w.cpu0.postgres,
		self: now.self - w.cpu0.self, machine: now.machine - w.cpu0.machine}
	w.cpuElapsed = time.Since(w.start)
	return w.watchStats
}

// cpuTimes are CPU seconds.
type cpuTimes struct{ server, postgres, self, machine float64 }

func (w *watch) cpuNow() cpuTimes {
	t := cpuTimes{server: cpuSeconds(w.pid), self: cpuSeconds(os.Getpid()), machine: machineBusy()}
	if w.postmaster > 0 {
		t.postgres = treeCPU(w.postmaster)
	}
	return t
}

// cpuSeconds is a process's user and system CPU time (/proc/pid/stat).
func cpuSeconds(pid int) float64 {
	f := statFields(pid)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100 // CLK_TCK
}

// treeCPU sums the CPU time of a process and its children: those alive
// now, and those that ended (the parent's cutime and cstime, as Postgres's
// postmaster waits for every backend).
func treeCPU(parent int) float64 {
	total := cpuSeconds(parent)
	if f := statFields(parent); len(f) >= 15 {
		cu, _ := strconv.ParseFloat(f[13], 64)
		cs, _ := strconv.ParseFloat(f[14], 64)
		total += (cu + cs) / 100
	}
	for _, pid := range children(parent) {
		total += cpuSeconds(pid)
	}
	return total
}

// machineBusy is the machine's non-idle CPU time (/proc/stat), all cores.
func machineBusy() float64 {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:8] {
		n, _ := strconv.ParseFloat(v, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy / 100
}

// line is a progress line.
func (w *watch) line() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("server RSS %s (peak %s), live heap %s; /healthz %d ok, %d failed, max %s (control: max %s); Postgres memory %s, %d failed SELECT 1",
		mb(w.rssLast), mb(w.rssPeak), mb(w.heapLast), w.health.ok, w.health.failed, w.health.max.Round(time.Millisecond),
		w.control.max.Round(time.Millisecond), mb(w.pgMemLast), w.pgFailed)
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }

// poll polls base's /healthz every 100 ms into st, each poll on a new
// connection (as a load balancer's probe comes), one at a time: a slow
// poll delays the next.
func (w *watch) poll(ctx context.Context, base string, st *healthStats) {
	hc := &http.Client{Timeout: healthTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		failure := ""
		var connected time.Duration // 0: no connection
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected = time.Since(start) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, base+"/healthz", nil)
		resp, err := hc.Do(req)
		if err != nil {
			failure = transportError(err)
			if connected == 0 {
				failure += " before the connection was made"
			} else {
				failure += " waiting for the answer"
			}
		} else {
			b, err := io.ReadAll(io.LimitReader(resp.Body, 100))
			resp.Body.Close()
			switch {
			case err != nil:
				failure = transportError(err)
			case resp.StatusCode != 200 || string(b) != "OK":
				failure = fmt.Sprintf("HTTP %d %q", resp.StatusCode, b)
			}
		}
		d := time.Since(start)
		if failure == "" && d > healthTimeout {
			failure = "answered late"
		}
		if ctx.Err() != nil && failure != "" {
			return // the poll was cut by the end of the watch
		}
		w.mu.Lock()
		st.max = max(st.max, d)
		if d > 100*time.Millisecond {
			st.slow++
		}
		if failure == "" {
			st.ok++
		} else {
			st.failed++
			st.failures[failure]++
			if len(st.log) < maxHealthLog {
				reason := failure
				if connected > 0 {
					reason += fmt.Sprintf(" (connected after %s)", connected.Round(time.Millisecond))
				}
				st.log = append(st.log, healthFailure{at: start.Sub(w.start), reason: reason, busy: w.busy.String()})
			}
		}
		w.mu.Unlock()
	}
}

// memory samples the server's RSS every 250 ms, and its live heap every
// second.
func (w *watch) memory(ctx context.Context, base string, pid int) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	mc := &http.Client{Timeout: 2 * time.Second}
	for i := 0; ; i++ {
		rss := rssBytes(pid)
		heap := int64(-1)
		if i%4 == 0 {
			heap = liveHeap(mc, base)
		}
		w.mu.Lock()
		if rss > 0 {
			w.rssLast = rss
			w.rssPeak = max(w.rssPeak, rss)
			w.rssSamples++
		}
		if heap >= 0 {
			w.heapLast = heap
			w.heapPeak = max(w.heapPeak, heap)
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// postgres runs SELECT 1 every second on its own connection (2 s to
// answer; a new connection after a failure) and sums the memory of
// Postgres's processes when they run on this machine.
func (w *watch) postgres(ctx context.Context, conn *pgx.Conn, dbURL string, postmaster int) {
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		failure := ""
		if conn == nil {
			var err error
			if conn, err = pgConnect(ctx, dbURL); err != nil {
				failure = "connect: " + normalize(err.Error())
			}
		}
		if conn != nil {
			qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			var one int
			err := conn.QueryRow(qctx, `SELECT 1`).Scan(&one)
			cancel()
			if err != nil {
				failure = "SELECT 1: " + transportError(err)
				conn.Close(context.Background())
				conn = nil
			}
		}
		if ctx.Err() != nil {
			return
		}
		mem := int64(0)
		if postmaster > 0 {
			mem = treePSS(postmaster)
		}
		w.mu.Lock()
		if failure == "" {
			w.pgOK++
		} else {
			w.pgFailed++
			w.pgFailures[failure]++
		}
		w.pgMemLast = mem
		w.pgMemPeak = max(w.pgMemPeak, mem)
		w.mu.Unlock()
	}
}

// liveHeap reads go_gc_heap_live_bytes from the server's /metrics; -1
// when it cannot.
func liveHeap(c *http.Client, base string) int64 {
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_gc_heap_live_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return -1
			}
			return int64(f)
		}
	}
	return -1
}

// rssBytes is a process's VmRSS (/proc/pid/status), 0 if it is gone.
func rssBytes(pid int) int64 { return procBytes(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:") }

// procBytes reads a "key: N kB" line of a /proc file, in bytes; 0 if
// there is none.
func procBytes(path, key string) int64 {
	b, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// treePSS sums the proportional set size (/proc/pid/smaps_rollup, shared
// pages divided among their users) of a process and its children: the
// memory of a Postgres server, shared buffers counted once.
func treePSS(parent int) int64 {
	total := pss(parent)
	for _, pid := range children(parent) {
		total += pss(pid)
	}
	return total
}

// children lists a process's children.
func children(parent int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && parentPID(pid) == parent {
			out = append(out, pid)
		}
	}
	return out
}

func pss(pid int) int64 { return procBytes(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:") }

// parentPID is a process's parent (/proc/pid/stat), 0 if unknown.
func parentPID(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// statFields are the fields of /proc/pid/stat after the command name:
// state, ppid, ... (field 3 onwards of proc(5)).
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || len(s) < i+2 {
		return nil
	}
	return strings.Fields(s[i+2:])
}
