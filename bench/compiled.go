package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hasgen/hasgen/generate"
	"github.com/hasgen/hasgen/internal/e2e"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// startCompiled starts "hasgen compiled": the same server generated with
// the queries in operations/bench.graphql, so that they are compiled
// operations (README "Compiled operations"), and sent as the documents
// generate wrote for them, which the server answers without parsing,
// validating or compiling.
func startCompiled(ctx context.Context, url, config, cpus string, qs []query) (*contender, error) {
	dir, err := os.MkdirTemp("", "hasgen-bench-compiled-")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "operations"), 0o755); err != nil {
		return nil, err
	}
	var ops strings.Builder
	docs := map[string]string{}
	for _, q := range qs {
		ops.WriteString(q.GraphQL + "\n\n")
		doc, err := compiledDocument(q.GraphQL)
		if err != nil {
			return nil, err
		}
		docs[q.Name] = doc
	}
	if err := os.WriteFile(filepath.Join(dir, "operations", "bench.graphql"), []byte(ops.String()), 0o644); err != nil {
		return nil, err
	}
	// A first generate writes main.go, which then hands the compiled
	// operations to the server, as a project's owner does.
	root, err := e2e.RepoRoot()
	if err != nil {
		return nil, err
	}
	if _, err := generate.Generate(ctx, generate.Options{DatabaseURL: url, Config: config, Out: dir, RuntimeReplace: root, Module: "server"}); err != nil {
		return nil, err
	}
	mainGo := filepath.Join(dir, "main.go")
	b, err := os.ReadFile(mainGo)
	if err != nil {
		return nil, err
	}
	src := strings.Replace(string(b), "\"server/graph\"\n", "\"server/graph\"\n\t\"server/operations\"\n", 1)
	src = strings.Replace(src, "ActionHandlers: actions.Setup().ByName(),\n", "ActionHandlers: actions.Setup().ByName(),\n\t\tOperations: operations.Compiled,\n", 1)
	if err := os.WriteFile(mainGo, []byte(src), 0o644); err != nil {
		return nil, err
	}
	build, err := e2e.BuildServer(ctx, e2e.Project{DatabaseURL: url, Config: config, Out: dir})
	if err != nil {
		return nil, err
	}
	// The documents sent must be the ones compiled, or the run measures
	// the uncompiled path.
	for name, doc := range docs {
		if !compiledHolds(dir, doc) {
			return nil, fmt.Errorf("hasgen compiled: the document of %s is not in operations/*.op.go", name)
		}
	}
	s, err := startHasgenServer(ctx, build, url, cpus)
	if err != nil {
		return nil, err
	}
	c := hasgenContender("hasgen compiled", s, func(q query) string { return docs[q.Name] })
	stop := c.stop
	c.stop = func() { stop(); os.RemoveAll(dir) }
	return c, nil
}

// compiledHolds reports whether a generated operations/*.op.go holds doc.
func compiledHolds(dir, doc string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "operations", "*.op.go"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), doc) {
			return true
		}
	}
	return false
}

// compiledDocument is the document generate writes for an operation
// without fragments: gqlparser's formatting of it.
func compiledDocument(query string) (string, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatQueryDocument(doc)
	return b.String(), nil
}
