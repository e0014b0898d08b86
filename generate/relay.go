package generate

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/templates"
)

// relayFiles adds the Relay API's schemas (served on /v1beta1/relay):
// schema/relay/full.graphqls and schema/relay/roles/<role>.graphqls,
// each role file holding what differs from relay/full.graphqls, as the
// /v1/graphql ones do. The roles' schemas are built in parallel: with
// hundreds of tables and roles they are most of generate's time.
//
// A source with a naming convention or customization gets no Relay API:
// its Relay names are not implemented, and generate says so.
func relayFiles(p *model.Project, src string, fs *files) error {
	if p.Naming != (model.Naming{}) {
		fs.warnings = append(fs.warnings, "the Relay API (/v1beta1/relay) is not generated: hasgen does not name it by a source's naming_convention or customization yet")
		return nil
	}
	full, err := templates.RelaySDL(p, model.AdminRole)
	if err != nil {
		return fmt.Errorf("relay schema of role admin: %w", err)
	}
	fs.generated["schema/relay/full.graphqls"] = withHeader(hashHeader(src)+"\n", full)
	deltas := newDeltas(full)
	out := make([][]byte, len(p.Roles))
	errs := make([]error, len(p.Roles))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(p.Roles)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				b, err := templates.RelaySDL(p, p.Roles[i])
				if err != nil {
					errs[i] = fmt.Errorf("relay schema of role %s: %w", p.Roles[i], err)
					continue
				}
				out[i] = withHeader(hashHeader(src)+"\n"+relayRoleFileNote, deltas(b))
			}
		}()
	}
	for i := range p.Roles {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, role := range p.Roles {
		if errs[i] != nil {
			return errs[i]
		}
		fs.generated["schema/relay/roles/"+role+".graphqls"] = out[i]
	}
	return nil
}

// relayRoleFileNote opens every Relay role file, after the generated
// header.
const relayRoleFileNote = "# The definitions of this role's Relay schema that differ from\n" +
	"# relay/full.graphqls; the others, and the types they use, are those of\n# relay/full.graphqls.\n\n"
