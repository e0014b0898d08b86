package auth

// Webhook mode (HASURA_GRAPHQL_AUTH_HOOK), as Hasura GraphQL Engine v2
// does it (server/src-lib/Hasura/GraphQL/Transport/HTTP and
// Hasura/Server/Auth/WebHook.hs userInfoFromAuthHook): a request without
// the admin secret is authenticated by calling the webhook.
//
//   - GET (the default mode): the client's headers, minus Hasura's
//     commonClientHeadersIgnored, are sent as the webhook request's headers.
//   - POST: {"headers": {...every client header...}, "request": <the
//     GraphQL request>} as a JSON body.
//
// A 200 answer is a JSON object of strings: its x-hasura-* keys are the
// session variables, x-hasura-role required. 401 is access-denied
// "Authentication hook unauthorized this request"; any other status an
// unexpected error. The answer's expiry, from a Cache-Control (max-age)
// or Expires key of the body, as Hasura reads it, or else the response's
// Cache-Control or Expires header, is the session's expiry (a websocket
// is closed then) and the time the answer is cached: requests with the
// same headers within it do not call the webhook again.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Webhook messages, as Hasura's.
const (
	msgHookUnauthorized = "Authentication hook unauthorized this request"
	msgHookInvalid      = "Invalid response from authorization hook"
	msgHookFailed       = "webhook authentication request failed"
)

// ignoredClientHeaders are not forwarded to a GET webhook (Hasura's
// commonClientHeadersIgnored), in canonical form.
var ignoredClientHeaders = map[string]bool{
	"Content-Length": true, "Content-Md5": true, "User-Agent": true, "Host": true,
	"Origin": true, "Referer": true, "Accept": true, "Accept-Encoding": true,
	"Accept-Language": true, "Accept-Datetime": true, "Cache-Control": true,
	"Connection": true, "Dnt": true, "Content-Type": true,
}

// maxHookCache bounds the cached webhook answers; past it, expired ones
// are dropped, then the cache is emptied.
const maxHookCache = 10000

// webhook calls the auth hook and caches its answers.
type webhook struct {
	url    string
	post   bool
	client *http.Client
	now    func() time.Time
	logs   *logs.Logger

	mu    sync.Mutex
	cache map[string]hookEntry
}

type hookEntry struct {
	vars    map[string]string
	role    string
	expires time.Time
}

func newWebhook(url, mode string) (*webhook, error) {
	hook := &webhook{url: url, client: &http.Client{Timeout: 60 * time.Second}, now: time.Now, cache: map[string]hookEntry{}}
	switch strings.ToUpper(mode) {
	case "", "GET":
	case "POST":
		hook.post = true
	default:
		return nil, fmt.Errorf("HASURA_GRAPHQL_AUTH_HOOK_MODE=%q: want GET or POST", mode)
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("HASURA_GRAPHQL_AUTH_HOOK=%q: want an http:// or https:// URL", url)
	}
	return hook, nil
}

type requestBodyKey struct{}

// WithRequestBody returns ctx carrying a request's raw GraphQL body, which
// a POST webhook receives as "request".
func WithRequestBody(ctx context.Context, body []byte) context.Context {
	return context.WithValue(ctx, requestBodyKey{}, body)
}

// HookWantsRequest reports whether Authenticate sends the request body
// (WithRequestBody) to a POST webhook; transports skip it otherwise.
func (a *Authenticator) HookWantsRequest() bool {
	return a != nil && a.hook != nil && a.hook.post
}

// session authenticates h with the webhook, or from the cache.
func (w *webhook) session(ctx context.Context, h http.Header) (*session.Session, error) {
	key := w.cacheKey(h)
	now := w.now()
	w.mu.Lock()
	e, ok := w.cache[key]
	w.mu.Unlock()
	if ok && now.Before(e.expires) {
		return hookSession(e), nil
	}
	e, err := w.call(ctx, h)
	if err != nil {
		return nil, err
	}
	if !e.expires.IsZero() && now.Before(e.expires) {
		w.mu.Lock()
		if len(w.cache) >= maxHookCache {
			for k, old := range w.cache {
				if !now.Before(old.expires) {
					delete(w.cache, k)
				}
			}
			if len(w.cache) >= maxHookCache {
				w.cache = map[string]hookEntry{}
			}
		}
		w.cache[key] = e
		w.mu.Unlock()
	}
	return hookSession(e), nil
}

func hookSession(e hookEntry) *session.Session {
	vars := make(map[string]string, len(e.vars))
	for k, v := range e.vars {
		vars[k] = v
	}
	return &session.Session{Role: e.role, Vars: vars, Expires: e.expires}
}

// perRequestHeaders differ on every request without saying who sends
// it: they are sent to the webhook but not part of the cache key, or
// nothing would be cached.
var perRequestHeaders = map[string]bool{
	"X-Request-Id": true, "Traceparent": true, "Tracestate": true,
	"X-B3-Traceid": true, "X-B3-Spanid": true, "X-B3-Parentspanid": true, "X-B3-Sampled": true,
}

// cacheKey is what the webhook sees of a request: its headers (forwarded
// ones for GET, all for POST; not the request of a POST), sorted.
func (w *webhook) cacheKey(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		if perRequestHeaders[k] {
			continue
		}
		if w.post || !ignoredClientHeaders[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k)
			b.WriteByte(0)
			b.WriteString(v)
			b.WriteByte(0)
		}
	}
	return b.String()
}

// webhookLog is the detail of a webhook-log line (Hasura's WebHookLog).
type webhookLog struct {
	URL        string  `json:"url"`
	Method     string  `json:"method"`
	HTTPError  *string `json:"http_error"`
	StatusCode *int    `json:"status_code"`
	Response   *string `json:"response"`
	Message    *string `json:"message"`
}

// call asks the webhook and logs the call (webhook-log): info on success,
// error otherwise, with the answer's body then.
func (w *webhook) call(ctx context.Context, h http.Header) (hookEntry, error) {
	status := 0
	var body []byte
	e, err := w.do(ctx, h, &status, &body)
	lv := logs.Info
	if err != nil {
		lv = logs.Error
	}
	if w.logs.Enabled(logs.Webhook, lv) {
		method := http.MethodGet
		if w.post {
			method = http.MethodPost
		}
		l := &webhookLog{URL: w.url, Method: method}
		if status != 0 {
			l.StatusCode = &status
		}
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) && we.Err != nil {
				msg := we.Err.Error()
				if status == 0 {
					l.HTTPError = &msg
				} else {
					l.Message = &msg
				}
			}
			if len(body) > 0 {
				resp := string(body)
				l.Response = &resp
			}
		}
		w.logs.Log(logs.Webhook, lv, l)
	}
	return e, err
}

// do makes the webhook request; status and body are the answer's.
func (w *webhook) do(ctx context.Context, h http.Header, status *int, rbody *[]byte) (hookEntry, error) {
	var req *http.Request
	var err error
	if w.post {
		hs := make(map[string]string, len(h))
		for k, vs := range h {
			if len(vs) > 0 {
				hs[k] = vs[len(vs)-1]
			}
		}
		payload := map[string]any{"headers": hs}
		if body, _ := ctx.Value(requestBodyKey{}).([]byte); len(body) > 0 && json.Valid(body) {
			payload["request"] = json.RawMessage(body)
		}
		b, merr := json.Marshal(payload)
		if merr != nil {
			return hookEntry{}, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: msgHookFailed, Err: merr}
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(b))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, w.url, nil)
		if err == nil {
			for k, vs := range h {
				if !ignoredClientHeaders[k] {
					req.Header[k] = append([]string(nil), vs...)
				}
			}
		}
	}
	if err != nil {
		return hookEntry{}, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: msgHookFailed, Err: err}
	}
	req.Header.Set("User-Agent", "hasgen")
	resp, err := w.client.Do(req)
	if err != nil {
		return hookEntry{}, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: msgHookFailed, Err: err}
	}
	defer resp.Body.Close()
	*status = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	*rbody = body
	if err != nil {
		return hookEntry{}, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: msgHookFailed, Err: err}
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return hookEntry{}, &wire.Error{Code: wire.CodeAccessDenied, Path: "$", Message: msgHookUnauthorized,
			Err: errors.New("auth webhook answered 401")}
	default:
		return hookEntry{}, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: msgHookInvalid,
			Err: fmt.Errorf("auth webhook answered %s", resp.Status)}
	}
	var raw map[string]string
	if err := json.Unmarshal(body, &raw); err != nil {
		return hookEntry{}, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: msgHookInvalid + ": " + err.Error(), Err: err}
	}
	e := hookEntry{vars: make(map[string]string, len(raw))}
	var cacheControl, expires string
	for k, v := range raw {
		lk := strings.ToLower(k)
		switch {
		case lk == "cache-control":
			cacheControl = v
		case lk == "expires":
			expires = v
		case strings.HasPrefix(lk, sessionVarPrefix) && lk != varAdminSecret && lk != varAccessKey:
			e.vars[lk] = v
		}
	}
	e.role = e.vars[varRole]
	if e.role == "" {
		return hookEntry{}, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "missing x-hasura-role key in webhook response",
			Err: errors.New("auth webhook answered without x-hasura-role")}
	}
	if cacheControl == "" && expires == "" {
		cacheControl, expires = resp.Header.Get("Cache-Control"), resp.Header.Get("Expires")
	}
	e.expires = expiry(w.now(), cacheControl, expires)
	return e, nil
}

// expiry is the time an answer stays valid: Cache-Control's max-age
// (none with no-cache or no-store), else Expires (an HTTP date); zero:
// not cached.
func expiry(now time.Time, cacheControl, expires string) time.Time {
	if cacheControl != "" {
		var maxAge = -1
		for _, d := range strings.Split(cacheControl, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-cache", "no-store":
				return time.Time{}
			case "max-age", "s-maxage":
				if n, err := strconv.Atoi(strings.Trim(val, `"`)); err == nil && maxAge < 0 {
					maxAge = n
				}
			}
		}
		if maxAge > 0 {
			return now.Add(time.Duration(maxAge) * time.Second)
		}
		if maxAge == 0 {
			return time.Time{}
		}
	}
	if expires != "" {
		if t, err := http.ParseTime(expires); err == nil && t.After(now) {
			return t
		}
	}
	return time.Time{}
}
