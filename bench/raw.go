package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// rawQuery is what the raw pgx server runs for one benchmark query: the
// statement hasgen compiles, its arguments, and the response key.
type rawQuery struct {
	Key  string `json:"key"`
	SQL  string `json:"sql"`
	Args []any  `json:"args"`
}

// rawServer is the limit to compare with: a minimal Go HTTP server that,
// for POST /<query>, runs that query's one SQL statement through a pgx pool
// (prepared statements, as hasgen) and writes {"data":{key: <json>}}. It
// does no GraphQL work at all.
func rawServer(args []string) error {
	fl := flag.NewFlagSet("rawserver", flag.ContinueOnError)
	dbURL := fl.String("database-url", "", "")
	addr := fl.String("addr", "127.0.0.1:0", "")
	spec := fl.String("spec", "", "JSON file: query name → rawQuery")
	conns := fl.Int("pg-connections", 32, "")
	if err := fl.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*spec)
	if err != nil {
		return err
	}
	var qs map[string]rawQuery
	if err := json.Unmarshal(b, &qs); err != nil {
		return err
	}
	ctx := context.Background()
	pc, err := pgxpool.ParseConfig(*dbURL)
	if err != nil {
		return err
	}
	pc.MaxConns = int32(*conns)
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	for name, q := range qs {
		prefix := []byte(`{"data":{"` + q.Key + `":`)
		mux.HandleFunc("/"+name, func(w http.ResponseWriter, r *http.Request) {
			rows, err := pool.Query(r.Context(), q.SQL, q.Args...)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			out := append([]byte(nil), prefix...)
			if rows.Next() {
				if v := rows.RawValues()[0]; v != nil {
					out = append(out, v...)
				} else {
					out = append(out, "null"...)
				}
			} else {
				out = append(out, "null"...)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			out = append(out, "}}"...)
			w.Header().Set("Content-Type", "application/json")
			w.Write(out)
		})
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) })
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	return http.Serve(ln, mux)
}

// startRaw starts this binary as the raw server in its own process.
func startRaw(ctx context.Context, url, cpus string, qs map[string]rawQuery) (*contender, error) {
	spec, err := os.CreateTemp("", "hasgen-bench-*.json")
	if err != nil {
		return nil, err
	}
	json.NewEncoder(spec).Encode(qs)
	spec.Close()
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	args := []string{self, "rawserver", "--database-url", url, "--addr", addr, "--spec", spec.Name()}
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	base := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			cmd.Process.Kill()
			return nil, fmt.Errorf("raw server did not start: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := &contender{name: "raw pgx", pid: cmd.Process.Pid, shape: func(query) normaliser { return identity }, stop: func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.Remove(spec.Name())
	}}
	c.request = func(q query) *http.Request {
		// The same body a GraphQL server gets, though this one ignores it.
		body, _ := json.Marshal(map[string]string{"query": q.GraphQL})
		req, _ := http.NewRequest(http.MethodPost, base+"/"+q.Name, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
	return c, nil
}
