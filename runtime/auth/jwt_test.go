package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Keys are generated once per test binary: RSA generation is slow.
var testKeys = sync.OnceValue(func() (k struct {
	hs    []byte
	rsa   *rsa.PrivateKey
	rsa2  *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	ed    ed25519.PrivateKey
	other []byte
}) {
	k.hs = []byte("an-hs256-secret-of-at-least-32-chars!")
	k.other = []byte("another-secret-of-at-least-32-chars!!")
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	return k
})

func pkixPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func certPEM(t testing.TB, priv *rsa.PrivateKey) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func ecKeyPEM(t testing.TB, curve string) (*ecdsa.PrivateKey, string) {
	t.Helper()
	c := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384()}[curve]
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k, pkixPEM(t, &k.PublicKey)
}

func jsonCfg(m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sign makes a token; kid is set in the header when not empty.
func sign(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bearer(tok string) http.Header { return hdr("Authorization", "Bearer "+tok) }

// claimsWith returns standard claims with exp in an hour and hasura
// claims under the default namespace; extra top-level claims are merged.
func claimsWith(hasura map[string]any, extra jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{"sub": "1", "exp": float64(time.Now().Add(time.Hour).Unix()), "iat": float64(time.Now().Unix())}
	if hasura != nil {
		c[defaultClaimsNamespace] = hasura
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func userClaims() map[string]any {
	return map[string]any{
		"x-hasura-allowed-roles": []any{"user", "editor"},
		"x-hasura-default-role":  "user",
		"x-hasura-user-id":       "1",
	}
}

var userVars = map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1"}

func TestJWTAlgorithms(t *testing.T) {
	k := testKeys()
	cases := []struct {
		name   string
		cfg    map[string]any
		method jwt.SigningMethod
		key    any
	}{
		{"HS256", map[string]any{"type": "HS256", "key": string(k.hs)}, jwt.SigningMethodHS256, k.hs},
		{"HS384", map[string]any{"type": "HS384", "key": strings.Repeat(string(k.hs), 2)}, jwt.SigningMethodHS384, []byte(strings.Repeat(string(k.hs), 2))},
		{"HS512", map[string]any{"type": "HS512", "key": strings.Repeat(string(k.hs), 2)}, jwt.SigningMethodHS512, []byte(strings.Repeat(string(k.hs), 2))},
		{"RS256", map[string]any{"type": "RS256", "key": pkixPEM(t, &k.rsa.PublicKey)}, jwt.SigningMethodRS256, k.rsa},
		{"RS512 PKCS#1 key", map[string]any{"type": "RS512", "key": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)}))}, jwt.SigningMethodRS512, k.rsa},
		{"RS384 certificate", map[string]any{"type": "RS384", "key": certPEM(t, k.rsa)}, jwt.SigningMethodRS384, k.rsa},
		{"ES256", map[string]any{"type": "ES256", "key": pkixPEM(t, &k.ec.PublicKey)}, jwt.SigningMethodES256, k.ec},
		{"Ed25519", map[string]any{"type": "Ed25519", "key": pkixPEM(t, k.ed.Public())}, jwt.SigningMethodEdDSA, k.ed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newTestAuth(t, Config{AdminSecret: "s", JWTSecret: jsonCfg(c.cfg)})
			exp := time.Now().Add(time.Hour).Truncate(time.Second)
			tok := sign(t, c.method, c.key, "", claimsWith(userClaims(), jwt.MapClaims{"exp": float64(exp.Unix())}))
			s, err := a.Authenticate(context.Background(), bearer(tok))
			checkAuth(t, authCase{wantRole: "user", wantVars: userVars}, s, err)
			if err == nil && !s.Expires.Equal(exp) {
				t.Errorf("Expires = %v, want %v", s.Expires, exp)
			}
		})
	}
}

func TestJWTRules(t *testing.T) {
	k := testKeys()
	now := time.Now()
	ts := func(d time.Duration) float64 { return float64(now.Add(d).Unix()) }
	hs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, k.hs, "", c) }
	base := map[string]any{"type": "HS256", "key": string(k.hs)}
	with := func(kv ...any) string {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return jsonCfg(m)
	}
	merge := func(h map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
			} else {
				out[kv[i].(string)] = kv[i+1]
			}
		}
		return out
	}
	good := hs(claimsWith(userClaims(), nil))
	invalidJWT := func(m string) *wire.Error { return errOf(wire.CodeInvalidJWT, "Could not verify JWT: "+m) }
	invalidClaims := func(m string) *wire.Error { return errOf(wire.CodeJWTInvalidClaims, m) }

	groups := []struct {
		name   string
		cfg    string
		unauth string
		cases  []authCase
	}{
		{name: "basic", cfg: with(), cases: []authCase{
			{name: "default role, vars only from claims",
				headers:  hdr("Authorization", "Bearer "+good, "X-Hasura-User-Id", "999", "X-Hasura-Org-Id", "5"),
				wantRole: "user", wantVars: userVars},
			{name: "requested role in allowed roles",
				headers:  hdr("Authorization", "Bearer "+good, "X-Hasura-Role", "editor"),
				wantRole: "editor", wantVars: map[string]string{"x-hasura-role": "editor", "x-hasura-user-id": "1"}},
			{name: "empty role header means the default role",
				headers:  hdr("Authorization", "Bearer "+good, "X-Hasura-Role", ""),
				wantRole: "user", wantVars: userVars},
			{name: "requested role not allowed",
				headers: hdr("Authorization", "Bearer "+good, "X-Hasura-Role", "admin"),
				wantErr: errOf(wire.CodeAccessDenied, "Your requested role is not in allowed roles")},
			{name: "backend only header ignored in JWT mode",
				headers:  hdr("Authorization", "Bearer "+good, "X-Hasura-Use-Backend-Only-Permissions", "true"),
				wantRole: "user", wantVars: userVars},
			{name: "correct admin secret wins over the JWT",
				headers:  hdr("Authorization", "Bearer "+good, "X-Hasura-Admin-Secret", "s"),
				wantRole: "admin", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "admin"}},
			{name: "admin secret with a role impersonates, JWT ignored",
				headers:  hdr("Authorization", "Bearer "+good, "X-Hasura-Admin-Secret", "s", "X-Hasura-Role", "manager"),
				wantRole: "manager", wantAdminSecret: true, wantVars: map[string]string{"x-hasura-role": "manager"}},
			{name: "wrong admin secret fails even with a good JWT",
				headers: hdr("Authorization", "Bearer "+good, "X-Hasura-Admin-Secret", "x"),
				wantErr: errOf(wire.CodeAccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key")},
			{name: "no token",
				headers: hdr("X-Hasura-Role", "user"),
				wantErr: errOf(wire.CodeInvalidHeaders, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")},
			{name: "not a bearer token",
				headers: hdr("Authorization", "Basic dXNlcjpwYXNz"),
				wantErr: errOf(wire.CodeInvalidHeaders, "Malformed Authorization header")},
			{name: "bearer is case-sensitive",
				headers: hdr("Authorization", "bearer "+good),
				wantErr: errOf(wire.CodeInvalidHeaders, "Malformed Authorization header")},
			{name: "three words",
				headers: hdr("Authorization", "Bearer "+good+" x"),
				wantErr: errOf(wire.CodeInvalidHeaders, "Malformed Authorization header")},
			{name: "not a JWT",
				headers: bearer("abc"),
				wantErr: invalidJWT("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)")},
			{name: "wrong secret",
				headers: bearer(sign(t, jwt.SigningMethodHS256, k.other, "", claimsWith(userClaims(), nil))),
				wantErr: invalidJWT("JWSError JWSInvalidSignature")},
			{name: "tampered payload",
				headers: bearer(func() string {
					p := strings.Split(good, ".")
					other := strings.Split(hs(claimsWith(merge(userClaims(), "x-hasura-user-id", "2"), nil)), ".")
					return p[0] + "." + other[1] + "." + p[2]
				}()),
				wantErr: invalidJWT("JWSError JWSInvalidSignature")},
			{name: "other algorithm than the configured type",
				headers: bearer(sign(t, jwt.SigningMethodHS512, k.hs, "", claimsWith(userClaims(), nil))),
				wantErr: invalidJWT("JWSError JWSInvalidSignature")},
			{name: "RS256 token for an HS256 config",
				headers: bearer(sign(t, jwt.SigningMethodRS256, k.rsa, "", claimsWith(userClaims(), nil))),
				wantErr: invalidJWT("JWSError JWSInvalidSignature")},
			{name: "alg none",
				headers: bearer(sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claimsWith(userClaims(), nil))),
				wantErr: invalidJWT("JWSError JWSNoSignatures")},
			{name: "expired",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"exp": ts(-time.Minute)}))),
				wantErr: invalidJWT("JWTExpired")},
			{name: "not yet valid",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"nbf": ts(time.Minute)}))),
				wantErr: invalidJWT("JWTNotYetValid")},
			{name: "issued in the future",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"iat": ts(time.Minute)}))),
				wantErr: invalidJWT("JWTIssuedAtFuture")},
			{name: "exp not a number",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"exp": "tomorrow"}))),
				wantErr: invalidJWT(`JWTClaimsSetDecodeError "Error in $.exp: expected NumericDate, encountered String"`)},
			{name: "no exp: no expiry",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"exp": nil}))),
				wantRole: "user", wantVars: userVars},
			{name: "audience not checked without config",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"aud": "anything"}))),
				wantRole: "user", wantVars: userVars},
			{name: "issuer not checked without config",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"iss": "anyone"}))),
				wantRole: "user", wantVars: userVars},
			{name: "missing allowed roles",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-allowed-roles", nil), nil))),
				wantErr: errOf(wire.CodeJWTMissingRoleClaim, "JWT claim does not contain x-hasura-allowed-roles")},
			{name: "missing default role",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-default-role", nil), nil))),
				wantErr: errOf(wire.CodeJWTMissingRoleClaim, "JWT claim does not contain x-hasura-default-role")},
			{name: "allowed roles not a list",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-allowed-roles", "user"), nil))),
				wantErr: invalidClaims("invalid x-hasura-allowed-roles; should be a list of roles: parsing [] failed, expected Array, but encountered String")},
			{name: "allowed role not a string",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-allowed-roles", []any{"user", 3}), nil))),
				wantErr: invalidClaims("invalid x-hasura-allowed-roles; should be a list of roles: parsing String failed, expected String, but encountered Number")},
			{name: "default role not a string",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-default-role", 1), nil))),
				wantErr: invalidClaims("invalid x-hasura-default-role; should be a single role name: parsing String failed, expected String, but encountered Number")},
			{name: "default role empty",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-default-role", ""), nil))),
				wantErr: invalidClaims("invalid x-hasura-default-role; should be a single role name: empty string not allowed")},
			{name: "default role not in allowed roles",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-default-role", "boss"), nil))),
				wantErr: errOf(wire.CodeAccessDenied, "Your requested role is not in allowed roles")},
			{name: "number session variable is rejected, as Hasura",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-user-id", 1), nil))),
				wantErr: invalidClaims("x-hasura-* claims: parsing Text failed, expected String, but encountered Number")},
			{name: "array session variable is rejected",
				headers: bearer(hs(claimsWith(merge(userClaims(), "x-hasura-org-ids", []any{"1"}), nil))),
				wantErr: invalidClaims("x-hasura-* claims: parsing Text failed, expected String, but encountered Array")},
			{name: "claim names are case-insensitive; other claims are dropped",
				headers: bearer(hs(claimsWith(map[string]any{
					"X-Hasura-Allowed-Roles": []any{"user"}, "X-HASURA-DEFAULT-ROLE": "user",
					"X-Hasura-User-Id": "1", "X-Hasura-Org-Id": "acme", "name": 5, "hasura-x": []any{},
				}, nil))),
				wantRole: "user", wantVars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "1", "x-hasura-org-id": "acme"}},
			{name: "admin secret claim is not a session variable",
				headers:  bearer(hs(claimsWith(merge(userClaims(), "x-hasura-admin-secret", "s"), nil))),
				wantRole: "user", wantVars: userVars},
			{name: "x-hasura-role claim is replaced by the role",
				headers:  bearer(hs(claimsWith(merge(userClaims(), "x-hasura-role", "editor"), nil))),
				wantRole: "user", wantVars: userVars},
			{name: "no namespace",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{"hasura": userClaims()}))),
				wantErr: invalidClaims("claims key: 'https://hasura.io/jwt/claims' not found")},
			{name: "namespace not an object",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{defaultClaimsNamespace: "x"}))),
				wantErr: invalidClaims("expecting a json object when claims_format is json")},
		}},
		{name: "unauthorized role", cfg: with(), unauth: "anonymous", cases: []authCase{
			{name: "no token is the unauthorized role, headers are vars (as Hasura)",
				headers:  hdr("X-Hasura-Role", "user", "X-Hasura-User-Id", "3"),
				wantRole: "anonymous", wantVars: map[string]string{"x-hasura-role": "anonymous", "x-hasura-user-id": "3"}},
			{name: "a bad token is still an error",
				headers: bearer("abc"),
				wantErr: invalidJWT("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)")},
			{name: "a good token is used",
				headers:  bearer(good),
				wantRole: "user", wantVars: userVars},
		}},
		{name: "allowed_skew 60", cfg: with("allowed_skew", 60), cases: []authCase{
			{name: "expired 30s ago passes",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"exp": ts(-30 * time.Second)}))),
				wantRole: "user", wantVars: userVars},
			{name: "expired 2m ago fails",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"exp": ts(-2 * time.Minute)}))),
				wantErr: invalidJWT("JWTExpired")},
			{name: "nbf 30s ahead passes",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"nbf": ts(30 * time.Second), "iat": ts(30 * time.Second)}))),
				wantRole: "user", wantVars: userVars},
		}},
		{name: "allowed_skew 10", cfg: with("allowed_skew", 10), cases: []authCase{
			{name: "expired 30s ago fails",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"exp": ts(-30 * time.Second)}))),
				wantErr: invalidJWT("JWTExpired")},
		}},
		{name: "audience list", cfg: with("audience", []string{"app-a", "app-b"}), cases: []authCase{
			{name: "string aud in list",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"aud": "app-b"}))),
				wantRole: "user", wantVars: userVars},
			{name: "one of aud list in list",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"aud": []any{"other", "app-a"}}))),
				wantRole: "user", wantVars: userVars},
			{name: "aud not in list",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"aud": "app-c"}))),
				wantErr: invalidJWT("JWTNotInAudience")},
			{name: "no aud passes (jose checks aud only when present)",
				headers:  bearer(good),
				wantRole: "user", wantVars: userVars},
		}},
		{name: "audience string", cfg: with("audience", "app-a"), cases: []authCase{
			{name: "match",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"aud": []any{"app-a"}}))),
				wantRole: "user", wantVars: userVars},
			{name: "mismatch",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"aud": "app-b"}))),
				wantErr: invalidJWT("JWTNotInAudience")},
		}},
		{name: "issuer", cfg: with("issuer", "https://auth.example.com"), cases: []authCase{
			{name: "match",
				headers:  bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"iss": "https://auth.example.com"}))),
				wantRole: "user", wantVars: userVars},
			{name: "mismatch",
				headers: bearer(hs(claimsWith(userClaims(), jwt.MapClaims{"iss": "https://evil.example.com"}))),
				wantErr: invalidJWT("JWTNotInIssuer")},
			{name: "mismatch is found before the signature is checked",
				headers: bearer(sign(t, jwt.SigningMethodHS256, k.other, "", claimsWith(userClaims(), jwt.MapClaims{"iss": "x"}))),
				wantErr: invalidJWT("JWTNotInIssuer")},
			{name: "no iss passes (jose checks iss only when present)",
				headers:  bearer(good),
				wantRole: "user", wantVars: userVars},
		}},
		{name: "claims_namespace", cfg: with("claims_namespace", "hasura"), cases: []authCase{
			{name: "found",
				headers:  bearer(hs(claimsWith(nil, jwt.MapClaims{"hasura": userClaims()}))),
				wantRole: "user", wantVars: userVars},
			{name: "default namespace is not looked at",
				headers: bearer(good),
				wantErr: invalidClaims("claims key: 'hasura' not found")},
		}},
		{name: "claims_namespace_path", cfg: with("claims_namespace_path", "$.app.hasura"), cases: []authCase{
			{name: "found",
				headers:  bearer(hs(claimsWith(nil, jwt.MapClaims{"app": map[string]any{"hasura": userClaims()}}))),
				wantRole: "user", wantVars: userVars},
			{name: "not found",
				headers: bearer(good),
				wantErr: invalidClaims("claims not found at claims_namespace_path: '$.app.hasura'")},
		}},
		{name: "claims_namespace_path root", cfg: with("claims_namespace_path", "$"), cases: []authCase{
			{name: "claims at the top level",
				headers:  bearer(hs(claimsWith(nil, jwt.MapClaims(userClaims())))),
				wantRole: "user", wantVars: userVars},
		}},
		{name: "stringified_json", cfg: with("claims_format", "stringified_json"), cases: []authCase{
			{name: "string holding the claims",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{defaultClaimsNamespace: func() string {
					b, _ := json.Marshal(userClaims())
					return string(b)
				}()}))),
				wantRole: "user", wantVars: userVars},
			{name: "an object is not a string",
				headers: bearer(good),
				wantErr: invalidClaims("expecting a string when claims_format is stringified_json")},
			{name: "not JSON",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{defaultClaimsNamespace: "{bad"}))),
				wantErr: invalidClaims("expecting stringified json at: 'claims_namespace https://hasura.io/jwt/claims', but found: {bad")},
		}},
		{name: "stringified_json with a path", cfg: with("claims_format", "stringified_json", "claims_namespace_path", "$.h"), cases: []authCase{
			{name: "not JSON",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{"h": "[1]"}))),
				wantErr: invalidClaims("expecting stringified json at: 'claims_namespace_path $.h', but found: [1]")},
		}},
		{name: "claims_map", cfg: with("claims_map", map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.user.roles"},
			"x-hasura-default-role":  map[string]any{"path": "$.user.roles[0]", "default": "user"},
			"x-hasura-user-id":       map[string]any{"path": "$.sub"},
			"x-hasura-org-id":        "acme",
			"X-Hasura-Team-Id":       map[string]any{"path": `$.user["team-id"]`, "default": "none"},
		}, "claims_namespace", "ignored-with-claims-map"), cases: []authCase{
			{name: "paths, literal and default",
				headers:  bearer(hs(claimsWith(nil, jwt.MapClaims{"sub": "u1", "user": map[string]any{"roles": []any{"editor", "user"}}}))),
				wantRole: "editor", wantVars: map[string]string{"x-hasura-role": "editor", "x-hasura-user-id": "u1", "x-hasura-org-id": "acme", "x-hasura-team-id": "none"}},
			{name: "default role from its default, not in the empty allowed roles",
				headers: hdr("Authorization", "Bearer "+hs(claimsWith(nil, jwt.MapClaims{"sub": "u1", "user": map[string]any{"roles": []any{}, "team-id": "t9"}}))),
				wantErr: errOf(wire.CodeAccessDenied, "Your requested role is not in allowed roles")},
			{name: "requested role",
				headers:  hdr("Authorization", "Bearer "+hs(claimsWith(nil, jwt.MapClaims{"sub": "u1", "user": map[string]any{"roles": []any{"user", "editor"}, "team-id": "t9"}})), "X-Hasura-Role", "editor"),
				wantRole: "editor", wantVars: map[string]string{"x-hasura-role": "editor", "x-hasura-user-id": "u1", "x-hasura-org-id": "acme", "x-hasura-team-id": "t9"}},
			{name: "missing path without default",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{"sub": nil, "user": map[string]any{"roles": []any{"user"}}}))),
				wantErr: invalidClaims("JWT claim from claims_map, x-hasura-user-id not found")},
			{name: "missing allowed roles",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{"user": map[string]any{}}))),
				wantErr: errOf(wire.CodeJWTMissingRoleClaim, "JWT claim does not contain x-hasura-allowed-roles")},
			{name: "path value not a string",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{"sub": 12.0, "user": map[string]any{"roles": []any{"user"}}}))),
				wantErr: invalidClaims("x-hasura-* claims: parsing Text failed, expected String, but encountered Number")},
		}},
		{name: "claims_map defaults", cfg: with("claims_map", map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles", "default": []string{"user", "viewer"}},
			"x-hasura-default-role":  map[string]any{"path": "$.role", "default": "viewer"},
		}), cases: []authCase{
			{name: "both defaults",
				headers:  bearer(hs(claimsWith(nil, nil))),
				wantRole: "viewer", wantVars: map[string]string{"x-hasura-role": "viewer"}},
			{name: "paths win over defaults",
				headers:  bearer(hs(claimsWith(nil, jwt.MapClaims{"roles": []any{"admin"}, "role": "admin"}))),
				wantRole: "admin", wantVars: map[string]string{"x-hasura-role": "admin"}},
			{name: "default role path not a string",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{"role": true}))),
				wantErr: invalidClaims("invalid x-hasura-default-role; should be a role: parsing String failed, expected String, but encountered Boolean")},
			{name: "allowed roles path not a list",
				headers: bearer(hs(claimsWith(nil, jwt.MapClaims{"roles": map[string]any{}}))),
				wantErr: invalidClaims("invalid x-hasura-allowed-roles; should be a list of roles: parsing [] failed, expected Array, but encountered Object")},
		}},
		{name: "claims_map literals", cfg: with("claims_map", map[string]any{
			"x-hasura-allowed-roles": []string{"viewer"},
			"x-hasura-default-role":  "viewer",
		}), cases: []authCase{
			{name: "literal roles",
				headers:  bearer(hs(claimsWith(nil, nil))),
				wantRole: "viewer", wantVars: map[string]string{"x-hasura-role": "viewer"}},
		}},
		{name: "cookie", cfg: with("header", map[string]any{"type": "Cookie", "name": "tok"}), cases: []authCase{
			{name: "token from the cookie",
				headers:  hdr("Cookie", "a=b; tok="+good+"; c=d"),
				wantRole: "user", wantVars: userVars},
			{name: "authorization header is not looked at",
				headers: bearer(good),
				wantErr: errOf(wire.CodeInvalidHeaders, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")},
			{name: "other cookie",
				headers: hdr("Cookie", "session="+good),
				wantErr: errOf(wire.CodeInvalidHeaders, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")},
			{name: "bad token in the cookie",
				headers: hdr("Cookie", "tok=a.b"),
				wantErr: invalidJWT("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 2)")},
		}},
		{name: "custom header", cfg: with("header", map[string]any{"type": "CustomHeader", "name": "x-auth-token"}), cases: []authCase{
			{name: "raw token in the header",
				headers:  hdr("X-Auth-Token", good),
				wantRole: "user", wantVars: userVars},
			{name: "authorization header is not looked at",
				headers: bearer(good),
				wantErr: errOf(wire.CodeInvalidHeaders, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")},
		}},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			a := newTestAuth(t, Config{AdminSecret: "s", JWTSecret: g.cfg, UnauthorizedRole: g.unauth})
			runAuthCases(t, a, g.cases)
		})
	}
}

func TestJWTMultipleSecrets(t *testing.T) {
	k := testKeys()
	cfgs, _ := json.Marshal([]map[string]any{
		{"type": "HS256", "key": string(k.hs), "issuer": "issuer-a"},
		{"type": "RS256", "key": pkixPEM(t, &k.rsa.PublicKey), "issuer": "issuer-b"},
		{"type": "ES256", "key": pkixPEM(t, &k.ec.PublicKey), "header": map[string]any{"type": "Cookie", "name": "c"}},
	})
	a := newTestAuth(t, Config{AdminSecret: "s", JWTSecrets: string(cfgs)})
	tokA := sign(t, jwt.SigningMethodHS256, k.hs, "", claimsWith(userClaims(), jwt.MapClaims{"iss": "issuer-a"}))
	tokB := sign(t, jwt.SigningMethodRS256, k.rsa, "", claimsWith(userClaims(), jwt.MapClaims{"iss": "issuer-b"}))
	tokC := sign(t, jwt.SigningMethodES256, k.ec, "", claimsWith(userClaims(), nil))
	runAuthCases(t, a, []authCase{
		{name: "issuer a", headers: bearer(tokA), wantRole: "user", wantVars: userVars},
		{name: "issuer b", headers: bearer(tokB), wantRole: "user", wantVars: userVars},
		{name: "cookie config", headers: hdr("Cookie", "c="+tokC), wantRole: "user", wantVars: userVars},
		{name: "unknown issuer",
			headers: bearer(sign(t, jwt.SigningMethodHS256, k.hs, "", claimsWith(userClaims(), jwt.MapClaims{"iss": "issuer-c"}))),
			wantErr: errOf(wire.CodeInvalidJWT, "Could not verify JWT: JWTNotInIssuer")},
		{name: "b's issuer with a's key",
			headers: bearer(sign(t, jwt.SigningMethodHS256, k.hs, "", claimsWith(userClaims(), jwt.MapClaims{"iss": "issuer-b"}))),
			wantErr: errOf(wire.CodeInvalidJWT, "Could not verify JWT: JWSError JWSInvalidSignature")},
		{name: "no issuer matches both",
			headers: bearer(sign(t, jwt.SigningMethodHS256, k.hs, "", claimsWith(userClaims(), nil))),
			wantErr: errOf(wire.CodeInvalidHeaders, "Could not verify JWT: Multiple JWTs found")},
		{name: "a token in two places",
			headers: hdr("Authorization", "Bearer "+tokA, "Cookie", "c="+tokC),
			wantErr: errOf(wire.CodeInvalidHeaders, "Could not verify JWT: Multiple JWTs found")},
	})

	// HASURA_GRAPHQL_JWT_SECRET and _SECRETS add up.
	one, _ := json.Marshal(map[string]any{"type": "HS256", "key": string(k.other)})
	a = newTestAuth(t, Config{AdminSecret: "s", JWTSecret: string(one), JWTSecrets: string(cfgs)})
	tok := sign(t, jwt.SigningMethodHS256, k.other, "", claimsWith(userClaims(), jwt.MapClaims{"iss": "issuer-b"}))
	runAuthCases(t, a, []authCase{
		// The single secret has no issuer, so it matches alongside issuer-b's config.
		{name: "both match", headers: bearer(tok), wantErr: errOf(wire.CodeInvalidHeaders, "Could not verify JWT: Multiple JWTs found")},
		{name: "cookie", headers: hdr("Cookie", "c="+tokC), wantRole: "user", wantVars: userVars},
	})
}

// jwksServer serves a key set that tests can replace, with optional
// response headers, counting fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	headers http.Header
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		for k, v := range s.headers {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

type testJWK struct {
	key any // public key
	kid string
	alg jwkset.ALG
}

func (s *jwksServer) set(t *testing.T, h http.Header, keys ...testJWK) {
	t.Helper()
	var set jwkset.JWKSMarshal
	for _, k := range keys {
		j, err := jwkset.NewJWKFromKey(k.key, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: k.alg}})
		if err != nil {
			t.Fatal(err)
		}
		set.Keys = append(set.Keys, j.Marshal())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.body, s.headers = b, h
	s.mu.Unlock()
}

func TestJWTJWKURL(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t)
	srv.set(t, nil,
		testJWK{&k.rsa.PublicKey, "rsa-1", jwkset.AlgRS256},
		testJWK{&k.ec.PublicKey, "ec-1", jwkset.AlgES256},
		testJWK{k.ed.Public(), "ed-1", ""}, // jwkset sets alg EdDSA
		testJWK{&k.rsa2.PublicKey, "rsa-noalg", ""})
	a := newTestAuth(t, Config{AdminSecret: "s", JWTSecret: jsonCfg(map[string]any{"jwk_url": srv.URL, "type": "ignored"})})
	claims := claimsWith(userClaims(), nil)
	noUsable := errOf(wire.CodeInvalidJWT, "Could not verify JWT: JWSError NoUsableKeys")
	badSig := errOf(wire.CodeInvalidJWT, "Could not verify JWT: JWSError JWSInvalidSignature")
	runAuthCases(t, a, []authCase{
		{name: "RS256 by kid", headers: bearer(sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claims)), wantRole: "user", wantVars: userVars},
		{name: "ES256 by kid", headers: bearer(sign(t, jwt.SigningMethodES256, k.ec, "ec-1", claims)), wantRole: "user", wantVars: userVars},
		{name: "EdDSA by kid", headers: bearer(sign(t, jwt.SigningMethodEdDSA, k.ed, "ed-1", claims)), wantRole: "user", wantVars: userVars},
		{name: "no kid: every key is tried", headers: bearer(sign(t, jwt.SigningMethodES256, k.ec, "", claims)), wantRole: "user", wantVars: userVars},
		{name: "wrong key for the kid", headers: bearer(sign(t, jwt.SigningMethodRS256, k.rsa2, "rsa-1", claims)), wantErr: badSig},
		{name: "alg differs from the JWK's alg", headers: bearer(sign(t, jwt.SigningMethodRS512, k.rsa, "rsa-1", claims)), wantErr: noUsable},
		{name: "HS256 signed with an RSA public key's bytes: no alg confusion",
			headers: bearer(sign(t, jwt.SigningMethodHS256, []byte(pkixPEM(t, &k.rsa2.PublicKey)), "rsa-noalg", claims)), wantErr: badSig},
		{name: "HS256 against an EdDSA JWK",
			headers: bearer(sign(t, jwt.SigningMethodHS256, []byte(pkixPEM(t, k.ed.Public())), "ed-1", claims)), wantErr: noUsable},
		{name: "RS256 by a JWK without alg", headers: bearer(sign(t, jwt.SigningMethodRS256, k.rsa2, "rsa-noalg", claims)), wantRole: "user", wantVars: userVars},
	})
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fetches = %d, want 1 (only at start-up)", n)
	}

	// Rotation: a token with an unknown kid refetches the set once.
	srv.set(t, nil, testJWK{&k.rsa2.PublicKey, "rsa-2", jwkset.AlgRS256})
	runAuthCases(t, a, []authCase{
		{name: "new kid after rotation", headers: bearer(sign(t, jwt.SigningMethodRS256, k.rsa2, "rsa-2", claims)), wantRole: "user", wantVars: userVars},
	})
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	// The old keys are gone, and unknown kids do not refetch again soon.
	runAuthCases(t, a, []authCase{
		{name: "old kid after rotation", headers: bearer(sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claims)), wantErr: noUsable},
		{name: "random kid", headers: bearer(sign(t, jwt.SigningMethodRS256, k.rsa, "nope", claims)), wantErr: noUsable},
		{name: "still fine", headers: bearer(sign(t, jwt.SigningMethodRS256, k.rsa2, "rsa-2", claims)), wantRole: "user", wantVars: userVars},
	})
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2 (unknown kids are rate-limited)", n)
	}
}

func TestJWTJWKURLCacheControlRefresh(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t)
	srv.set(t, http.Header{"Cache-Control": {"max-age=1"}}, testJWK{&k.rsa.PublicKey, "rsa-1", jwkset.AlgRS256})
	a := newTestAuth(t, Config{AdminSecret: "s", JWTSecret: jsonCfg(map[string]any{"jwk_url": srv.URL})})
	// Unknown kids may not refetch in this test: only the timer may.
	a.jwts[0].jwks.unknownKIDInterval = time.Hour
	a.jwts[0].jwks.lastUnknown = time.Now()

	srv.set(t, http.Header{"Cache-Control": {"max-age=1"}}, testJWK{&k.rsa2.PublicKey, "rsa-2", jwkset.AlgRS256})
	tok := sign(t, jwt.SigningMethodRS256, k.rsa2, "rsa-2", claimsWith(userClaims(), nil))
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := a.Authenticate(context.Background(), bearer(tok))
		if err == nil {
			checkAuth(t, authCase{wantRole: "user", wantVars: userVars}, s, err)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key set not refreshed after max-age=1: %q (fetches %d)", err.Error(), srv.fetches.Load())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestJWTJWKSTTL(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"nothing", http.Header{}, jwksDefaultRefresh},
		{"max-age", http.Header{"Cache-Control": {"public, max-age=300"}}, 300 * time.Second},
		{"s-maxage", http.Header{"Cache-Control": {"s-maxage=60"}}, 60 * time.Second},
		{"max-age=0 floors to the minimum", http.Header{"Cache-Control": {"max-age=0"}}, jwksMinRefresh},
		{"no-cache", http.Header{"Cache-Control": {"no-cache"}}, jwksMinRefresh},
		{"no-store beats Expires", http.Header{"Cache-Control": {"no-store"}, "Expires": {now.Add(time.Hour).Format(http.TimeFormat)}}, jwksMinRefresh},
		{"must-revalidate with max-age", http.Header{"Cache-Control": {"must-revalidate, max-age=120"}}, 120 * time.Second},
		{"must-revalidate alone", http.Header{"Cache-Control": {"must-revalidate"}}, jwksMinRefresh},
		{"unrelated Cache-Control falls back to Expires", http.Header{"Cache-Control": {"public"}, "Expires": {now.Add(10 * time.Minute).Format(http.TimeFormat)}}, 10 * time.Minute},
		{"Expires", http.Header{"Expires": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{"Expires in the past", http.Header{"Expires": {now.Add(-time.Hour).Format(http.TimeFormat)}}, jwksMinRefresh},
		{"bad Expires", http.Header{"Expires": {"soon"}}, jwksDefaultRefresh},
	}
	for _, c := range cases {
		if got := jwksTTL(c.h, now); got != c.want {
			t.Errorf("%s: jwksTTL = %v, want %v", c.name, got, c.want)
		}
	}
}

func BenchmarkAuthJWTHS256(b *testing.B) {
	k := testKeys()
	a := newTestAuth(b, Config{AdminSecret: "s", JWTSecret: jsonCfg(map[string]any{"type": "HS256", "key": string(k.hs)})})
	h := bearer(sign(b, jwt.SigningMethodHS256, k.hs, "", claimsWith(userClaims(), nil)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(context.Background(), h); err != nil {
			b.Fatal(err)
		}
	}
}
