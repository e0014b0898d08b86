package generate

import (
	"context"
	"os"
	"testing"
)

func TestScratch(t *testing.T) {
	out := os.Getenv("SCRATCH_OUT")
	if out == "" {
		t.Skip()
	}
	res, err := Generate(context.Background(), Options{Snapshot: "../testdata/golden/introspect/chinook_graphql_bench.json", Config: "testdata/chinook.yaml", Out: out, RuntimeReplace: ".."})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
}
