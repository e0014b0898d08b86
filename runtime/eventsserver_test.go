package runtime_test

// The server the tests of event triggers (metadataapi_test.go) and of
// scheduled triggers (scheduling_test.go) start, and what they read it with.

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/runtime"
	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/templates"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventsServer serves NewServer's handler over dbURL with
// schema/events.jsonc holding eventsJSON. The deployment's environment is
// env over the database URL, 4 connections, the admin secret and short
// fetch intervals (event triggers 10 ms, scheduled events 20 ms); it is
// also where value_from_env and webhook_from_env are looked up. now is
// the scheduler's clock (nil: the real one). It returns NewServer's error,
// and the log.
func eventsServer(t *testing.T, dbURL, eventsJSON string, env map[string]string, now func() time.Time) (*httptest.Server, *syncBuffer, error) {
	t.Helper()
	ctx := context.Background()
	p, err := generate.LoadProject(ctx, generate.Options{DatabaseURL: dbURL, Config: filepath.Join(repoRoot(t), rtConfig)})
	if err != nil {
		t.Fatal(err)
	}
	ec, err := templates.EngineConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL, "HASURA_GRAPHQL_PG_CONNECTIONS": "4",
		"HASURA_GRAPHQL_ADMIN_SECRET": rtSecret, "HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL": "10",
		"HASGEN_SCHEDULED_EVENTS_FETCH_INTERVAL": "20"}
	for k, v := range env {
		all[k] = v
	}
	cfg, err := runtime.ConfigFromEnv(nil, func(k string) string { return all[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.LogOutput = io.Discard
	lookup := func(k string) (string, bool) { v, ok := all[k]; return v, ok }
	cfg.Events.LookupEnv = lookup
	cfg.Schedule.LookupEnv = lookup
	cfg.Schedule.Now = now
	files := fstest.MapFS{events.File: &fstest.MapFile{Data: []byte("// generated\n" + eventsJSON)}}
	for role, sdl := range ec.SDL {
		name := "roles/" + role + ".graphqls"
		if role == "admin" {
			name = "full.graphqls"
		}
		files[name] = &fstest.MapFile{Data: sdl}
	}
	logs := &syncBuffer{}
	srv, err := runtime.NewServer(ctx, cfg, runtime.Project{Tables: ec.Tables, Schemas: files}, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		return nil, logs, err
	}
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		hs.Close()
		srv.Close()
	})
	return hs, logs, nil
}

// metadata posts body to the server's /v1/metadata; it returns the status
// and the body of the answer.
func metadata(t *testing.T, url, body string, headers map[string]string) (int, string) {
	t.Helper()
	return post(t, url+"/v1/metadata", body, headers)
}

// waitMetrics waits until each line of want is in the server's /metrics
// (within rtTimeout).
func waitMetrics(t *testing.T, url string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(rtTimeout)
	for {
		_, b := do(t, http.MethodGet, url+"/metrics", "", nil)
		missing := ""
		for _, w := range want {
			if !strings.Contains(b, w+"\n") {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics has no %s:\n%s", missing, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
