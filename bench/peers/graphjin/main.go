// Command graphjin serves GraphJin (github.com/dosco/graphjin/core/v3) over
// HTTP for hasgen's benchmark (../../README.md). It is a module of its own
// so that hasgen's go.mod never requires GraphJin.
//
//	graphjin -database-url URL -addr 127.0.0.1:8080 -queries queries.json
//
// GraphJin is fastest in production mode, where a query is compiled once
// and then looked up by its operation name in an allow list (the
// "queries" folder its development mode writes). So the server starts in
// two steps: a development-mode instance runs every benchmark query once,
// which saves them to the allow list in a temporary directory, then a
// production-mode instance serves from that list. Outside the list a
// production instance refuses queries: that is GraphJin's design, not a
// shortcut of this benchmark.
//
// POST /graphql takes {"query": ..., "variables": ...}. Requests with
// X-Bench-Role run as that GraphJin role with $user_id = X-Bench-User-Id;
// the others run as GraphJin's "anon" role, which sees every table here
// (DefaultBlock off), like an admin.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/dosco/graphjin/core/v3"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// benchQuery is one query to put on the allow list, with the role and user
// id to run it as (empty for anon).
type benchQuery struct {
	Name   string `json:"name"`
	Query  string `json:"query"`
	Role   string `json:"role"`
	UserID string `json:"user_id"`
}

func main() {
	dbURL := flag.String("database-url", "", "Postgres connection URL")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	spec := flag.String("queries", "", "JSON file: the queries to allow")
	conns := flag.Int("pg-connections", 32, "connection pool size")
	flag.Parse()
	if err := run(*dbURL, *addr, *spec, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "graphjin:", err)
		os.Exit(1)
	}
}

func run(dbURL, addr, spec string, conns int) error {
	b, err := os.ReadFile(spec)
	if err != nil {
		return err
	}
	var qs []benchQuery
	if err := json.Unmarshal(b, &qs); err != nil {
		return err
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	dir, err := os.MkdirTemp("", "hasgen-bench-graphjin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Step 1: development mode saves each query to the allow list.
	dev, err := core.NewGraphJin(config(dir, false), db)
	if err != nil {
		return err
	}
	for _, q := range qs {
		res, err := dev.GraphQL(withRole(context.Background(), q.Role, q.UserID), q.Query, nil, nil)
		if err == nil && len(res.Errors) > 0 {
			err = fmt.Errorf("%s", res.Errors[0].Message)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", q.Name, err)
		}
	}

	// Step 2: production mode serves the allow list.
	gj, err := core.NewGraphJin(config(dir, true), db)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query     string          `json:"query"`
			Variables json.RawMessage `json:"variables"`
		}
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = json.Unmarshal(body, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx := withRole(r.Context(), r.Header.Get("X-Bench-Role"), r.Header.Get("X-Bench-User-Id"))
		res, err := gj.GraphQL(ctx, req.Query, req.Variables, nil)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"message": err.Error()}}})
			return
		}
		out, _ := json.Marshal(res)
		w.Write(out)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.SetFlags(0)
	fmt.Println(ln.Addr().String())
	// Stopped with SIGTERM (the harness): return, so that the deferred
	// removal of the queries folder runs.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	srv := &http.Server{Handler: mux}
	go func() {
		<-stop
		srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// config is GraphJin's configuration for Chinook: no row limit by default
// (graphql-bench's queries read whole tables; GraphJin's default is 20),
// and a "customer" role that mirrors hasgen's fixture
// (testdata/fixtures/chinook/hasgen.yaml): a customer reads their own
// customer row, their invoices and those invoices' lines.
func config(dir string, production bool) *core.Config {
	return &core.Config{
		FS:           core.NewOsFS(dir),
		Production:   production,
		DefaultLimit: 1_000_000,
		DefaultBlock: false,
		Roles: []core.Role{{
			Name: "customer",
			Tables: []core.RoleTable{
				{Name: "customers", ReadOnly: true, Query: &core.Query{
					Filters: []string{"{ id: { eq: $user_id } }"},
					Columns: []string{"id", "first_name", "last_name", "email", "country", "support_rep_id"},
				}},
				{Name: "invoices", ReadOnly: true, Query: &core.Query{
					Filters: []string{"{ customer_id: { eq: $user_id } }"},
					Columns: []string{"id", "customer_id", "invoice_date", "billing_country", "total"},
				}},
				{Name: "invoice_lines", ReadOnly: true, Query: &core.Query{
					Filters: []string{"{ invoices: { customer_id: { eq: $user_id } } }"},
					Columns: []string{"id", "invoice_id", "track_id", "unit_price", "quantity"},
				}},
				{Name: "tracks", ReadOnly: true, Query: &core.Query{
					Columns: []string{"id", "name", "album_id", "genre_id", "milliseconds", "unit_price"},
				}},
			},
		}},
	}
}

// withRole puts the GraphJin role and user id on ctx; none means anon.
func withRole(ctx context.Context, role, userID string) context.Context {
	if role == "" {
		return ctx
	}
	ctx = context.WithValue(ctx, core.UserRoleKey, role)
	return context.WithValue(ctx, core.UserIDKey, userID)
}
