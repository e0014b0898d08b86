package runtime_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hasgen/hasgen/internal/golden"
	"github.com/hasgen/hasgen/runtime"
)

// envDoc is the deployment notes' table of environment variables.
const envDoc = "docs/deployment.md"

var envRow = regexp.MustCompile("^\\| `([A-Z0-9_]+)` \\| ([^|]*) \\| (.*) \\|$")

// TestEnvVarsDocumented: the table of docs/deployment.md lists every
// environment variable the server reads (runtime.EnvVars, recorded as
// configFrom reads them), in that order, with its default, and nothing
// else. -update rewrites the names and defaults, keeping each row's
// description.
func TestEnvVarsDocumented(t *testing.T) {
	path := filepath.Join(repoRoot(t), envDoc)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	const begin, end = "<!-- env:begin -->\n", "<!-- env:end -->\n"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q section", envDoc, begin, end)
	}
	section := doc[i+len(begin) : j]
	desc := map[string]string{}
	var got []string
	for _, line := range strings.Split(section, "\n") {
		if m := envRow.FindStringSubmatch(line); m != nil {
			desc[m[1]] = m[3]
			got = append(got, m[1]+" = "+strings.TrimSpace(m[2]))
		}
	}
	var want []string
	var rows strings.Builder
	rows.WriteString("| Variable | Default | Meaning |\n|---|---|---|\n")
	for _, v := range runtime.EnvVars() {
		def := "(unset)"
		if v.Default != "" {
			def = "`" + v.Default + "`"
			if v.Unit != "" {
				def += " " + v.Unit
			}
		}
		want = append(want, v.Name+" = "+def)
		d := desc[v.Name]
		if d == "" {
			d = "TODO"
		}
		rows.WriteString("| `" + v.Name + "` | " + def + " | " + d + " |\n")
	}
	if *golden.Update {
		doc = doc[:i+len(begin)] + rows.String() + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s's environment variables differ from the code's (-code +doc; go test ./runtime -run TestEnvVarsDocumented -update):\n%s", envDoc, diff)
	}
	for name, d := range desc {
		if strings.TrimSpace(d) == "" || d == "TODO" {
			t.Errorf("%s: %s has no description", envDoc, name)
		}
	}
}
