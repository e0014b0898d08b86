package generate

import (
	"fmt"

	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/templates"
)

// relayFiles adds the Relay API's schemas (served on /v1beta1/relay):
// schema/relay/full.graphqls and schema/relay/roles/<role>.graphqls,
// each role file holding what differs from relay/full.graphqls, as the
// /v1/graphql ones do (roleFiles).
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
	roles, err := roleFiles(p, full, "relay schema", templates.RelaySDL)
	if err != nil {
		return err
	}
	for i, role := range p.Roles {
		fs.generated["schema/relay/roles/"+role+".graphqls"] = withHeader(hashHeader(src)+"\n"+relayRoleFileNote, roles[i])
	}
	return nil
}

// relayRoleFileNote opens every Relay role file, after the generated
// header.
const relayRoleFileNote = "# The definitions of this role's Relay schema that differ from\n" +
	"# relay/full.graphqls; the others, and the types they use, are those of\n# relay/full.graphqls.\n\n"
