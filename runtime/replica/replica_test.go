package replica_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime/replica"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func pool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestSet routes reads over real pools: round robin over the healthy
// replicas; a replica whose connection fails (its session terminated, or
// nothing listening) is taken out, its read runs again on the next one,
// then the primary; a SQL error or a cancelled read is not retried; the
// health check puts a replica back once it answers.
func TestSet(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	primary := pool(t, url)
	a, b := pool(t, url+"&application_name=replica_a"), pool(t, url+"&application_name=replica_b")
	dead := pool(t, "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	s := replica.New(primary, []string{"a", "b", "dead"}, []*pgxpool.Pool{a, b, dead}, replica.Options{HealthInterval: 20 * time.Millisecond})
	defer s.Close()
	rs := s.Replicas()

	// Round robin: each replica in turn.
	seen := map[*pgxpool.Pool]int{}
	for range 9 {
		p, r := s.Read(0)
		if r == nil || r.Pool() != p {
			t.Fatalf("Read(0) = %p, %v: want a replica", p, r)
		}
		seen[p]++
	}
	if seen[a] != 3 || seen[b] != 3 || seen[dead] != 3 {
		t.Fatalf("9 reads: a %d, b %d, dead %d; want 3 each", seen[a], seen[b], seen[dead])
	}

	// The dead replica fails to connect: out of rotation, read again.
	_, err := dead.Exec(ctx, "SELECT 1")
	if !s.Failed(ctx, rs[2], err) || rs[2].Healthy() {
		t.Fatalf("a failed connection (%v) is not a replica failure", err)
	}
	for range 6 {
		if _, r := s.Read(0); r == nil || r == rs[2] {
			t.Fatalf("Read(0) = %v with the dead replica out", r)
		}
	}
	// Past one attempt per replica, the primary.
	if p, r := s.Read(3); p != primary || r != nil {
		t.Fatalf("Read(3) = %p, %v: want the primary", p, r)
	}

	// A SQL error, or a read cancelled by its client, is the read's own.
	_, err = a.Exec(ctx, "SELECT * FROM no_such_table")
	if err == nil || s.Failed(ctx, rs[0], err) || !rs[0].Healthy() {
		t.Fatalf("a SQL error (%v) took the replica out", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = a.Exec(cctx, "SELECT 1")
	if err == nil || s.Failed(cctx, rs[0], err) || !rs[0].Healthy() {
		t.Fatalf("a cancelled read (%v) took the replica out", err)
	}

	// A session terminated under the read: out, then back once the
	// health check's ping gets a new connection.
	_, err = a.Exec(ctx, "SELECT pg_terminate_backend(pg_backend_pid())")
	if !s.Failed(ctx, rs[0], err) || rs[0].Healthy() {
		t.Fatalf("a terminated session (%v) is not a replica failure", err)
	}
	for range 4 {
		if _, r := s.Read(0); r != rs[1] {
			t.Fatalf("Read(0) = %v with only b healthy", r)
		}
	}
	if _, r := s.Read(1); r != rs[1] {
		t.Fatalf("Read(1) = %v, want b", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !rs[0].Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("replica a did not come back into rotation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if rs[2].Healthy() {
		t.Fatal("the dead replica came back")
	}
	if rs[0].Failovers() != 1 || rs[2].Failovers() != 1 || s.PrimaryReads() != 1 {
		t.Errorf("failovers a %d, dead %d, primary reads %d; want 1, 1, 1", rs[0].Failovers(), rs[2].Failovers(), s.PrimaryReads())
	}
	// The primary is never retried.
	if s.Failed(ctx, nil, io.EOF) {
		t.Error("a failed read on the primary is retried")
	}
}

// TestConnectionLost tells a lost connection from a statement's error.
func TestConnectionLost(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), false},
		{&pgconn.PgError{Code: "42P01"}, false}, // undefined table
		{&pgconn.PgError{Code: "57014"}, false}, // statement timeout
		{&pgconn.PgError{Code: "40001"}, false}, // serialization failure
		{&pgconn.PgError{Code: "57P01"}, true},  // admin shutdown
		{&pgconn.PgError{Code: "57P02"}, true},  // crash shutdown
		{&pgconn.PgError{Code: "57P03"}, true},  // cannot connect now
		{&pgconn.PgError{Code: "08006"}, true},  // connection failure
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{errors.New("something else"), false},
	} {
		if got := replica.ConnectionLost(c.err); got != c.want {
			t.Errorf("ConnectionLost(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// BenchmarkRead is the hot path's cost: no allocation.
func BenchmarkRead(b *testing.B) {
	p, err := pgxpool.New(context.Background(), "postgres://127.0.0.1:1/none")
	if err != nil {
		b.Fatal(err)
	}
	// Close closes p (the replicas' pool, twice: pgxpool allows it).
	s := replica.New(p, []string{"a", "b"}, []*pgxpool.Pool{p, p}, replica.Options{})
	defer s.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Read(0)
		}
	})
}

// TestMaxLag: a real streaming replica that applies commits two seconds
// late (recovery_min_apply_delay) stays in rotation while the primary is
// idle, leaves it while the primary writes (its lag passes MaxLag: reads
// go to the primary), and comes back once it has replayed everything.
func TestMaxLag(t *testing.T) {
	ctx := context.Background()
	primary, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Close() })
	url, err := primary.CreateDatabase(ctx, "lag_test", "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := primary.StartReplica(ctx, "recovery_min_apply_delay = '2s'")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Close() })
	p := pool(t, url)
	r := pool(t, rep.DatabaseURL("lag_test"))
	s := replica.New(p, []string{"lagging"}, []*pgxpool.Pool{r}, replica.Options{HealthInterval: 50 * time.Millisecond, MaxLag: 500 * time.Millisecond})
	defer s.Close()
	lagging := s.Replicas()[0]
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (lag %v)", what, lagging.Lag())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(300 * time.Millisecond) // several checks of an idle primary
	if !lagging.Healthy() {
		t.Fatalf("idle primary: the replica is out of rotation (lag %v)", lagging.Lag())
	}
	if _, err := p.Exec(ctx, `CREATE TABLE w (id serial PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := p.Exec(ctx, `INSERT INTO w DEFAULT VALUES`); err != nil {
				done <- err
				return
			}
		}
	}()
	wait("the lagging replica to leave the rotation", func() bool { return !lagging.Healthy() })
	if pl, got := s.Read(0); got != nil || pl != p {
		t.Errorf("a read with the only replica lagging went to %v, want the primary", got)
	}
	t.Logf("out of rotation at a lag of %v", lagging.Lag())
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wait("the replica to catch up and come back", lagging.Healthy)
	if _, got := s.Read(0); got != lagging {
		t.Errorf("a read after the catch-up went to %v, want the replica", got)
	}
}
