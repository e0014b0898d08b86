package generate

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
)

// Build describes the hasgen that is running, from the module build
// information Go stamps into every binary.
type Build struct {
	// Version is hasgen's module version: a release or pseudo-version
	// for `go install github.com/hasgen/hasgen/cmd/hasgen@<version>`,
	// "(devel)" (or a VCS-stamped version) for a build from a checkout.
	Version string
	// Release is true when Version is a module version that the emitted
	// go.mod can require as it is: hasgen was built from the module
	// cache, not from a working tree.
	Release bool
	// Checkout is, for a development build, the hasgen source tree it was
	// compiled from (found through the source paths compiled into the
	// binary), or "" when that tree is gone or the build was -trimpath'd.
	Checkout string
	// Revision and Modified are the VCS stamp of a build from a checkout,
	// when Go recorded one.
	Revision string
	Modified bool
	// Sum is the h1: hash of hasgen's module zip, recorded for a build
	// from the module cache (go install ...@version), else "".
	Sum string
}

// ThisBuild returns the running hasgen's Build.
func ThisBuild() Build {
	b := Build{Version: "(devel)"}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		vcs := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision, vcs = s.Value, true
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
		for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
			if m.Path != hasgenModule {
				continue
			}
			if m.Version != "" {
				b.Version = m.Version
			}
			b.Sum = m.Sum
			// A version stamped from a working tree (vcs.*) names a commit
			// that need not be published; a replaced module is not the
			// version it claims.
			b.Release = m.Replace == nil && !vcs && semver.IsValid(m.Version) && semver.Build(m.Version) == ""
			break
		}
	}
	if !b.Release {
		b.Checkout = sourceCheckout()
	}
	return b
}

// sourceCheckout is the hasgen module directory this file was compiled
// from, when it still holds hasgen's go.mod: the checkout of a `go build`
// or `go run` from a working tree.
func sourceCheckout() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "" // -trimpath: the paths are module paths
	}
	dir := filepath.Dir(filepath.Dir(file)) // <root>/generate/version.go
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !bytes.HasPrefix(b, []byte("module "+hasgenModule+"\n")) {
		return ""
	}
	return dir
}

// goSum is the emitted go.sum: hasgen's own, plus, for a release build
// whose module hash Go recorded, hasgen's lines (the zip's hash, and its
// go.mod's, which is the go.mod hasgen embeds), so that the emitted
// module's requirement of hasgen verifies without a go.sum update.
func goSum(b Build, own, ownGoMod []byte) ([]byte, error) {
	if !b.Release || b.Sum == "" {
		return own, nil
	}
	modHash, err := goModHash(ownGoMod)
	if err != nil {
		return nil, fmt.Errorf("hash of hasgen's go.mod: %w", err)
	}
	add := []string{
		hasgenModule + " " + b.Version + " " + b.Sum,
		hasgenModule + " " + b.Version + "/go.mod " + modHash,
	}
	lines := strings.SplitAfter(string(own), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	// go.sum is sorted by module path: hasgen's lines go before the first
	// module that sorts after it.
	at := sort.Search(len(lines), func(i int) bool {
		path, _, _ := strings.Cut(lines[i], " ")
		return path > hasgenModule
	})
	var out strings.Builder
	for _, l := range lines[:at] {
		out.WriteString(l)
	}
	for _, l := range add {
		out.WriteString(l + "\n")
	}
	for _, l := range lines[at:] {
		out.WriteString(l)
	}
	return []byte(out.String()), nil
}

// goModHash is the go.sum hash of a module version's go.mod file (the
// "<module> <version>/go.mod h1:..." line).
func goModHash(goMod []byte) (string, error) {
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(goMod)), nil
	})
}
