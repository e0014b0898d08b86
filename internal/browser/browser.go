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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
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
	closeOnce sync.Once
}

// Start launches the Chromium at path, headless, with a fresh temporary
// profile that Close removes. It returns once the browser answers.
// Running as root (CI, containers) needs --no-sandbox, which is set.
func Start(ctx context.Context, path string) (*Browser, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: bctx, cancel: func() { cancelBrowser(); cancelAlloc() }}
	// The first action starts the browser (and opens its first tab).
	if err := chromedp.Do(bctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return b, nil
}

// StartT starts Chromium for a test (found by Path) and closes it when
// the test ends. A missing or broken browser fails the test.
func StartT(t testing.TB) *Browser {
	t.Helper()
	path, err := Path(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := Start(ctx, path)
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

// Close ends the browser, waits for it to exit and removes its profile.
// It is safe to call more than once.
func (b *Browser) Close() {
	b.closeOnce.Do(b.cancel)
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
	urls       map[network.RequestID]string
	failures   []Failure
	websockets []Websocket
	wsIndex    map[network.RequestID]int
}

// Request is one request the page sent (preflights are not among them:
// Chromium sends those itself).
type Request struct {
	URL, Method string
	// Headers has the names as the page set them (fetch lower-cases them).
	Headers map[string]string
	Body    string
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
	l := &Log{urls: map[network.RequestID]string{}, wsIndex: map[network.RequestID]int{}}
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
			r := Request{URL: ev.Request.URL, Method: ev.Request.Method, Headers: map[string]string{}}
			for k, v := range ev.Request.Headers {
				r.Headers[k] = fmt.Sprint(v)
			}
			for _, e := range ev.Request.PostDataEntries {
				r.Body += string(e.Bytes)
			}
			l.requests = append(l.requests, r)
			l.urls[ev.RequestID] = r.URL
		case *network.EventLoadingFailed:
			f := Failure{URL: l.urls[ev.RequestID], Error: ev.ErrorText}
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
