package pgtest_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestStartReplica starts a cluster and a streaming replica of it: the
// replica is in recovery, refuses writes, sees the primary's writes, and
// is back after Stop and Restart; Close removes both directories.
func TestStartReplica(t *testing.T) {
	ctx := context.Background()
	primary, err := pgtest.Start(ctx, pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close()
	replica, err := primary.StartReplica(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	pc, err := pgx.Connect(ctx, primary.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	if _, err := pc.Exec(ctx, "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	count := func() (int, bool, error) {
		rc, err := pgx.Connect(ctx, replica.URL)
		if err != nil {
			return 0, false, err
		}
		defer rc.Close(ctx)
		var n int
		var recovery bool
		err = rc.QueryRow(ctx, "SELECT (SELECT count(*) FROM t), pg_is_in_recovery()").Scan(&n, &recovery)
		return n, recovery, err
	}
	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, recovery, err := count()
			if err == nil && n == want {
				if !recovery {
					t.Fatal("the replica is not in recovery")
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the replica has %d rows (%v), want %d", n, err, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor(1)
	rc, err := pgx.Connect(ctx, replica.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Exec(ctx, "INSERT INTO t VALUES (2)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write on the replica: %v, want a read-only error", err)
	}
	rc.Close(ctx)

	if err := replica.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := count(); err == nil {
		t.Fatal("the stopped replica accepts connections")
	}
	if _, err := pc.Exec(ctx, "INSERT INTO t VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	if err := replica.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(2)

	dirs := []string{dataDir(t, primary), dataDir(t, replica)}
	replica.Close()
	primary.Close()
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is still there after Close (%v)", d, err)
		}
	}
}

// dataDir is the cluster's data directory, asked of the server itself.
func dataDir(t *testing.T, s *pgtest.Server) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var d string
	if err := c.QueryRow(ctx, "SHOW data_directory").Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}
