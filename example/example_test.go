package example_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/hasgen/hasgen/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const module = "github.com/hasgen/hasgen/example/server"

// TestCommittedServerIsUpToDate is `hasgen check` over example/: CI fails
// when the committed server differs from what generate writes now.
func TestCommittedServerIsUpToDate(t *testing.T) {
	url := pgtest.NewDatabase(t, "schema.sql")
	diff, err := generate.Check(context.Background(), generate.Options{
		DatabaseURL: url, Config: "hasgen.yaml", Out: "server", Module: module, RuntimeReplace: "..",
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff != "" {
		t.Fatalf("example/server is out of date; regenerate it:\n  hasgen generate --database-url URL --config example/hasgen.yaml --out example/server --module %s --runtime-replace .\n%s", module, diff)
	}
}

const jwtKey = "an-hs256-key-of-at-least-32-characters!"

// token signs an HS256 JWT with Hasura's claims.
func token(t *testing.T, role, userID string, allowed ...string) string {
	t.Helper()
	if len(allowed) == 0 {
		allowed = []string{role}
	}
	claims := map[string]any{
		"sub": userID,
		"exp": time.Now().Add(time.Hour).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles": allowed,
			"x-hasura-default-role":  role,
			"x-hasura-user-id":       userID,
		},
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := enc(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
	mac := hmac.New(sha256.New, []byte(jwtKey))
	mac.Write([]byte(head))
	return head + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

type client struct {
	t   *testing.T
	url string
}

func (c client) query(headers map[string]string, query string) string {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/v1/graphql", bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

func TestExampleServer(t *testing.T) {
	url := pgtest.NewDatabase(t, "schema.sql")
	ctx := context.Background()
	b, err := e2e.BuildDir(ctx, "server")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(b.Binary))
	srv, err := b.Start(ctx, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":   url,
		"HASURA_GRAPHQL_ADMIN_SECRET":   "admin-secret",
		"HASURA_GRAPHQL_JWT_SECRET":     `{"type":"HS256","key":"` + jwtKey + `"}`,
		"HASURA_GRAPHQL_ENABLE_CONSOLE": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c := client{t, srv.URL}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	ada, brian, eve := bearer(token(t, "user", "1")), bearer(token(t, "user", "2")), bearer(token(t, "user", "5"))
	chen := bearer(token(t, "agent", "3"))
	analyst := bearer(token(t, "analyst", "9"))
	admin := map[string]string{"X-Hasura-Admin-Secret": "admin-secret"}

	cases := []struct {
		name    string
		headers map[string]string
		query   string
		want    string
	}{
		// Channel members read only their channels' messages: Brian is in
		// general and random, not in the private engineering.
		{"member reads own channels", brian,
			`{ channels(order_by: {id: asc}) { name messages(order_by: {id: asc}) { body author { name } } } }`,
			`{"data":{"channels":[{"name":"general","messages":[{"body":"Welcome to general!","author":{"name":"Ada"}}, {"body":"Hi all","author":{"name":"Brian"}}, {"body":"Deliveries start at nine.","author":{"name":"Chen"}}]}, {"name":"random","messages":[{"body":"Anyone for lunch?","author":{"name":"Brian"}}, {"body":"Me!","author":{"name":"Eve"}}]}]}}`},
		{"private channel hidden, messages too", brian,
			`{ messages_aggregate(where: {channel: {name: {_eq: "engineering"}}}) { aggregate { count } } }`,
			`{"data":{"messages_aggregate":{"aggregate":{"count":0}}}}`},
		{"private channel visible to its member", ada,
			`{ channels(where: {is_private: {_eq: true}}) { name members_aggregate: members { user { name } } } }`,
			`{"data":{"channels":[{"name":"engineering","members_aggregate":[{"user":{"name":"Ada"}}, {"user":{"name":"Chen"}}]}]}}`},
		// Orders: a customer sees theirs, an agent those assigned to them.
		{"customer orders", ada, `{ orders(order_by: {created_at: asc}) { status total invoice { status } } }`,
			`{"data":{"orders":[{"status":"delivered","total":12.50,"invoice":{"status":"paid"}}, {"status":"out_for_delivery","total":8.00,"invoice":{"status":"issued"}}]}}`},
		{"agent orders", chen, `{ orders(order_by: {created_at: asc}) { status customer_id } }`,
			`{"data":{"orders":[{"status":"delivered","customer_id":1}, {"status":"preparing","customer_id":2}]}}`},
		{"agent cannot see invoices", chen, `{ invoices { id } }`,
			`{"errors":[{"message":"field 'invoices' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.invoices","code":"validation-failed"}}]}`},
		// Analysts: paid invoices only, without private columns.
		{"analyst paid invoices", analyst, `{ invoices(order_by: {id: asc}) { amount currency status } invoices_aggregate { aggregate { count sum { amount } } } }`,
			`{"data":{"invoices":[{"amount":12.50,"currency":"EUR","status":"paid"}, {"amount":23.90,"currency":"USD","status":"paid"}],"invoices_aggregate":{"aggregate":{"count":2,"sum":{"amount":36.40}}}}}`},
		{"analyst private column", analyst, `{ invoices { billing_address } }`,
			`{"errors":[{"message":"field 'billing_address' not found in type: 'invoices'","extensions":{"path":"$.selectionSet.invoices.selectionSet.billing_address","code":"validation-failed"}}]}`},
		{"customer private column of own invoice", eve, `{ invoices { status tax_id tags } }`,
			`{"data":{"invoices":[{"status":"draft","tax_id":null,"tags":["bulk"]}]}}`},
		// The custom resolver (a sqlc query) checks membership itself.
		{"custom field, member", brian, `{ channel_activity(channel_id: 1) { day messages } }`,
			`{"data":{"channel_activity":[{"day":"2024-02-01","messages":3}]}}`},
		{"custom field, not a member", eve, `{ channel_activity(channel_id: 2) { day messages } }`,
			`{"data":{"channel_activity":[]}}`},
		{"custom and generated fields together", admin, `{ a: channel_activity(channel_id: 2) { messages } users_aggregate { aggregate { count } } }`,
			`{"data":{"a":[{"messages":2}],"users_aggregate":{"aggregate":{"count":5}}}}`},
		// Mutations: a member posts to their channel; the author comes from
		// the session (a preset), the check is membership.
		{"post to own channel", brian, `mutation { insert_messages_one(object: {channel_id: 3, body: "posted"}) { body author { name } channel { name } } }`,
			`{"data":{"insert_messages_one":{"body":"posted","author":{"name":"Brian"},"channel":{"name":"random"}}}}`},
		{"post to a channel one is not in", eve, `mutation { insert_messages(objects: [{channel_id: 1, body: "intruder"}]) { affected_rows } }`,
			`{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"path":"$.selectionSet.insert_messages.args.objects","code":"permission-error"}}]}`},
		{"agent moves an assigned order on", chen, `mutation { update_orders(where: {status: {_eq: preparing}}, _set: {status: out_for_delivery}) { affected_rows returning { status } } }`,
			`{"data":{"update_orders":{"affected_rows":1,"returning":[{"status":"out_for_delivery"}]}}}`},
		{"agent cannot set an order back to placed", chen, `mutation { update_orders(where: {}, _set: {status: placed}) { affected_rows } }`,
			`{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"path":"$","code":"permission-error"}}]}`},
		// Hasura's: introspection lists enum values by name; @cached is
		// accepted on a query (runtime/cache tests the caching).
		{"introspection: enum values by name", admin, `{ __type(name: "__TypeKind") { enumValues { name } } }`,
			`{"data":{"__type":{"enumValues":[{"name":"ENUM"},{"name":"INPUT_OBJECT"},{"name":"INTERFACE"},{"name":"LIST"},{"name":"NON_NULL"},{"name":"OBJECT"},{"name":"SCALAR"},{"name":"UNION"}]}}}`},
		{"@cached", admin, `query @cached(ttl: 30) { users_aggregate { aggregate { count } } }`,
			`{"data":{"users_aggregate":{"aggregate":{"count":5}}}}`},
		{"role not allowed by the token", map[string]string{"Authorization": "Bearer " + token(t, "user", "1"), "X-Hasura-Role": "analyst"}, `{ users { id } }`,
			`{"errors":[{"message":"Your requested role is not in allowed roles","extensions":{"path":"$","code":"access-denied"}}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.query(tc.headers, tc.query)
			if got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}

	t.Run("console", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/console")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), "graphiql") {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

// TestOperationPermissionChangeFailsCheck edits a permission of the
// example in a copy: the compiled SQL of the operations that read the
// table changes in operations/*.op.go, and `hasgen check` fails until
// the project is generated again.
func TestOperationPermissionChangeFailsCheck(t *testing.T) {
	url := pgtest.NewDatabase(t, "schema.sql")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "server")
	if err := os.CopyFS(out, os.DirFS("server")); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "hasgen.yaml")
	perms, err := os.ReadFile("hasgen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		if err := os.WriteFile(config, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(string(perms))
	o := generate.Options{DatabaseURL: url, Config: config, Out: out, Module: module, RuntimeReplace: root}
	ctx := context.Background()
	if _, err := generate.Generate(ctx, o); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(out, "operations", "channel_messages.op.go"))
	if err != nil {
		t.Fatal(err)
	}
	if diff, err := generate.Check(ctx, o); err != nil || diff != "" {
		t.Fatalf("check right after generate: %v\n%s", err, diff)
	}

	// Users may now read the messages of every channel.
	const filter = "        filter: {channel: {members: {user_id: {_eq: X-Hasura-User-Id}}}}\n        limit: 100"
	loose := strings.Replace(string(perms), filter, "        filter: {channel: {is_private: {_eq: false}}}\n        limit: 100", 1)
	if loose == string(perms) {
		t.Fatal("the messages filter is not where the test expects it")
	}
	write(loose)
	diff, err := generate.Check(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"--- " + out + "/operations/channel_messages.op.go\n",
		"--- " + out + "/operations/send_message.op.go\n",
		`-const opChannelMessagesUserMessages = `,
		`+const opChannelMessagesUserMessages = `,
		`"is_private" = `,
	} {
		if !strings.Contains(diff, want) {
			t.Errorf("check's diff lacks %q:\n%s", want, diff)
		}
	}
	// Each (operation, role) that changed is named first, with its place.
	for _, want := range []string{
		"operations/channels.graphql:3:1: operation ChannelMessages, role user: its SQL changed (operations/channel_messages.op.go)\n",
		"operations/channels.graphql:10:1: operation SendMessage, role user: its SQL changed (operations/send_message.op.go)\n",
	} {
		if !strings.HasPrefix(diff, want) && !strings.Contains(diff, "\n"+want) {
			t.Errorf("check does not say %q:\n%.3000s", want, diff)
		}
	}
	// Admin's SQL and the analyst's report do not depend on the filter.
	if strings.Contains(diff, "opChannelMessagesAdminMessages =") || strings.Contains(diff, "invoice_report.op.go") {
		t.Errorf("check's diff shows SQL the change does not touch:\n%s", diff)
	}

	// A column taken from the role: the operation no longer validates
	// for it.
	write(strings.Replace(loose, "columns: [id, channel_id, author_id, body, meta, created_at]", "columns: [id, channel_id, author_id, meta, created_at]", 1))
	if diff, err = generate.Check(ctx, o); err != nil {
		t.Fatal(err)
	}
	const gone = "operations/channels.graphql:3:1: operation ChannelMessages, role user: no longer validates: field 'body' not found in type: 'messages' (at $.selectionSet.messages.selectionSet.body) (operations/channel_messages.op.go)\n"
	if !strings.Contains(diff, gone) {
		t.Errorf("check does not say %q:\n%.3000s", gone, diff)
	}
	write(loose)

	if _, err := generate.Generate(ctx, o); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(filepath.Join(out, "operations", "channel_messages.op.go"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(before, after) {
		t.Error("the compiled SQL did not change")
	}
	if diff, err := generate.Check(ctx, o); err != nil || diff != "" {
		t.Fatalf("check after generating again: %v\n%s", err, diff)
	}
}

// post sends a raw body to /v1/graphql.
func (c client) post(headers map[string]string, body string) string {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.url+"/v1/graphql", strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestPersistedQueriesServer runs the example server with
// HASGEN_PERSISTED_QUERIES=only and with the default: Apollo's persisted
// queries by the hash of the committed compiled operations, permissions
// applied, anything else refused; by default a bare hash is refused as
// Hasura does.
func TestPersistedQueriesServer(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("server", "operations", "channel_messages.op.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Hash:\s+"([0-9a-f]{64})"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no hash in channel_messages.op.go")
	}
	hash := string(m[1])
	url := pgtest.NewDatabase(t, "schema.sql")
	ctx := context.Background()
	b, err := e2e.BuildDir(ctx, "server")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(b.Binary))
	start := func(mode string) client {
		env := map[string]string{
			"HASURA_GRAPHQL_DATABASE_URL": url,
			"HASURA_GRAPHQL_ADMIN_SECRET": "admin-secret",
			"HASURA_GRAPHQL_JWT_SECRET":   `{"type":"HS256","key":"` + jwtKey + `"}`,
		}
		if mode != "" {
			env["HASGEN_PERSISTED_QUERIES"] = mode
		}
		srv, err := b.Start(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		return client{t, srv.URL}
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	ada, brian := bearer(token(t, "user", "1")), bearer(token(t, "user", "2"))
	persisted := `{"operationName": "ChannelMessages", "variables": {"channel": 2, "limit": 5}, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "` + hash + `"}}}`

	only := start("only")
	cases := []struct {
		name    string
		headers map[string]string
		body    string
		want    string
	}{
		{"a member reads the private channel by its hash", ada, persisted,
			`{"data":{"messages":[{"id":4,"body":"Deploy at 5pm","author":{"name":"Ada"}}, {"id":5,"body":"Ack","author":{"name":"Chen"}}]}}`},
		{"a non-member gets none of its messages", brian, persisted, `{"data":{"messages":[]}}`},
		{"an unknown hash", ada, strings.Replace(persisted, hash, strings.Repeat("0", 64), 1),
			`{"errors":[{"message":"PersistedQueryNotFound","extensions":{"path":"$","code":"PERSISTED_QUERY_NOT_FOUND"}}]}`},
		{"a document is refused", ada, `{"query": "{ messages { body } }"}`,
			`{"errors":[{"message":"only persisted queries are accepted: send extensions.persistedQuery with the sha256Hash of a compiled operation","extensions":{"path":"$","code":"PERSISTED_QUERY_ONLY"}}]}`},
	}
	for _, tc := range cases {
		if got := only.post(tc.headers, tc.body); got != tc.want {
			t.Errorf("%s:\n got  %s\n want %s", tc.name, got, tc.want)
		}
	}

	off := start("")
	if got, want := off.post(ada, persisted), `{"errors":[{"message":"key \"query\" not found","extensions":{"path":"$","code":"parse-failed"}}]}`; got != want {
		t.Errorf("default server, bare hash:\n got  %s\n want %s", got, want)
	}
}
