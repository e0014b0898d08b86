package actions

// This file will not be regenerated automatically: hasgen created it once
// and it is yours.

// Setup returns the Go handlers of the actions, which main.go passes to
// the server: set a field of Handlers (actions.go) to answer its action
// here instead of at its webhook (an action whose handler is "go" in
// actions.yaml must have one). Setup runs once, before the server
// starts: open here what the handlers need (a pool, a client).
func Setup() Handlers {
	return Handlers{}
}
