package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hasgen/hasgen/generate"
	"github.com/spf13/cobra"
)

// versionLine describes the running hasgen: its module version and, for a
// development build, the checkout it was built from.
func versionLine(b generate.Build) string {
	s := b.Version
	if b.Release {
		return s
	}
	var extra []string
	if b.Checkout != "" {
		extra = append(extra, "built from "+b.Checkout)
	}
	if b.Revision != "" {
		r := "revision " + b.Revision
		if b.Modified {
			r += ", modified"
		}
		extra = append(extra, r)
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, "; ") + ")"
	}
	return s
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print hasgen's version (the version of github.com/hasgen/hasgen generated servers require)",
		Long: `version prints hasgen's module version, which the go.mod of every server it
generates requires. A development build (go build or go run in a checkout)
prints "(devel)" and the checkout, which the generated go.mod replaces
github.com/hasgen/hasgen with.`,
		Example: `  hasgen version
  hasgen --version`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(stdout, "hasgen "+versionLine(generate.ThisBuild()))
			return err
		},
	}
}

// devReplace is the --runtime-replace a development build uses when none
// is given: its own checkout, as a path relative to the working directory
// when out is inside the checkout (so that the emitted go.mod holds a
// relative path), else absolute. It returns "" for a release build, or a
// development build whose checkout was not found.
func devReplace(b generate.Build, out string) (string, error) {
	if b.Release || b.Checkout == "" {
		return "", nil
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(b.Checkout, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		if r, err := filepath.Rel(wd, b.Checkout); err == nil {
			return r, nil
		}
	}
	return b.Checkout, nil
}
