package runtime_test

import (
	"encoding/json"
	"testing"

	"github.com/hasgen/hasgen/runtime/wire"
)

// mutateHTTP runs a mutation once, on the generated server over HTTP (the
// in-process engine is not run too: the writes would happen twice).
func (e *testEngine) mutateHTTP(t testing.TB, role string, vars map[string]string, query string, variables any) string {
	t.Helper()
	req := &wire.Request{Query: query}
	if variables != nil {
		b, _ := json.Marshal(variables)
		req.Variables = b
	}
	body, _ := json.Marshal(req)
	return e.overHTTP(t, role, vars, body)
}
