package runtime_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/auth"
	"github.com/hasgen/hasgen/runtime/transport"
)

func newHTTP(t *testing.T, e *testEngine, cfg auth.Config) *httptest.Server {
	t.Helper()
	auth, err := auth.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&transport.Handler{Engine: e.Engine, Auth: auth, DB: e.pool})
	t.Cleanup(srv.Close)
	return srv
}

func post(t testing.TB, url, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTPWireFormat(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", "testdata/fixtures/chinook/hasgen.yaml", false)
	srv := newHTTP(t, e, auth.Config{AdminSecret: "s3cret"})
	admin := map[string]string{"X-Hasura-Admin-Secret": "s3cret"}

	cases := []struct {
		name    string
		body    string
		headers map[string]string
		want    string // exact response body
	}{
		{"by pk", `{"query":"{ albums_by_pk(id: 1) { id title } }"}`, admin,
			`{"data":{"albums_by_pk":{"id":1,"title":"For Those About To Rock We Salute You"}}}`},
		{"variables and operation name", `{"query":"query A($id: Int!) { albums_by_pk(id: $id) { id } } query B { albums_by_pk(id: 2) { id } }","operationName":"A","variables":{"id":3}}`, admin,
			`{"data":{"albums_by_pk":{"id":3}}}`},
		{"not found is null", `{"query":"{ albums_by_pk(id: -1) { id } }"}`, admin,
			`{"data":{"albums_by_pk":null}}`},
		{"batch", `[{"query":"{ a: albums_by_pk(id: 1) { id } }"},{"query":"{ nope }"}]`, admin,
			`[{"data":{"a":{"id":1}}},{"errors":[{"message":"field 'nope' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.nope","code":"validation-failed"}}]}]`},
		{"wrong secret", `{"query":"{ albums_by_pk(id: 1) { id } }"}`, map[string]string{"X-Hasura-Admin-Secret": "nope"},
			`{"errors":[{"message":"invalid x-hasura-admin-secret/x-hasura-access-key","extensions":{"path":"$","code":"access-denied"}}]}`},
		{"no secret", `{"query":"{ albums_by_pk(id: 1) { id } }"}`, nil,
			`{"errors":[{"message":"x-hasura-admin-secret/x-hasura-access-key required, but not found","extensions":{"path":"$","code":"access-denied"}}]}`},
		{"impersonation", `{"query":"{ customers { id } }"}`, map[string]string{"X-Hasura-Admin-Secret": "s3cret", "X-Hasura-Role": "customer", "X-Hasura-User-Id": "7"},
			`{"data":{"customers":[{"id":7}]}}`},
		{"missing session variable", `{"query":"{ customers { id } }"}`, map[string]string{"X-Hasura-Admin-Secret": "s3cret", "X-Hasura-Role": "customer"},
			`{"errors":[{"message":"missing session variable: \"x-hasura-user-id\"","extensions":{"path":"$","code":"not-found"}}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, srv.URL, c.body, c.headers)
			if status != http.StatusOK {
				t.Errorf("status %d, want 200", status)
			}
			if body != c.want {
				t.Errorf("body\n got %s\nwant %s", body, c.want)
			}
		})
	}

	t.Run("invalid json", func(t *testing.T) {
		status, body := post(t, srv.URL, `{"query": `, admin)
		var r struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Extensions struct{ Code string } `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || status != 200 || r.Data != nil || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "invalid-json" {
			t.Fatalf("status %d body %s", status, body)
		}
	})
	t.Run("no data key on validation error", func(t *testing.T) {
		_, body := post(t, srv.URL, `{"query":"{ albums { nope } }"}`, admin)
		if strings.Contains(body, `"data"`) {
			t.Fatalf("validation error carries data: %s", body)
		}
	})
	t.Run("DELETE is refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

func TestHTTPOpenMode(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", "testdata/fixtures/chinook/hasgen.yaml", false)
	srv := newHTTP(t, e, auth.Config{})
	// No admin secret configured: trusted; the role and variables come
	// from headers, admin by default.
	_, body := post(t, srv.URL, `{"query":"{ customers_aggregate { aggregate { count } } }"}`, nil)
	if body != `{"data":{"customers_aggregate":{"aggregate":{"count":59}}}}` {
		t.Fatalf("admin by default: %s", body)
	}
	_, body = post(t, srv.URL, `{"query":"{ customers { id } }"}`, map[string]string{"X-Hasura-Role": "customer", "X-Hasura-User-Id": "3"})
	if body != `{"data":{"customers":[{"id":3}]}}` {
		t.Fatalf("role from header: %s", body)
	}
}

// A panic while serving becomes a Hasura-shaped error, and the server
// goes on serving.
func TestHTTPPanicIsAnError(t *testing.T) {
	auth, err := auth.New(context.Background(), auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&transport.Handler{Engine: nil, Auth: auth}) // Do on a nil engine panics
	defer srv.Close()
	for i := 0; i < 2; i++ {
		status, body := post(t, srv.URL, `{"query":"{ a }"}`, nil)
		want := `{"errors":[{"message":"internal error","extensions":{"path":"$","code":"unexpected"}}]}`
		if status != 200 || body != want {
			t.Fatalf("status %d body %s", status, body)
		}
	}
}
