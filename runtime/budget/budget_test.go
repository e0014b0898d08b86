package budget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestShare(t *testing.T) {
	for _, tc := range []struct {
		total, n int
		want     []int
	}{
		{12, 3, []int{4, 4, 4}},
		{12, 2, []int{6, 6}},
		{12, 1, []int{12}},
		{12, 5, []int{3, 3, 2, 2, 2}},
		{7, 3, []int{3, 2, 2}},
		{2, 3, []int{1, 1, 0}},
		{0, 2, []int{0, 0}},
	} {
		var got []int
		sum := 0
		for i := range tc.n {
			s := Share(tc.total, tc.n, i)
			got = append(got, s)
			sum += s
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || sum != tc.total {
			t.Errorf("Share(%d, %d, i) = %v (sum %d), want %v", tc.total, tc.n, got, sum, tc.want)
		}
	}
	for _, tc := range [][3]int{{12, 0, 0}, {12, 3, 3}, {12, 3, -1}, {-1, 2, 0}} {
		if s := Share(tc[0], tc[1], tc[2]); s != 0 {
			t.Errorf("Share(%v) = %d, want 0", tc, s)
		}
	}
}

// TestDecide: an instance takes its share (by key order) unless the
// others' published limits leave less, and always keeps its control
// connection.
func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name    string
		total   int
		me      int32
		members []member
		want    decision
	}{
		{"alone", 12, 5, nil, decision{1, 12, 12}},
		{"alone, own row", 12, 5, []member{{5, 4}}, decision{1, 12, 12}},
		{"three, shares taken", 12, 5, []member{{5, 4}, {9, 4}, {2, 4}}, decision{3, 4, 4}},
		{"remainder to the smallest keys", 7, 2, []member{{5, 2}, {9, 2}}, decision{3, 3, 3}},
		{"remainder not mine", 7, 9, []member{{5, 3}, {2, 2}}, decision{3, 2, 2}},
		{"one died: grow to what the other leaves", 12, 5, []member{{5, 4}, {9, 4}}, decision{2, 6, 6}},
		{"the other has not shrunk yet", 12, 5, []member{{5, 4}, {9, 8}}, decision{2, 6, 4}},
		{"joining a full budget: the control connection only", 12, 7, []member{{5, 6}, {9, 6}}, decision{3, 4, 1}},
		{"more instances than connections", 2, 9, []member{{5, 1}, {7, 1}}, decision{3, 0, 1}},
	} {
		if got := decide(tc.total, tc.me, tc.members); got != tc.want {
			t.Errorf("%s: decide = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// sampler counts the backends of application name app in pg_stat_activity
// every few milliseconds, keeping the largest count seen.
type sampler struct {
	mu   sync.Mutex
	max  int
	last int
	stop chan struct{}
	done chan struct{}
}

func startSampler(t *testing.T, url, app string) *sampler {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer conn.Close(context.Background())
		for {
			var n int
			if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err == nil {
				s.mu.Lock()
				s.max = max(s.max, n)
				s.last = n
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { s.close() })
	return s
}

func (s *sampler) close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// reset returns the largest count since the last reset.
func (s *sampler) reset() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.max
	s.max = s.last
	return m
}

// waitCount waits until the sampler sees want (at most d).
func (s *sampler) waitCount(t *testing.T, want int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		n := s.last
		s.mu.Unlock()
		if n == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("%d connections after %v, want %d", s.last, d, want)
}

// load runs queries on pools until stopped, counting them.
func load(pools []*pgxpool.Pool, workers int) (stop func() int64) {
	var n atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		p := pools[i%len(pools)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				if _, err := p.Exec(ctx, `SELECT pg_sleep(0.002)`); err == nil {
					n.Add(1)
				}
				cancel()
			}
		}()
	}
	return func() int64 {
		close(done)
		wg.Wait()
		return n.Load()
	}
}

func newPool(t *testing.T, l *Limiter, url, app string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	pc.MaxConns = maxConns
	pc.ConnConfig.RuntimeParams["application_name"] = app
	l.ConfigurePool(pc)
	p, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	l.Register(p)
	t.Cleanup(p.Close)
	return p
}

// TestLimiter: two pools of 30 connections each under a limiter of 5,
// loaded by 40 goroutines, never have more than 5 backends in
// pg_stat_activity and reach 5; shrunk to 2, the count drops to 2 under
// the same load; grown to 7, it reaches 7. A permanent connection is
// closed when the limit leaves the pools none, and comes back.
func TestLimiter(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const app = "budget-limiter-test"
	s := startSampler(t, url, app)
	l := NewLimiter(5)
	a := newPool(t, l, url, app, 30)
	b := newPool(t, l, url, app, 30)

	stop := load([]*pgxpool.Pool{a, b}, 40)
	s.waitCount(t, 5, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if m := s.reset(); m > 5 {
		t.Errorf("limit 5: %d connections seen", m)
	}
	l.SetLimit(2)
	s.waitCount(t, 2, 5*time.Second)
	s.reset()
	time.Sleep(300 * time.Millisecond)
	if m := s.reset(); m > 2 {
		t.Errorf("limit 2: %d connections seen", m)
	}
	l.SetLimit(7)
	s.waitCount(t, 7, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := stop(); n == 0 {
		t.Fatal("no query ran")
	}
	if m := s.reset(); m > 7 {
		t.Errorf("limit 7: %d connections seen", m)
	}
	if st := l.Stats(); st.InUse != 0 || st.Waiting != 0 || st.Open > 7 {
		t.Errorf("after the load: %+v", st)
	}

	// Only pool b is used now: it takes a's idle connections' places.
	stop = load([]*pgxpool.Pool{b}, 20)
	deadline := time.Now().Add(10 * time.Second)
	for b.Stat().TotalConns() < 7 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if n := b.Stat().TotalConns(); n != 7 {
		t.Errorf("pool b has %d connections, want all 7", n)
	}
	if m := s.reset(); m > 7 {
		t.Errorf("pool b alone: %d connections seen", m)
	}

	// A permanent connection takes a slot, and gives it back when the
	// limit would leave the pools none.
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cc.RuntimeParams["application_name"] = app
	l.ConfigureConn(cc)
	perm, err := pgx.ConnectConfig(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	defer perm.Close(context.Background())
	s.waitCount(t, 7, 5*time.Second)
	if st := l.Stats(); st.InUse != 1 || st.Open != 7 {
		t.Errorf("with the permanent connection: %+v", st)
	}
	l.SetLimit(1)
	s.waitCount(t, 0, 5*time.Second)
	if err := perm.Ping(context.Background()); err == nil {
		t.Error("the permanent connection is still open at limit 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err = pgx.ConnectConfig(ctx, cc)
	cancel()
	if err == nil {
		t.Error("a permanent connection was opened at limit 1")
	}
	l.SetLimit(3)
	perm2, err := pgx.ConnectConfig(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	perm2.Close(context.Background())
}

// TestCoordinators: three instances sharing 7 connections take 3, 2 and
// 2 (by key order), published in their rows; when one leaves, the two
// others grow to 4 and 3.
func TestCoordinators(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var cs []*Coordinator
	for i := range 3 {
		cc, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cc.RuntimeParams["application_name"] = fmt.Sprintf("coord-%d", i)
		c, err := Join(ctx, Options{ConnConfig: cc, Total: 7, Interval: 50 * time.Millisecond, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		cs = append(cs, c)
	}
	limits := func(cs []*Coordinator) map[int32]int {
		m := map[int32]int{}
		for _, c := range cs {
			c.mu.Lock()
			m[c.key] = c.status.Limit
			c.mu.Unlock()
		}
		return m
	}
	want := func(cs []*Coordinator, total int) map[int32]int {
		var keys []int32
		for _, c := range cs {
			keys = append(keys, c.key)
		}
		m := map[int32]int{}
		for _, c := range cs {
			idx := 0
			for _, k := range keys {
				if k < c.key {
					idx++
				}
			}
			m[c.key] = Share(total, len(keys), idx)
		}
		return m
	}
	waitLimits := func(cs []*Coordinator) {
		t.Helper()
		w := want(cs, 7)
		deadline := time.Now().Add(5 * time.Second)
		for fmt.Sprint(limits(cs)) != fmt.Sprint(w) {
			if time.Now().After(deadline) {
				t.Fatalf("limits %v, want %v", limits(cs), w)
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, c := range cs {
			if got, w := c.lim.Stats().Limit, w[c.key]-1; got != w {
				t.Errorf("limiter of %d: %d, want %d", c.key, got, w)
			}
		}
	}
	waitLimits(cs)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var sum, rows int
	if err := conn.QueryRow(ctx, `SELECT sum(conn_limit), count(*) FROM hdb_catalog.hasgen_instances`).Scan(&sum, &rows); err != nil {
		t.Fatal(err)
	}
	if sum != 7 || rows != 3 {
		t.Errorf("published %d in %d rows, want 7 in 3", sum, rows)
	}
	cs[0].Close()
	waitLimits(cs[1:])
}

// TestLimiterUnavailable: with no share (limit 0) an Acquire waits; once
// the database is said to be unavailable, it fails at once with that
// reason, and so does a new one (a request must not wait for a database
// that cannot be reached until its own deadline); once it is available
// again with a limit, an Acquire succeeds.
func TestLimiterUnavailable(t *testing.T) {
	url := pgtest.NewDatabase(t)
	l := NewLimiter(0)
	p := newPool(t, l, url, "budget-unavailable-test", 4)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() {
		c, err := p.Acquire(ctx)
		if err == nil {
			c.Release()
		}
		waited <- err
	}()
	for l.Stats().Waiting == 0 {
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-waited:
		t.Fatalf("an Acquire with no share returned %v before the database was unavailable", err)
	case <-time.After(100 * time.Millisecond):
	}
	down := errors.New("database unavailable: connection refused")
	l.SetUnavailable(down)
	select {
	case err := <-waited:
		if !errors.Is(err, down) {
			t.Fatalf("the waiting Acquire failed with %v, want %v", err, down)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting Acquire still waits once the database is unavailable")
	}
	start := time.Now()
	if _, err := p.Acquire(ctx); !errors.Is(err, down) {
		t.Fatalf("a new Acquire: %v, want %v", err, down)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a new Acquire took %v to fail", d)
	}
	if st := l.Stats(); st.InUse != 0 || st.Waiting != 0 || st.Open != 0 {
		t.Errorf("while unavailable: %+v", st)
	}
	l.SetUnavailable(nil)
	l.SetLimit(2)
	var one int
	if err := p.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Fatalf("available again: %v", err)
	}
}
