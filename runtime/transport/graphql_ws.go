package transport

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

	"github.com/hasgen/hasgen/runtime/wire"
)

// graphQLWS is the legacy graphql-ws subprotocol.
type graphQLWS struct{}

// handle handles one graphql-ws client message.
func (graphQLWS) handle(ctx context.Context, c *wsConn, m *wsMessage) {
	switch m.Type {
	case "connection_init":
		if _, err := c.init(ctx, m.Payload, false); err != nil {
			msg := wire.First(err).Message
			c.send(connectionError(msg))
			c.closeWith(4400, "Connection initialization failed: "+msg)
			return
		}
		c.send([]byte(`{"type":"ka"}`))
	case "start", "subscribe":
		if m.ID == nil {
			c.protocolError("parsing ClientMessage failed: key \"id\" not found")
			return
		}
		op, ok := c.addOp(*m.ID)
		if !ok {
			c.send(frame("error", idJSON(*m.ID), wire.AppendErrors(nil, &wire.Error{Code: wire.CodeStartFailed, Path: "$", Message: "an operation already exists with this id: " + *m.ID})))
			return
		}
		c.mu.Lock()
		acked := c.acked
		c.mu.Unlock()
		if !acked {
			graphQLWS{}.startFailed(c, op, &wire.Error{Code: wire.CodeStartFailed, Path: "$", Message: "start received before the connection is initialised"})
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

// badMessage sends connection_error; the connection goes on.
func (graphQLWS) badMessage(c *wsConn, msg string) { c.send(connectionError(msg)) }

// keepAlive is ka.
func (graphQLWS) keepAlive() []byte { return []byte(`{"type":"ka"}`) }

// expired sends connection_error, then closes with 4403.
func (graphQLWS) expired(c *wsConn) {
	c.send(connectionError("Could not verify JWT: JWTExpired"))
	c.closeWith(4403, "Forbidden: JWT expired")
}

func (graphQLWS) dataType() string { return "data" }

// startFailed sends error {errors}, then complete, as Hasura.
func (graphQLWS) startFailed(c *wsConn, op *wsOp, err error) {
	c.endOp(op)
	c.send(frame("error", op.idJSON, wire.AppendErrors(nil, err)))
	c.send(frame("complete", op.idJSON, nil))
}

// queryFailed sends the errors as data, then complete.
func (graphQLWS) queryFailed(c *wsConn, op *wsOp, err error) {
	c.send(frame("data", op.idJSON, wire.AppendErrors(nil, err)))
	c.send(frame("complete", op.idJSON, nil))
}

func (graphQLWS) initTimeout() bool { return false }

// connectionError is graphql-ws's connection_error message.
func connectionError(msg string) []byte {
	p, _ := json.Marshal(msg)
	return frame("connection_error", nil, p)
}
