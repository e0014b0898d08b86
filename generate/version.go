package generate

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"golang.org/x/mod/semver"
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
