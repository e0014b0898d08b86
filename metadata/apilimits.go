package metadata

import (
	"path"
	"path/filepath"

	"github.com/hasgen/hasgen/runtime/wire"
)

// APILimits is the metadata's api_limits.yaml, in the form the server
// reads.
type APILimits = wire.APILimits

// apiLimitsFile returns the api_limits.yaml beside the databases directory
// of root (a metadata directory's databases/databases.yaml, or the old
// layout's tables.yaml), or "" for a plain permissions file.
func apiLimitsFile(root string, slash bool) string {
	dir, base := filepath.Dir, filepath.Base
	join := filepath.Join
	if slash {
		dir, base, join = path.Dir, path.Base, path.Join
	}
	switch {
	case base(root) == "databases.yaml" && base(dir(root)) == "databases":
		return join(dir(dir(root)), "api_limits.yaml")
	case base(root) == "tables.yaml":
		return join(dir(root), "api_limits.yaml")
	}
	return ""
}

// apiLimits reads an api_limits.yaml that exists; rate_limit, which hasgen
// does not serve, is an error unless the file turns limits off.
func (l *loader) apiLimits(name string) *APILimits {
	if _, err := l.fs.read(name); err != nil {
		return nil // none
	}
	f := l.file(name, Pos{})
	if !f.ok || f.body == nil {
		return nil
	}
	x := ynode{n: f.body, fr: &frame{file: f}}
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
			l.errorf(fl.keyPos, "", "api_limits.rate_limit is not supported by hasgen")
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
