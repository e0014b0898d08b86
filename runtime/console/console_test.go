package console

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestParseHeaders(t *testing.T) {
	cases := []struct {
		name, raw string
		want      map[string]string
		wantErr   bool
	}{
		{"unset", "", nil, false},
		{"blank", "  ", nil, false},
		{"admin secret", `{"X-Hasura-Admin-Secret":"s3cret"}`, map[string]string{"X-Hasura-Admin-Secret": "s3cret"}, false},
		{"two", `{"Authorization":"Bearer t","X-Hasura-Role":"user"}`, map[string]string{"Authorization": "Bearer t", "X-Hasura-Role": "user"}, false},
		{"not JSON", `X-Hasura-Admin-Secret: s3cret`, nil, true},
		{"not an object", `["s3cret"]`, nil, true},
		{"null", `null`, nil, true},
		{"a number value", `{"X-Hasura-Admin-Secret":42}`, nil, true},
		{"a bad name", `{"X Secret":"s3cret"}`, nil, true},
		{"an empty name", `{"":"s3cret"}`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHeaders(tc.raw)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error quotes the secret: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestPage checks the page: its headers, the configuration it carries
// (escaped so that no value ends the script element) and that every file
// it loads is served from here.
func TestPage(t *testing.T) {
	secret := `a</script><script>alert(1)</script>&"`
	h, err := New(map[string]string{"X-Hasura-Admin-Secret": secret})
	if err != nil {
		t.Fatal(err)
	}
	w := get(t, h, "GET", "/console", nil)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	for k, want := range map[string]string{
		"Content-Type":    "text/html; charset=utf-8",
		"Cache-Control":   "no-store",
		"Referrer-Policy": "no-referrer",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	page := w.Body.String()
	if strings.Count(page, "</script>") != strings.Count(string(mustRead(t, "index.html")), "</script>") {
		t.Errorf("a header value ends a script element:\n%s", page)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="hasgen-console-config">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no configuration in the page:\n%s", page)
	}
	var cfg struct {
		Endpoint string
		Headers  map[string]string
	}
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "v1/graphql" || cfg.Headers["X-Hasura-Admin-Secret"] != secret {
		t.Errorf("configuration %+v", cfg)
	}
	// Every file the page loads is relative (this server) and served.
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 5 {
		t.Fatalf("%d references in the page", len(refs))
	}
	for _, ref := range refs {
		u := ref[1]
		if u == "data:," {
			continue
		}
		if strings.Contains(u, ":") || strings.HasPrefix(u, "/") {
			t.Errorf("%s: not relative to the page", u)
			continue
		}
		if w := get(t, h, "GET", "/"+u, nil); w.Code != 200 || w.Body.Len() == 0 {
			t.Errorf("%s: status %d, %d bytes", u, w.Code, w.Body.Len())
		}
	}
}

func TestRoutes(t *testing.T) {
	h, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	js := get(t, h, "GET", "/console/assets/graphiql/index.umd.js", nil)
	etag := js.Header().Get("ETag")
	cases := []struct {
		name, method, target string
		header               map[string]string
		status               int
		contentType          string
	}{
		{"page", "GET", "/console", nil, 200, "text/html; charset=utf-8"},
		{"page, HEAD", "HEAD", "/console", nil, 200, "text/html; charset=utf-8"},
		{"trailing slash", "GET", "/console/", nil, 302, ""},
		{"script", "GET", "/console/console.js", nil, 200, "text/javascript; charset=utf-8"},
		{"GraphiQL", "GET", "/console/assets/graphiql/index.umd.js", nil, 200, "text/javascript; charset=utf-8"},
		{"stylesheet", "GET", "/console/assets/graphiql/style.css", nil, 200, "text/css; charset=utf-8"},
		{"licence", "GET", "/console/assets/graphiql/LICENSE", nil, 200, "text/plain; charset=utf-8"},
		{"unchanged", "GET", "/console/assets/graphiql/index.umd.js", map[string]string{"If-None-Match": etag}, 304, ""},
		{"unknown file", "GET", "/console/assets/graphiql/index.umd.js.map", nil, 404, ""},
		{"the update script is not served", "GET", "/console/assets/update.sh", nil, 404, ""},
		{"the page under another name", "GET", "/console/index.html", nil, 404, ""},
		{"no traversal", "GET", "/console/../console/console.go", nil, 404, ""},
		{"POST", "POST", "/console", nil, 405, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, h, tc.method, tc.target, tc.header)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if tc.contentType != "" && w.Header().Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type %q, want %q", w.Header().Get("Content-Type"), tc.contentType)
			}
		})
	}
	if etag == "" {
		t.Error("no ETag on an asset")
	}
	if loc := get(t, h, "GET", "/console/", nil).Header().Get("Location"); loc != "/console" {
		t.Errorf("Location %q", loc)
	}
}

// TestAssetsAsPublished checks the embedded third-party files against
// assets/SHA256SUMS, written by assets/update.sh from npm's tarballs:
// nothing was edited by hand, and nothing is embedded unlisted.
func TestAssetsAsPublished(t *testing.T) {
	f, err := os.Open("assets/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("bad line %q", sc.Text())
		}
		listed["assets/"+name] = true
		b, err := files.ReadFile("assets/" + name)
		if err != nil {
			t.Errorf("%s: listed, not embedded: %v", name, err)
			continue
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x, want %s", name, got, sum)
		}
	}
	h, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name := range h.files {
		if strings.HasPrefix(name, "assets/") && !listed[name] {
			t.Errorf("%s: embedded, not in SHA256SUMS", name)
		}
	}
	if len(listed) < 7 {
		t.Errorf("%d files listed", len(listed))
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
