package metadata

import (
	"strings"

	"github.com/hasgen/hasgen/runtime/wire"
)

// APILimits is the metadata's api_limits.yaml, in the form the server
// reads.
type APILimits = wire.APILimits

// apiLimits reads api_limits (api_limits.yaml, or the key of a metadata
// export).
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
			if !l.isNull(fl.val) {
				out.RateLimit = l.rateLimitValue(fl.val, ctx)
			}
		default:
			l.errorf(fl.keyPos, "", "api_limits.%s is not a key of api_limits", fl.key)
		}
	}
	if !out.Disabled && out.DepthLimit == nil && out.NodeLimit == nil && out.TimeLimit == nil && out.BatchLimit == nil && out.RateLimit == nil {
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

// rateLimitValue reads rate_limit: {global: RULE, per_role: {role: RULE}}.
func (l *loader) rateLimitValue(x ynode, ctx string) *wire.RateLimitValue {
	fields, ok := l.mapping(x, ctx, ctx)
	if !ok {
		return nil
	}
	v := &wire.RateLimitValue{}
	for _, fl := range fields {
		switch fl.key {
		case "global":
			if r, ok := l.rateLimitRule(fl.val, ctx+".global"); ok {
				v.Global = &r
			}
		case "per_role":
			roles, ok := l.mapping(fl.val, ctx, "per_role")
			if !ok {
				continue
			}
			v.PerRole = map[string]wire.RateLimit{}
			for _, r := range roles {
				if r.key == "admin" {
					// Hasura applies no api limit to admin.
					l.warns = append(l.warns, &Error{Pos: r.keyPos, Msg: ctx + ".per_role: admin is never rate limited; its rule is ignored"})
					continue
				}
				if rule, ok := l.rateLimitRule(r.val, ctx+".per_role."+r.key); ok {
					v.PerRole[r.key] = rule
				}
			}
		default:
			l.errorf(fl.keyPos, "", "%s.%s is not a key of a rate limit (global, per_role)", ctx, fl.key)
		}
	}
	return v
}

// rateLimitRule reads {max_reqs_per_min: N, unique_params: IP | [vars]}.
func (l *loader) rateLimitRule(x ynode, ctx string) (wire.RateLimit, bool) {
	var r wire.RateLimit
	fields, ok := l.mapping(x, ctx, ctx)
	if !ok {
		return r, false
	}
	seenMax := false
	for _, fl := range fields {
		switch fl.key {
		case "max_reqs_per_min":
			n, ok := l.count(fl.val, ctx, "max_reqs_per_min")
			if !ok {
				return r, false
			}
			if n == 0 {
				l.errorf(l.deref(fl.val).pos(), ctx, "max_reqs_per_min must be at least 1")
				return r, false
			}
			r.MaxReqsPerMin, seenMax = n, true
		case "unique_params":
			if l.isNull(fl.val) {
				continue
			}
			d := l.deref(fl.val)
			if isString(d) {
				s, _ := l.str(d, ctx, "unique_params")
				if !strings.EqualFold(s, "ip") {
					l.errorf(d.pos(), ctx, "unique_params must be IP or a list of session variables, not %q", s)
					return r, false
				}
				r.UniqueParams.IP = true
				continue
			}
			items, ok := l.seq(d, ctx, "unique_params")
			if !ok {
				return r, false
			}
			for _, it := range items {
				name, ok := l.name(it, ctx, "unique_params")
				if !ok {
					return r, false
				}
				if !strings.HasPrefix(strings.ToLower(name), "x-hasura-") {
					l.errorf(l.deref(it).pos(), ctx, "unique_params: %q is not a session variable (x-hasura-*)", name)
					return r, false
				}
				r.UniqueParams.SessionVariables = append(r.UniqueParams.SessionVariables, strings.ToLower(name))
			}
		default:
			l.errorf(fl.keyPos, "", "%s.%s is not a key of a rate limit rule (max_reqs_per_min, unique_params)", ctx, fl.key)
		}
	}
	if !seenMax {
		l.errorf(l.deref(x).pos(), ctx, "max_reqs_per_min is required")
		return r, false
	}
	return r, true
}
