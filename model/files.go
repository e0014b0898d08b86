package model

import (
	"fmt"
	"strconv"
	"strings"
)

// fileName is a table's file base name: schema_name, lower case, with
// characters that do not belong in a file name replaced. A name that go
// build would treat specially (a test file, a file for one GOOS or
// GOARCH, an ignored file) gets a suffix or prefix that makes it an
// ordinary source file: see buildSafe.
func fileName(schema, name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(schema + "_" + name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteString(fmt.Sprintf("x%x", r))
		}
	}
	return buildSafe(b.String())
}

// buildSafe makes base (a lower-case file name without .go) one that go
// build compiles on every platform: names starting with _ are ignored, so
// they get an "x" prefix; names whose last _-separated part is "test",
// a GOOS or a GOARCH (uuid_test, orders_linux, logs_amd64) are test or
// build-constrained files, so they get the suffix "_table", whose last
// part is none of those.
func buildSafe(base string) string {
	if strings.HasPrefix(base, "_") {
		base = "x" + base
	}
	parts := strings.Split(base, "_")
	last := parts[len(parts)-1]
	if len(parts) > 1 && (last == "test" || knownOS[last] || knownArch[last]) {
		base += "_table"
	}
	return base
}

// uniqueFiles gives tables whose file names coincide (tables "Orders" and
// "orders" both give public_orders; uuid_test and uuid_test_table both give
// public_uuid_test_table) distinct names: the first table in project order
// keeps the name, the next get _2, _3, ... (never a GOOS or GOARCH).
func uniqueFiles(tables []*Table) {
	taken := map[string]bool{}
	for _, t := range tables {
		taken[t.File] = false
	}
	for _, t := range tables {
		if !taken[t.File] {
			taken[t.File] = true
			continue
		}
		for i := 2; ; i++ {
			f := t.File + "_" + strconv.Itoa(i)
			if _, ok := taken[f]; !ok {
				t.File = f
				taken[f] = true
				break
			}
		}
	}
}

// knownOS and knownArch are the GOOS and GOARCH values go build recognizes
// in file names (go/build's list, with "unix" for good measure).
var knownOS = map[string]bool{
	"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true, "hurd": true,
	"illumos": true, "ios": true, "js": true, "linux": true, "nacl": true, "netbsd": true, "openbsd": true,
	"plan9": true, "solaris": true, "wasip1": true, "windows": true, "zos": true, "unix": true,
}

var knownArch = map[string]bool{
	"386": true, "amd64": true, "amd64p32": true, "arm": true, "armbe": true, "arm64": true, "arm64be": true,
	"loong64": true, "mips": true, "mipsle": true, "mips64": true, "mips64le": true, "mips64p32": true,
	"mips64p32le": true, "ppc": true, "ppc64": true, "ppc64le": true, "riscv": true, "riscv64": true,
	"s390": true, "s390x": true, "sparc": true, "sparc64": true, "wasm": true,
}
