package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

// readmeSteps returns the commands of the README's "Using it on your
// database" block, in order, without comments.
func readmeSteps(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Using it on your database\n")
	if !ok {
		t.Fatal(`README.md has no "## Using it on your database" section`)
	}
	section, _, _ = strings.Cut(section, "\n#")
	var steps []string
	started := false
	for _, line := range strings.Split(section, "\n") {
		code, isCode := strings.CutPrefix(line, "    ")
		switch {
		case isCode:
			started = true
			if code = strings.TrimSpace(code); code != "" && !strings.HasPrefix(code, "#") {
				steps = append(steps, code)
			}
		case started && strings.TrimSpace(line) != "":
			return steps // the end of the first code block
		}
	}
	return steps
}

// TestReadmeOnYourDatabase runs the README's "Using it on your database"
// commands as written, with bash, in a directory outside the checkout and
// without --runtime-replace: a development build of hasgen must write a
// server that builds and serves there. Between the steps it does what the
// README's comments ask of the reader: it adds a select permission for the
// role "user" and writes q.graphql. Then it queries the served server as
// that role.
func TestReadmeOnYourDatabase(t *testing.T) {
	steps := readmeSteps(t)
	want := []string{"go build -o hasgen ", "./hasgen introspect ", "./hasgen init ", "./hasgen validate ", "./hasgen generate ", "./hasgen explain ", "cd server && "}
	if len(steps) != len(want) {
		t.Fatalf("README steps changed; this test follows them:\n%s", strings.Join(steps, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(steps[i], w) {
			t.Fatalf("README step %d is %q, want it to start with %q", i+1, steps[i], w)
		}
		if strings.Contains(steps[i], "--runtime-replace") {
			t.Fatalf("README step %d uses --runtime-replace: %s", i+1, steps[i])
		}
	}

	url := pgtest.NewDatabase(t, filepath.Join(repo(t), "example", "schema.sql"))
	dir := t.TempDir()
	if rel, err := filepath.Rel(repo(t), dir); err == nil && !strings.HasPrefix(rel, "..") {
		t.Fatalf("%s is inside the checkout", dir)
	}
	env := append(os.Environ(), "DATABASE_URL="+url)
	times := map[string]time.Duration{}
	sh := func(name, wd, script string) string {
		t.Helper()
		start := time.Now()
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = wd, env
		out, err := cmd.CombinedOutput()
		times[name] = time.Since(start)
		if err != nil {
			t.Fatalf("%s (in %s): %v\n%s", script, wd, err, out)
		}
		return string(out)
	}

	// Step 0 builds hasgen in the checkout: -o names a file in dir instead,
	// so that the test writes nothing into the checkout.
	build := strings.Replace(steps[0], "-o hasgen ", "-o "+filepath.Join(dir, "hasgen")+" ", 1)
	if build == steps[0] {
		t.Fatalf("step 1 has no -o hasgen: %s", steps[0])
	}
	sh("build hasgen", repo(t), build)
	sh("introspect", dir, steps[1])
	sh("init", dir, steps[2])

	// "Add select_permissions etc.": user sees the public channels' names.
	cfgPath := filepath.Join(dir, "hasgen.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	table := "- table: {schema: public, name: channels}\n"
	if !bytes.Contains(cfg, []byte(table)) {
		t.Fatalf("init wrote no %q:\n%s", table, cfg)
	}
	perm := table + "  select_permissions:\n    - role: user\n      permission: {columns: [name], filter: {is_private: {_eq: false}}}\n"
	cfg = bytes.Replace(cfg, []byte(table), []byte(perm), 1)
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := sh("validate", dir, steps[3]); !strings.Contains(out, "valid") || strings.Contains(out, " 0 roles") {
		t.Errorf("validate does not count the role: %s", out)
	}
	out := sh("generate", dir, steps[4])
	if !strings.Contains(out, "development build") {
		t.Errorf("generate does not say that it replaces hasgen with its checkout:\n%s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "q.graphql"), []byte("{ channels { name } }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := sh("explain", dir, steps[5]); !strings.Contains(out, `"is_private"`) {
		t.Errorf("explain's SQL for user lacks the permission filter:\n%s", out)
	}

	// Step 5 serves until stopped: start it, wait for /healthz, query.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	serve := exec.Command("bash", "-euo", "pipefail", "-c", steps[6])
	serve.Dir = dir
	serve.Env = append(env, "HASURA_GRAPHQL_SERVER_HOST=127.0.0.1", "HASURA_GRAPHQL_SERVER_PORT="+port)
	var logs bytes.Buffer
	serve.Stdout, serve.Stderr = &logs, &logs
	serve.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = serve.Wait(); close(exited) }()
	t.Cleanup(func() {
		// Ctrl-C, as the reader would: go run ignores it and waits for the
		// server to drain, then removes its build directory (a SIGTERM
		// would kill go run first and leave that behind).
		syscall.Kill(-serve.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			syscall.Kill(-serve.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	base := "http://127.0.0.1:" + port
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("%s exited: %v\n%s", steps[6], waitErr, logs.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Since(start) > 5*time.Minute {
			t.Fatalf("the server did not answer /healthz in 5 minutes:\n%s", logs.String())
		}
	}
	times["go run . until healthy"] = time.Since(start)

	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT name FROM channels WHERE NOT is_private ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var wantRows []map[string]string
	for _, n := range names {
		wantRows = append(wantRows, map[string]string{"name": n})
	}
	wantBody, _ := json.Marshal(map[string]any{"data": map[string]any{"channels": wantRows}})

	query := func(q string) string {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"query": q})
		req, _ := http.NewRequest("POST", base+"/v1/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hasura-Role", "user")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return b.String()
	}
	var got, norm any
	if err := json.Unmarshal([]byte(query("{ channels(order_by: {name: asc}) { name } }")), &got); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(wantBody, &norm)
	if g, _ := json.Marshal(got); !bytes.Equal(g, mustJSON(norm)) {
		t.Errorf("user's channels: got %s, want %s", g, wantBody)
	}
	if out := query("{ channels { id } }"); !strings.Contains(out, `"errors"`) || strings.Contains(out, `"data"`) {
		t.Errorf("user may read channels.id, which the permission does not grant: %s", out)
	}
	for _, k := range []string{"build hasgen", "introspect", "init", "validate", "generate", "explain", "go run . until healthy"} {
		t.Logf("%-24s %v", k, times[k].Round(time.Millisecond))
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
