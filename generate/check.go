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

	"github.com/hasgen/hasgen/internal/linediff"
)

// Check reports how o.Out differs from what Generate would write now: it
// copies o.Out to a temporary sibling directory (so that a relative
// --runtime-replace resolves the same), generates there, and diffs the two
// trees (a relative RuntimeReplace resolves the same from a sibling). The diff is unified, one section per file that differs, in path
// order; it is empty when the trees are identical. o.Out itself is not
// modified.
//
// Files the generator leaves alone (the user's, which the copy keeps) never
// differ; directories whose name starts with "." are not compared.
func Check(ctx context.Context, o Options) (string, error) {
	if o.Out == "" {
		return "", errors.New("no output directory")
	}
	dir, err := filepath.Abs(o.Out)
	if err != nil {
		return "", err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, ".hasgen-check-")
	if err != nil {
		return "", fmt.Errorf("check needs a temporary directory beside %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := copyTree(dir, tmp); err != nil {
		return "", err
	}
	shown := o.Out
	o.Out = tmp
	if _, err := Generate(ctx, o); err != nil {
		return "", err
	}
	drift, err := remoteDrift(dir, tmp)
	if err != nil {
		return "", err
	}
	ops, err := operationDrift(dir, tmp) // compiled.go
	if err != nil {
		return "", err
	}
	diff, err := diffTrees(dir, tmp, shown)
	return drift + ops + diff, err
}

// copyTree copies the regular files under src (when it exists) to dst,
// skipping directories whose name starts with ".".
func copyTree(src, dst string) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != src && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
}

// treeFiles reads every regular file under dir, by slash-separated
// relative path, skipping directories whose name starts with ".".
func treeFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return files, nil
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	return files, err
}

// diffTrees diffs the files of have (on disk) against want (generated),
// naming them under name.
func diffTrees(have, want, name string) (string, error) {
	a, err := treeFiles(have)
	if err != nil {
		return "", err
	}
	b, err := treeFiles(want)
	if err != nil {
		return "", err
	}
	paths := map[string]bool{}
	for p := range a {
		paths[p] = true
	}
	for p := range b {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	var out bytes.Buffer
	for _, p := range sorted {
		old, inOld := a[p]
		new, inNew := b[p]
		if inOld && inNew && bytes.Equal(old, new) {
			continue
		}
		oldName := filepath.ToSlash(filepath.Join(name, p))
		newName := oldName + " (generated)"
		if !inOld {
			oldName = "/dev/null"
		}
		if !inNew {
			newName = "/dev/null (deleted by hasgen generate)"
		}
		out.Write(linediff.Diff(oldName, old, newName, new))
	}
	return out.String(), nil
}
