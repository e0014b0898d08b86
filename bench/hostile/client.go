package main

// The HTTP side of the attacks: one client for every request to
// /v1/graphql, and the classification of an answer into a short class
// ("data", "error: <message>", "no answer: timeout") that the tally
// counts.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// client posts GraphQL requests to one server.
type client struct {
	url  string
	http *http.Client
}

func newClient(base string) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &client{url: base + "/v1/graphql", http: &http.Client{Transport: tr}}
}

// who a request is sent as: its headers.
type who int

const (
	anonymous who = iota // no headers: the unauthorized role, customer
	admin                // the admin secret
	customer5            // the admin secret, role customer, user 5
)

func (w who) String() string {
	switch w {
	case admin:
		return "admin"
	case customer5:
		return "customer 5"
	}
	return "anonymous"
}

func (w who) headers(h http.Header) {
	switch w {
	case admin:
		h.Set("X-Hasura-Admin-Secret", secret)
	case customer5:
		h.Set("X-Hasura-Admin-Secret", secret)
		h.Set("X-Hasura-Role", "customer")
		h.Set("X-Hasura-User-Id", "5")
	}
}

// answer is what came back for one request.
type answer struct {
	status  int
	bytes   int64  // the whole body's length
	head    []byte // its first keep bytes
	latency time.Duration
	err     error // no answer: the transport's error
}

// post sends body as w and reads the answer, keeping at most keep bytes of
// it (the rest is counted and dropped: a huge answer costs this process
// nothing).
func (c *client) post(ctx context.Context, w who, body []byte, keep int) answer {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	w.headers(req.Header)
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{err: err, latency: time.Since(start)}
	}
	defer resp.Body.Close()
	head, err := io.ReadAll(io.LimitReader(resp.Body, int64(keep)))
	n := int64(len(head))
	if err == nil {
		var rest int64
		rest, err = io.Copy(io.Discard, resp.Body)
		n += rest
	}
	return answer{status: resp.StatusCode, bytes: n, head: head, latency: time.Since(start), err: err}
}

// requestBody is one GraphQL request as JSON.
func requestBody(query string, variables any) []byte {
	m := map[string]any{"query": query}
	if variables != nil {
		m["variables"] = variables
	}
	b, _ := json.Marshal(m)
	return b
}

// class sorts an answer into what the report counts, and returns an
// example of it (the first error message as it came).
func (a answer) class() (class, example string) {
	if a.err != nil {
		c := "no answer: " + transportError(a.err)
		return c, a.err.Error()
	}
	if a.status != http.StatusOK {
		return fmt.Sprintf("HTTP %d", a.status), string(a.head[:min(len(a.head), 200)])
	}
	b := bytes.TrimLeft(a.head, " \t\r\n")
	switch {
	case bytes.HasPrefix(b, []byte(`{"data"`)):
		return "data", ""
	case bytes.HasPrefix(b, []byte(`{"errors"`)):
		msg, n := firstError(b)
		if n > 1 {
			msg += fmt.Sprintf(" (and %d more)", n-1)
		}
		return "error: " + normalize(msg), msg
	case bytes.HasPrefix(b, []byte(`[`)):
		return batchClass(b, a.bytes)
	}
	return "other", string(b[:min(len(b), 200)])
}

// firstError returns the first error message of an {"errors": [...]}
// body and the number of errors.
func firstError(b []byte) (string, int) {
	var r struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &r); err != nil || len(r.Errors) == 0 {
		return "unreadable errors", 0
	}
	return r.Errors[0].Message, len(r.Errors)
}

// batchClass sorts a batch's answer: how many of its operations got data
// and the first error among the others.
func batchClass(b []byte, total int64) (string, string) {
	if int64(len(b)) < total {
		return "batch (answer too long to read)", ""
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return "batch (unreadable)", err.Error()
	}
	data, first := 0, ""
	for _, it := range items {
		it = bytes.TrimLeft(it, " \t\r\n")
		if bytes.HasPrefix(it, []byte(`{"data"`)) {
			data++
		} else if first == "" {
			first, _ = firstError(it)
		}
	}
	if first == "" {
		return fmt.Sprintf("batch: data for all %s", normalize(fmt.Sprint(len(items)))), ""
	}
	return fmt.Sprintf("batch: %d of %d with data, first error: %s", data, len(items), normalize(first)), first
}

var digits = regexp.MustCompile(`\d+`)

// normalize replaces numbers by N, so that "the query has 81925 fields"
// and "the query has 163845 fields" count as one kind of answer.
func normalize(s string) string { return digits.ReplaceAllString(s, "N") }

// transportError names a transport error briefly.
func transportError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled at the end"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	}
	return normalize(err.Error())
}

// tally counts the requests of each kind and their answers.
type tally struct {
	mu    sync.Mutex
	kinds map[string]*kindTally
}

// kindTally is one kind of request's count.
type kindTally struct {
	sent     int
	answers  map[string]int
	examples map[string]string
	maxTime  time.Duration
	maxBytes int64
}

func newTally() *tally { return &tally{kinds: map[string]*kindTally{}} }

func (t *tally) kind(name string) *kindTally {
	k := t.kinds[name]
	if k == nil {
		k = &kindTally{answers: map[string]int{}, examples: map[string]string{}}
		t.kinds[name] = k
	}
	return k
}

// add counts one request of kind and how it was answered.
func (t *tally) add(kind, class, example string, latency time.Duration, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.kind(kind)
	k.sent++
	k.answers[class]++
	if _, seen := k.examples[class]; !seen && example != "" {
		k.examples[class] = example
	}
	k.maxTime = max(k.maxTime, latency)
	k.maxBytes = max(k.maxBytes, n)
}

// record counts a to kind.
func (t *tally) record(kind string, a answer) {
	c, ex := a.class()
	t.add(kind, c, ex, a.latency, a.bytes)
}

// count returns the requests of the kinds whose names start with prefix
// and the answers among them in a class that starts with classPrefix.
func (t *tally) count(prefix, classPrefix string) (sent, matched int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for n, k := range t.kinds {
		if !strings.HasPrefix(n, prefix) {
			continue
		}
		sent += k.sent
		for c, v := range k.answers {
			if strings.HasPrefix(c, classPrefix) {
				matched += v
			}
		}
	}
	return sent, matched
}
