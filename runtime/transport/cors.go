package transport

// CORS as Hasura's corsMiddleware does it (server/src-lib/Hasura/Server/
// Cors.hs and App.hs): every origin is allowed by default;
// HASURA_GRAPHQL_CORS_DOMAIN lists the origins allowed ("*" for all, or
// scheme://host[:port] entries, with a "*." wildcard for one level of
// subdomain); HASURA_GRAPHQL_DISABLE_CORS sends no CORS headers at all
// (the browser's same-origin policy then applies). An allowed origin is
// echoed with credentials allowed; a preflight (OPTIONS) is answered
// 204 by the middleware itself. A request from an origin not allowed is
// served without CORS headers (the browser refuses the response), but a
// websocket upgrade from it is refused with 400, as Hasura does.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/websocket"
	"github.com/hasgen/hasgen/runtime/wire"
)

// CORSConfig is HASURA_GRAPHQL_CORS_DOMAIN and HASURA_GRAPHQL_DISABLE_CORS.
type CORSConfig struct {
	// Domains is the comma-separated list of allowed origins; "" or "*"
	// allows all.
	Domains string
	// Disabled turns CORS off: no CORS headers, preflights go to the
	// handlers (which refuse them).
	Disabled bool
}

// CORS is a parsed CORS policy.
type CORS struct {
	disabled bool
	all      bool
	exact    map[string]bool
	wild     []corsWildcard
}

// corsWildcard is one "scheme://*.host[:port]" entry.
type corsWildcard struct {
	scheme, host string
	port         int // -1: none
}

// Hasura's headers (mkCorsHeaders, mkPreFlightHeaders).
const (
	corsMethods = "GET,POST,PUT,PATCH,DELETE,OPTIONS"
	corsExpose  = "X-Hasura-Query-Cache-Key, X-Hasura-Query-Family-Cache-Key, Warning"
	corsMaxAge  = "1728000"
)

// NewCORS parses the configuration; the error names the bad domain, as
// Hasura's readCorsDomains does.
func NewCORS(cfg CORSConfig) (*CORS, error) {
	c := &CORS{disabled: cfg.Disabled}
	d := strings.TrimSpace(cfg.Domains)
	if d == "" || d == "*" {
		c.all = true
		return c, nil
	}
	c.exact = map[string]bool{}
	for _, dom := range strings.Split(d, ",") {
		dom = strings.TrimSpace(dom)
		if dom == "*" {
			c.all = true
			continue
		}
		scheme, rest, ok := strings.Cut(dom, "://")
		if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#") {
			return nil, fmt.Errorf("HASURA_GRAPHQL_CORS_DOMAIN: invalid domain: %q (want http(s)://host[:port], or http(s)://*.host[:port])", dom)
		}
		if h, ok := strings.CutPrefix(rest, "*."); ok {
			host, port, err := splitPort(h)
			if err != nil || host == "" || strings.Contains(host, "*") {
				return nil, fmt.Errorf("HASURA_GRAPHQL_CORS_DOMAIN: invalid domain: %q", dom)
			}
			c.wild = append(c.wild, corsWildcard{scheme: scheme, host: strings.ToLower(host), port: port})
			continue
		}
		if strings.Contains(rest, "*") {
			return nil, fmt.Errorf("HASURA_GRAPHQL_CORS_DOMAIN: invalid domain: %q (a wildcard is only allowed as the first label, *.host)", dom)
		}
		c.exact[scheme+"://"+strings.ToLower(rest)] = true
	}
	return c, nil
}

// splitPort splits host[:port]; port is -1 when absent.
func splitPort(hp string) (string, int, error) {
	host, p, ok := strings.Cut(hp, ":")
	if !ok {
		return host, -1, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, n, nil
}

// Allows reports whether origin may make requests (and open websockets).
// A request without an Origin is not a cross-origin request: allowed.
func (c *CORS) Allows(origin string) bool {
	if c == nil || c.disabled || c.all || origin == "" {
		return true
	}
	o := strings.ToLower(origin)
	if c.exact[o] {
		return true
	}
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok {
		return false
	}
	// As Hasura's originParser: the first label is the subdomain the
	// wildcard stands for; the rest must be the wildcard's host.
	_, rest, ok = strings.Cut(rest, ".")
	if !ok {
		return false
	}
	host, port, err := splitPort(rest)
	if err != nil {
		return false
	}
	for _, w := range c.wild {
		if w.scheme == scheme && w.host == host && w.port == port {
			return true
		}
	}
	return false
}

// Middleware applies the policy in front of next.
func (c *CORS) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if c == nil || c.disabled || origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		if !c.Allows(origin) {
			if websocket.IsWebSocketUpgrade(r) {
				writeJSONStatus(w, http.StatusBadRequest, wire.AppendErrors(nil, &wire.Error{Code: wire.CodeAccessDenied, Path: "$",
					Message: "received origin header does not match configured CORS domains"}))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Expose-Headers", corsExpose)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Max-Age", corsMaxAge)
			h.Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
			h.Set("Content-Type", "text/plain charset=UTF-8")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
