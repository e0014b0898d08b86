package generate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

// gqlgenMu serializes gqlgen runs in this process. gqlgen resolves every
// path and package from the working directory, which runGqlgen changes
// for the run, and keeps package-level state of its own (its templates'
// current imports): two runs at once would corrupt each other.
var gqlgenMu sync.Mutex

// runGqlgen runs gqlgen's code generation in-process for the project in
// dir (an absolute path), as `go run github.com/99designs/gqlgen` there
// would, with gqlgen.yml. While it runs, the process's working directory
// is dir.
func runGqlgen(dir string) (err error) {
	gqlgenMu.Lock()
	defer gqlgenMu.Unlock()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := os.Chdir(dir); err != nil {
		return err
	}
	defer func() {
		if cerr := os.Chdir(wd); cerr != nil && err == nil {
			err = cerr
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gqlgen panicked: %v", r)
		}
	}()
	cfg, err := config.LoadConfig(pathGqlgenConfig)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, pathGqlgenConfig), err)
	}
	// The emitted go.mod is hasgen's to write, and the project is built
	// afterwards anyway: no go mod tidy, no go build from gqlgen.
	cfg.SkipModTidy = true
	cfg.SkipValidation = true
	if err := api.Generate(cfg); err != nil {
		return fmt.Errorf("gqlgen in %s: %w", dir, err)
	}
	return nil
}

// gqlgenOutputsExist reports whether gqlgen's output for the custom schema
// is all in dir: if any is missing, gqlgen runs whatever the stamp says.
func gqlgenOutputsExist(dir string) bool {
	for _, rel := range []string{pathGqlgenExec, pathGqlgenResolve} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			return false
		}
	}
	return true
}

// queryFiles lists the .sql files in dir's queries/ folder, sorted.
func queryFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, dirQueries))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			out = append(out, dirQueries+"/"+e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// generatedGo matches the first line of a generated Go file.
var generatedGo = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// clearSqlcOutput deletes the generated Go files in sqlcdb/ (sqlc does not
// delete the files of queries that are gone), removing sqlcdb/ when this
// leaves it empty, and returns what it deleted so that a failed sqlc run
// can put it back. Files without a generated header are kept.
func clearSqlcOutput(dir string) (map[string][]byte, error) {
	out := filepath.Join(dir, dirSqlcOut)
	entries, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	removed := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			return removed, err
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		if !generatedGo.Match(bytes.TrimSuffix(line, []byte("\r"))) {
			continue
		}
		rel := dirSqlcOut + "/" + e.Name()
		if err := removeFile(dir, rel); err != nil {
			return removed, err
		}
		removed[rel] = b
	}
	return removed, nil
}

// restore writes files (by relative path) back under dir.
func restore(dir string, files map[string][]byte) error {
	for rel, b := range files {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), b); err != nil {
			return err
		}
	}
	return nil
}

// runSqlc runs `go tool sqlc generate` in dir: sqlc is a tool of the
// emitted module (see goMod), so it runs at the version hasgen pins, built
// once into Go's build cache.
func runSqlc(ctx context.Context, dir string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("sqlc runs as `go tool sqlc`, and the go command is not in PATH: %w", err)
	}
	cmd := exec.CommandContext(ctx, goBin, "tool", "sqlc", "generate")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("sqlc generate in %s (queries/ against sql/schema.sql):\n%s", dir, msg)
	}
	return nil
}
