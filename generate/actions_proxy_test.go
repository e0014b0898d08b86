package generate_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// interceptingProxy is an HTTPS proxy for tests: it accepts CONNECT to
// any host and answers the tunnelled requests itself, over TLS with a
// certificate for that host signed by its own CA, which a client trusts
// through SSL_CERT_FILE=CAFile. It lets a generated server call the
// https:// URL a project's metadata names (httpbin.org) without leaving
// the machine.
type interceptingProxy struct {
	URL    string
	CAFile string
	// handle answers a tunnelled request.
	handle http.HandlerFunc

	ca      *x509.Certificate
	caKey   *ecdsa.PrivateKey
	mu      sync.Mutex
	connect []string // CONNECT targets, in order
}

func newInterceptingProxy(t *testing.T, handle http.HandlerFunc) *interceptingProxy {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hasgen test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &interceptingProxy{handle: handle, ca: ca, caKey: key, CAFile: filepath.Join(t.TempDir(), "ca.pem")}
	if err := os.WriteFile(p.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.URL = "http://" + l.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c)
			}()
		}
	}()
	return p
}

// leaf is a certificate for host signed by the CA.
func (p *interceptingProxy) leaf(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// serve reads a CONNECT, then answers the requests of the tunnel.
func (p *interceptingProxy) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	p.mu.Lock()
	p.connect = append(p.connect, req.Host)
	p.mu.Unlock()
	host, _, _ := net.SplitHostPort(req.Host)
	cert, err := p.leaf(host)
	if err != nil {
		return
	}
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	tbr := bufio.NewReader(tc)
	for {
		r, err := http.ReadRequest(tbr)
		if err != nil {
			return
		}
		r.URL.Scheme, r.URL.Host = "https", r.Host
		rec := &responseRecorder{header: http.Header{}, status: 200}
		p.handle(rec, r)
		resp := &http.Response{StatusCode: rec.status, ProtoMajor: 1, ProtoMinor: 1, Header: rec.header,
			Body: io.NopCloser(strings.NewReader(rec.body.String())), ContentLength: int64(rec.body.Len())}
		if err := resp.Write(tc); err != nil {
			return
		}
	}
}

// connects returns the CONNECT targets seen.
func (p *interceptingProxy) connects() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.connect...)
}

type responseRecorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (r *responseRecorder) Header() http.Header         { return r.header }
func (r *responseRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *responseRecorder) WriteHeader(status int)      { r.status = status }

// httpbinCall is what the fake httpbin.org received.
type httpbinCall struct {
	URL    string
	Header http.Header
	Body   map[string]any
}

// fakeHTTPBin answers POST /post as cli-v3-chinook's action wants: its
// output type SampleOutput needs accessToken, made of the transformed
// body's fields.
func fakeHTTPBin(calls chan<- httpbinCall) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		calls <- httpbinCall{URL: r.URL.String(), Header: r.Header.Clone(), Body: body}
		users, _ := body["users"].(map[string]any)
		test, _ := users["test"].(string)
		v, _ := users["v"].(string)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"accessToken": test + ":" + v})
	}
}
