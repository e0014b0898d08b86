package main

// The report: requests per kind and their answers, then the watchers'
// figures and the server's log, as Markdown-friendly text.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// report is the outcome of a run.
type report struct {
	o       options
	elapsed time.Duration
	tally   *tally
	watch   watchStats
	idleRSS int64
	alive   bool
	logs    []logLine
	// loadStart is the machine's load average when the attacks started.
	loadStart string
}

// loadAverage is the machine's 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// normalFailures is the number of normal queries not answered correctly.
func (r report) normalFailures() int {
	sent, correct := r.tally.count("normal", "correct")
	return sent - correct
}

// passed says whether the server came through: every /healthz poll
// answered in time, Postgres answered every SELECT 1, every normal query
// was answered correctly, and the server still runs.
func (r report) passed() bool {
	return r.watch.health.failed == 0 && r.watch.pgFailed == 0 && r.normalFailures() == 0 && r.alive
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "\n## hostile: %s of attacks (%s with the in-flight tail), %d CPUs, %s\n\n",
		r.o.duration, r.elapsed.Round(time.Second), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "Command: `%s`; server: HASGEN_MAX_RESPONSE_SIZE=%d, other limits at their defaults; load average %s at the start, %s at the end.\n\n",
		strings.Join(append([]string{"go run ./bench/hostile"}, os.Args[1:]...), " "), r.o.responseCap, r.loadStart, loadAverage())

	fmt.Fprintln(w, "| requests | sent | answered | count | max time | max bytes |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|")
	r.tally.mu.Lock()
	for _, name := range sortedKeys(r.tally.kinds) {
		k := r.tally.kinds[name]
		classes := sortedKeys(k.answers)
		sort.SliceStable(classes, func(i, j int) bool { return k.answers[classes[i]] > k.answers[classes[j]] })
		for i, c := range classes {
			label := c
			if ex := k.examples[c]; ex != "" && !strings.HasSuffix(c, ex) {
				label += fmt.Sprintf(" (e.g. %q)", clip(ex, 160))
			}
			if i == 0 {
				fmt.Fprintf(w, "| %s | %d | %s | %d | %s | %s |\n", name, k.sent, label, k.answers[c], k.maxTime.Round(time.Millisecond), bytesText(k.maxBytes))
			} else {
				fmt.Fprintf(w, "| | | %s | %d | | |\n", label, k.answers[c])
			}
		}
	}
	r.tally.mu.Unlock()

	s := r.watch
	fmt.Fprintln(w)
	printHealth(w, "/healthz", s.health, true)
	if s.control.ok+s.control.failed > 0 {
		printHealth(w, "control /healthz (a trivial Go process that pings the same Postgres)", s.control, false)
	}
	if secs := s.cpuElapsed.Seconds(); secs > 0 {
		fmt.Fprintf(w, "- CPU over %s, in %% of one core: server %.0f%%, Postgres %.0f%%, this load generator %.0f%%, whole machine %.0f%% of %d00%%\n",
			s.cpuElapsed.Round(time.Second), s.cpu.server/secs*100, s.cpu.postgres/secs*100, s.cpu.self/secs*100, s.cpu.machine/secs*100, runtime.NumCPU())
	}
	fmt.Fprintf(w, "- server RSS: idle %s, peak %s, final %s (%d samples); live heap (at its last GC): peak %s, final %s\n",
		mb(r.idleRSS), mb(s.rssPeak), mb(s.rssLast), s.rssSamples, mb(s.heapPeak), mb(s.heapLast))
	if s.pgMemPeak > 0 {
		fmt.Fprintf(w, "- Postgres memory (PSS of all its processes): peak %s, final %s\n", mb(s.pgMemPeak), mb(s.pgMemLast))
	}
	fmt.Fprintf(w, "- Postgres: %d SELECT 1 answered, %d failed", s.pgOK, s.pgFailed)
	if len(s.pgFailures) > 0 {
		fmt.Fprintf(w, " (%s)", counts(s.pgFailures))
	}
	fmt.Fprintln(w)
	sent, _ := r.tally.count("normal", "")
	fmt.Fprintf(w, "- normal queries: %d sent, %d not answered correctly\n", sent, r.normalFailures())
	fmt.Fprintf(w, "- server process: %s\n", map[bool]string{true: "still running", false: "DIED"}[r.alive])
	if len(r.logs) > 0 {
		fmt.Fprintln(w, "- server log (warn and above), by message:")
		for _, l := range r.logs {
			fmt.Fprintf(w, "  - %d × %s\n", l.n, l.text)
		}
	}
	verdict := "PASS"
	if !r.passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "\n%s\n", verdict)
}

// printHealth prints one /healthz's polls, and with log the first
// failures.
func printHealth(w io.Writer, name string, h healthStats, log bool) {
	fmt.Fprintf(w, "- %s: %d answered OK, %d failed", name, h.ok, h.failed)
	if len(h.failures) > 0 {
		fmt.Fprintf(w, " (%s)", counts(h.failures))
	}
	fmt.Fprintf(w, "; max latency %s; %d took over 100 ms\n", h.max.Round(time.Millisecond), h.slow)
	if !log {
		return
	}
	for i, f := range h.log {
		if i == 10 {
			fmt.Fprintf(w, "  - … %d more\n", h.failed-i)
			break
		}
		fmt.Fprintf(w, "  - at %s: %s; in flight: %s\n", f.at.Round(100*time.Millisecond), f.reason, f.busy)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%d × %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func bytesText(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// logLine is one kind of server log line and how often it came.
type logLine struct {
	text string
	n    int
}

// summarizeLogs counts the server's JSON log lines by level, message and
// error (numbers normalized), the most frequent first, at most 12.
func summarizeLogs(logs string) []logLine {
	n := map[string]int{}
	for _, line := range strings.Split(logs, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var l map[string]any
		text := clip(line, 200)
		if json.Unmarshal([]byte(line), &l) == nil {
			text = fmt.Sprintf("%v %v", l["level"], l["msg"])
			if e, ok := l["error"]; ok {
				text += fmt.Sprintf(": %v", e)
			}
			if p, ok := l["panic"]; ok {
				text += fmt.Sprintf(": panic %v", p)
			}
			text = clip(normalize(text), 200)
		}
		n[text]++
	}
	var out []logLine
	for t, c := range n {
		out = append(out, logLine{t, c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n > out[j].n || out[i].n == out[j].n && out[i].text < out[j].text })
	return out[:min(len(out), 12)]
}
