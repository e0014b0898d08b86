package console_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/internal/browser"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var screenshot = flag.String("screenshot", "", "also write the console's screenshot to this PNG (the README's docs/console.png)")

// browserRun is what the console test saw in the browser.
type browserRun struct {
	Requests            []browser.Request
	Websockets          []browser.Websocket
	Errors              []string
	IntrospectionStatus int
	IntrospectionBody   string
	HeadersTabOpen      bool
	HeaderEditor        string
	Docs                string
	QueryEditor         string
	QueryResult         string
	SubscriptionFirst   string
	SubscriptionAfter   string
	Insert              string
	RefetchStatus       int
	RefetchBody         string
	Screenshot          []byte
}

// TestConsoleInChromium drives /console of a generated server (the
// example app) in headless Chromium, as a person would: the page must
// load from the server alone (no other URL is requested, and Chromium
// resolves no host name), its header editor hold the pre-filled admin
// secret, the schema be fetched with it, a query typed into the editor
// return the database's rows, and a subscription started on the page show
// a row inserted over HTTP.
//
// It needs Chromium (Debian's chromium; HASGEN_CHROMIUM names another
// binary), driven over the DevTools protocol (internal/browser).
func TestConsoleInChromium(t *testing.T) {
	ctx := context.Background()
	// The machine has no network but loopback; these keep Chromium from
	// trying, and the resolver rule makes any host name fail as offline.
	b := browser.StartT(t, "--disable-quic", "--disable-component-update",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")

	start := time.Now()
	url := pgtest.NewDatabase(t, "../../example/schema.sql")
	secret := "console-" + random(t)
	srv := e2e.StartT(t, e2e.Project{DatabaseURL: url, Config: "../../example/hasgen.yaml"}, map[string]string{
		"HASURA_GRAPHQL_ADMIN_SECRET":   secret,
		"HASURA_GRAPHQL_ENABLE_CONSOLE": "true",
		"HASGEN_CONSOLE_HEADERS":        `{"X-Hasura-Admin-Secret":"` + secret + `"}`,
	})
	t.Logf("generate, build, start: %v", time.Since(start).Round(time.Millisecond))

	mark := "typed in the console " + random(t)
	start = time.Now()
	run, err := driveConsole(b.Tab(t), t, srv.URL, secret, mark)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("browser: %v", time.Since(start).Round(time.Millisecond))

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
	for _, e := range run.Errors {
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

	png := run.Screenshot
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 20000 {
		t.Errorf("screenshot: %d bytes, not a PNG of a page", len(png))
	}
	if *screenshot != "" {
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The console's query, subscription and the insert that feeds it.
const (
	consoleQuery        = "query Channels {\n  channels(order_by: {id: asc}) {\n    id\n    name\n    messages(order_by: {id: asc}) {\n      body\n      author { name }\n    }\n  }\n}\n"
	consoleSubscription = "subscription LatestMessage {\n  messages(order_by: {id: desc}, limit: 1) {\n    id\n    body\n  }\n}\n"
	consoleInsert       = "mutation ($body: String!) { insert_messages_one(object: {channel_id: 1, author_id: 1, body: $body}) { id } }"
)

// Where GraphiQL keeps what the test reads and clicks.
const (
	selQueryEditor  = ".graphiql-query-editor .CodeMirror"
	selHeaderEditor = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
	selExecute      = ".graphiql-execute-button"
	// resultJS is the text of the result pane.
	resultJS = `(document.querySelector(".graphiql-response .CodeMirror") || {CodeMirror: {getValue: () => ""}}).CodeMirror.getValue()`
)

// driveConsole opens the console at base in tab and uses it as a person
// would: reads the header editor and the documentation, types and runs
// the query, starts the subscription and inserts a row with body mark
// over HTTP, then types new headers, and returns what it saw.
func driveConsole(tab context.Context, t *testing.T, base, secret, mark string) (*browserRun, error) {
	log, err := browser.Listen(tab)
	if err != nil {
		return nil, err
	}
	if err := browser.SetViewport(tab, 1280, 760); err != nil {
		return nil, err
	}
	run := &browserRun{}
	start := time.Now()
	lap := func(what string) {
		t.Logf("%s: %v since the page was asked for", what, time.Since(start).Round(time.Millisecond))
	}
	// editor is the text of the CodeMirror editor inside the element sel.
	editor := func(sel string) (string, error) {
		return browser.Eval[string](tab, `(el => el ? el.CodeMirror.getValue() : "")(document.querySelector(`+jsString(sel+" .CodeMirror")+`))`)
	}
	// waitResult waits until the result pane's text satisfies the
	// JavaScript condition on v, and returns it.
	waitResult := func(what, cond string) (string, error) {
		return browser.WaitFor[string](tab, what, `(v => (`+cond+`) ? v : false)(`+resultJS+`)`)
	}
	// typeOperation replaces the query editor's text and waits until
	// GraphiQL has parsed out the operation it names, as a person reading
	// would before pressing run.
	typeOperation := func(text, operationName string) error {
		if err := browser.ReplaceText(tab, selQueryEditor, text); err != nil {
			return err
		}
		_, err := browser.WaitFor[bool](tab, "the operation "+operationName,
			`(el => !!el && el.CodeMirror.operationName === `+jsString(operationName)+`)(document.querySelector(`+jsString(selQueryEditor)+`))`)
		return err
	}
	isIntrospection := func(r browser.Request) bool { return strings.Contains(r.Body, "IntrospectionQuery") }

	if err := browser.Navigate(tab, base+"/console"); err != nil {
		return nil, err
	}
	if _, err := browser.WaitFor[bool](tab, "GraphiQL", `!!document.querySelector(".graphiql-container")`); err != nil {
		return nil, err
	}
	lap("page")
	intro, err := log.WaitRequest(tab, "the introspection", isIntrospection)
	if err != nil {
		return nil, err
	}
	run.IntrospectionStatus = intro.Status
	if run.IntrospectionBody, err = browser.ResponseBody(tab, intro.ID); err != nil {
		return nil, err
	}
	lap("schema")

	// The header editor as the page shows it: the tab open, its text.
	if run.HeadersTabOpen, err = browser.Eval[bool](tab, `(el => !!el && el.checkVisibility())(document.querySelector('.graphiql-editor-tools button[data-name="headers"].active'))`); err != nil {
		return nil, err
	}
	if run.HeaderEditor, err = editor(".graphiql-editor-tool .graphiql-editor:not(.hidden)"); err != nil {
		return nil, err
	}

	// The schema, in the documentation explorer.
	if err := browser.Click(tab, `.graphiql-sidebar button[aria-label="Show Documentation Explorer"]`); err != nil {
		return nil, err
	}
	if run.Docs, err = browser.WaitFor[string](tab, "the documentation explorer",
		`document.querySelector(".graphiql-doc-explorer-root-type") && document.querySelector(".graphiql-doc-explorer").textContent`); err != nil {
		return nil, err
	}

	// A query, typed into the editor and run.
	if err := typeOperation(consoleQuery, "Channels"); err != nil {
		return nil, err
	}
	if run.QueryEditor, err = editor(".graphiql-query-editor"); err != nil {
		return nil, err
	}
	if err := browser.Click(tab, selExecute); err != nil {
		return nil, err
	}
	if run.QueryResult, err = waitResult("the query result", `v.includes('"data"') || v.includes('"errors"')`); err != nil {
		return nil, err
	}
	lap("query")
	if run.Screenshot, err = browser.Screenshot(tab); err != nil {
		return nil, err
	}

	// A subscription: started in the console, fed by an insert over HTTP.
	if err := typeOperation(consoleSubscription, "LatestMessage"); err != nil {
		return nil, err
	}
	if err := browser.Click(tab, selExecute); err != nil {
		return nil, err
	}
	// Not the query's result still shown: the subscription's own.
	if run.SubscriptionFirst, err = waitResult("the first subscription result", `(v.includes('"data"') || v.includes('"errors"')) && !v.includes('"channels"')`); err != nil {
		return nil, err
	}
	lap("subscription")
	if run.Insert, err = insertMessage(tab, base, secret, mark); err != nil {
		return nil, err
	}
	if run.SubscriptionAfter, err = waitResult("the inserted row in the subscription", `v.includes(`+jsString(mark)+`)`); err != nil {
		return nil, err
	}
	lap("subscription-insert")
	// Stop it (the same button), as a person would before leaving.
	if err := browser.Click(tab, selExecute); err != nil {
		return nil, err
	}

	// New headers typed into the header editor: the schema is fetched
	// again, with them (here, the role user's schema).
	headers, _ := json.Marshal(map[string]string{"X-Hasura-Admin-Secret": secret, "X-Hasura-Role": "user", "X-Hasura-User-Id": "1"})
	if err := browser.ReplaceText(tab, selHeaderEditor, string(headers)); err != nil {
		return nil, err
	}
	again, err := log.WaitRequest(tab, "the introspection as role user", func(r browser.Request) bool {
		return isIntrospection(r) && r.Headers["x-hasura-role"] == "user"
	})
	if err != nil {
		return nil, err
	}
	run.RefetchStatus = again.Status
	if run.RefetchBody, err = browser.ResponseBody(tab, again.ID); err != nil {
		return nil, err
	}
	lap("schema-refetch")
	run.Requests, run.Websockets, run.Errors = log.Requests(), log.Websockets(), log.Errors()
	return run, nil
}

// insertMessage inserts a message with body over HTTP, as the admin, and
// returns the response.
func insertMessage(ctx context.Context, base, secret, body string) (string, error) {
	payload, _ := json.Marshal(map[string]any{"query": consoleInsert, "variables": map[string]string{"body": body}})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/graphql", bytes.NewReader(payload))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("insert: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("insert: %w", err)
	}
	return string(b), nil
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func random(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
