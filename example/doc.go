// Package example holds hasgen's example app: schema.sql, the permissions
// file hasgen.yaml, and server/, the generated server committed with one
// hand-written custom resolver (a sqlc query). Its tests check that the
// committed server is what hasgen generates now, and talk to it over HTTP
// as each role.
package example
