package generate

import (
	"fmt"
	"slices"

	"github.com/hasgen/hasgen/model"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// customRoleWarnings are the roles that the @roles directives of
// graph/custom.graphqls name but no permission of the metadata has: a
// typo there would hide the field from the role meant, silently.
func customRoleWarnings(sdl []byte, p *model.Project) []string {
	doc, err := parser.ParseSchema(&ast.Source{Name: pathCustomSDL, Input: string(sdl)})
	if err != nil {
		return nil // gqlgen reports it
	}
	var out []string
	for _, d := range append(doc.Definitions, doc.Extensions...) {
		for _, f := range d.Fields {
			dir := f.Directives.ForName("roles")
			if dir == nil {
				continue
			}
			arg := dir.Arguments.ForName("names")
			if arg == nil || arg.Value == nil {
				continue
			}
			values := arg.Value.Children
			if arg.Value.Kind == ast.StringValue {
				values = ast.ChildValueList{{Value: arg.Value}}
			}
			for _, v := range values {
				if v.Value == nil || v.Value.Kind != ast.StringValue || v.Value.Raw == model.AdminRole || slices.Contains(p.Roles, v.Value.Raw) {
					continue
				}
				// gqlparser places a string after its opening quote.
				pos := v.Value.Position
				out = append(out, fmt.Sprintf("%s:%d:%d: field %s.%s: @roles names role %q, which no permission of the metadata has",
					pathCustomSDL, pos.Line, max(pos.Column-1, 1), d.Name, f.Name, v.Value.Raw))
			}
		}
	}
	return out
}
