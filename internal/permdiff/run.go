package permdiff

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RunOptions say how many cases to run and how.
type RunOptions struct {
	Seed uint64
	// Cases is the number of cases; Duration, when set, stops the run
	// earlier. At least one of them must be set.
	Cases    int
	Duration time.Duration
	// Workers run cases concurrently (1 when zero).
	Workers int
	// First is the index of the first case (0 when zero), to continue a
	// run or replay one case.
	First int
	// MaxShrink bounds the differences shrunk in all (no bound when
	// zero). Besides, a group of alike differences gets at most
	// ExamplesPerGroup shrunk examples (2 when zero); the rest of it is
	// counted.
	MaxShrink        int
	ExamplesPerGroup int
	// Progress, when not nil, receives a line every ProgressEvery (10 s
	// when zero).
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Report is the outcome of a run.
type Report struct {
	Seed    uint64
	Cases   int // cases run to the end
	Elapsed time.Duration
	// Groups are the differences found, alike ones together (see
	// Difference.Signature), in the order their first case came.
	Groups []*Group
	// Found counts every case that differed.
	Found int
	// Errors are failures to ask either side.
	Errors []error
	// Roles counts the cases run per role; Forbidden those that use
	// something the role may not, NoSession those sent without the
	// role's session variable, BadSession those sent with one that is not
	// an integer.
	Roles                            map[string]int
	Forbidden, NoSession, BadSession int
	// Slowest are the slowest cases checked (not counting shrinking),
	// slowest first: where a run's time goes.
	Slowest []Timing
}

// Group is the differences with one signature.
type Group struct {
	Signature string
	// Count is the number of cases; First the index of the first.
	Count, First int
	// Examples are shrunk reproductions, each once, then the unshrunk
	// differences beyond MaxShrink (at most ExamplesPerGroup in all).
	Examples []*Difference
	pending  int // examples being shrunk
}

// Differences returns the examples of every group.
func (r *Report) Differences() []*Difference {
	var out []*Difference
	for _, g := range r.Groups {
		out = append(out, g.Examples...)
	}
	return out
}

// Timing is how long a case took to ask both sides.
type Timing struct {
	Index int
	Took  time.Duration
}

// Failed reports whether the run found differences or errors.
func (r *Report) Failed() bool { return r.Found > 0 || len(r.Errors) > 0 }

// Run generates and checks cases until opts.Cases are done or
// opts.Duration has passed, shrinking the differences found.
func (h *Harness) Run(ctx context.Context, opts RunOptions) (*Report, error) {
	if opts.Cases <= 0 && opts.Duration <= 0 {
		return nil, fmt.Errorf("permdiff: a run needs a number of cases or a duration")
	}
	// The duration stops new cases; the cases under way, and the
	// shrinking of what they found, finish. ctx (an interrupt) stops
	// everything.
	dispatch := ctx
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		dispatch, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	workers := max(opts.Workers, 1)
	start := time.Now()
	rep := &Report{Seed: opts.Seed, Roles: map[string]int{}}
	perGroup := opts.ExamplesPerGroup
	if perGroup <= 0 {
		perGroup = 2
	}
	var (
		mu      sync.Mutex
		groups  = map[string]*Group{}
		next    atomic.Int64
		done    atomic.Int64
		found   atomic.Int64
		shrunk  atomic.Int64
		wg      sync.WaitGroup
		stopped = make(chan struct{})
	)
	next.Store(int64(opts.First))
	last := int64(opts.First + opts.Cases)
	if opts.Cases <= 0 {
		last = 1 << 62
	}
	if opts.Progress != nil {
		every := opts.ProgressEvery
		if every == 0 {
			every = 10 * time.Second
		}
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-stopped:
					return
				case <-t.C:
					n := done.Load()
					el := time.Since(start)
					fmt.Fprintf(opts.Progress, "permdiff: %d cases in %s (%.1f/s), %d differences\n",
						n, el.Round(time.Second), float64(n)/el.Seconds(), found.Load())
				}
			}
		}()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for dispatch.Err() == nil {
				i := next.Add(1) - 1
				if i >= last {
					return
				}
				c := h.Gen.Case(opts.Seed, int(i))
				t0 := time.Now()
				d, err := h.Check(ctx, c)
				took := time.Since(t0)
				if ctx.Err() != nil {
					return // interrupted: not a result
				}
				done.Add(1)
				mu.Lock()
				rep.Slowest = append(rep.Slowest, Timing{int(i), took})
				if len(rep.Slowest) > 2*maxSlowest {
					keepSlowest(rep)
				}
				rep.Roles[c.Role.Name]++
				if c.Forbidden != "" {
					rep.Forbidden++
				}
				if v := c.Role.Session; v != "" {
					if _, err := strconv.ParseInt(c.Session[v], 10, 32); c.Session[v] == "" {
						rep.NoSession++
					} else if err != nil {
						rep.BadSession++
					}
				}
				if err != nil {
					rep.Errors = append(rep.Errors, fmt.Errorf("case %d: %w", i, err))
				}
				mu.Unlock()
				if err != nil {
					continue
				}
				if d == nil {
					continue
				}
				found.Add(1)
				sig := d.Signature()
				mu.Lock()
				g := groups[sig]
				if g == nil {
					g = &Group{Signature: sig, First: int(i)}
					groups[sig] = g
					rep.Groups = append(rep.Groups, g)
				}
				g.Count++
				g.First = min(g.First, int(i))
				want := len(g.Examples)+g.pending < perGroup
				if want {
					g.pending++
				}
				mu.Unlock()
				if !want {
					continue
				}
				if opts.MaxShrink <= 0 || shrunk.Add(1) <= int64(opts.MaxShrink) {
					d = h.Shrink(ctx, d)
				}
				mu.Lock()
				g.pending--
				if !slices.ContainsFunc(g.Examples, d.sameRequest) {
					g.Examples = append(g.Examples, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stopped)
	keepSlowest(rep)
	rep.Cases = int(done.Load())
	rep.Found = int(found.Load())
	rep.Elapsed = time.Since(start)
	slices.SortFunc(rep.Groups, func(a, b *Group) int { return a.First - b.First })
	for _, g := range rep.Groups {
		slices.SortStableFunc(g.Examples, func(a, b *Difference) int {
			if (a.Original != nil) != (b.Original != nil) {
				if a.Original != nil {
					return -1
				}
				return 1
			}
			return 0
		})
	}
	return rep, nil
}

// maxSlowest is how many of the slowest cases a report keeps.
const maxSlowest = 5

func keepSlowest(rep *Report) {
	slices.SortFunc(rep.Slowest, func(a, b Timing) int { return int(b.Took - a.Took) })
	if len(rep.Slowest) > maxSlowest {
		rep.Slowest = rep.Slowest[:maxSlowest]
	}
}

// Write prints the report: the numbers, then every difference and error.
func (r *Report) Write(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "permdiff: seed %d: %d cases in %s (%.1f cases/s): %d differing cases in %d groups, %d errors\n",
		r.Seed, r.Cases, r.Elapsed.Round(time.Millisecond), float64(r.Cases)/r.Elapsed.Seconds(), r.Found, len(r.Groups), len(r.Errors))
	roles := slices.Sorted(maps.Keys(r.Roles))
	var per []string
	for _, name := range roles {
		per = append(per, fmt.Sprintf("%s %d", name, r.Roles[name]))
	}
	fmt.Fprintf(&b, "permdiff: cases per role: %s; %d forbidden (must be refused), %d without the session variable, %d with one not an integer\n",
		strings.Join(per, ", "), r.Forbidden, r.NoSession, r.BadSession)
	if len(r.Slowest) > 0 {
		var slow []string
		for _, t := range r.Slowest {
			slow = append(slow, fmt.Sprintf("case %d %s", t.Index, t.Took.Round(time.Millisecond)))
		}
		fmt.Fprintf(&b, "permdiff: slowest: %s\n", strings.Join(slow, ", "))
	}
	for _, g := range r.Groups {
		fmt.Fprintf(&b, "\n##### %d case(s) from case %d: %s\n", g.Count, g.First, g.Signature)
		for _, d := range g.Examples {
			b.WriteString("\n")
			d.Write(&b)
			if d.Original != nil {
				fmt.Fprintf(&b, "(shrunk from case %d)\n", d.Original.Index)
			}
		}
	}
	for i, err := range r.Errors {
		if i == 20 {
			fmt.Fprintf(&b, "\n... and %d more errors\n", len(r.Errors)-i)
			break
		}
		fmt.Fprintf(&b, "\nerror: %v\n", err)
	}
	io.WriteString(w, b.String())
}
