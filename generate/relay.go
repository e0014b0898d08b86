package generate

import (
	"fmt"

	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/templates"
)

// relayFiles adds the Relay API's schemas (served on /v1beta1/relay):
// schema/relay/full.graphqls and schema/relay/roles/<role>.graphqls,
// each role file holding what differs from relay/full.graphqls, as the
// /v1/graphql ones do.
func relayFiles(p *model.Project, src string, fs *files) error {
	full, err := templates.RelaySDL(p, model.AdminRole)
	if err != nil {
		return fmt.Errorf("relay schema of role admin: %w", err)
	}
	fs.generated["schema/relay/full.graphqls"] = withHeader(hashHeader(src)+"\n", full)
	for _, role := range p.Roles {
		b, err := templates.RelaySDL(p, role)
		if err != nil {
			return fmt.Errorf("relay schema of role %s: %w", role, err)
		}
		fs.generated["schema/relay/roles/"+role+".graphqls"] = withHeader(hashHeader(src)+"\n"+relayRoleFileNote, roleDelta(full, b))
	}
	return nil
}

// relayRoleFileNote opens every Relay role file, after the generated
// header.
const relayRoleFileNote = "# The definitions of this role's Relay schema that differ from\n" +
	"# relay/full.graphqls; the others, and the types they use, are those of\n# relay/full.graphqls.\n\n"
