package cli

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/spf13/cobra"
)

func newDevCmd(stdout, stderr io.Writer) *cobra.Command {
	var databaseURL, example string
	var port int
	cmd := &cobra.Command{
		Use:   "dev [--database-url URL] [--example DIR] [--port N]",
		Short: "Run the example app: a throwaway Postgres, generate, build, serve (Ctrl-C cleans up)",
		Long: `dev is the quickest way to see hasgen work. It starts a throwaway PostgreSQL
from the local initdb/pg_ctl (or creates a scratch database on --database-url),
loads example/schema.sql, generates the example server from
example/hasgen.yaml into a temporary copy of example/server, builds it and
serves it, printing the URL, a JWT per example role and a query to try.
Ctrl-C stops the server and removes the database and the copy.`,
		Example: `  go run ./cmd/hasgen dev
  go run ./cmd/hasgen dev --port 9090 --database-url postgres://postgres@localhost:5432/postgres`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), stdout, stderr, databaseURL, example, port)
		},
	}
	cmd.Flags().StringVar(&databaseURL, "database-url", "", "a server where a scratch database may be created (default: a throwaway cluster)")
	cmd.Flags().StringVar(&example, "example", "example", "the example directory: schema.sql, hasgen.yaml, server/")
	cmd.Flags().IntVar(&port, "port", 8080, "port to serve on")
	return cmd
}

func runDev(ctx context.Context, stdout, stderr io.Writer, databaseURL, example string, port int) error {
	// Before anything else: a server of ours that cannot listen dies at
	// once, while whatever holds the port answers in its place.
	if err := portFree(port); err != nil {
		return err
	}
	for _, f := range []string{"schema.sql", "hasgen.yaml", "server"} {
		if _, err := os.Stat(filepath.Join(example, f)); err != nil {
			return fmt.Errorf("--example %s: %w (run dev from the hasgen checkout, or point --example at the example directory)", example, err)
		}
	}
	// The checkout this hasgen was built from, else the one around the
	// working directory.
	root := generate.ThisBuild().Checkout
	var err error
	if root == "" {
		if root, err = e2e.RepoRoot(); err != nil {
			return fmt.Errorf("dev builds the example against this hasgen checkout: %w", err)
		}
	}
	step := func(format string, args ...any) { fmt.Fprintf(stderr, "• "+format+"\n", args...) }

	var srv *pgtest.Server
	if databaseURL == "" {
		step("starting a throwaway PostgreSQL")
		srv, err = pgtest.Start(ctx, pgtest.Options{})
	} else {
		srv, err = pgtest.Connect(ctx, databaseURL)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	name := "hasgen_example_" + randomSuffix()
	url, err := srv.CreateDatabase(ctx, name, "")
	if err != nil {
		return err
	}
	defer srv.DropDatabase(context.Background(), name)
	step("loading %s", filepath.Join(example, "schema.sql"))
	if err := srv.LoadFiles(ctx, url, filepath.Join(example, "schema.sql")); err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "hasgen-dev-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "server")
	if err := copyTree(filepath.Join(example, "server"), out); err != nil {
		return err
	}
	config, err := filepath.Abs(filepath.Join(example, "hasgen.yaml"))
	if err != nil {
		return err
	}
	step("generating the server into %s", out)
	res, err := generate.Generate(ctx, generate.Options{DatabaseURL: url, Config: config, Out: out,
		Module: "github.com/hasgen/hasgen/example/server", RuntimeReplace: root})
	if err != nil {
		return err
	}
	step("%d files written; building (the first build compiles every dependency: a minute or more)", len(res.Written))
	var build *e2e.Build
	err = withProgress(ctx, stderr, 5*time.Second, "still building", func() error {
		var err error
		build, err = e2e.BuildDir(ctx, out)
		return err
	})
	if build != nil {
		defer os.RemoveAll(filepath.Dir(build.Binary))
	}
	if err != nil {
		return err
	}

	jwtKey := randomSuffix() + randomSuffix() + randomSuffix()
	adminSecret := "dev-" + randomSuffix()
	server, err := build.Start(ctx, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":   url,
		"HASURA_GRAPHQL_SERVER_PORT":    strconv.Itoa(port),
		"HASURA_GRAPHQL_ADMIN_SECRET":   adminSecret,
		"HASURA_GRAPHQL_JWT_SECRET":     `{"type":"HS256","key":"` + jwtKey + `"}`,
		"HASURA_GRAPHQL_ENABLE_CONSOLE": "true",
		// The console's header editor starts with the admin secret (the
		// server listens on 127.0.0.1 only).
		"HASGEN_CONSOLE_HEADERS": `{"X-Hasura-Admin-Secret":"` + adminSecret + `"}`,
	})
	if err != nil {
		return err
	}
	defer server.Stop()
	step("serving (server pid %d)", server.PID())

	fmt.Fprintf(stdout, `
hasgen example server: %[1]s/v1/graphql   (console: %[1]s/console, as admin)

  admin secret   X-Hasura-Admin-Secret: %[2]s
  user Ada       Authorization: Bearer %[3]s
  agent Chen     Authorization: Bearer %[4]s
  analyst        Authorization: Bearer %[5]s

Try:
  curl -s %[1]s/v1/graphql -H 'Authorization: Bearer %[3]s' \
    -d '{"query":"{ channels { name messages { body author { name } } } orders { status total } }"}'

Ctrl-C stops the server and removes the database.
`, server.URL, adminSecret, devToken(jwtKey, "user", "1"), devToken(jwtKey, "agent", "3"), devToken(jwtKey, "analyst", "9"))

	select {
	case <-ctx.Done():
		step("stopping")
		return nil
	case <-server.Exited():
		fmt.Fprintf(stderr, "the server's output:\n%s", server.Logs())
		return fmt.Errorf("the server (pid %d) exited unexpectedly (%v): dev stops", server.PID(), server.ExitErr())
	}
}

// portFree returns an error saying so when port cannot be listened on
// (127.0.0.1, where dev's server listens).
func portFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d is taken (%v): stop what listens there or pick another with --port", port, err)
	}
	return l.Close()
}

// withProgress runs f, printing "• <what> (Ns)" to w every interval
// until it returns, so that a long first build is not silent.
func withProgress(ctx context.Context, w io.Writer, every time.Duration, what string, f func() error) error {
	done := make(chan struct{})
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				fmt.Fprintf(w, "• %s (%ds)\n", what, int(time.Since(start).Seconds()))
			}
		}
	}()
	err := f()
	close(done)
	wg.Wait() // no progress line after f's
	return err
}

// devToken signs an HS256 JWT with Hasura's claims, valid for a day.
func devToken(key, role, userID string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	claims := map[string]any{
		"sub": userID,
		"iat": time.Now().Unix(),
		"exp": time.Now().Add(24 * time.Hour).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles": []string{role},
			"x-hasura-default-role":  role,
			"x-hasura-user-id":       userID,
		},
	}
	head := enc(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(head))
	return head + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func randomSuffix() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// copyTree copies a directory's regular files.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return errors.New("copy " + path + ": not a regular file")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
