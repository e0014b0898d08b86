// Package browser starts a headless Chromium for the tests that drive
// pages in a real browser (CORS, the console, graphql-http's audit). It
// talks to Chromium over the DevTools protocol with chromedp, so the tests
// need Go and a Chromium binary, nothing else:
//
//	b := browser.StartT(t)
//	tab := b.Tab(t)
//	got, err := browser.Eval[string](tab, `fetch("/").then(r => r.text())`)
//
// Chromium is HASGEN_CHROMIUM, else chromium or chromium-browser on PATH.
// A missing browser is an error that says how to install one: the tests
// fail, they never skip.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// EnvChromium names the Chromium binary to use instead of the one on PATH.
const EnvChromium = "HASGEN_CHROMIUM"

// Timeout bounds each test's use of a browser: a guard against a page that
// never answers, not a timing assertion.
const Timeout = 2 * time.Minute

// Path returns the Chromium binary: getenv(EnvChromium), else chromium or
// chromium-browser on PATH. The error says how to install it.
func Path(getenv func(string) string) (string, error) {
	if p := getenv(EnvChromium); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvChromium, p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium: install it (Debian: apt-get install chromium) or set " + EnvChromium + " to its binary")
}

// Browser is a running headless Chromium with a profile of its own.
type Browser struct {
	ctx       context.Context // the browser's chromedp context
	cancel    context.CancelFunc
	dir       string // the profile and the browser's TMPDIR
	closeOnce sync.Once
}

// Start launches the Chromium at path, headless, with the command-line
// flags given ("--name=value" or "--name"). It returns once the browser
// answers. Its profile and temporary files (its shared memory, kept out
// of a container's small /dev/shm) are in a hasgen-chromium-* directory
// that Close removes. Running as root (CI, containers) needs
// --no-sandbox, which is set.
func Start(ctx context.Context, path string, flags ...string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "hasgen-chromium-")
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Env("TMPDIR="+dir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	for _, f := range flags {
		name, value, ok := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if !ok {
			opts = append(opts, chromedp.Flag(name, true))
			continue
		}
		opts = append(opts, chromedp.Flag(name, value))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: bctx, cancel: func() { cancelBrowser(); cancelAlloc() }, dir: dir}
	// The first action starts the browser (and opens its first tab).
	if err := chromedp.Do(bctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return b, nil
}

// StartT starts Chromium for a test (found by Path, with Start's flags)
// and closes it when the test ends. A missing or broken browser fails the
// test.
func StartT(t testing.TB, flags ...string) *Browser {
	t.Helper()
	path, err := Path(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := Start(ctx, path, flags...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.Close()
		cancel()
	})
	return b
}

// Close ends the browser, waits for it to exit and removes its
// directory. It is safe to call more than once.
func (b *Browser) Close() {
	b.closeOnce.Do(func() {
		b.cancel()
		// Chromium's helpers may still be writing as the browser exits:
		// try again for a moment.
		for range 50 {
			if os.RemoveAll(b.dir) == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// NewTab opens a tab; cancel closes it. Every action run on the tab's
// context is bounded by Timeout.
func (b *Browser) NewTab() (context.Context, context.CancelFunc) {
	tctx, cancelTab := chromedp.NewContext(b.ctx)
	ctx, cancelTimeout := context.WithTimeout(tctx, Timeout)
	return ctx, func() { cancelTimeout(); cancelTab() }
}

// Tab opens a tab for a test, closed when the test ends.
func (b *Browser) Tab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := b.NewTab()
	t.Cleanup(cancel)
	// Open the target now, so that listeners added before the first
	// navigation see it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// Eval evaluates the JavaScript expression in the tab's page, waits for
// the promise it returns (if any) and decodes its value, which must be
// JSON-serialisable, as a T. A thrown exception or a rejected promise is
// the error, with its message.
func Eval[T any](ctx context.Context, expr string) (T, error) {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return v, fmt.Errorf("evaluate %.60q: %w", expr, err)
	}
	return v, nil
}

// Navigate loads url in the tab and waits for its load event.
func Navigate(ctx context.Context, url string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("navigate to %s: %w", url, err)
	}
	return nil
}

// Log records what happens in a tab: uncaught exceptions and console
// errors, the requests the page sends, the requests that fail (with
// Chromium's CORS verdict) and the websockets it opens.
type Log struct {
	mu         sync.Mutex
	errors     []string
	requests   []Request
	byID       map[network.RequestID]int // index in requests
	failures   []Failure
	websockets []Websocket
	wsIndex    map[network.RequestID]int
}

// Request is one request the page sent (preflights are not among them:
// Chromium sends those itself; nor data: URLs, which need no request) and, once answered, the response's status.
type Request struct {
	// ID names the request for ResponseBody.
	ID          string
	URL, Method string
	// Headers are the request's headers, names in lower case.
	Headers map[string]string
	Body    string
	// Status is the response's status, 0 until it arrives.
	Status int
	// Done is set once the response's body is loaded, or the request
	// failed.
	Done bool
}

// Failure is a request that failed; CORSError is Chromium's reason when
// CORS refused it (MissingAllowOriginHeader, PreflightInvalidStatus…),
// else "".
type Failure struct {
	URL, Error, CORSError string
}

// Websocket is one websocket the page opened: its URL and the text
// messages it sent.
type Websocket struct {
	URL  string
	Sent []string
}

// Listen starts recording the tab into a Log. Call it before the
// navigation whose events it must see.
func Listen(ctx context.Context) (*Log, error) {
	l := &Log{byID: map[network.RequestID]int{}, wsIndex: map[network.RequestID]int{}}
	err := chromedp.Listen(ctx, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch ev := ev.(type) {
		case *cdpruntime.EventExceptionThrown:
			l.errors = append(l.errors, "exception: "+describe(ev.ExceptionDetails))
		case *cdpruntime.EventConsoleAPICalled:
			if ev.Type != cdpruntime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, argText(a))
			}
			l.errors = append(l.errors, "console.error: "+strings.Join(parts, " "))
		case *network.EventRequestWillBeSent:
			if strings.HasPrefix(ev.Request.URL, "data:") {
				return // no request: the page holds the data
			}
			r := Request{ID: string(ev.RequestID), URL: ev.Request.URL, Method: ev.Request.Method, Headers: map[string]string{}}
			for k, v := range ev.Request.Headers {
				r.Headers[strings.ToLower(k)] = fmt.Sprint(v)
			}
			for _, e := range ev.Request.PostDataEntries {
				r.Body += string(e.Bytes)
			}
			l.byID[ev.RequestID] = len(l.requests)
			l.requests = append(l.requests, r)
		case *network.EventResponseReceived:
			if i, ok := l.byID[ev.RequestID]; ok && ev.Response != nil {
				l.requests[i].Status = int(ev.Response.Status)
			}
		case *network.EventLoadingFinished:
			if i, ok := l.byID[ev.RequestID]; ok {
				l.requests[i].Done = true
			}
		case *network.EventLoadingFailed:
			var f Failure
			if i, ok := l.byID[ev.RequestID]; ok {
				l.requests[i].Done = true
				f.URL = l.requests[i].URL
			}
			f.Error = ev.ErrorText
			if ev.CorsErrorStatus != nil {
				f.CORSError = string(ev.CorsErrorStatus.CorsError)
			}
			l.failures = append(l.failures, f)
		case *network.EventWebSocketCreated:
			l.wsIndex[ev.RequestID] = len(l.websockets)
			l.websockets = append(l.websockets, Websocket{URL: ev.URL})
		case *network.EventWebSocketFrameSent:
			if i, ok := l.wsIndex[ev.RequestID]; ok && ev.Response != nil && ev.Response.Opcode == 1 {
				l.websockets[i].Sent = append(l.websockets[i].Sent, string(ev.Response.PayloadData))
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("listen to the tab: %w", err)
	}
	return l, nil
}

// Errors returns the exceptions and console errors so far, as text.
func (l *Log) Errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.errors)
}

// Requests returns the requests sent so far, in order.
func (l *Log) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.requests)
}

// WaitRequest waits until a request that match accepts is done and
// returns it; what names it in the error when ctx ends first.
func (l *Log) WaitRequest(ctx context.Context, what string, match func(Request) bool) (Request, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, r := range l.Requests() {
			if r.Done && match(r) {
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return Request{}, fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// Failures returns the requests that failed so far, in order.
func (l *Log) Failures() []Failure {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.failures)
}

// Websockets returns the websockets opened so far, in order.
func (l *Log) Websockets() []Websocket {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Websocket, len(l.websockets))
	for i, w := range l.websockets {
		out[i] = Websocket{URL: w.URL, Sent: slices.Clone(w.Sent)}
	}
	return out
}

// describe is an exception's text and, when the page threw an Error, its
// message.
func describe(d *cdpruntime.ExceptionDetails) string {
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	if d.URL != "" {
		s += fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	}
	return s
}

// argText is a console argument as text: its value when it has one.
func argText(a *cdpruntime.RemoteObject) string {
	if len(a.Value) > 0 {
		var s string
		if json.Unmarshal(a.Value, &s) == nil {
			return s
		}
		return string(a.Value)
	}
	return a.Description
}

// ResponseBody returns the body of the response to the request (by its
// Request.ID) that the tab loaded.
func ResponseBody(ctx context.Context, id string) (string, error) {
	r, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: network.RequestID(id)})
	if err != nil {
		return "", fmt.Errorf("body of request %s: %w", id, err)
	}
	return string(r.Body), nil
}

// WaitFor evaluates the JavaScript expression in the page until its value
// is truthy, then returns that value as a T. what names it in the error
// when ctx ends first.
func WaitFor[T any](ctx context.Context, what, expr string) (T, error) {
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0)))
	if err != nil {
		return v, fmt.Errorf("waiting for %s: %w", what, err)
	}
	return v, nil
}

// Click clicks the first element the CSS selector matches, once it is
// visible.
func Click(ctx context.Context, selector string) error {
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
		return fmt.Errorf("click %s: %w", selector, err)
	}
	return nil
}

// ReplaceText clicks the element the CSS selector matches (an editor),
// selects all its text with Ctrl+A, deletes it and inserts text, as one
// pasting would: inserted, not typed key by key, so that an editor's
// auto-closing of brackets does not add to it.
func ReplaceText(ctx context.Context, selector, text string) error {
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(selector)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(kb.Delete),
	)
	if err == nil {
		_, err = chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text})
	}
	if err != nil {
		return fmt.Errorf("replace the text of %s: %w", selector, err)
	}
	return nil
}

// Screenshot captures the tab's viewport as a PNG.
func Screenshot(ctx context.Context) ([]byte, error) {
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	return b, nil
}

// SetViewport sets the size of the tab's viewport, in CSS pixels.
func SetViewport(ctx context.Context, width, height int64) error {
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		return fmt.Errorf("viewport %dx%d: %w", width, height, err)
	}
	return nil
}
