package runtime

import (
	"log/slog"
	"os"

	"github.com/hasgen/hasgen/runtime/logs"
)

// newLogs is the server's Hasura-shaped logger (runtime/logs): standard
// error unless cfg.LogOutput says otherwise.
func newLogs(cfg Config) (*logs.Logger, error) {
	w := cfg.LogOutput
	if w == nil {
		w = os.Stderr
	}
	return logs.New(w, cfg.LogLevel, cfg.EnabledLogTypes)
}

// logStartup writes Hasura's startup lines: the server's configuration
// (no secrets: whether they are set) and the start of the API server.
func logStartup(l *logs.Logger, cfg Config, addr string) {
	if !l.Enabled(logs.Startup, logs.Info) {
		return
	}
	authMode := "no-auth"
	switch {
	case cfg.Auth.AuthHook != "":
		authMode = "webhook"
	case cfg.Auth.JWTSecret != "" || cfg.Auth.JWTSecrets != "":
		authMode = "jwt"
	case cfg.Auth.AdminSecret != "":
		authMode = "admin-secret"
	}
	types := cfg.EnabledLogTypes
	if types == "" {
		types = logs.DefaultTypes
	}
	level := cfg.LogLevel
	if level == "" {
		level = "info"
	}
	info := map[string]any{
		"server_host": cfg.Host, "port": cfg.Port, "auth_mode": authMode,
		"auth_hook_mode": hookMode(cfg), "unauth_role": cfg.Auth.UnauthorizedRole,
		"enable_console": cfg.EnableConsole, "enabled_log_types": types, "log_level": level,
		"stringify_numeric_types": cfg.StringifyNumeric, "infer_function_permissions": cfg.InferFunctionPermissions,
	}
	l.Log(logs.Startup, logs.Info, map[string]any{"kind": "server_configuration", "info": info})
	l.Log(logs.Startup, logs.Info, map[string]any{"kind": "server", "info": map[string]string{"message": "starting API server", "address": addr}})
}

func hookMode(cfg Config) any {
	if cfg.Auth.AuthHook == "" {
		return nil
	}
	if cfg.Auth.AuthHookMode == "" {
		return "GET"
	}
	return cfg.Auth.AuthHookMode
}

// slogLevel is the level of the server's other logs: the same setting.
func slogLevel(s string) slog.Level {
	lv, _ := logs.ParseLevel(s)
	switch lv {
	case logs.Debug:
		return slog.LevelDebug
	case logs.Warn:
		return slog.LevelWarn
	case logs.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}
