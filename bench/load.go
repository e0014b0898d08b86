package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// measurement is one timed run of one query against one contender.
type measurement struct {
	requests  int
	errors    int
	elapsed   time.Duration
	latencies []time.Duration // sorted
	cpu       float64         // server CPU, in cores, its child processes included
	dbCPU     float64         // Postgres's CPU, in cores (0 when unknown)
	rss       int64           // server peak RSS, bytes, its child processes included
}

func (m *measurement) rps() float64 { return float64(m.requests) / m.elapsed.Seconds() }

// p returns the q-th percentile latency.
func (m *measurement) p(q float64) time.Duration {
	if len(m.latencies) == 0 {
		return 0
	}
	i := int(float64(len(m.latencies)-1) * q / 100)
	return m.latencies[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// result accumulates the rounds of one query on one contender.
type result struct{ rounds []*measurement }

func (r *result) add(m *measurement) { r.rounds = append(r.rounds, m) }

// merged combines the rounds: total requests over total time, latencies
// pooled, CPU averaged, RSS the peak.
func (r *result) merged() *measurement {
	out := &measurement{}
	var cpu, dbCPU float64
	for _, m := range r.rounds {
		out.requests += m.requests
		out.errors += m.errors
		out.elapsed += m.elapsed
		out.latencies = append(out.latencies, m.latencies...)
		cpu += m.cpu * m.elapsed.Seconds()
		dbCPU += m.dbCPU * m.elapsed.Seconds()
		if m.rss > out.rss {
			out.rss = m.rss
		}
	}
	sort.Slice(out.latencies, func(i, j int) bool { return out.latencies[i] < out.latencies[j] })
	if out.elapsed > 0 {
		out.cpu = cpu / out.elapsed.Seconds()
		out.dbCPU = dbCPU / out.elapsed.Seconds()
	}
	return out
}

var client = &http.Client{Transport: &http.Transport{
	MaxIdleConns:        1024,
	MaxIdleConnsPerHost: 1024,
	DisableCompression:  true,
}}

// measure loads one contender with one query for d: o.concurrency
// requests in flight, or o.rate requests per second.
func measure(ctx context.Context, c *contender, q query, o options, d time.Duration) (*measurement, error) {
	proto := c.request(q)
	body, _ := io.ReadAll(proto.Body)
	newReq := func() *http.Request {
		req, _ := http.NewRequestWithContext(ctx, proto.Method, proto.URL.String(), bytes.NewReader(body))
		req.Header = proto.Header
		return req
	}
	// The expected response length: responses are deterministic, so a
	// different length is an error.
	want, err := fetch(newReq())
	if err != nil {
		return nil, err
	}
	cpu := startCPU(c.pid, o.dbPID)
	var mu sync.Mutex
	m := &measurement{}
	start := time.Now()
	deadline := start.Add(d)
	one := func(lat *[]time.Duration, errs *int) {
		t0 := time.Now()
		resp, err := client.Do(newReq())
		if err != nil {
			*errs++
			return
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || int(n) != len(want) {
			*errs++
			return
		}
		*lat = append(*lat, time.Since(t0))
	}
	var wg sync.WaitGroup
	collect := func(lat []time.Duration, errs int) {
		mu.Lock()
		m.latencies = append(m.latencies, lat...)
		m.requests += len(lat)
		m.errors += errs
		mu.Unlock()
	}
	if o.rate > 0 {
		// Open loop: a request every 1/rate seconds whatever the
		// latency; latency counts from the scheduled time.
		interval := time.Second / time.Duration(o.rate)
		sem := make(chan struct{}, 4096)
		var lat []time.Duration
		var errs int
		var lmu sync.Mutex
		for at := start; at.Before(deadline) && ctx.Err() == nil; at = at.Add(interval) {
			time.Sleep(time.Until(at))
			sem <- struct{}{}
			wg.Add(1)
			go func(at time.Time) {
				defer wg.Done()
				defer func() { <-sem }()
				var l []time.Duration
				var e int
				one(&l, &e)
				lmu.Lock()
				if len(l) > 0 {
					lat = append(lat, time.Since(at))
				}
				errs += e
				lmu.Unlock()
			}(at)
		}
		wg.Wait()
		collect(lat, errs)
	} else {
		for i := 0; i < o.concurrency; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lat := make([]time.Duration, 0, 1<<14)
				errs := 0
				for time.Now().Before(deadline) && ctx.Err() == nil {
					one(&lat, &errs)
				}
				collect(lat, errs)
			}()
		}
		wg.Wait()
	}
	m.elapsed = time.Since(start)
	cpu.stop(m)
	sort.Slice(m.latencies, func(i, j int) bool { return m.latencies[i] < m.latencies[j] })
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if m.errors > 0 {
		return nil, fmt.Errorf("%s %s: %d failed requests", c.name, q.Name, m.errors)
	}
	return m, nil
}

// cpuSample is the CPU time of a server's and Postgres's process trees
// at the start of a measurement.
type cpuSample struct {
	pid, dbPID int
	at         time.Time
	server, db time.Duration
}

func startCPU(pid, dbPID int) cpuSample {
	return cpuSample{pid: pid, dbPID: dbPID, at: time.Now(), server: treeCPU(pid), db: treeCPU(dbPID)}
}

// stop sets m's CPU (in cores, over the time since the sample) and the
// server's peak RSS.
func (s cpuSample) stop(m *measurement) {
	secs := time.Since(s.at).Seconds()
	m.cpu = (treeCPU(s.pid) - s.server).Seconds() / secs
	if s.dbPID != 0 {
		m.dbCPU = (treeCPU(s.dbPID) - s.db).Seconds() / secs
	}
	m.rss = treeRSS(s.pid)
}

// procStat is what /proc/<pid>/stat tells of a process.
type procStat struct {
	ppid int
	cpu  time.Duration // user+system, its threads and its waited-for children included
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// Fields after the command name (which may hold spaces) in ")".
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 15 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime, stime, cutime, cstime
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return procStat{ppid: ppid, cpu: time.Duration(ticks) * time.Second / 100}, true // USER_HZ
}

// tree returns pid and its descendants (Linux /proc).
func tree(pid int) []int {
	if pid == 0 {
		return nil
	}
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(p); ok {
			children[st.ppid] = append(children[st.ppid], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// treeCPU is the CPU time of a process and its descendants: Node servers
// may fork workers, and Postgres serves each connection in a child.
func treeCPU(pid int) time.Duration {
	var total time.Duration
	for _, p := range tree(pid) {
		if st, ok := readStat(p); ok {
			total += st.cpu
		}
	}
	return total
}

// treeRSS is the sum of the peak resident set sizes (VmHWM) of a process
// and its descendants.
func treeRSS(pid int) int64 {
	var total int64
	for _, p := range tree(pid) {
		total += peakRSS(p)
	}
	return total
}

// peakRSS is a process's peak resident set size (VmHWM).
func peakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// measureWrk loads a contender with wrk (a C load generator: the Go client
// above tops out near 10k req/s on one core), at o.concurrency
// connections, or o.rate requests per second with wrk2's -R when given.
func measureWrk(ctx context.Context, c *contender, q query, o options, d time.Duration) (*measurement, error) {
	proto := c.request(q)
	body, _ := io.ReadAll(proto.Body)
	var script strings.Builder
	script.WriteString("wrk.method = \"POST\"\n")
	fmt.Fprintf(&script, "wrk.body = %s\n", luaString(string(body)))
	for k, vs := range proto.Header {
		fmt.Fprintf(&script, "wrk.headers[%s] = %s\n", luaString(k), luaString(vs[0]))
	}
	f, err := os.CreateTemp("", "hasgen-wrk-*.lua")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	f.WriteString(script.String())
	f.Close()
	cpu := startCPU(c.pid, o.dbPID)
	start := time.Now()
	// A long timeout: a slow contender's latency is a result, not an error.
	args := []string{"-t1", "-c" + strconv.Itoa(o.concurrency), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--timeout", "60s",
		"--latency", "-s", f.Name(), proto.URL.String()}
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk: %w: %s", err, out)
	}
	m := &measurement{elapsed: time.Since(start)}
	cpu.stop(m)
	return parseWrk(m, string(out))
}

func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range []byte(s) {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(r)
		case r < 0x20 || r >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", r)
		default:
			b.WriteByte(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// parseWrk reads wrk's summary: requests, errors and the latency
// distribution (wrk gives 50, 75, 90 and 99; p95 is interpolated between
// 90 and 99 on a log scale).
func parseWrk(m *measurement, out string) (*measurement, error) {
	pct := map[string]time.Duration{}
	total := -1
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && strings.HasSuffix(f[0], "%"):
			d, err := time.ParseDuration(strings.Replace(f[1], "us", "µs", 1))
			if err == nil {
				pct[f[0]] = d
			}
		case len(f) >= 2 && strings.HasSuffix(line, "read") && f[1] == "requests":
			total, _ = strconv.Atoi(f[0])
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx"):
			n, _ := strconv.Atoi(f[len(f)-1])
			m.errors += n
		case strings.HasPrefix(strings.TrimSpace(line), "Socket errors"):
			m.errors++
		}
	}
	if total < 0 || len(pct) < 4 {
		return nil, fmt.Errorf("wrk output not understood:\n%s", out)
	}
	if m.errors > 0 {
		return nil, fmt.Errorf("wrk reports errors:\n%s", out)
	}
	m.requests = total
	// A synthetic latency list, one entry per permille, with wrk's
	// percentiles and log-scale interpolation between them, so that the
	// report reads it like the Go load generator's and the rounds pool
	// into a mixture (not the worst round's p99).
	known := []struct {
		q float64
		d time.Duration
	}{{0, pct["50%"]}, {50, pct["50%"]}, {75, pct["75%"]}, {90, pct["90%"]}, {99, pct["99%"]}, {100, pct["99%"]}}
	m.latencies = make([]time.Duration, 1001)
	for i := range m.latencies {
		q := float64(i) / 10
		k := 1
		for k < len(known)-1 && known[k].q < q {
			k++
		}
		lo, hi := known[k-1], known[k]
		f := (q - lo.q) / (hi.q - lo.q)
		a, b := math.Max(float64(lo.d), 1), math.Max(float64(hi.d), 1)
		m.latencies[i] = time.Duration(a * math.Pow(b/a, f))
	}
	return m, nil
}
