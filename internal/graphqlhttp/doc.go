// Package graphqlhttp holds the GraphQL-over-HTTP conformance check:
// graphql-http's server audit (testdata/graphql-http-audits.js, the UMD
// build of the npm package graphql-http 1.23.1, MIT, vendored with its
// LICENSE.md) run in headless Chromium by audit_test.go, from
// testdata/audit.html, against a generated and built server.
package graphqlhttp
