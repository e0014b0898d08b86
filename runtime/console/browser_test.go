package console_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var screenshot = flag.String("screenshot", "", "also write the console's screenshot to this PNG (the README's docs/console.png)")

// browserRun is what testdata/browser/console.mjs saw.
type browserRun struct {
	Requests []struct {
		URL     string            `json:"url"`
		Method  string            `json:"method"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	} `json:"requests"`
	Websockets []struct {
		URL  string   `json:"url"`
		Sent []string `json:"sent"`
	} `json:"websockets"`
	PageErrors          []string       `json:"pageErrors"`
	ConsoleErrors       []string       `json:"consoleErrors"`
	Timings             map[string]int `json:"timings"`
	IntrospectionStatus int            `json:"introspectionStatus"`
	IntrospectionBody   string         `json:"introspectionBody"`
	HeadersTabOpen      bool           `json:"headersTabOpen"`
	HeaderEditor        string         `json:"headerEditor"`
	Docs                string         `json:"docs"`
	QueryEditor         string         `json:"queryEditor"`
	QueryResult         string         `json:"queryResult"`
	SubscriptionFirst   string         `json:"subscriptionFirst"`
	SubscriptionAfter   string         `json:"subscriptionAfter"`
	Insert              string         `json:"insert"`
	RefetchStatus       int            `json:"refetchStatus"`
	RefetchBody         string         `json:"refetchBody"`
}

// TestConsoleInChromium drives /console of a generated server (the
// example app) in headless Chromium with Playwright: the page must load
// from the server alone (no other URL is requested, and Chromium resolves
// no host name), its header editor hold the pre-filled admin secret, the
// schema be fetched with it, a typed query return the database's rows,
// and a subscription started on the page show a row inserted over HTTP.
//
// It needs Chromium (Debian's chromium; HASGEN_CHROMIUM names another
// binary), Node.js and npm, which installs playwright-core from
// testdata/browser/package-lock.json.
func TestConsoleInChromium(t *testing.T) {
	chromium := os.Getenv("HASGEN_CHROMIUM")
	if chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
	}
	if chromium == "" {
		t.Fatal("no Chromium: install it (Debian: apt-get install chromium) or set HASGEN_CHROMIUM to its binary")
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("no %s: the console test drives Chromium with Playwright on Node.js (Debian: apt-get install nodejs npm)", tool)
		}
	}
	ctx := context.Background()

	// Playwright, as pinned by the lock file, in a directory of its own.
	start := time.Now()
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "console.mjs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "browser", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	npm := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline")
	npm.Dir = dir
	if b, err := npm.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, b)
	}
	t.Logf("npm ci: %v", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	url := pgtest.NewDatabase(t, "../../example/schema.sql")
	secret := "console-" + random(t)
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: "../../example/hasgen.yaml"}, map[string]string{
		"HASURA_GRAPHQL_ADMIN_SECRET":   secret,
		"HASURA_GRAPHQL_ENABLE_CONSOLE": "true",
		"HASGEN_CONSOLE_HEADERS":        `{"X-Hasura-Admin-Secret":"` + secret + `"}`,
	})
	t.Logf("generate, build, start: %v", time.Since(start).Round(time.Millisecond))

	mark := "typed in the console " + random(t)
	png := filepath.Join(dir, "console.png")
	node := exec.CommandContext(ctx, "node", "console.mjs")
	node.Dir = dir
	node.Env = append(os.Environ(),
		"CONSOLE_URL="+srv.URL,
		"ADMIN_SECRET="+secret,
		"CHROMIUM="+chromium,
		"SCREENSHOT="+png,
		"MARK="+mark,
		"QUERY=query Channels {\n  channels(order_by: {id: asc}) {\n    id\n    name\n    messages(order_by: {id: asc}) {\n      body\n      author { name }\n    }\n  }\n}\n",
		"SUBSCRIPTION=subscription LatestMessage {\n  messages(order_by: {id: desc}, limit: 1) {\n    id\n    body\n  }\n}\n",
		"INSERT=mutation ($body: String!) { insert_messages_one(object: {channel_id: 1, author_id: 1, body: $body}) { id } }",
	)
	var stdout, stderr bytes.Buffer
	node.Stdout, node.Stderr = &stdout, &stderr
	start = time.Now()
	if err := node.Run(); err != nil {
		t.Fatalf("console.mjs: %v\n%s\n%s", err, stderr.String(), stdout.String())
	}
	t.Logf("browser: %v", time.Since(start).Round(time.Millisecond))
	var run browserRun
	if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
		t.Fatalf("console.mjs printed %q: %v\n%s", stdout.String(), err, stderr.String())
	}
	t.Logf("in the browser, ms since launch: %v", run.Timings)

	// Offline: every request and websocket went to this server.
	if len(run.Requests) < 6 {
		t.Errorf("%d requests logged", len(run.Requests))
	}
	for _, r := range run.Requests {
		if !strings.HasPrefix(r.URL, srv.URL+"/") {
			t.Errorf("the page requested %s %s: not this server", r.Method, r.URL)
		}
	}
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/graphql"
	if len(run.Websockets) == 0 {
		t.Error("no websocket opened for the subscription")
	}
	for _, w := range run.Websockets {
		if w.URL != wsURL {
			t.Errorf("websocket to %s, want %s", w.URL, wsURL)
		}
		if len(w.Sent) == 0 || !strings.Contains(w.Sent[0], `"connection_init"`) || !strings.Contains(w.Sent[0], secret) {
			t.Errorf("the websocket's first message is not a connection_init with the header editor's headers: %q", w.Sent)
		}
	}
	for _, e := range append(run.PageErrors, run.ConsoleErrors...) {
		t.Errorf("error in the page: %s", e)
	}

	// The header editor is pre-filled, and the schema fetched with it.
	var shown map[string]string
	if err := json.Unmarshal([]byte(run.HeaderEditor), &shown); err != nil || shown["X-Hasura-Admin-Secret"] != secret {
		t.Errorf("header editor shows %q (%v), want the admin secret", run.HeaderEditor, err)
	}
	if !run.HeadersTabOpen {
		t.Error("the Headers tab is not the one open")
	}
	introspections := 0
	for _, r := range run.Requests {
		if strings.Contains(r.Body, "IntrospectionQuery") {
			introspections++
			if r.Headers["x-hasura-admin-secret"] != secret {
				t.Errorf("the schema was fetched without the header editor's admin secret: %v", r.Headers)
			}
		}
	}
	if introspections == 0 {
		t.Error("no introspection request logged")
	}
	if run.IntrospectionStatus != 200 || !strings.Contains(run.IntrospectionBody, `"insert_messages_one"`) {
		t.Errorf("introspection: status %d, %.300s", run.IntrospectionStatus, run.IntrospectionBody)
	}
	if !strings.Contains(run.Docs, "query_root") || !strings.Contains(run.Docs, "subscription_root") {
		t.Errorf("documentation explorer: %q", run.Docs)
	}

	// The query's result on the page is what the database holds.
	if !strings.Contains(run.QueryEditor, "channels(order_by: {id: asc})") {
		t.Errorf("query editor: %q", run.QueryEditor)
	}
	var got struct {
		Data struct {
			Channels []struct {
				ID       int
				Name     string
				Messages []struct {
					Body   string
					Author struct{ Name string }
				}
			}
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(run.QueryResult), &got); err != nil || len(got.Errors) > 0 {
		t.Fatalf("query result on the page: %v\n%s", err, run.QueryResult)
	}
	var pageRows []string
	for _, c := range got.Data.Channels {
		for _, m := range c.Messages {
			pageRows = append(pageRows, strings.Join([]string{strconv.Itoa(c.ID), c.Name, m.Body, m.Author.Name}, "|"))
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var dbRows []string
	rows, err := conn.Query(ctx, `SELECT concat_ws('|', c.id, c.name, m.body, u.name) FROM channels c
		JOIN messages m ON m.channel_id = c.id JOIN users u ON u.id = m.author_id
		WHERE m.body <> $1 ORDER BY c.id, m.id`, mark)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		dbRows = append(dbRows, s)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(dbRows) == 0 || strings.Join(pageRows, "\n") != strings.Join(dbRows, "\n") {
		t.Errorf("the page shows\n%s\nthe database holds\n%s", strings.Join(pageRows, "\n"), strings.Join(dbRows, "\n"))
	}

	// The subscription showed the row inserted over HTTP.
	var inserted struct {
		Data struct {
			InsertMessagesOne struct{ ID int } `json:"insert_messages_one"`
		}
	}
	if err := json.Unmarshal([]byte(run.Insert), &inserted); err != nil || inserted.Data.InsertMessagesOne.ID == 0 {
		t.Fatalf("insert: %v %s", err, run.Insert)
	}
	if strings.Contains(run.SubscriptionFirst, mark) || !strings.Contains(run.SubscriptionFirst, `"messages"`) {
		t.Errorf("first subscription result: %s", run.SubscriptionFirst)
	}
	var latest struct {
		Data struct {
			Messages []struct {
				ID   int
				Body string
			}
		}
	}
	if err := json.Unmarshal([]byte(run.SubscriptionAfter), &latest); err != nil {
		t.Fatalf("subscription result on the page: %v\n%s", err, run.SubscriptionAfter)
	}
	if len(latest.Data.Messages) != 1 || latest.Data.Messages[0].ID != inserted.Data.InsertMessagesOne.ID || latest.Data.Messages[0].Body != mark {
		t.Errorf("the subscription shows %+v, want the inserted row %d %q", latest.Data.Messages, inserted.Data.InsertMessagesOne.ID, mark)
	}

	// Headers typed into the editor: the schema was fetched again, as the
	// role they name sees it.
	if run.RefetchStatus != 200 || !strings.Contains(run.RefetchBody, `"__schema"`) || !strings.Contains(run.RefetchBody, `"messages"`) ||
		strings.Contains(run.RefetchBody, `"delete_users"`) || !strings.Contains(run.IntrospectionBody, `"delete_users"`) {
		t.Errorf("schema fetched after the headers changed to role user: status %d, %.300s", run.RefetchStatus, run.RefetchBody)
	}

	// The secret the page carried is in none of the server's logs.
	if logs := srv.Logs(); strings.Contains(logs, secret) || !strings.Contains(logs, "/v1/graphql") {
		t.Errorf("server logs hold the admin secret, or no request at all:\n%s", logs)
	}

	b, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 20000 {
		t.Errorf("screenshot: %d bytes, not a PNG of a page", len(b))
	}
	if *screenshot != "" {
		if err := os.WriteFile(*screenshot, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func random(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
