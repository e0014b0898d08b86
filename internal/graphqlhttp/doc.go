// Package graphqlhttp holds the GraphQL-over-HTTP conformance check: the
// graphql-http server audit (audit.mjs, its npm dependencies pinned in
// package-lock.json) run by audit_test.go against a generated and built
// server.
package graphqlhttp
