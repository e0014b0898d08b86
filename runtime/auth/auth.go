package auth

// Authentication: request headers → Session, as Hasura GraphQL Engine v2
// does it (server/src-lib/Hasura/Server/Auth.hs getUserInfoWithExpTime_,
// Hasura/Authentication/User.hs mkUserInfo). The HTTP and websocket
// transports call Authenticate; JWT verification lives in jwt.go.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Config is the server's authentication settings, named after the
// Hasura environment variables they come from.
type Config struct {
	// AdminSecret is HASURA_GRAPHQL_ADMIN_SECRET. Empty means no admin
	// secret: every request is trusted ("open mode"), and neither JWT nor
	// UnauthorizedRole may be set.
	AdminSecret string
	// JWTSecret is HASURA_GRAPHQL_JWT_SECRET, the raw JSON object.
	JWTSecret string
	// JWTSecrets is HASURA_GRAPHQL_JWT_SECRETS, a JSON array of such
	// objects. It adds to JWTSecret; a request may carry a token for any of
	// them (matched by location and issuer).
	JWTSecrets string
	// UnauthorizedRole is HASURA_GRAPHQL_UNAUTHORIZED_ROLE: the role of
	// requests that send neither the admin secret nor a JWT.
	UnauthorizedRole string
	// AuthHook is HASURA_GRAPHQL_AUTH_HOOK: the URL of the webhook that
	// authenticates requests without the admin secret (webhook.go), and
	// AuthHookMode (HASURA_GRAPHQL_AUTH_HOOK_MODE) GET (default) or POST.
	AuthHook     string
	AuthHookMode string
	// Logs receives the webhook's webhook-log lines; nil writes none.
	// Not read from the environment.
	Logs *logs.Logger
}

// Authenticator turns request headers into a Session. It is immutable
// after New (JWK sets from a jwk_url are refreshed behind it)
// and safe for concurrent use.
type Authenticator struct {
	hasAdminSecret bool
	// adminSecretSum is the SHA-256 of the admin secret: comparing hashes
	// takes the same time whatever the secret, as in Hasura (SHA-256, not
	// SHA-512: a seventh of the time per request with the CPU's SHA
	// instructions).
	adminSecretSum [sha256.Size]byte
	unauthRole     string
	jwts           []*jwtVerifier
	hook           *webhook
	now            func() time.Time
}

// New checks cfg and returns an Authenticator for it.
//
// It fails, naming the setting and the problem, when a JWT config is not
// valid (bad JSON, unsupported type, unreadable key, key and jwk_url both
// or neither set, bad JSON path, ...), when a jwk_url cannot be fetched
// or parsed, or when a JWT secret or an unauthorized role is set without
// an admin secret (Hasura refuses to start then too).
//
// ctx bounds the goroutines that refresh jwk_url key sets: cancel it when
// the server stops. Nothing else is started.
func New(ctx context.Context, cfg Config) (*Authenticator, error) {
	hasJWT := cfg.JWTSecret != "" || cfg.JWTSecrets != ""
	if cfg.AdminSecret == "" {
		if hasJWT {
			return nil, errors.New("HASURA_GRAPHQL_JWT_SECRET requires HASURA_GRAPHQL_ADMIN_SECRET to be set")
		}
		if cfg.UnauthorizedRole != "" {
			return nil, errors.New("HASURA_GRAPHQL_UNAUTHORIZED_ROLE requires HASURA_GRAPHQL_ADMIN_SECRET to be set")
		}
	}
	if cfg.AuthHook != "" {
		switch {
		case cfg.AdminSecret == "":
			return nil, errors.New("HASURA_GRAPHQL_AUTH_HOOK requires HASURA_GRAPHQL_ADMIN_SECRET to be set")
		case hasJWT:
			return nil, errors.New("HASURA_GRAPHQL_AUTH_HOOK and HASURA_GRAPHQL_JWT_SECRET cannot both be set")
		case cfg.UnauthorizedRole != "":
			return nil, errors.New("HASURA_GRAPHQL_UNAUTHORIZED_ROLE is not allowed when HASURA_GRAPHQL_AUTH_HOOK is set")
		}
	}
	a := &Authenticator{unauthRole: cfg.UnauthorizedRole, now: time.Now}
	if cfg.AuthHook != "" {
		hook, err := newWebhook(cfg.AuthHook, cfg.AuthHookMode)
		if err != nil {
			return nil, err
		}
		hook.logs = cfg.Logs
		a.hook = hook
	}
	if cfg.AdminSecret != "" {
		a.hasAdminSecret = true
		a.adminSecretSum = sha256.Sum256([]byte(cfg.AdminSecret))
	}
	if cfg.JWTSecret != "" {
		v, err := parseJWTConfig(ctx, "HASURA_GRAPHQL_JWT_SECRET", []byte(cfg.JWTSecret))
		if err != nil {
			return nil, err
		}
		a.jwts = append(a.jwts, v)
	}
	if cfg.JWTSecrets != "" {
		var list []json.RawMessage
		if err := json.Unmarshal([]byte(cfg.JWTSecrets), &list); err != nil {
			return nil, fmt.Errorf("HASURA_GRAPHQL_JWT_SECRETS: expected a JSON array of JWT configs: %v", err)
		}
		for i, raw := range list {
			v, err := parseJWTConfig(ctx, fmt.Sprintf("HASURA_GRAPHQL_JWT_SECRETS[%d]", i), raw)
			if err != nil {
				return nil, err
			}
			a.jwts = append(a.jwts, v)
		}
	}
	return a, nil
}

// Header and session variable names Hasura gives meaning to.
const (
	sessionVarPrefix        = "x-hasura-"
	varRole                 = "x-hasura-role"
	varAdminSecret          = "x-hasura-admin-secret"
	varAccessKey            = "x-hasura-access-key"
	varBackendOnly          = "x-hasura-use-backend-only-permissions"
	headerRole              = "X-Hasura-Role"
	headerAdminSecret       = "X-Hasura-Admin-Secret"
	headerAccessKey         = "X-Hasura-Access-Key"
	headerAuthorization     = "Authorization"
	headerCookie            = "Cookie"
	msgInvalidAdminSecret   = "invalid x-hasura-admin-secret/x-hasura-access-key"
	msgAdminSecretRequired  = "x-hasura-admin-secret/x-hasura-access-key required, but not found"
	msgMissingJWT           = "Missing 'Authorization' or 'Cookie' header in JWT authentication mode"
	msgRoleNotAllowed       = "Your requested role is not in allowed roles"
	msgMalformedAuthzHeader = "Malformed Authorization header"
)

// Authenticate returns the session of a request from its headers, or the
// Hasura error that rejects it. h must have canonical keys, as net/http
// and Header.Set/Add make them; the websocket transport converts the
// connection_init payload's headers that way. Authenticate does not modify
// h, and is safe to call concurrently. It blocks only to refetch a
// jwk_url key set when a token names an unknown key id.
//
// In order, as Hasura:
//   - No admin secret configured: trusted. The role is X-Hasura-Role or
//     admin; the session variables are the X-Hasura-* headers.
//   - X-Hasura-Admin-Secret (or the deprecated X-Hasura-Access-Key) sent:
//     if wrong, access-denied "invalid x-hasura-admin-secret/x-hasura-access-key";
//     if right, as trusted above, with AdminSecret set. The secret wins
//     over any JWT.
//   - Webhook configured: the webhook's answer (webhook.go).
//   - JWT configured: the token from the configured header or cookie is
//     verified and the role and session variables come from its claims
//     only (errors: invalid-jwt, jwt-invalid-claims,
//     jwt-missing-role-claims, invalid-headers, access-denied). Without a
//     token: the unauthorized role, else invalid-headers "Missing
//     'Authorization' or 'Cookie' header in JWT authentication mode".
//   - Otherwise: the unauthorized role, else access-denied
//     "x-hasura-admin-secret/x-hasura-access-key required, but not found".
//
// Session variables are keyed by lower-case name and always include
// x-hasura-role (the session's role); the admin secret headers are never
// session variables. As in Hasura, the unauthorized role also gets the
// request's X-Hasura-* headers as session variables. BackendOnly is set by
// x-hasura-use-backend-only-permissions (true/t/yes/y, false/f/no/n, any
// case; else bad-request) and only counts with the admin secret or in open
// mode.
func (a *Authenticator) Authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	if !a.hasAdminSecret {
		return trustedSession(h, false)
	}
	if secret, sent := adminSecretHeader(h); sent {
		sum := sha256.Sum256([]byte(secret))
		if subtle.ConstantTimeCompare(sum[:], a.adminSecretSum[:]) != 1 {
			return nil, wire.NewError(wire.CodeAccessDenied, msgInvalidAdminSecret)
		}
		return trustedSession(h, true)
	}
	if a.hook != nil {
		return a.hook.session(ctx, h)
	}
	if len(a.jwts) > 0 {
		return a.jwtSession(ctx, h)
	}
	if a.unauthRole != "" {
		return a.unauthorizedSession(h), nil
	}
	return nil, wire.NewError(wire.CodeAccessDenied, msgAdminSecretRequired)
}

// adminSecretHeader returns the admin secret a request sent. As Hasura,
// X-Hasura-Admin-Secret takes precedence over X-Hasura-Access-Key, and an
// empty value counts as sent (and wrong).
func adminSecretHeader(h http.Header) (string, bool) {
	if vs := h[headerAdminSecret]; len(vs) > 0 {
		return vs[len(vs)-1], true
	}
	if vs := h[headerAccessKey]; len(vs) > 0 {
		return vs[len(vs)-1], true
	}
	return "", false
}

// trustedSession is the session of a request that sent the right admin
// secret, or of any request in open mode: role from X-Hasura-Role
// (default admin), variables from the headers.
func trustedSession(h http.Header, adminSecret bool) (*session.Session, error) {
	vars := headerVars(h)
	role := vars[varRole]
	if role == "" {
		role = session.AdminRole
	}
	vars[varRole] = role
	backendOnly, err := backendOnlyFlag(vars)
	if err != nil {
		return nil, err
	}
	return &session.Session{Role: role, Vars: vars, AdminSecret: adminSecret, BackendOnly: backendOnly}, nil
}

func (a *Authenticator) unauthorizedSession(h http.Header) *session.Session {
	vars := headerVars(h)
	vars[varRole] = a.unauthRole
	return &session.Session{Role: a.unauthRole, Vars: vars}
}

// headerVars collects the X-Hasura-* headers, minus the admin secret, by
// lower-case name. With repeated headers the last value wins, as in
// Hasura's session variable map.
func headerVars(h http.Header) map[string]string {
	vars := make(map[string]string, 4)
	for k, vs := range h {
		if len(vs) == 0 || !hasPrefixFold(k, sessionVarPrefix) {
			continue
		}
		lk := lowerHeaderName(k)
		if lk == varAdminSecret || lk == varAccessKey {
			continue
		}
		vars[lk] = vs[len(vs)-1]
	}
	return vars
}

// lowerHeaderName lower-cases a header name, without allocating for the
// common canonical ones.
func lowerHeaderName(k string) string {
	switch k {
	case headerRole:
		return varRole
	case "X-Hasura-User-Id":
		return "x-hasura-user-id"
	case "X-Hasura-Org-Id":
		return "x-hasura-org-id"
	case "X-Hasura-Use-Backend-Only-Permissions":
		return varBackendOnly
	case headerAdminSecret:
		return varAdminSecret
	case headerAccessKey:
		return varAccessKey
	}
	return session.VarName(k)
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case;
// prefix must be lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// backendOnlyFlag reads x-hasura-use-backend-only-permissions (Hasura's
// parseStringAsBool, message included).
func backendOnlyFlag(vars map[string]string) (bool, error) {
	v, ok := vars[varBackendOnly]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "true", "t", "yes", "y":
		return true, nil
	case "false", "f", "no", "n":
		return false, nil
	}
	return false, wire.NewError(wire.CodeBadRequest, varBackendOnly+`:  Not a valid boolean text. True values are ["true","t","yes","y"] and  False values are ["false","f","no","n"]. All values are case insensitive`)
}

// jwtSession authenticates a request in JWT mode (Hasura's processJwt_):
// find the tokens in the configured locations, keep those whose unverified
// issuer fits their config, and verify the one that is left.
func (a *Authenticator) jwtSession(ctx context.Context, h http.Header) (*session.Session, error) {
	var (
		chosen              *jwtVerifier
		token               string
		matches, mismatches int
	)
	for _, v := range a.jwts {
		if err := eachToken(h, v, func(raw string) {
			if v.hasIssuer {
				if iss, ok := tokenIssuer(raw); ok && iss != v.issuer {
					mismatches++
					return
				}
			}
			matches++
			chosen, token = v, raw
		}); err != nil {
			return nil, err
		}
	}
	switch {
	case matches == 0 && mismatches == 0:
		if a.unauthRole != "" {
			return a.unauthorizedSession(h), nil
		}
		return nil, wire.NewError(wire.CodeInvalidHeaders, msgMissingJWT)
	case matches == 0:
		return nil, jwtError("JWTNotInIssuer")
	case matches > 1:
		return nil, wire.NewError(wire.CodeInvalidHeaders, "Could not verify JWT: Multiple JWTs found")
	}

	claims, exp, err := chosen.verify(ctx, token, a.now())
	if err != nil {
		return nil, err
	}
	hc, err := chosen.hasuraClaims(claims)
	if err != nil {
		return nil, err
	}
	allowed, role, err := roleClaims(hc)
	if err != nil {
		return nil, err
	}
	if r := h.Get(headerRole); r != "" {
		role = r
	}
	if !contains(allowed, role) {
		return nil, wire.NewError(wire.CodeAccessDenied, msgRoleNotAllowed)
	}
	vars := make(map[string]string, len(hc))
	var bad []string
	for k, v := range hc {
		switch k {
		case claimAllowedRoles, claimDefaultRole, varAdminSecret, varAccessKey:
			continue
		}
		s, ok := v.(string)
		if !ok {
			bad = append(bad, k)
			continue
		}
		vars[k] = s
	}
	if len(bad) > 0 {
		// Hasura reads the claims as a map of strings; aeson names no key.
		sort.Strings(bad)
		return nil, wire.NewError(wire.CodeJWTInvalidClaims, "x-hasura-* claims: parsing Text failed, expected String, but encountered "+jsonKind(hc[bad[0]]))
	}
	vars[varRole] = role
	return &session.Session{Role: role, Vars: vars, Expires: exp}, nil
}

// eachToken calls f with each token h carries where v expects one. A
// malformed Authorization header is an error, as in Hasura.
func eachToken(h http.Header, v *jwtVerifier, f func(raw string)) error {
	switch v.location {
	case locAuthorization:
		for _, val := range h[headerAuthorization] {
			raw, ok := bearerToken(val)
			if !ok {
				return wire.NewError(wire.CodeInvalidHeaders, msgMalformedAuthzHeader)
			}
			f(raw)
		}
	case locCookie:
		for _, val := range h[headerCookie] {
			for val != "" {
				var pair string
				pair, val, _ = strings.Cut(val, ";")
				name, value, _ := strings.Cut(pair, "=")
				if strings.TrimSpace(name) == v.name {
					f(strings.TrimSpace(value))
				}
			}
		}
	case locCustomHeader:
		for _, val := range h[v.name] {
			f(val)
		}
	}
	return nil
}

// bearerToken splits "Bearer <jwt>": exactly two whitespace-separated
// words, the first "Bearer" (case-sensitive, as Hasura).
func bearerToken(val string) (string, bool) {
	const ws = " \t\r\n\v\f"
	s := strings.Trim(val, ws)
	i := strings.IndexAny(s, ws)
	if i < 0 || s[:i] != "Bearer" {
		return "", false
	}
	tok := strings.TrimLeft(s[i:], ws)
	if tok == "" || strings.ContainsAny(tok, ws) {
		return "", false
	}
	return tok, true
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
