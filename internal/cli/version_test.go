package cli_test

import (
	"strings"
	"testing"
)

// TestVersion: a development build (this test binary, built from the
// checkout) says so and names its checkout, by flag and by command.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, stdout, stderr := run(t, args...)
		if code != 0 {
			t.Fatalf("%v exited %d: %s", args, code, stderr)
		}
		want := "hasgen (devel) (built from " + repo(t)
		if !strings.HasPrefix(stdout, want) || strings.Count(stdout, "\n") != 1 {
			t.Errorf("%v printed %q, want one line starting %q", args, stdout, want)
		}
	}
}
