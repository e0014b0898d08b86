package generate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/jackc/pgx/v5"
)

// Options says what to generate and where.
type Options struct {
	// DatabaseURL or Snapshot is where the database model comes from: a
	// live database (introspected in Schemas, default the schemas of the
	// tables Config names, else public) or a
	// snapshot written by `hasgen introspect`. DB, when set, is used
	// instead of both.
	DatabaseURL string
	Snapshot    string
	Schemas     []string
	DB          *introspect.Schema

	// Config is the permissions file (or Hasura metadata directory), as
	// given: generated files name it in their `source:` header line.
	// Metadata, when set, is used instead of loading Config again (it must
	// have been loaded from Config).
	Config   string
	Metadata *metadata.Metadata
	// IgnoreUnsupported accepts a metadata that sets keys hasgen does not
	// serve (Metadata.Unsupported): they are left out of the server.
	// Without it such a metadata is an error that lists them.
	IgnoreUnsupported bool
	// RemoteSnapshots generates from the committed snapshots of the
	// remote schemas (schema/remote/) instead of introspecting them.
	RemoteSnapshots bool

	// Out is the project directory, created if needed.
	Out string
	// Module is the emitted module's path; default "server".
	Module string
	// RuntimeReplace, when set, is a hasgen checkout that the emitted
	// go.mod replaces github.com/hasgen/hasgen with. An absolute path is
	// written as is, a relative one (to the working directory) is written
	// relative to Out.
	RuntimeReplace string

	// remotes are the metadata's remote schemas, merged (remote.go).
	remotes *remotes
}

// Result reports what Generate did. Paths are slash-separated and
// relative to Options.Out, sorted.
type Result struct {
	// Written are the generated files whose content changed (or that are
	// new); the other generated files were left untouched.
	Written []string
	// Created are the user's files that did not exist and were created.
	Created []string
	// Deleted are stale generated files that were removed.
	Deleted []string
	// Gqlgen is true when gqlgen ran; false when its input had not
	// changed since the last run.
	Gqlgen bool
	// Sqlc is true when sqlc ran (queries/ holds .sql files).
	Sqlc bool
	// Warnings are things worth telling the user that did not stop the
	// generation.
	Warnings []string
}

// Generate writes the emitted project into o.Out: it loads the database
// model and the permissions file, builds the model, renders the generated
// files, writes those that changed, creates the user's files that are
// missing, deletes stale generated files, then runs gqlgen for
// graph/custom.graphqls (when its input changed) and sqlc for queries/*.sql
// (when there are any).
//
// Generate is deterministic: the same inputs give the same bytes. It runs
// gqlgen in-process, which changes the process's working directory for
// the duration of that step; gqlgen steps of concurrent calls are
// serialized.
func Generate(ctx context.Context, o Options) (*Result, error) {
	if o.Config == "" {
		return nil, errors.New("no permissions file: set the config path")
	}
	if o.Out == "" {
		return nil, errors.New("no output directory")
	}
	if o.Module == "" {
		o.Module = "server"
	}
	dir, err := filepath.Abs(o.Out)
	if err != nil {
		return nil, err
	}
	replace, err := replacePath(dir, o.RuntimeReplace)
	if err != nil {
		return nil, err
	}
	p, err := loadProject(ctx, &o)
	if err != nil {
		return nil, err
	}
	if o.remotes, err = loadRemotes(ctx, &o, p.Metadata, p, dir); err != nil {
		return nil, err
	}
	out, err := projectFiles(p, &o, replace)
	if err != nil {
		return nil, err
	}
	if err := compiledFiles(p, dir, o.source(), out); err != nil { // compiled.go
		return nil, err
	}
	res := &Result{Warnings: out.warnings}
	if replace == "" {
		if v, ok := hasgenVersion(); !ok {
			res.Warnings = append(res.Warnings, fmt.Sprintf("this hasgen is a development build: go.mod requires %s %s, which only resolves with --runtime-replace pointing at a hasgen checkout", hasgenModule, v))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	// graph/sdl.go is written after gqlgen has run, as the record that
	// gqlgen's output is up to date with its input.
	if res.Written, err = writeGenerated(dir, out.generated); err != nil {
		return nil, err
	}
	if res.Created, err = createUserFiles(dir, out.user); err != nil {
		return nil, err
	}
	gqlgenYML := out.generated[pathGqlgenConfig]
	customSDL, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(pathCustomSDL)))
	if err != nil {
		return nil, err
	}
	res.Warnings = append(res.Warnings, customRoleWarnings(customSDL, p)...)
	// The typed client of operations/*.graphql (client.go), validated
	// against the schemas just written.
	clientGo, warnings, err := clientFiles(p, o.source(), dir, out.generated, customSDL)
	if err != nil {
		return nil, err
	}
	res.Warnings = append(res.Warnings, warnings...)
	written, err := writeGenerated(dir, clientGo)
	if err != nil {
		return nil, err
	}
	res.Written = append(res.Written, written...)
	sdl, err := sdlGo(o.source(), gqlgenStamp(gqlgenYML, customSDL, o.Module))
	if err != nil {
		return nil, err
	}
	keep := map[string][]byte{pathCustomSDLGo: sdl}
	for k, v := range out.generated {
		keep[k] = v
	}
	for k, v := range clientGo {
		keep[k] = v
	}
	if res.Deleted, err = deleteStale(dir, keep); err != nil {
		return nil, err
	}

	sdlPath := filepath.Join(dir, filepath.FromSlash(pathCustomSDLGo))
	old, err := os.ReadFile(sdlPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if !bytes.Equal(old, sdl) || !gqlgenOutputsExist(dir) {
		if err := runGqlgen(dir); err != nil {
			return nil, err
		}
		res.Gqlgen = true
	}
	written, err = writeGenerated(dir, map[string][]byte{pathCustomSDLGo: sdl})
	if err != nil {
		return nil, err
	}
	res.Written = append(res.Written, written...)

	// sqlc rewrites its output but never deletes it: clear sqlcdb/ first
	// so that the files of deleted queries go, and put it back if sqlc
	// fails, so that a bad query does not cost the previous output.
	removed, err := clearSqlcOutput(dir)
	if err != nil {
		return nil, err
	}
	queries, err := queryFiles(dir)
	if err != nil {
		return nil, err
	}
	if len(queries) > 0 {
		if err := runSqlc(ctx, dir); err != nil {
			if rerr := restore(dir, removed); rerr != nil {
				return nil, fmt.Errorf("%w (and restoring sqlcdb/: %v)", err, rerr)
			}
			return nil, err
		}
		res.Sqlc = true
	}
	for rel := range removed {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			res.Deleted = append(res.Deleted, rel)
		}
	}
	sort.Strings(res.Written)
	sort.Strings(res.Deleted)
	return res, nil
}

// loadProject loads the database model and the permissions file (unless
// o already holds them) and builds the model.
// LoadProject builds the model Generate renders: the database (o.DB, or
// introspected from o.DatabaseURL, or read from o.Snapshot) with the
// permissions file (o.Metadata, or loaded from o.Config). explain, the
// benchmarks and tests build their in-memory engines from it.
func LoadProject(ctx context.Context, o Options) (*model.Project, error) {
	return loadProject(ctx, &o)
}

func loadProject(ctx context.Context, o *Options) (*model.Project, error) {
	db := o.DB
	if db == nil {
		var err error
		if db, err = loadDB(ctx, o); err != nil {
			return nil, err
		}
	}
	md := o.Metadata
	if md == nil {
		var err error
		if md, err = metadata.Load(o.Config, db); err != nil {
			return nil, err
		}
	}
	if err := md.UnsupportedError(); err != nil && !o.IgnoreUnsupported {
		return nil, fmt.Errorf("%w\n%s: %d metadata key(s) that hasgen does not serve; accept leaving them out with --ignore-unsupported", err, o.Config, len(md.Unsupported))
	}
	if err := loadEnumTables(ctx, o, db, md); err != nil {
		return nil, err
	}
	p, err := model.Build(db, md)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Config, err)
	}
	return p, nil
}

func loadDB(ctx context.Context, o *Options) (*introspect.Schema, error) {
	switch {
	case o.DatabaseURL != "" && o.Snapshot != "":
		return nil, errors.New("give a database URL or a snapshot, not both")
	case o.Snapshot != "":
		return introspect.LoadSnapshotFile(o.Snapshot)
	case o.DatabaseURL != "":
		conn, err := pgx.Connect(ctx, o.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("connect to the database: %w", err)
		}
		defer conn.Close(context.Background())
		schemas := o.Schemas
		if len(schemas) == 0 && o.Config != "" {
			schemas = metadata.Schemas(o.Config)
		}
		if len(schemas) == 0 {
			schemas = []string{"public"}
		}
		return introspect.Load(ctx, conn, schemas)
	default:
		return nil, errors.New("no database model: set a database URL or a snapshot")
	}
}

// replacePath is the path the emitted go.mod replaces hasgen with: an
// absolute path as given, a relative one made relative to the project
// directory dir, "" for none.
func replacePath(dir, given string) (string, error) {
	if given == "" {
		return "", nil
	}
	abs, err := filepath.Abs(given)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil || fi.IsDir() {
		return "", fmt.Errorf("--runtime-replace %s: no go.mod there: it must be a checkout of %s", given, hasgenModule)
	}
	if filepath.IsAbs(given) {
		return filepath.ToSlash(given), nil
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	if !strings.HasPrefix(rel, "../") && rel != ".." {
		rel = "./" + rel
	}
	return rel, nil
}

// source is the permissions file as generated files name it: relative to
// the project directory, so that the output does not depend on where
// hasgen runs from.
func (o *Options) source() string {
	config, err1 := filepath.Abs(o.Config)
	out, err2 := filepath.Abs(o.Out)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(o.Config)
	}
	rel, err := filepath.Rel(out, config)
	if err != nil {
		return filepath.ToSlash(o.Config)
	}
	return filepath.ToSlash(rel)
}
