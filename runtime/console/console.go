// Package console serves the GraphiQL console at /console from files
// embedded in the binary, so that it works without network: GraphiQL and
// React as published on npm (assets/, see assets/README.md), index.html
// and console.js. The page sends introspection, queries and mutations
// over HTTP and subscriptions over graphql-ws, each with the headers of
// its header editor, which the server may pre-fill
// (HASGEN_CONSOLE_HEADERS).
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed index.html console.js assets/graphiql assets/react assets/react-dom
var files embed.FS

// Path is where the console is served: the page at Path, its files under
// Path + "/".
const Path = "/console"

// Endpoint is the GraphQL endpoint the page talks to, relative to the
// page (a proxy may serve the server under a path).
const Endpoint = "v1/graphql"

// csp keeps the page to its own origin: it can load nothing from
// elsewhere (the files it needs are all here) nor send its headers
// anywhere but this server. GraphiQL sets inline styles.
const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// ParseHeaders reads the headers to pre-fill the header editor with
// (HASGEN_CONSOLE_HEADERS): a JSON object of strings, or "" for none. The
// error never quotes the value, which usually holds a secret.
func ParseHeaders(raw string) (map[string]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var h map[string]string
	if err := json.Unmarshal([]byte(raw), &h); err != nil || h == nil {
		return nil, errors.New(`want a JSON object of header names to strings, e.g. {"X-Hasura-Admin-Secret":"…"}`)
	}
	for k := range h {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			return nil, fmt.Errorf("header name %q is not a header name", k)
		}
	}
	return h, nil
}

// Handler serves the console: the page at Path, which carries headers
// (may be nil) to pre-fill its header editor, and its files under Path.
type Handler struct {
	page  []byte
	files map[string]file // by path under Path + "/"
}

type file struct {
	body []byte
	etag string
}

// New builds the console's handler; headers pre-fill the header editor.
func New(headers map[string]string) (*Handler, error) {
	if headers == nil {
		headers = map[string]string{}
	}
	// json.Marshal escapes <, > and &: the JSON cannot end the script
	// element it is written into.
	cfg, err := json.Marshal(map[string]any{"endpoint": Endpoint, "headers": headers})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	index, err := files.ReadFile("index.html")
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	h := &Handler{page: bytes.Replace(index, []byte("{{config}}"), cfg, 1), files: map[string]file{}}
	err = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == "index.html" {
			return err
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.files[name] = file{body: b, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return h, nil
}

// ServeHTTP serves GET and HEAD: the page at Path, Path/ redirected
// there (the page's links are relative to it), the files under Path/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == Path:
		hd := w.Header()
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Security-Policy", csp)
		// The page may carry a secret: no cache keeps it, no link
		// followed from it tells where it came from.
		hd.Set("Cache-Control", "no-store")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.page))
	case p == Path+"/":
		http.Redirect(w, r, Path, http.StatusFound)
	default:
		name, ok := strings.CutPrefix(p, Path+"/")
		f, found := h.files[name]
		if !ok || !found || name == "" {
			http.NotFound(w, r)
			return
		}
		hd := w.Header()
		// Revalidated on each load (a new server may bring new files),
		// answered 304 by ETag.
		hd.Set("Cache-Control", "no-cache")
		hd.Set("ETag", f.etag)
		hd.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, path.Base(name), time.Time{}, bytes.NewReader(f.body))
	}
}
