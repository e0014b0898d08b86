// Package auth turns request headers into a session, as Hasura GraphQL
// Engine v2 does: the admin secret (with role impersonation), JWTs
// (HASURA_GRAPHQL_JWT_SECRET and _SECRETS: HS*, RS*, ES*, EdDSA keys or a
// refreshed jwk_url, claims namespace or path, claims_map), and the
// unauthorized role.
//
//	a, err := auth.New(ctx, auth.Config{AdminSecret: secret, JWTSecret: jwtJSON})
//	s, err := a.Authenticate(ctx, r.Header) // *session.Session, or a Hasura-coded *wire.Error
package auth
