// Package delivery sends one HTTP request to a webhook for the workers of
// event triggers, scheduled triggers and actions, and records it as
// Hasura's invocation logs do: the request's and the response's JSON as
// the hdb_catalog *_invocation_logs tables store them.
package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// maxResponseBody bounds what is read and logged of a webhook's answer.
const maxResponseBody = 1 << 20

// Request is one webhook call, after any request transform.
type Request struct {
	Method  string // POST when empty
	URL     string
	Headers http.Header
	Body    []byte
	Timeout time.Duration // 60 s when zero
}

// Result is the outcome of one try.
type Result struct {
	// Status is the HTTP status; 0 when no response came (Err says why).
	Status  int
	Headers http.Header
	Body    []byte
	Err     error
	// RetryAfter is the webhook's Retry-After, in seconds, when it sent
	// one (Hasura honours it for event triggers); 0 otherwise.
	RetryAfter time.Duration
}

// OK reports whether the try succeeded: a 2xx answer.
func (r *Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Send makes one try of req with client.
func Send(ctx context.Context, client *http.Client, req Request) *Result {
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, req.URL, body)
	if err != nil {
		return &Result{Err: err}
	}
	for k, vs := range req.Headers {
		hr.Header[k] = vs
	}
	resp, err := client.Do(hr)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = errors.New("request timed out after " + timeout.String())
		}
		return &Result{Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	r := &Result{Status: resp.StatusCode, Headers: resp.Header, Body: b, Err: err}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			r.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return r
}

// header is a header as Hasura's invocation logs list them.
type header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func headerList(h http.Header) []header {
	out := []header{}
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, header{k, v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RequestLog is the invocation log's request column:
// {"payload": <body>, "headers": [...], "version": "2"}.
func RequestLog(req Request) json.RawMessage {
	payload := json.RawMessage("null")
	if json.Valid(req.Body) {
		payload = req.Body
	} else if req.Body != nil {
		payload, _ = json.Marshal(string(req.Body))
	}
	b, _ := json.Marshal(struct {
		Payload json.RawMessage `json:"payload"`
		Headers []header        `json:"headers"`
		Version string          `json:"version"`
	}{payload, headerList(req.Headers), "2"})
	return b
}

// ResponseLog is the invocation log's response column: a
// "webhook_response" with status, headers and body, or a "client_error"
// with the message when no response came.
func ResponseLog(r *Result) json.RawMessage {
	type data struct {
		Message string   `json:"message,omitempty"`
		Body    *string  `json:"body,omitempty"`
		Headers []header `json:"headers,omitempty"`
		Status  int      `json:"status,omitempty"`
	}
	out := struct {
		Type    string `json:"type"`
		Data    data   `json:"data"`
		Version string `json:"version"`
	}{Version: "2"}
	if r.Status == 0 {
		out.Type = "client_error"
		msg := "no response"
		if r.Err != nil {
			msg = r.Err.Error()
		}
		out.Data.Message = msg
	} else {
		body := string(r.Body)
		out.Type = "webhook_response"
		out.Data = data{Body: &body, Headers: headerList(r.Headers), Status: r.Status}
	}
	b, _ := json.Marshal(out)
	return b
}
