package generate

import (
	"os"
	"strings"
	"testing"
)

// TestDockerfile: generate creates a Dockerfile for a static binary, run as
// a non-root user, with the server's own health check and port 8080; it is
// the user's: created when absent, never rewritten.
func TestDockerfile(t *testing.T) {
	p := newProject(t, chinook(t))
	res := p.generate()
	if !contains(res.Created, "Dockerfile") {
		t.Fatalf("Dockerfile not created: %v", res.Created)
	}
	d := p.read("Dockerfile")
	for _, want := range []string{
		"\nFROM golang:1.", " AS build\n",
		"RUN CGO_ENABLED=0 go build ",
		"\nFROM gcr.io/distroless/static-debian12:nonroot\n",
		"\nUSER nonroot:nonroot\n",
		"\nEXPOSE 8080\n",
		`HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["/server", "--healthcheck"]`,
		"\nENTRYPOINT [\"/server\"]\n",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "{{") {
		t.Errorf("Dockerfile has an unexpanded template:\n%s", d)
	}

	// Kept as the user changed it; created again when removed.
	p.write("Dockerfile", "FROM scratch\n")
	if res := p.generate(); contains(res.Created, "Dockerfile") || contains(res.Written, "Dockerfile") {
		t.Errorf("an existing Dockerfile was written: %+v", res)
	}
	if got := p.read("Dockerfile"); got != "FROM scratch\n" {
		t.Errorf("Dockerfile rewritten:\n%s", got)
	}
	if err := os.Remove(p.out + "/Dockerfile"); err != nil {
		t.Fatal(err)
	}
	if res := p.generate(); !contains(res.Created, "Dockerfile") || p.read("Dockerfile") != d {
		t.Errorf("a removed Dockerfile was not created again: %+v", res)
	}
}
