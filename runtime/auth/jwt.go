//lint:file-ignore ST1005 the JWT and JWK error messages are Hasura's, verbatim: clients and tests match them.

package auth

// JWT mode: the parsed HASURA_GRAPHQL_JWT_SECRET, token verification and
// the extraction of Hasura's claims. auth.go decides when a token is needed
// and turns the claims into a Session; this file only answers "is this
// token good, and which x-hasura-* claims does it carry".
//
// Behaviour follows graphql-engine's server/src-lib/Hasura/Server/Auth/JWT.hs
// (processJwt_, parseClaimsMap, parseHasuraClaims) and the jose library it
// uses (validateClaimsSet); error messages are Hasura's, byte for byte where
// Hasura's are known (see the tests).

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/hasgen/hasgen/runtime/wire"
)

// Names of the mandatory role claims.
const (
	claimAllowedRoles = "x-hasura-allowed-roles"
	claimDefaultRole  = "x-hasura-default-role"
)

// defaultClaimsNamespace is where Hasura looks for its claims by default.
const defaultClaimsNamespace = "https://hasura.io/jwt/claims"

// tokenLocation is where a JWT config expects its token.
type tokenLocation uint8

const (
	locAuthorization tokenLocation = iota // Authorization: Bearer <jwt>
	locCookie                             // Cookie: <name>=<jwt>
	locCustomHeader                       // <name>: <jwt>
)

// jwtVerifier is one parsed JWT config. It is immutable after
// parseJWTConfig, apart from the key set behind jwks, and safe for
// concurrent use.
type jwtVerifier struct {
	location tokenLocation
	// name is the cookie name, or the canonical custom header name.
	name string

	parser *jwt.Parser
	// staticKey is the key from "key"; nil when jwks is set.
	staticKey any
	jwks      *jwkSource

	audience  []string // nil: not checked
	issuer    string
	hasIssuer bool
	skew      time.Duration

	// Claims location: a claims_map, or a namespace (key or JSON path)
	// holding an object or a stringified object.
	claimsMap   *claimsMap
	nsKey       string
	nsPath      wire.Path
	nsIsPath    bool
	stringified bool
}

// rawJWTConfig is HASURA_GRAPHQL_JWT_SECRET as JSON. Unknown keys are
// ignored, as Hasura (aeson) does.
type rawJWTConfig struct {
	Type                *string          `json:"type"`
	Key                 *string          `json:"key"`
	JWKURL              *string          `json:"jwk_url"`
	ClaimsNamespace     *string          `json:"claims_namespace"`
	ClaimsNamespacePath *string          `json:"claims_namespace_path"`
	ClaimsFormat        *string          `json:"claims_format"`
	ClaimsMap           *json.RawMessage `json:"claims_map"`
	Audience            *json.RawMessage `json:"audience"`
	Issuer              *string          `json:"issuer"`
	AllowedSkew         *float64         `json:"allowed_skew"`
	Header              *struct {
		Type *string `json:"type"`
		Name *string `json:"name"`
	} `json:"header"`
}

// parseJWTConfig parses and checks one JWT config; source names it in
// errors ("HASURA_GRAPHQL_JWT_SECRETS[1]"). With a jwk_url it
// fetches the key set once (an error if that fails) and starts a goroutine
// that refreshes it until ctx is done.
func parseJWTConfig(ctx context.Context, source string, raw []byte) (*jwtVerifier, error) {
	fail := func(format string, args ...any) (*jwtVerifier, error) {
		return nil, fmt.Errorf("%s: %s", source, fmt.Sprintf(format, args...))
	}
	var rc rawJWTConfig
	if err := json.Unmarshal(raw, &rc); err != nil {
		return fail("invalid JWT config JSON: %v", err)
	}
	v := &jwtVerifier{}

	// Claims location.
	switch {
	case rc.ClaimsNamespace != nil && rc.ClaimsNamespacePath != nil:
		return fail("claims_namespace and claims_namespace_path both cannot be set")
	case rc.ClaimsNamespacePath != nil:
		p, err := wire.ParsePath(*rc.ClaimsNamespacePath)
		if err != nil {
			return fail("invalid JSON path claims_namespace_path error: %v", err)
		}
		v.nsPath, v.nsIsPath = p, true
	case rc.ClaimsNamespace != nil:
		v.nsKey = *rc.ClaimsNamespace
	default:
		v.nsKey = defaultClaimsNamespace
	}
	if rc.ClaimsFormat != nil {
		switch *rc.ClaimsFormat {
		case "json":
		case "stringified_json":
			v.stringified = true
		default:
			return fail("claims_format: expected \"json\" or \"stringified_json\", got %q", *rc.ClaimsFormat)
		}
	}
	if rc.ClaimsMap != nil && string(*rc.ClaimsMap) != "null" {
		cm, err := parseClaimsMap(*rc.ClaimsMap)
		if err != nil {
			return fail("claims_map: %v", err)
		}
		v.claimsMap = cm
	}

	// Checks on registered claims.
	if rc.Audience != nil && string(*rc.Audience) != "null" {
		aud, err := parseStringOrList(*rc.Audience)
		if err != nil {
			return fail("audience: %v", err)
		}
		v.audience = aud
	}
	if rc.Issuer != nil {
		v.issuer, v.hasIssuer = *rc.Issuer, true
	}
	if rc.AllowedSkew != nil {
		if *rc.AllowedSkew < 0 || math.IsInf(*rc.AllowedSkew, 0) || math.IsNaN(*rc.AllowedSkew) {
			return fail("allowed_skew: expected a non-negative number of seconds")
		}
		v.skew = time.Duration(*rc.AllowedSkew * float64(time.Second))
	}

	// Where the token is.
	if rc.Header != nil {
		t := ""
		if rc.Header.Type != nil {
			t = *rc.Header.Type
		}
		switch strings.ToLower(t) {
		case "authorization":
			v.location = locAuthorization
		case "cookie", "customheader":
			if rc.Header.Name == nil || *rc.Header.Name == "" {
				return fail("header: %q requires a \"name\"", t)
			}
			if strings.EqualFold(t, "cookie") {
				v.location, v.name = locCookie, *rc.Header.Name
			} else {
				v.location, v.name = locCustomHeader, textproto.CanonicalMIMEHeaderKey(*rc.Header.Name)
			}
		default:
			return fail("header: expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'")
		}
	}

	// The key, and which algorithms it may verify.
	switch {
	case rc.Key == nil && rc.JWKURL == nil:
		return fail("key and jwk_url both cannot be empty")
	case rc.Key != nil && rc.JWKURL != nil:
		return fail("key, jwk_url both cannot be present")
	case rc.Key != nil:
		if rc.Type == nil {
			return fail("\"type\" is required with \"key\"")
		}
		alg, key, err := parseJWTKey(*rc.Type, *rc.Key)
		if err != nil {
			return fail("Invalid JWK: %v", err)
		}
		v.staticKey = key
		v.parser = newJWTParser([]string{alg})
	default:
		// As Hasura, "type" is ignored with a jwk_url: each JWK says what
		// it is, keyfunc rejects a token whose alg differs from the JWK's,
		// and jwt/v5 rejects a key of the wrong kind for the alg (so an
		// RSA key can never verify an HS256 token).
		src, err := newJWKSource(ctx, *rc.JWKURL)
		if err != nil {
			return fail("%v", err)
		}
		v.jwks = src
		v.parser = newJWTParser(asymmetricAndHMACAlgs)
	}
	return v, nil
}

// asymmetricAndHMACAlgs are the algorithms a key from a JWK set may
// verify: everything but "none".
var asymmetricAndHMACAlgs = []string{
	"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
}

func newJWTParser(algs []string) *jwt.Parser {
	// Claims are validated by validateRegisteredClaims, in jose's order and
	// with its messages.
	return jwt.NewParser(jwt.WithValidMethods(algs), jwt.WithoutClaimsValidation())
}

// parseJWTKey turns HASURA_GRAPHQL_JWT_SECRET's type and key into the JWT
// alg and a verification key. Messages follow Hasura's parseKey.
func parseJWTKey(typ, key string) (alg string, k any, err error) {
	switch typ {
	case "HS256", "HS384", "HS512":
		size, _ := strconv.Atoi(typ[2:])
		if len(key) < size/8 {
			return "", nil, fmt.Errorf("Key size too small; should be atleast %d characters", size/8)
		}
		return typ, []byte(key), nil
	case "RS256", "RS384", "RS512":
		rk, err := publicKeyOf[*rsa.PublicKey](typ, key, "an RSA")
		if err != nil {
			return "", nil, err
		}
		return typ, rk, nil
	case "ES256", "ES384", "ES512":
		ek, err := publicKeyOf[*ecdsa.PublicKey](typ, key, "an ECDSA")
		if err != nil {
			return "", nil, err
		}
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[typ]
		if ek.Curve != want {
			return "", nil, fmt.Errorf("type %s needs a key on curve %s, got %s", typ, want.Params().Name, ek.Curve.Params().Name)
		}
		return typ, ek, nil
	case "Ed25519":
		pub, err := parsePublicKeyPEM(key)
		if err != nil {
			return "", nil, err
		}
		ek, ok := pub.(ed25519.PublicKey)
		if !ok {
			return "", nil, fmt.Errorf("Could not decode PEM: type Ed25519 needs an Ed25519 public key, got %s", keyKind(pub))
		}
		return "EdDSA", ek, nil
	}
	return "", nil, fmt.Errorf("Key type: %s is not supported", typ)
}

// publicKeyOf parses key as a PEM public key of type K (what names it in
// the error).
func publicKeyOf[K crypto.PublicKey](typ, key, what string) (K, error) {
	var zero K
	pub, err := parsePublicKeyPEM(key)
	if err != nil {
		return zero, err
	}
	k, ok := pub.(K)
	if !ok {
		return zero, fmt.Errorf("Could not decode PEM: type %s needs %s public key, got %s", typ, what, keyKind(pub))
	}
	return k, nil
}

func keyKind(k crypto.PublicKey) string {
	switch k.(type) {
	case *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PublicKey:
		return "an ECDSA key"
	case ed25519.PublicKey:
		return "an Ed25519 key"
	}
	return fmt.Sprintf("a %T", k)
}

// parsePublicKeyPEM reads the first PEM block of s: a PKIX public key, a
// PKCS#1 RSA public key, or an X.509 certificate (whose key is used).
func parsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("Could not decode PEM: No pem found")
	}
	if pub, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return pub, nil
	}
	if pub, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return pub, nil
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("Could not decode PEM: %q block is neither a public key nor a certificate", block.Type)
	}
	return cert.PublicKey, nil
}

func parseStringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, errors.New("expected a string or a list of strings")
	}
	return many, nil
}

// claimsMap is a parsed "claims_map": where each session variable comes
// from.
type claimsMap struct {
	allowedRoles claimsMapValue // value kind: []string
	defaultRole  claimsMapValue // value kind: string
	// others are sorted by name so that errors are deterministic.
	others []namedClaimsMapValue
}

type namedClaimsMapValue struct {
	name string // lower case
	claimsMapValue
}

// claimsMapValue is {"path": ..., "default": ...} or a literal value.
type claimsMapValue struct {
	path       wire.Path // nil for a literal
	isPath     bool
	hasDefault bool
	value      any // the literal or the default: string or []string
}

func parseClaimsMap(raw json.RawMessage) (*claimsMap, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errors.New("expected an object")
	}
	cm := &claimsMap{}
	for _, name := range []string{claimAllowedRoles, claimDefaultRole} {
		r, ok := obj[name]
		if !ok {
			return nil, fmt.Errorf("%s is expected but not found", name)
		}
		val, err := parseClaimsMapValue(r, name == claimAllowedRoles)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if name == claimAllowedRoles {
			cm.allowedRoles = val
		} else {
			cm.defaultRole = val
		}
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		lname := strings.ToLower(name)
		if lname == claimAllowedRoles || lname == claimDefaultRole {
			continue
		}
		val, err := parseClaimsMapValue(obj[name], false)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		cm.others = append(cm.others, namedClaimsMapValue{lname, val})
	}
	return cm, nil
}

// parseClaimsMapValue parses one claims_map entry; list says whether its
// literal or default is a list of roles rather than a string.
func parseClaimsMapValue(raw json.RawMessage, list bool) (claimsMapValue, error) {
	parseLit := func(r json.RawMessage) (any, error) {
		if list {
			var roles []string
			if err := json.Unmarshal(r, &roles); err != nil {
				return nil, errors.New("expected a list of roles")
			}
			return roles, nil
		}
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, errors.New("expected a string")
		}
		return s, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err == nil {
		p, ok := obj["path"]
		if !ok {
			return claimsMapValue{}, errors.New(`expected a literal value or an object with a "path"`)
		}
		var ps string
		if err := json.Unmarshal(p, &ps); err != nil {
			return claimsMapValue{}, errors.New(`"path" must be a string`)
		}
		path, err := wire.ParsePath(ps)
		if err != nil {
			return claimsMapValue{}, err
		}
		v := claimsMapValue{path: path, isPath: true}
		if d, ok := obj["default"]; ok && string(d) != "null" {
			dv, err := parseLit(d)
			if err != nil {
				return claimsMapValue{}, fmt.Errorf("default: %v", err)
			}
			v.hasDefault, v.value = true, dv
		}
		return v, nil
	}
	lit, err := parseLit(raw)
	if err != nil {
		return claimsMapValue{}, err
	}
	return claimsMapValue{value: lit}, nil
}

// jwtError is an invalid-jwt error: "Could not verify JWT: <what>", where
// what is how Haskell's jose shows its JWTError.
func jwtError(what string) *wire.Error {
	return wire.NewError(wire.CodeInvalidJWT, "Could not verify JWT: "+what)
}

// errNoUsableKeys is returned by a key lookup that found no key for the
// token (unknown kid, empty set).
var errNoUsableKeys = errors.New("no usable keys")

// tokenIssuer returns the "iss" of an unverified token, for matching tokens
// to configs (Hasura's tokenIssuer). ok is false when there is no readable
// string iss.
func tokenIssuer(raw string) (iss string, ok bool) {
	first := strings.IndexByte(raw, '.')
	if first < 0 {
		return "", false
	}
	second := strings.IndexByte(raw[first+1:], '.')
	if second < 0 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(raw[first+1 : first+1+second])
	if err != nil {
		return "", false
	}
	var c struct {
		Iss *string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Iss == nil {
		return "", false
	}
	return *c.Iss, true
}

// verify checks raw's signature and registered claims at now and returns
// its claims and expiry (zero when it has no exp).
func (v *jwtVerifier) verify(ctx context.Context, raw string, now time.Time) (jwt.MapClaims, time.Time, error) {
	if n := strings.Count(raw, ".") + 1; n != 3 {
		return nil, time.Time{}, jwtError(fmt.Sprintf("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got %d)", n))
	}
	claims := jwt.MapClaims{}
	var keyFunc jwt.Keyfunc
	if v.jwks != nil {
		keyFunc = v.jwks.keyfunc(ctx)
	} else {
		keyFunc = v.staticKeyFunc
	}
	tok, err := v.parser.ParseWithClaims(raw, claims, keyFunc)
	if err != nil {
		switch {
		case errors.Is(err, errNoUsableKeys):
			return nil, time.Time{}, jwtError("JWSError NoUsableKeys")
		case tok != nil && tok.Method != nil && tok.Method.Alg() == "none":
			// jose drops "none" signatures before verifying.
			return nil, time.Time{}, jwtError("JWSError JWSNoSignatures")
		case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
			// A bad signature, an alg other than the configured type, or a
			// key that cannot verify this alg: jose reports all of these as
			// an invalid signature.
			return nil, time.Time{}, jwtError("JWSError JWSInvalidSignature")
		default:
			// Undecodable header or payload. jose's wording comes from
			// aeson and cannot be reproduced exactly.
			return nil, time.Time{}, jwtError(fmt.Sprintf("JWSError (JSONDecodeError %s)", strconv.Quote(rootCause(err).Error())))
		}
	}
	exp, e := v.validateRegisteredClaims(claims, now)
	return claims, exp, e
}

func (v *jwtVerifier) staticKeyFunc(*jwt.Token) (any, error) { return v.staticKey, nil }

func rootCause(err error) error {
	for {
		var next error
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			next = u.Unwrap()
		case interface{ Unwrap() []error }:
			if es := u.Unwrap(); len(es) > 0 {
				next = es[len(es)-1]
			}
		}
		if next == nil {
			return err
		}
		err = next
	}
}

// validateRegisteredClaims is jose's validateClaimsSet: exp, iat, nbf, iss,
// aud in that order, each checked only when the claim is present, with
// allowed_skew applied to the time claims.
func (v *jwtVerifier) validateRegisteredClaims(c jwt.MapClaims, now time.Time) (time.Time, error) {
	var exp time.Time
	for _, name := range [...]string{"exp", "iat", "nbf"} {
		raw, ok := c[name]
		if !ok || raw == nil {
			continue
		}
		f, ok := raw.(float64)
		if !ok {
			return time.Time{}, jwtError(fmt.Sprintf("JWTClaimsSetDecodeError %s", strconv.Quote(fmt.Sprintf("Error in $.%s: expected NumericDate, encountered %s", name, jsonKind(raw)))))
		}
		t := numericDate(f)
		switch name {
		case "exp":
			exp = t
			if !now.Before(t.Add(v.skew)) {
				return time.Time{}, jwtError("JWTExpired")
			}
		case "iat":
			if t.After(now.Add(v.skew)) {
				return time.Time{}, jwtError("JWTIssuedAtFuture")
			}
		case "nbf":
			if now.Before(t.Add(-v.skew)) {
				return time.Time{}, jwtError("JWTNotYetValid")
			}
		}
	}
	if v.hasIssuer {
		if raw, ok := c["iss"]; ok && raw != nil {
			if iss, _ := raw.(string); iss != v.issuer {
				return time.Time{}, jwtError("JWTNotInIssuer")
			}
		}
	}
	if v.audience != nil {
		if raw, ok := c["aud"]; ok && raw != nil {
			if !audienceMatches(raw, v.audience) {
				return time.Time{}, jwtError("JWTNotInAudience")
			}
		}
	}
	return exp, nil
}

// numericDate converts seconds since the epoch, clamped to ±10¹² (about
// year 33658) so that absurd values cannot overflow.
func numericDate(f float64) time.Time {
	f = min(max(f, -1e12), 1e12)
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// audienceMatches reports whether one of the token's audiences (a string
// or a list) is in want.
func audienceMatches(aud any, want []string) bool {
	in := func(s string) bool {
		for _, w := range want {
			if s == w {
				return true
			}
		}
		return false
	}
	switch a := aud.(type) {
	case string:
		return in(a)
	case []any:
		for _, e := range a {
			if s, ok := e.(string); ok && in(s) {
				return true
			}
		}
	}
	return false
}

// jsonKind names a decoded JSON value's type as aeson does.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "Object"
	case []any:
		return "Array"
	case string:
		return "String"
	case float64, json.Number:
		return "Number"
	case bool:
		return "Boolean"
	}
	return "Null"
}

// registeredClaims are excluded from the object claims_namespace and
// claims_namespace_path look in (jose's unregisteredClaims).
var registeredClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
}

// hasuraClaims returns the token's x-hasura-* claims by lower-case name,
// from the namespace or the claims_map (Hasura's parseClaimsMap).
func (v *jwtVerifier) hasuraClaims(c jwt.MapClaims) (map[string]any, error) {
	if v.claimsMap != nil {
		return v.claimsMap.apply(map[string]any(c))
	}
	var ns any
	var found bool
	if v.nsIsPath {
		unregistered := make(map[string]any, len(c))
		for k, val := range c {
			if !registeredClaims[k] {
				unregistered[k] = val
			}
		}
		ns, found = v.nsPath.Get(unregistered)
		if !found {
			return nil, wire.NewError(wire.CodeJWTInvalidClaims, "claims not found at claims_namespace_path: '"+v.nsPath.String()+"'")
		}
	} else {
		ns, found = c[v.nsKey]
		if !found || registeredClaims[v.nsKey] {
			return nil, wire.NewError(wire.CodeJWTInvalidClaims, "claims key: '"+v.nsKey+"' not found")
		}
	}
	var obj map[string]any
	if v.stringified {
		s, ok := ns.(string)
		if !ok {
			return nil, wire.NewError(wire.CodeJWTInvalidClaims, "expecting a string when claims_format is stringified_json")
		}
		if json.Unmarshal([]byte(s), &obj) != nil || obj == nil {
			where := "claims_namespace " + v.nsKey
			if v.nsIsPath {
				where = "claims_namespace_path " + v.nsPath.String()
			}
			return nil, wire.NewError(wire.CodeJWTInvalidClaims, "expecting stringified json at: '"+where+"', but found: "+s)
		}
	} else {
		o, ok := ns.(map[string]any)
		if !ok {
			return nil, wire.NewError(wire.CodeJWTInvalidClaims, "expecting a json object when claims_format is json")
		}
		obj = o
	}
	// Only x-hasura-* claims, names case-insensitive. Should two names
	// differ only in case, the last in sorted order wins (Hasura's pick is
	// HashMap order, unspecified).
	names := make([]string, 0, len(obj))
	for k := range obj {
		if hasPrefixFold(k, sessionVarPrefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := make(map[string]any, len(names))
	for _, k := range names {
		out[strings.ToLower(k)] = obj[k]
	}
	return out, nil
}

// apply evaluates the claims map against the whole claims set. The role
// claims are checked here, with Hasura's claims_map wording.
func (cm *claimsMap) apply(claims map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(cm.others)+2)
	raw, err := cm.allowedRoles.resolve(claims, claimAllowedRoles)
	if err != nil {
		return nil, err
	}
	roles, msg := parseRoleList(raw)
	if msg != "" {
		return nil, wire.NewError(wire.CodeJWTInvalidClaims, "invalid "+claimAllowedRoles+"; should be a list of roles: "+msg)
	}
	out[claimAllowedRoles] = roles
	if raw, err = cm.defaultRole.resolve(claims, claimDefaultRole); err != nil {
		return nil, err
	}
	def, msg := parseRoleName(raw)
	if msg != "" {
		return nil, wire.NewError(wire.CodeJWTInvalidClaims, "invalid "+claimDefaultRole+"; should be a role: "+msg)
	}
	out[claimDefaultRole] = def
	for _, o := range cm.others {
		if !o.isPath {
			out[o.name] = o.value
			continue
		}
		val, ok := o.path.Get(claims)
		if !ok {
			if !o.hasDefault {
				return nil, wire.NewError(wire.CodeJWTInvalidClaims, "JWT claim from claims_map, "+o.name+" not found")
			}
			val = o.value
		}
		out[o.name] = val
	}
	return out, nil
}

// resolve gets a role claim from the claims map: the literal, the value at
// the path, or the default when the path finds nothing.
func (v claimsMapValue) resolve(claims map[string]any, name string) (any, error) {
	if !v.isPath {
		return v.value, nil
	}
	if val, ok := v.path.Get(claims); ok {
		return val, nil
	}
	if v.hasDefault {
		return v.value, nil
	}
	return nil, wire.NewError(wire.CodeJWTMissingRoleClaim, "JWT claim does not contain "+name)
}

// roleClaims reads x-hasura-allowed-roles and x-hasura-default-role
// (Hasura's parseHasuraClaims; messages as aeson's).
func roleClaims(claims map[string]any) (allowed []string, def string, e error) {
	raw, ok := claims[claimAllowedRoles]
	if !ok {
		return nil, "", wire.NewError(wire.CodeJWTMissingRoleClaim, "JWT claim does not contain "+claimAllowedRoles)
	}
	allowed, msg := parseRoleList(raw)
	if msg != "" {
		return nil, "", wire.NewError(wire.CodeJWTInvalidClaims, "invalid "+claimAllowedRoles+"; should be a list of roles: "+msg)
	}
	raw, ok = claims[claimDefaultRole]
	if !ok {
		return nil, "", wire.NewError(wire.CodeJWTMissingRoleClaim, "JWT claim does not contain "+claimDefaultRole)
	}
	def, msg = parseRoleName(raw)
	if msg != "" {
		return nil, "", wire.NewError(wire.CodeJWTInvalidClaims, "invalid "+claimDefaultRole+"; should be a single role name: "+msg)
	}
	return allowed, def, nil
}

// parseRoleList is aeson's [RoleName] parser; the second result is its
// error message, empty when the list is good.
func parseRoleList(raw any) ([]string, string) {
	switch list := raw.(type) {
	case []string:
		return list, ""
	case []any:
		roles := make([]string, len(list))
		for i, r := range list {
			s, msg := parseRoleName(r)
			if msg != "" {
				return nil, msg
			}
			roles[i] = s
		}
		return roles, ""
	}
	return nil, "parsing [] failed, expected Array, but encountered " + jsonKind(raw)
}

// parseRoleName is Hasura's RoleName parser (a non-empty string); the
// second result is its error message, empty when the name is good.
func parseRoleName(v any) (string, string) {
	s, ok := v.(string)
	if !ok {
		return "", "parsing String failed, expected String, but encountered " + jsonKind(v)
	}
	if s == "" {
		return "", "empty string not allowed"
	}
	return s, ""
}

// jwkSource is a key set fetched from a jwk_url and kept fresh: refreshed
// when the response's Cache-Control/Expires says it expires (else every
// jwksDefaultRefresh), and on demand when a token names an unknown kid (at
// most once per unknownKIDInterval). Keys are looked up by keyfunc.
type jwkSource struct {
	url    string
	client *http.Client
	store  *jwkset.MemoryJWKSet
	kf     keyfunc.Keyfunc

	// mu serialises fetches; lastUnknown is when an unknown kid last
	// caused one.
	mu                 sync.Mutex
	lastUnknown        time.Time
	unknownKIDInterval time.Duration
}

const (
	jwksDefaultRefresh = time.Hour        // keyfunc's default refresh interval
	jwksMinRefresh     = time.Second      // floor for max-age=0, no-cache, past Expires
	jwksRetry          = time.Minute      // after a failed refresh, as Hasura
	jwksUnknownKID     = 5 * time.Minute  // keyfunc's default rate for unknown kids
	jwksHTTPTimeout    = 30 * time.Second // per fetch
)

func newJWKSource(ctx context.Context, url string) (*jwkSource, error) {
	store := jwkset.NewMemoryStorage()
	kf, err := keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: store})
	if err != nil {
		return nil, err
	}
	s := &jwkSource{
		url:                url,
		client:             &http.Client{Timeout: jwksHTTPTimeout},
		store:              store,
		kf:                 kf,
		unknownKIDInterval: jwksUnknownKID,
	}
	ttl, err := s.fetch(ctx)
	if err != nil {
		return nil, err
	}
	go s.refreshLoop(ctx, ttl)
	return s, nil
}

// refreshLoop refetches the key set whenever it expires, until ctx is done.
// A failed fetch keeps the previous keys and is retried after jwksRetry.
func (s *jwkSource) refreshLoop(ctx context.Context, ttl time.Duration) {
	t := time.NewTimer(ttl)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next, err := s.fetch(ctx)
		if err != nil {
			next = jwksRetry
		}
		t.Reset(next)
	}
}

// fetch downloads the key set, replaces the stored keys and returns how
// long they are good for. Messages follow Hasura's fetchJwk.
func (s *jwkSource) fetch(ctx context.Context) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return 0, fmt.Errorf("Error fetching JWK: %v", err)
	}
	req.Header.Set("User-Agent", "hasgen")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("Error fetching JWK: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("Error fetching JWK: %v", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, fmt.Errorf("Non-2xx response on fetching JWK from: %s (%s)", s.url, resp.Status)
	}
	var set jwkset.JWKSMarshal
	if err := json.Unmarshal(body, &set); err != nil {
		return 0, fmt.Errorf("Error parsing JWK from url: %s: %v", s.url, err)
	}
	keys := make([]jwkset.JWK, 0, len(set.Keys))
	for _, m := range set.Keys {
		k, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
		if errors.Is(err, jwkset.ErrUnsupportedKey) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("Error parsing JWK from url: %s: %v", s.url, err)
		}
		keys = append(keys, k)
	}
	if err := s.store.KeyReplaceAll(ctx, keys); err != nil {
		return 0, err
	}
	return jwksTTL(resp.Header, time.Now()), nil
}

// jwksTTL is how long a key set response may be used, per Hasura's
// determineJwkExpiryLifetime: Cache-Control first (must-revalidate: its
// max-age or now; no-cache/no-store: now; else max-age/s-maxage), then
// Expires; jwksDefaultRefresh when neither says. Never below
// jwksMinRefresh.
func jwksTTL(h http.Header, now time.Time) time.Duration {
	ttl, ok := cacheControlTTL(h.Get("Cache-Control"))
	if !ok {
		if exp, err := http.ParseTime(h.Get("Expires")); err == nil {
			ttl, ok = exp.Sub(now), true
		}
	}
	if !ok {
		return jwksDefaultRefresh
	}
	return max(ttl, jwksMinRefresh)
}

func cacheControlTTL(cc string) (time.Duration, bool) {
	if cc == "" {
		return 0, false
	}
	var maxAge time.Duration
	var hasMaxAge, mustRevalidate, noCache bool
	for _, d := range strings.Split(cc, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "max-age", "s-maxage":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && !hasMaxAge {
				maxAge, hasMaxAge = time.Duration(n)*time.Second, true
			}
		case "must-revalidate":
			mustRevalidate = true
		case "no-cache", "no-store":
			noCache = true
		}
	}
	switch {
	case mustRevalidate:
		return maxAge, true // zero without a max-age: refetch now
	case noCache:
		return 0, true
	case hasMaxAge:
		return maxAge, true
	}
	return 0, false
}

// keyfunc returns the key lookup for one token. A kid not in the set
// causes one refetch (rate-limited) before giving up with errNoUsableKeys.
func (s *jwkSource) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(tok *jwt.Token) (any, error) {
		key, err := s.kf.KeyfuncCtx(ctx)(tok)
		if err == nil {
			if set, ok := key.(jwt.VerificationKeySet); ok && len(set.Keys) == 0 {
				return nil, errNoUsableKeys
			}
			return key, nil
		}
		if !errors.Is(err, jwkset.ErrKeyNotFound) {
			return nil, errors.Join(errNoUsableKeys, err)
		}
		// mayRefreshForUnknownKID waits for a fetch in flight, so a
		// request that loses the race still sees the new keys below.
		if s.mayRefreshForUnknownKID() {
			if _, err := s.fetch(ctx); err != nil {
				return nil, errors.Join(errNoUsableKeys, err)
			}
		}
		key, err = s.kf.KeyfuncCtx(ctx)(tok)
		if err != nil {
			return nil, errors.Join(errNoUsableKeys, err)
		}
		return key, nil
	}
}

func (s *jwkSource) mayRefreshForUnknownKID() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if !s.lastUnknown.IsZero() && now.Sub(s.lastUnknown) < s.unknownKIDInterval {
		return false
	}
	s.lastUnknown = now
	return true
}
