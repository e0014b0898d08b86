package permdiff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client asks the generated server, impersonating roles with the admin
// secret (Hasura's X-Hasura-Role and session variable headers).
type Client struct {
	// URL is the server's base URL; requests go to URL + "/v1/graphql".
	URL         string
	AdminSecret string
	HTTP        *http.Client
}

// Response is a GraphQL response: data, errors, or both.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors []GraphQLError  `json:"errors"`
	// Body is the response as received.
	Body []byte `json:"-"`
}

// GraphQLError is an error of a response.
type GraphQLError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
		Path string `json:"path"`
	} `json:"extensions"`
}

// HasData reports whether the response carries data (a JSON value other
// than null).
func (r *Response) HasData() bool {
	return len(r.Data) > 0 && string(r.Data) != "null"
}

// Messages returns the error messages joined.
func (r *Response) Messages() string {
	var m []string
	for _, e := range r.Errors {
		m = append(m, e.Message)
	}
	return strings.Join(m, "; ")
}

// Ask posts req as role with the session variables and decodes the
// answer. An HTTP status other than 200 is an error: Hasura answers
// GraphQL errors with 200.
func (c *Client) Ask(ctx context.Context, req Request, role *Role, session map[string]string) (*Response, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/v1/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("X-Hasura-Admin-Secret", c.AdminSecret)
	if !role.Admin() {
		hr.Header.Set("X-Hasura-Role", role.Name)
		for k, v := range session {
			hr.Header.Set(k, v)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("permdiff: server: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("permdiff: server: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("permdiff: server: HTTP %d: %s", resp.StatusCode, b)
	}
	out := &Response{Body: b}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, fmt.Errorf("permdiff: server: %w: %s", err, b)
	}
	return out, nil
}
