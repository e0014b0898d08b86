package browser_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/internal/browser"
)

// TestPath: HASGEN_CHROMIUM wins, and one that does not exist is an error
// naming it; with neither, the error says how to install Chromium.
func TestPath(t *testing.T) {
	_, err := browser.Path(func(k string) string {
		if k == browser.EnvChromium {
			return "/nonexistent/chromium"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "HASGEN_CHROMIUM=/nonexistent/chromium") {
		t.Errorf("bad HASGEN_CHROMIUM: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err = browser.Path(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "apt-get install chromium") {
		t.Errorf("no Chromium on PATH: %v", err)
	}
}

// TestEvalAndLog loads a page from a test server, reads a value computed
// by the page and one fetched by it, and sees the exceptions and
// console errors it reports.
func TestEvalAndLog(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<!doctype html><title>t</title><script>
window.answer = {n: 6 * 7, agent: navigator.userAgent};
console.error("from the page", 1);
setTimeout(() => { throw new Error("thrown later") }, 0);
</script>`)
		case "/text":
			fmt.Fprint(w, "served "+r.Method)
		}
	}))
	defer hs.Close()

	b := browser.StartT(t)
	tab := b.Tab(t)
	log, err := browser.Listen(tab)
	if err != nil {
		t.Fatal(err)
	}
	if err := browser.Navigate(tab, hs.URL); err != nil {
		t.Fatal(err)
	}
	got, err := browser.Eval[struct {
		N     int
		Agent string
	}](tab, `window.answer`)
	if err != nil || got.N != 42 || !strings.Contains(got.Agent, "Chrome") {
		t.Errorf("window.answer: %+v %v", got, err)
	}
	text, err := browser.Eval[string](tab, `fetch("/text", {method: "POST"}).then(r => r.text())`)
	if err != nil || text != "served POST" {
		t.Errorf("fetch: %q %v", text, err)
	}
	// Another origin that sends no CORS headers: Chromium refuses the
	// response, and the log has its reason.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "not for you") }))
	defer other.Close()
	msg, err := browser.Eval[string](tab, `fetch("`+other.URL+`/x").then(r => "read", e => String(e))`)
	if err != nil || msg != "TypeError: Failed to fetch" {
		t.Errorf("cross-origin fetch: %q %v", msg, err)
	}
	if f := log.Failures(); len(f) != 1 || f[0].URL != other.URL+"/x" || f[0].CORSError != "MissingAllowOriginHeader" {
		t.Errorf("failures: %+v", f)
	}
	var posts []browser.Request
	for _, r := range log.Requests() {
		if r.Method == "POST" {
			posts = append(posts, r)
		}
	}
	if len(posts) != 1 || posts[0].URL != hs.URL+"/text" {
		t.Errorf("POST requests: %+v", posts)
	}
	if _, err := browser.Eval[int](tab, `Promise.reject(new Error("refused"))`); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("rejected promise: %v", err)
	}
	// The timer's exception comes after the load: wait for it in the page.
	if _, err := browser.Eval[bool](tab, `new Promise(r => setTimeout(() => r(true), 50))`); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(log.Errors(), "\n")
	if !strings.Contains(all, "console.error: from the page 1") || !strings.Contains(all, "thrown later") {
		t.Errorf("errors logged:\n%s", all)
	}
	b.Close()
	b.Close() // twice is safe
}
