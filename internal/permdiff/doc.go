// Package permdiff is a differential test of hasgen's permissions: random
// GraphQL queries, roles and session variables, each answered twice, by the
// generated server over HTTP and by a reference that owes nothing to
// hasgen's compiler, and the answers compared row by row.
//
// The reference is PostgreSQL itself. The permissions of
// testdata/fixtures/chinook/hasgen.yaml are written out by hand as
// row-level-security policies and column grants for one database role per
// Hasura role (policies.sql: pd_customer, pd_employee, and pd_admin, which
// bypasses RLS). The same abstract query the GraphQL document was rendered
// from is translated into plain SQL (correlated subqueries building JSON,
// reference.go) and run in a transaction under SET LOCAL ROLE with the
// session variables in the hasura.user setting, as Hasura passes them. A
// difference is a permission bug, in hasgen or in the reference: a leaked
// or wrongly hidden row, a wrong aggregate, or a forbidden column that the
// server did not refuse.
//
// Some cases must be refused, and the check is that they are: queries
// that use a hidden column, a table or relationship without a select
// permission, or an aggregate without allow_aggregations (the error must
// name it, and the reference's column grants must refuse it too); and
// queries whose filters need a session variable that is missing or not an
// integer.
//
// On a difference, Shrink drops parts of the query (root fields, columns,
// relationships, where clauses, order_by, limit) while the difference
// persists, and the minimal reproduction is printed as a GraphQL document,
// its variables, the role and session, and both answers.
//
// Use:
//
//	h, err := permdiff.New(ctx, permdiff.Config{DatabaseURL: db, ServerURL: srv.URL, AdminSecret: secret})
//	rep, err := h.Run(ctx, permdiff.RunOptions{Seed: 1, Cases: 1000, Workers: 2})
//	rep.Write(os.Stdout)
//
// The database must hold graphql-bench's Chinook, with Install run on it
// once; the server must be generated from the Chinook fixture.
package permdiff
