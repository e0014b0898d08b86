package runtime_test

import (
	"context"
	"testing"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/hasgen/hasgen/runtime"
)

// TestPoolFollowsSource: the pool applies the metadata's isolation level
// and, with use_prepared_statements false, leaves no prepared statement
// behind on its connections.
func TestPoolFollowsSource(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	for _, c := range []struct {
		cfg      runtime.Config
		level    string
		prepared int
	}{
		{runtime.Config{DatabaseURL: url}, "read committed", 1},
		{runtime.Config{DatabaseURL: url, IsolationLevel: "repeatable-read", NoPreparedStatements: true}, "repeatable read", 0},
		{runtime.Config{DatabaseURL: url, IsolationLevel: "serializable"}, "serializable", 1},
	} {
		pool, err := runtime.NewPool(ctx, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var level string
		var n int
		if err := conn.QueryRow(ctx, "SELECT current_setting('transaction_isolation') WHERE $1::int = 1", 1).Scan(&level); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%current_setting(''transaction_isolation'')%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		conn.Release()
		pool.Close()
		if level != c.level || n != c.prepared {
			t.Errorf("%+v: isolation %q with %d prepared statement(s), want %q with %d", c.cfg, level, n, c.level, c.prepared)
		}
	}
}
