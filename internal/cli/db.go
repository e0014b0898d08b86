package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"
)

// source is where the database model comes from: a live database or a
// snapshot file.
type source struct {
	databaseURL string
	snapshot    string
	schemas     []string
}

func (s *source) addDatabaseFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.databaseURL, "database-url", "", "PostgreSQL connection URL (postgres://user:pass@host:port/db)")
	cmd.Flags().StringArrayVar(&s.schemas, "schema", nil, "Postgres schema to read; repeat for several (default public)")
}

func (s *source) addSnapshotFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.snapshot, "snapshot", "", "read the database model from a snapshot written by 'hasgen introspect' instead of a database")
}

// load returns the database model from the database or the snapshot,
// whichever was given (exactly one must be). Without --schema, the schemas
// read are those the tables of config are in (public when it names none).
func (s *source) load(ctx context.Context, config string) (*introspect.Schema, error) {
	switch {
	case s.databaseURL != "" && s.snapshot != "":
		return nil, errors.New("give --database-url or --snapshot, not both")
	case s.snapshot != "":
		return introspect.LoadSnapshotFile(s.snapshot)
	case s.databaseURL != "":
		if len(s.schemas) == 0 && config != "" {
			s.schemas = metadata.Schemas(config)
		}
		return s.introspect(ctx)
	default:
		return nil, errors.New("--database-url or --snapshot is required")
	}
}

func (s *source) introspect(ctx context.Context) (*introspect.Schema, error) {
	if s.databaseURL == "" {
		return nil, errors.New("--database-url is required")
	}
	conn, err := connect(ctx, s.databaseURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	schemas := s.schemas
	if len(schemas) == 0 {
		schemas = []string{"public"}
	}
	return introspect.Load(ctx, conn, schemas)
}

// connect opens one connection and turns the ways that fails into one line
// that says what is wrong.
func connect(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL: %s", strings.TrimPrefix(oneLine(errors.Unwrap(err)), "cannot parse `"+url+"`: "))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, describeConnectError(cfg, err)
	}
	return conn, nil
}

func describeConnectError(cfg *pgx.ConnConfig, err error) error {
	where := fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
	if strings.HasPrefix(cfg.Host, "/") {
		where = fmt.Sprintf("socket %s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01":
			return fmt.Errorf("cannot connect to the database at %s: authentication failed for user %q (wrong password?)", where, cfg.User)
		case "28000":
			return fmt.Errorf("cannot connect to the database at %s: authentication failed: %s", where, pgErr.Message)
		case "3D000":
			return fmt.Errorf("cannot connect to the database at %s: database %q does not exist", where, cfg.Database)
		}
		return fmt.Errorf("cannot connect to the database at %s: %s (SQLSTATE %s)", where, pgErr.Message, pgErr.Code)
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot connect to the database at %s: connection refused (is the server running and accepting TCP connections?)", where)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("cannot connect to the database at %s: timed out", where)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("cannot connect to the database at %s: no such socket (is the server running?)", where)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("cannot connect to the database at %s: unknown host %q", where, dnsErr.Name)
	}
	return fmt.Errorf("cannot connect to the database at %s: %s", where, oneLine(errors.Unwrap(err)))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// oneLine joins a multi-line error message into one line.
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}
