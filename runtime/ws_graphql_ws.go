package runtime

// The legacy graphql-ws subprotocol (subscriptions-transport-ws), Apollo's
// and Hasura's default when the client names no subprotocol:
//
//	client → connection_init {payload}   server → connection_ack, ka | connection_error {payload: message}
//	client → start {id, payload}         server → data {id, payload}*, complete {id} | error {id, payload: {errors}}, complete {id}
//	client → stop {id}                   (stops the operation; no answer)
//	client → connection_terminate        (the server closes the connection)
//
// A message that cannot be parsed gets connection_error and the
// connection goes on; a rejected connection_init gets connection_error
// and is closed (4400), as in Hasura. A failed refetch of a live query
// sends data {"errors": [...]}. Keep-alive: ka right after the ack, then
// every KeepAlive. As Hasura does, the graphql-transport-ws names of the
// messages (subscribe, complete, ping) are understood too.

import (
	"context"
	"encoding/json"
)

// handleGraphQLWS handles one graphql-ws client message.
func (c *wsConn) handleGraphQLWS(ctx context.Context, m *wsMessage) {
	switch m.Type {
	case "connection_init":
		c.mu.Lock()
		c.initSeen = true
		c.mu.Unlock()
		s, err := c.connectionInit(ctx, m.Payload)
		if err != nil {
			c.h.m.errors.WithLabelValues("websocket").Inc()
			c.send(legacyConnectionError(err.Message))
			c.closeWith(4400, "Connection initialization failed: "+err.Message)
			return
		}
		c.initialised(s)
		c.send([]byte(`{"type":"connection_ack"}`))
		c.send([]byte(`{"type":"ka"}`))
	case "start", "subscribe":
		if m.ID == nil {
			c.protocolError("parsing ClientMessage failed: key \"id\" not found")
			return
		}
		op, ok := c.addOp(*m.ID)
		if !ok {
			idJSON := frameID(*m.ID)
			c.send(frame("error", idJSON, AppendErrors(nil, &Error{Code: "start-failed", Path: "$", Message: "an operation already exists with this id: " + *m.ID})))
			return
		}
		c.mu.Lock()
		acked := c.acked
		c.mu.Unlock()
		if !acked {
			c.opErrors(op, []*Error{{Code: "start-failed", Path: "$", Message: "start received before the connection is initialised"}})
			return
		}
		c.start(ctx, op, m.Payload)
	case "stop", "complete":
		if m.ID == nil {
			c.protocolError("parsing ClientMessage failed: key \"id\" not found")
			return
		}
		c.stopOp(*m.ID)
	case "connection_terminate":
		c.closeWith(1000, "GQL_CONNECTION_TERMINATE received")
	case "ping":
		c.send(frame("pong", nil, m.Payload))
	case "pong":
	default:
		c.protocolError("parsing ClientMessage failed: unexpected type for ClientMessage: " + m.Type)
	}
}

// frameID is an operation id as JSON.
func frameID(id string) []byte {
	b, _ := json.Marshal(id)
	return b
}
