package runtime

import (
	"fmt"
	"net/http"

	"github.com/hasgen/hasgen/runtime/actions"
)

// newActions reads the project's actions (schema/actions.jsonc) and
// resolves their handlers' environment references, those with a Go
// handler (p.ActionHandlers) answered by it; nil when it has none.
// An unset variable stops the server, as Hasura refuses such metadata.
func newActions(p Project) (*actions.Service, error) {
	cfg, err := actions.Load(p.Schemas)
	if err != nil {
		return nil, err
	}
	if len(cfg.Actions) == 0 {
		if len(p.ActionHandlers) > 0 {
			return nil, fmt.Errorf("actions: Go handlers are set but the project has no actions")
		}
		return nil, nil
	}
	// The default transport honours HTTP(S)_PROXY, as Hasura does.
	svc, err := actions.New(cfg, actions.Options{Client: &http.Client{Transport: http.DefaultTransport}, Handlers: p.ActionHandlers})
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	return svc, nil
}
