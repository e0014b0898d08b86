package events

// This file will not be regenerated automatically: hasgen created it once
// and it is yours.

// Setup returns the Go handlers of the event triggers, which main.go
// passes to the server: set a field of Handlers (events.go) to handle its
// trigger here instead of at its webhook. Setup runs once, before the
// server starts: open here what the handlers need (a pool, a client).
func Setup() Handlers {
	return Handlers{}
}
