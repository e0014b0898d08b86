package metadata

import (
	"github.com/hasgen/hasgen/runtime/wire"
)

// APILimits is the metadata's api_limits.yaml, in the form the server
// reads.
type APILimits = wire.APILimits

// apiLimits reads api_limits (api_limits.yaml, or the key of a metadata
// export); rate_limit, which hasgen does not serve yet, is reported.
func (l *loader) apiLimits(x ynode) *APILimits {
	if l.isNull(x) {
		return nil
	}
	fields, ok := l.mapping(x, "api_limits", "api_limits")
	if !ok {
		return nil
	}
	out := &APILimits{}
	for _, fl := range fields {
		ctx := "api_limits." + fl.key
		switch fl.key {
		case "disabled":
			out.Disabled, _ = l.boolean(fl.val, ctx, "disabled")
		case "depth_limit":
			out.DepthLimit = l.limitValue(fl.val, ctx)
		case "node_limit":
			out.NodeLimit = l.limitValue(fl.val, ctx)
		case "time_limit":
			out.TimeLimit = l.limitValue(fl.val, ctx)
		case "batch_limit":
			out.BatchLimit = l.limitValue(fl.val, ctx)
		case "rate_limit":
			if !l.empty(fl.val) {
				l.unsupportedf(fl.keyPos, "", "api_limits.rate_limit")
			}
		default:
			l.errorf(fl.keyPos, "", "api_limits.%s is not a key of api_limits", fl.key)
		}
	}
	if !out.Disabled && out.DepthLimit == nil && out.NodeLimit == nil && out.TimeLimit == nil && out.BatchLimit == nil {
		return nil
	}
	return out
}

// limitValue reads {global: N, per_role: {role: N}}.
func (l *loader) limitValue(x ynode, ctx string) *wire.LimitValue {
	fields, ok := l.mapping(x, ctx, ctx)
	if !ok {
		return nil
	}
	v := &wire.LimitValue{}
	for _, fl := range fields {
		switch fl.key {
		case "global":
			if n, ok := l.count(fl.val, ctx, "global"); ok {
				f := float64(n)
				v.Global = &f
			}
		case "per_role":
			roles, ok := l.mapping(fl.val, ctx, "per_role")
			if !ok {
				continue
			}
			v.PerRole = map[string]float64{}
			for _, r := range roles {
				if n, ok := l.count(r.val, ctx+".per_role", r.key); ok {
					v.PerRole[r.key] = float64(n)
				}
			}
		default:
			l.errorf(fl.keyPos, "", "%s.%s is not a key of a limit (global, per_role)", ctx, fl.key)
		}
	}
	return v
}
