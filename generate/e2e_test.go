package generate

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEndToEndBuild generates a project from the Chinook snapshot, writes
// a custom resolver that calls a sqlc query, regenerates, and builds the
// project with go build: the generated db/ and schema/, gqlgen's graph/,
// sqlc's sqlcdb/ and the user's code must compile together, against this
// checkout's runtime. The first run builds sqlc (go tool sqlc) into Go's
// build cache, which takes a minute or two; later runs reuse it.
func TestEndToEndBuild(t *testing.T) {
	p := newProject(t, chinook(t))
	p.generate()

	// The user adds a query and a custom field that uses it.
	p.write("queries/albums.sql", "-- name: CountAlbums :one\nSELECT count(*) FROM albums WHERE artist_id = $1;\n")
	p.write("graph/custom.graphqls", strings.Replace(p.read("graph/custom.graphqls"),
		"  hello(name: String!): String!\n",
		"  hello(name: String!): String!\n  \"How many albums the artist has.\"\n  albumCount(artistId: Int!): Int!\n", 1))
	start := time.Now()
	res := p.generate()
	t.Logf("generate with sqlc: %v", time.Since(start))
	if !res.Sqlc || !res.Gqlgen {
		t.Fatalf("sqlc ran %v, gqlgen ran %v; want both", res.Sqlc, res.Gqlgen)
	}
	if !strings.Contains(p.read("sqlcdb/albums.sql.go"), "func (q *Queries) CountAlbums(") {
		t.Fatal("sqlc did not write CountAlbums")
	}

	// The user implements the resolvers.
	resolvers := p.read("graph/custom.resolvers.go")
	resolvers = replaceBody(t, resolvers, "Hello", `return "Hello, " + name + "!", nil`)
	resolvers = replaceBody(t, resolvers, "AlbumCount", "n, err := sqlcdb.New(r.DB).CountAlbums(ctx, int32(artistID))\n\treturn int(n), err")
	resolvers = strings.Replace(resolvers, "import (\n", "import (\n\t\"server/sqlcdb\"\n", 1)
	p.write("graph/custom.resolvers.go", resolvers)

	// A change to the custom schema makes gqlgen rewrite the resolvers
	// file: the implementations must survive.
	p.write("graph/custom.graphqls", p.read("graph/custom.graphqls")+"\nextend type query_root {\n  version: String!\n}\n")
	if res := p.generate(); !res.Gqlgen {
		t.Fatal("gqlgen did not run after the custom schema changed")
	}
	resolvers = p.read("graph/custom.resolvers.go")
	for _, want := range []string{`return "Hello, " + name + "!", nil`, "sqlcdb.New(r.DB).CountAlbums(ctx, int32(artistID))", `"server/sqlcdb"`, "func (r *query_rootResolver) Version("} {
		if !strings.Contains(resolvers, want) {
			t.Errorf("custom.resolvers.go lost %q:\n%s", want, resolvers)
		}
	}

	start = time.Now()
	cmd := exec.Command("go", "build", "./...")
	cmd.Dir = p.out
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./... in the emitted project: %v\n%s", err, out)
	}
	t.Logf("go build ./...: %v", time.Since(start))

	if res := p.generate(); res.Gqlgen || len(res.Written) > 0 {
		t.Errorf("regenerating an up-to-date project: %+v", res)
	}
	if diff := p.check(); diff != "" {
		t.Errorf("check on an up-to-date project:\n%s", diff)
	}
	if _, err := os.Stat(p.out + "/sqlcdb/albums.sql.go"); err != nil {
		t.Errorf("sqlc's output is gone after regenerating: %v", err)
	}

	// A bad query fails with sqlc's message and keeps the previous output.
	p.write("queries/bad.sql", "-- name: Bad :one\nSELECT nope FROM albums;\n")
	_, err := Generate(context.Background(), p.options())
	if err == nil || !strings.Contains(err.Error(), `queries/bad.sql:2:8: column "nope" does not exist`) {
		t.Errorf("generate with a bad query: err = %v", err)
	}
	if !p.exists("sqlcdb/albums.sql.go") || !p.exists("sqlcdb/db.go") {
		t.Error("a failed sqlc run lost sqlcdb/")
	}

	// Without queries, sqlc's output goes.
	for _, q := range []string{"queries/bad.sql", "queries/albums.sql"} {
		if err := os.Remove(p.out + "/" + q); err != nil {
			t.Fatal(err)
		}
	}
	res = p.generate()
	if res.Sqlc || p.exists("sqlcdb") {
		t.Errorf("without queries: sqlc ran %v, sqlcdb/ exists %v", res.Sqlc, p.exists("sqlcdb"))
	}
	if diff := cmp.Diff([]string{"sqlcdb/albums.sql.go", "sqlcdb/db.go", "sqlcdb/models.go"}, res.Deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
}

// replaceBody replaces the body of the resolver method name in src (gqlgen
// writes a panic there) with body.
func replaceBody(t *testing.T, src, name, body string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)(func \(r \*\w+\) ` + name + `\([^)]*\) \([^)]*\) \{\n).*?\n\}\n`)
	if !re.MatchString(src) {
		t.Fatalf("no resolver %s in:\n%s", name, src)
	}
	return re.ReplaceAllStringFunc(src, func(m string) string {
		return re.FindStringSubmatch(m)[1] + "\t" + body + "\n}\n"
	})
}
