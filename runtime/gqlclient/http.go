package gqlclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// HTTP is a Client that posts requests to a server's /v1/graphql. Its
// With methods return a copy with one more header, so that one base
// client serves several roles:
//
//	base := gqlclient.NewHTTP(url)
//	admin := base.WithAdminSecret(secret)
//	user := base.WithJWT(token)
type HTTP struct {
	url    string
	client *http.Client
	header http.Header
}

var _ Client = (*HTTP)(nil)

// NewHTTP returns a client of the GraphQL endpoint url
// ("http://localhost:8080/v1/graphql") over http.DefaultClient.
func NewHTTP(url string) *HTTP {
	return &HTTP{url: url, client: http.DefaultClient, header: http.Header{}}
}

// WithHTTPClient returns a copy that sends its requests with hc.
func (c *HTTP) WithHTTPClient(hc *http.Client) *HTTP {
	out := c.clone()
	out.client = hc
	return out
}

// WithHeader returns a copy that sends name: value with every request
// (replacing a value set before): a session variable
// ("x-hasura-user-id") as the admin secret allows, or any header the
// server reads.
func (c *HTTP) WithHeader(name, value string) *HTTP {
	out := c.clone()
	out.header.Set(name, value)
	return out
}

// WithAdminSecret returns a copy that sends x-hasura-admin-secret.
func (c *HTTP) WithAdminSecret(secret string) *HTTP {
	return c.WithHeader("x-hasura-admin-secret", secret)
}

// WithJWT returns a copy that sends Authorization: Bearer token.
func (c *HTTP) WithJWT(token string) *HTTP {
	return c.WithHeader("Authorization", "Bearer "+token)
}

// WithRole returns a copy that sends x-hasura-role: the role to run as,
// among those the JWT allows or any with the admin secret.
func (c *HTTP) WithRole(role string) *HTTP {
	return c.WithHeader("x-hasura-role", role)
}

func (c *HTTP) clone() *HTTP {
	return &HTTP{url: c.url, client: c.client, header: c.header.Clone()}
}

// StatusError is a response whose status is not 200 and whose body holds
// no GraphQL errors: a proxy's answer, a wrong URL.
type StatusError struct {
	// StatusCode is the response's status.
	StatusCode int
	// Body is the start of the response body (at most 1 KiB).
	Body string
}

// Error names the status and shows the body.
func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP status %d: %s", e.StatusCode, e.Body)
}

// maxBody bounds the response body read: 256 MiB.
const maxBody = 256 << 20

// Do posts req and decodes the response. GraphQL errors are Errors,
// whatever the status (Hasura answers most with 200, some with 4xx).
func (c *HTTP) Do(ctx context.Context, req *Request, data any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encoding the request: %w", req.OperationName, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", req.OperationName, err)
	}
	for name, values := range c.header {
		hreq.Header[name] = values
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(hreq)
	if err != nil {
		return fmt.Errorf("%s: %w", req.OperationName, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s: reading the response: %w", req.OperationName, err)
	}
	err = decodeResponse(b, data)
	if resp.StatusCode != http.StatusOK {
		if _, ok := err.(Errors); !ok {
			shown := b
			if len(shown) > 1024 {
				shown = shown[:1024]
			}
			return fmt.Errorf("%s: %w", req.OperationName, &StatusError{StatusCode: resp.StatusCode, Body: string(shown)})
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", req.OperationName, err)
	}
	return nil
}
