// Package wire holds what the runtime reads from and writes to clients,
// in Hasura's shapes: a GraphQL request, its variables as ordered JSON
// values (one codec, both ways), Hasura's JSON path syntax, and Error with
// Hasura's codes. It imports nothing of the runtime.
//
//	req, err := wire.DecodeRequest(body)
//	vars, err := wire.ParseVariables(req.Variables)
//	out = wire.AppendErrors(out, err) // {"errors":[{"message","extensions":{"path","code"}}]}
package wire
