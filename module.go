// Package hasgen is the root of hasgen's module. It holds only the
// module's own go.mod and go.sum, which the generator (package generate)
// copies into every emitted project so that the project's module graph
// resolves to the versions hasgen was built and tested with: offline, from
// the module cache that built hasgen.
//
// The commands are in cmd/hasgen; the pipeline is introspect → metadata →
// model → templates → generate.
package hasgen

import _ "embed"

var (
	//go:embed go.mod
	goMod []byte
	//go:embed go.sum
	goSum []byte
)

// GoMod returns a copy of hasgen's go.mod.
func GoMod() []byte { return append([]byte(nil), goMod...) }

// GoSum returns a copy of hasgen's go.sum.
func GoSum() []byte { return append([]byte(nil), goSum...) }
