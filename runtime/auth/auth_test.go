package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// authCase is one request against one configuration. Exactly one of
// wantErr and wantRole is set.
type authCase struct {
	name    string
	headers http.Header
	wantErr *wire.Error
	// On success:
	wantRole        string
	wantVars        map[string]string // exact
	wantAdminSecret bool
	wantBackendOnly bool
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func newTestAuth(t testing.TB, cfg Config) *Authenticator {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("NewAuthenticator: %v", err)
	}
	return a
}

func runAuthCases(t *testing.T, a *Authenticator, cases []authCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := a.Authenticate(context.Background(), c.headers)
			checkAuth(t, c, s, err)
		})
	}
}

func checkAuth(t *testing.T, c authCase, s *session.Session, aerr error) {
	t.Helper()
	err := wire.First(aerr)
	if c.wantErr != nil {
		if err == nil {
			t.Fatalf("got session %+v, want error %q (%s)", s, c.wantErr.Message, c.wantErr.Code)
		}
		if err.Message != c.wantErr.Message || err.Code != c.wantErr.Code || err.Path != "$" {
			t.Fatalf("got error {%q %s %s}, want {%q %s $}", err.Message, err.Code, err.Path, c.wantErr.Message, c.wantErr.Code)
		}
		return
	}
	if err != nil {
		t.Fatalf("got error %q (%s), want role %q", err.Message, err.Code, c.wantRole)
	}
	if s.Role != c.wantRole {
		t.Errorf("role = %q, want %q", s.Role, c.wantRole)
	}
	if s.AdminSecret != c.wantAdminSecret {
		t.Errorf("AdminSecret = %v, want %v", s.AdminSecret, c.wantAdminSecret)
	}
	if s.BackendOnly != c.wantBackendOnly {
		t.Errorf("BackendOnly = %v, want %v", s.BackendOnly, c.wantBackendOnly)
	}
	if c.wantVars != nil {
		for k, v := range c.wantVars {
			if got, ok := s.Vars[k]; !ok || got != v {
				t.Errorf("var %s = %q (set %v), want %q", k, got, ok, v)
			}
		}
		for k, v := range s.Vars {
			if _, ok := c.wantVars[k]; !ok {
				t.Errorf("unexpected var %s = %q", k, v)
			}
		}
	}
}

func errOf(code, msg string) *wire.Error { return &wire.Error{Message: msg, Code: code, Path: "$"} }

const badBoolMsg = `x-hasura-use-backend-only-permissions:  Not a valid boolean text. True values are ["true","t","yes","y"] and  False values are ["false","f","no","n"]. All values are case insensitive`

func TestAuthOpenMode(t *testing.T) {
	a := newTestAuth(t, Config{})
	runAuthCases(t, a, []authCase{
		{name: "no headers is admin", headers: hdr(),
			wantRole: "admin", wantVars: map[string]string{"x-hasura-role": "admin"}},
		{name: "role and vars from headers",
			headers:  hdr("X-Hasura-Role", "user", "X-Hasura-User-Id", "1", "Content-Type", "application/json", "x-hasura-custom-thing", "v"),
			wantRole: "user", wantVars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1", "x-hasura-custom-thing": "v"}},
		{name: "empty role header falls back to admin", headers: hdr("X-Hasura-Role", ""),
			wantRole: "admin", wantVars: map[string]string{"x-hasura-role": "admin"}},
		{name: "admin secret header is ignored and not a variable", headers: hdr("X-Hasura-Admin-Secret", "anything", "X-Hasura-Access-Key", "k"),
			wantRole: "admin", wantVars: map[string]string{"x-hasura-role": "admin"}},
		{name: "backend only honoured without auth", headers: hdr("X-Hasura-Use-Backend-Only-Permissions", "true"),
			wantRole: "admin", wantBackendOnly: true,
			wantVars: map[string]string{"x-hasura-role": "admin", "x-hasura-use-backend-only-permissions": "true"}},
		{name: "backend only bad value", headers: hdr("X-Hasura-Use-Backend-Only-Permissions", "maybe"),
			wantErr: errOf(wire.CodeBadRequest, badBoolMsg)},
		{name: "repeated header: last wins", headers: hdr("X-Hasura-User-Id", "1", "X-Hasura-User-Id", "2"),
			wantRole: "admin", wantVars: map[string]string{"x-hasura-role": "admin", "x-hasura-user-id": "2"}},
	})
}

func TestAuthAdminSecret(t *testing.T) {
	const secret = "s3cret"
	a := newTestAuth(t, Config{AdminSecret: secret})
	runAuthCases(t, a, []authCase{
		{name: "correct secret is admin", headers: hdr("X-Hasura-Admin-Secret", secret),
			wantRole: "admin", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "admin"}},
		{name: "lower-case header name via Set", headers: func() http.Header { h := http.Header{}; h.Set("x-hasura-admin-secret", secret); return h }(),
			wantRole: "admin", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "admin"}},
		{name: "deprecated access key", headers: hdr("X-Hasura-Access-Key", secret),
			wantRole: "admin", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "admin"}},
		{name: "admin keeps x-hasura headers as vars", headers: hdr("X-Hasura-Admin-Secret", secret, "X-Hasura-User-Id", "7"),
			wantRole: "admin", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "admin", "x-hasura-user-id": "7"}},
		{name: "impersonation", headers: hdr("X-Hasura-Admin-Secret", secret, "X-Hasura-Role", "user", "X-Hasura-User-Id", "42", "Authorization", "Bearer x"),
			wantRole: "user", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42"}},
		{name: "empty role header is admin", headers: hdr("X-Hasura-Admin-Secret", secret, "X-Hasura-Role", ""),
			wantRole: "admin", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "admin"}},
		{name: "wrong secret", headers: hdr("X-Hasura-Admin-Secret", "nope"),
			wantErr: errOf(wire.CodeAccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{name: "secret is case-sensitive", headers: hdr("X-Hasura-Admin-Secret", strings.ToUpper(secret)),
			wantErr: errOf(wire.CodeAccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{name: "empty secret counts as sent", headers: hdr("X-Hasura-Admin-Secret", ""),
			wantErr: errOf(wire.CodeAccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{name: "wrong access key", headers: hdr("X-Hasura-Access-Key", "nope"),
			wantErr: errOf(wire.CodeAccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{name: "admin secret header wins over access key", headers: hdr("X-Hasura-Admin-Secret", "nope", "X-Hasura-Access-Key", secret),
			wantErr: errOf(wire.CodeAccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{name: "backend only true", headers: hdr("X-Hasura-Admin-Secret", secret, "X-Hasura-Use-Backend-Only-Permissions", "true"),
			wantRole: "admin", wantAdminSecret: true, wantBackendOnly: true,
			wantVars: map[string]string{"x-hasura-role": "admin", "x-hasura-use-backend-only-permissions": "true"}},
		{name: "backend only YES any case", headers: hdr("X-Hasura-Admin-Secret", secret, "X-Hasura-Role", "user", "X-Hasura-Use-Backend-Only-Permissions", "YES"),
			wantRole: "user", wantAdminSecret: true, wantBackendOnly: true,
			wantVars: map[string]string{"x-hasura-role": "user", "x-hasura-use-backend-only-permissions": "YES"}},
		{name: "backend only false", headers: hdr("X-Hasura-Admin-Secret", secret, "X-Hasura-Use-Backend-Only-Permissions", "f"),
			wantRole: "admin", wantAdminSecret: true,
			wantVars: map[string]string{"x-hasura-role": "admin", "x-hasura-use-backend-only-permissions": "f"}},
		{name: "backend only bad value", headers: hdr("X-Hasura-Admin-Secret", secret, "X-Hasura-Use-Backend-Only-Permissions", "1"),
			wantErr: errOf(wire.CodeBadRequest, badBoolMsg)},
		{name: "no secret and no unauthorized role", headers: hdr("X-Hasura-Role", "user"),
			wantErr: errOf(wire.CodeAccessDenied, "x-hasura-admin-secret/x-hasura-access-key required, but not found")},
	})
}

func TestAuthUnauthorizedRole(t *testing.T) {
	a := newTestAuth(t, Config{AdminSecret: "s3cret", UnauthorizedRole: "anonymous"})
	runAuthCases(t, a, []authCase{
		{name: "no secret is the unauthorized role", headers: hdr(),
			wantRole: "anonymous", wantVars: map[string]string{"x-hasura-role": "anonymous"}},
		{name: "role header cannot escalate; x-hasura headers are vars (as Hasura)",
			headers:  hdr("X-Hasura-Role", "admin", "X-Hasura-User-Id", "1"),
			wantRole: "anonymous", wantVars: map[string]string{"x-hasura-role": "anonymous", "x-hasura-user-id": "1"}},
		{name: "backend only ignored, even a bad value", headers: hdr("X-Hasura-Use-Backend-Only-Permissions", "bogus"),
			wantRole: "anonymous", wantVars: map[string]string{"x-hasura-role": "anonymous", "x-hasura-use-backend-only-permissions": "bogus"}},
		{name: "wrong secret is still an error", headers: hdr("X-Hasura-Admin-Secret", "nope"),
			wantErr: errOf(wire.CodeAccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{name: "right secret is admin", headers: hdr("X-Hasura-Admin-Secret", "s3cret"),
			wantRole: "admin", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "admin"}},
	})
}

func TestConfigErrors(t *testing.T) {
	hs := `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `"}`
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>")) }))
	defer notJSON.Close()
	_, p384 := ecKeyPEM(t, "P-384")
	_, ecPEM := ecKeyPEM(t, "P-256")

	cases := []struct {
		name string
		cfg  Config
		want string // substring of the error
	}{
		{"jwt without admin secret", Config{JWTSecret: hs}, "HASURA_GRAPHQL_JWT_SECRET requires HASURA_GRAPHQL_ADMIN_SECRET"},
		{"jwt secrets without admin secret", Config{JWTSecrets: "[" + hs + "]"}, "requires HASURA_GRAPHQL_ADMIN_SECRET"},
		{"unauthorized role without admin secret", Config{UnauthorizedRole: "anon"}, "HASURA_GRAPHQL_UNAUTHORIZED_ROLE requires HASURA_GRAPHQL_ADMIN_SECRET"},
		{"not JSON", Config{AdminSecret: "x", JWTSecret: `{"type":`}, "HASURA_GRAPHQL_JWT_SECRET: invalid JWT config JSON"},
		{"neither key nor jwk_url", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256"}`}, "HASURA_GRAPHQL_JWT_SECRET: key and jwk_url both cannot be empty"},
		{"both key and jwk_url", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","jwk_url":"http://x"}`}, "key, jwk_url both cannot be present"},
		{"key without type", Config{AdminSecret: "x", JWTSecret: `{"key":"abc"}`}, `"type" is required with "key"`},
		{"unsupported type", Config{AdminSecret: "x", JWTSecret: `{"type":"PS256","key":"abc"}`}, "Invalid JWK: Key type: PS256 is not supported"},
		{"short HS256 key", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"short"}`}, "Invalid JWK: Key size too small; should be atleast 32 characters"},
		{"short HS512 key", Config{AdminSecret: "x", JWTSecret: `{"type":"HS512","key":"` + strings.Repeat("k", 63) + `"}`}, "should be atleast 64 characters"},
		{"RS256 not PEM", Config{AdminSecret: "x", JWTSecret: `{"type":"RS256","key":"garbage"}`}, "Invalid JWK: Could not decode PEM: No pem found"},
		{"RS256 with an EC key", Config{AdminSecret: "x", JWTSecret: jsonCfg(map[string]any{"type": "RS256", "key": ecPEM})}, "needs an RSA public key, got an ECDSA key"},
		{"ES256 with a P-384 key", Config{AdminSecret: "x", JWTSecret: jsonCfg(map[string]any{"type": "ES256", "key": p384})}, "type ES256 needs a key on curve P-256, got P-384"},
		{"both namespaces", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","claims_namespace":"a","claims_namespace_path":"$.a"}`}, "claims_namespace and claims_namespace_path both cannot be set"},
		{"bad namespace path", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","claims_namespace_path":"$.a b"}`}, "invalid JSON path claims_namespace_path error: $.a b. Accept letters"},
		{"bad claims format", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","claims_format":"xml"}`}, `claims_format: expected "json" or "stringified_json"`},
		{"bad header type", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","header":{"type":"Query"}}`}, "expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'"},
		{"cookie without name", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","header":{"type":"Cookie"}}`}, `"Cookie" requires a "name"`},
		{"audience not strings", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","audience":[1]}`}, "audience: expected a string or a list of strings"},
		{"negative skew", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","allowed_skew":-1}`}, "allowed_skew"},
		{"claims_map without default role", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","claims_map":{"x-hasura-allowed-roles":["user"]}}`}, "claims_map: x-hasura-default-role is expected but not found"},
		{"claims_map bad path", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","claims_map":{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":{"path":"$..x"}}}`}, "claims_map: x-hasura-default-role: $..x. Accept letters"},
		{"claims_map non-string literal", Config{AdminSecret: "x", JWTSecret: `{"type":"HS256","key":"` + strings.Repeat("k", 32) + `","claims_map":{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":"user","x-hasura-user-id":1}}`}, "claims_map: x-hasura-user-id: expected a string"},
		{"jwt secrets not an array", Config{AdminSecret: "x", JWTSecrets: hs}, "HASURA_GRAPHQL_JWT_SECRETS: expected a JSON array"},
		{"jwt secrets names the bad one", Config{AdminSecret: "x", JWTSecrets: "[" + hs + `,{"type":"HS256"}]`}, "HASURA_GRAPHQL_JWT_SECRETS[1]: key and jwk_url both cannot be empty"},
		{"jwk_url 404", Config{AdminSecret: "x", JWTSecret: `{"jwk_url":"` + notFound.URL + `"}`}, "Non-2xx response on fetching JWK from: " + notFound.URL},
		{"jwk_url not JSON", Config{AdminSecret: "x", JWTSecret: `{"jwk_url":"` + notJSON.URL + `"}`}, "Error parsing JWK from url: " + notJSON.URL},
		{"jwk_url unreachable", Config{AdminSecret: "x", JWTSecret: `{"jwk_url":"http://127.0.0.1:1/jwks"}`}, "Error fetching JWK"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := New(context.Background(), c.cfg)
			if err == nil {
				t.Fatalf("got %+v, want an error containing %q", a, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestAuthJSONPath(t *testing.T) {
	cases := []struct {
		in, want string // want: String() of the parsed path, or "error"
	}{
		{"$", "$"},
		{"$.hasura.claims", "$.hasura.claims"},
		{"hasura.claims", "$.hasura.claims"},
		{"$.roles[0]", "$.roles[0]"},
		{"$['x-hasura'].a_b-c", "$.x-hasura.a_b-c"},
		{`$["a.b"]`, `$["a.b"]`},
		{`$['it\'s']`, `$["it's"]`},
		{"$.a[12].b", "$.a[12].b"},
		{"$.1a", "error"},
		{"$.", "error"},
		{"$..a", "error"},
		{"$.a b", "error"},
		{"$[a]", "error"},
		{"$['a'", "error"},
		{"", "error"},
	}
	for _, c := range cases {
		p, err := wire.ParsePath(c.in)
		got := "error"
		if err == nil {
			got = p.String()
		}
		if got != c.want {
			t.Errorf("wire.ParsePath(%q) = %q (err %v), want %q", c.in, got, err, c.want)
		}
	}
	doc := map[string]any{"a": []any{map[string]any{"b": "x"}}, "k.j": 1.0}
	for path, want := range map[string]any{"$.a[0].b": "x", `$["k.j"]`: 1.0, "$.a[1]": nil, "$.a.b": nil, "$.zz": nil} {
		p, err := wire.ParsePath(path)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.Get(doc)
		if want == nil && ok || want != nil && got != want {
			t.Errorf("get(%s) = %v, %v; want %v", path, got, ok, want)
		}
	}
}

func BenchmarkAuthAdminSecret(b *testing.B) {
	a := newTestAuth(b, Config{AdminSecret: "s3cret"})
	h := hdr("X-Hasura-Admin-Secret", "s3cret", "X-Hasura-Role", "user", "X-Hasura-User-Id", "1", "Content-Type", "application/json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(context.Background(), h); err != nil {
			b.Fatal(err)
		}
	}
}
