package runtime_test

// CORS as a browser enforces it (issue 12): a page served from another
// origin than the server, in headless Chromium, does what a web app does
// (a simple request, a preflighted one with Hasura's headers and
// credentials, a websocket subscription) under each
// HASURA_GRAPHQL_CORS_DOMAIN / HASURA_GRAPHQL_DISABLE_CORS setting, and
// the test reads what the browser let the page have.

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/browser"
	"github.com/hasgen/hasgen/pgtest"
)

// corsProbe is what testdata/cors/page.html's probe() returns.
type corsProbe struct {
	Origin      string
	Simple      fetchOutcome
	Preflighted fetchOutcome
	Websocket   struct {
		Opened    bool
		Received  []string
		Data      string
		CloseCode int
	}
}

// fetchOutcome is what the page could read of one fetch.
type fetchOutcome struct {
	OK     bool
	Status int
	Body   string
	Error  string
}

// TestCORSInChromium loads testdata/cors/page.html from http://<host>:port
// (Chromium resolves every *.localhost name to the loopback, so each host
// name is an origin of its own) and probes a server on 127.0.0.1. An
// origin the server allows reads both responses and gets a working
// websocket; one it does not allow reads nothing (Chromium's CORS
// refusal is checked by its reason) and its websocket is refused. With
// CORS disabled the browser refuses every cross-origin response, and the
// websocket opens, as Hasura accepts it from any origin then.
func TestCORSInChromium(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("testdata", "cors", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer pages.Close()
	pagePort := pages.Listener.Addr().(*net.TCPAddr).Port
	port := strconv.Itoa(pagePort)
	otherPort := strconv.Itoa(pagePort + 1)

	db := pgtest.NewDatabase(t, filepath.Join(repoRoot(t), rtFixture))
	b := browser.StartT(t)

	const secret = "cors-secret"
	const rows = `{"data":{"owners":[{"name":"ann"}]}}`
	type verdict int
	const (
		allowed  verdict = iota // the page reads both responses; the websocket works
		blocked                 // the page reads neither; the websocket is refused
		disabled                // the page reads neither; the websocket works
	)
	cases := []struct {
		name string
		env  map[string]string
		host string // the page's host name
		want verdict
	}{
		{"default allows all", nil, "app.localhost", allowed},
		{"star", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "*"}, "app.localhost", allowed},
		{"listed with its port", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "http://other.localhost:" + port + ", http://app.localhost:" + port}, "app.localhost", allowed},
		{"listed on another port", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "http://app.localhost:" + otherPort}, "app.localhost", blocked},
		{"not listed", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "http://other.localhost:" + port}, "app.localhost", blocked},
		{"wildcard subdomain", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "http://*.localhost:" + port}, "app.localhost", allowed},
		{"wildcard is one label", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "http://*.localhost:" + port}, "a.app.localhost", blocked},
		{"wildcard on another port", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "http://*.localhost:" + otherPort}, "app.localhost", blocked},
		{"disabled", map[string]string{"HASURA_GRAPHQL_DISABLE_CORS": "true"}, "app.localhost", disabled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": secret}
			for k, v := range c.env {
				env[k] = v
			}
			srv := fullServer(t, db, env)
			api := srv.URL + "/v1/graphql"
			// What the simple request gets, read directly (no secret: an error).
			_, noSecret := do(t, "POST", api, `{"query":"{ owners(order_by: {id: asc}, limit: 1) { name } }"}`, nil)

			tab := b.Tab(t)
			log, err := browser.Listen(tab)
			if err != nil {
				t.Fatal(err)
			}
			origin := "http://" + c.host + ":" + port
			if err := browser.Navigate(tab, origin+"/"); err != nil {
				t.Fatal(err)
			}
			got, err := browser.Eval[corsProbe](tab, "probe("+jsString(srv.URL)+", "+jsString(secret)+")")
			if err != nil {
				t.Fatal(err)
			}
			if got.Origin != origin {
				t.Fatalf("the page's origin is %s, want %s", got.Origin, origin)
			}
			var reasons []string
			for _, f := range log.Failures() {
				if f.URL == api && f.CORSError != "" {
					reasons = append(reasons, f.CORSError)
				}
			}

			if c.want == allowed {
				if !got.Simple.OK || got.Simple.Status != 200 || got.Simple.Body != noSecret || !strings.Contains(noSecret, "x-hasura-admin-secret") {
					t.Errorf("simple request: %+v, want what the server answers without a secret: %s", got.Simple, noSecret)
				}
				if !got.Preflighted.OK || got.Preflighted.Status != 200 || got.Preflighted.Body != rows {
					t.Errorf("preflighted request with credentials: %+v, want %s", got.Preflighted, rows)
				}
				if len(reasons) > 0 {
					t.Errorf("Chromium refused: %v", reasons)
				}
			} else {
				for _, f := range []struct {
					name string
					out  fetchOutcome
				}{{"simple", got.Simple}, {"preflighted", got.Preflighted}} {
					if f.out.OK || f.out.Error != "TypeError: Failed to fetch" {
						t.Errorf("%s request: the page read %+v, want a CORS refusal", f.name, f.out)
					}
				}
				// Chromium's reasons: no Access-Control-Allow-Origin on the
				// response, then on the preflight's.
				if len(reasons) != 2 || reasons[0] != "MissingAllowOriginHeader" || !strings.HasPrefix(reasons[1], "Preflight") {
					t.Errorf("Chromium's CORS errors: %v, want MissingAllowOriginHeader and a preflight's", reasons)
				}
			}

			ws := got.Websocket
			if c.want == blocked {
				// Refused at the handshake (400): never open, closed abnormally.
				if ws.Opened || ws.CloseCode != 1006 || len(ws.Received) > 0 {
					t.Errorf("websocket from a refused origin: %+v", ws)
				}
			} else if !ws.Opened || strings.Join(ws.Received, ",") != "connection_ack,next" || ws.Data != rows || ws.CloseCode != 1000 {
				t.Errorf("websocket: %+v, want ack then %s", ws, rows)
			}
			if w := log.Websockets(); len(w) != 1 || w[0].URL != "ws"+strings.TrimPrefix(api, "http") {
				t.Errorf("websockets opened: %+v", w)
			}
			for _, e := range log.Errors() {
				if strings.HasPrefix(e, "exception:") {
					t.Errorf("in the page: %s", e)
				}
			}
		})
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
