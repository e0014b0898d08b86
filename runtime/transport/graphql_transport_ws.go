package transport

// The graphql-transport-ws subprotocol (graphql-ws's PROTOCOL.md):
//
//	client → connection_init {payload}   server → connection_ack
//	client → subscribe {id, payload}     server → next {id, payload}*, complete {id} | error {id, payload: [errors]}
//	client → complete {id}               (stops the operation; no answer)
//	either → ping {payload?}             other → pong {payload?}
//
// The server closes the socket on protocol errors with the protocol's
// codes: 4400 bad message, 4401 subscribe before connection_ack, 4403
// connection_init rejected (or the JWT expired), 4408 no connection_init
// within the init timeout, 4409 an id already in use, 4429 a second
// connection_init. Keep-alive: a ping {"message": "keepalive"} every
// KeepAlive, as Hasura sends.

import (
	"context"

	"github.com/hasgen/hasgen/runtime/wire"
)

// graphQLTransportWS is the graphql-transport-ws subprotocol.
type graphQLTransportWS struct{}

// handle handles one graphql-transport-ws client message.
func (graphQLTransportWS) handle(ctx context.Context, c *wsConn, m *wsMessage) {
	switch m.Type {
	case "connection_init":
		again, err := c.init(ctx, m.Payload, true)
		switch {
		case again:
			c.closeWith(4429, "Too many initialisation requests")
		case err != nil:
			c.closeWith(4403, "Forbidden: "+wire.First(err).Message)
		}
	case "ping":
		c.send(frame("pong", nil, m.Payload))
	case "pong":
	case "subscribe":
		if m.ID == nil || *m.ID == "" {
			c.protocolError("Invalid message received: subscribe without an id")
			return
		}
		c.mu.Lock()
		acked := c.acked
		c.mu.Unlock()
		if !acked {
			c.closeWith(4401, "Unauthorized")
			return
		}
		op, ok := c.addOp(*m.ID)
		if !ok {
			c.closeWith(4409, "Subscriber for "+*m.ID+" already exists")
			return
		}
		c.start(ctx, op, m.Payload)
	case "complete":
		if m.ID == nil {
			c.protocolError("Invalid message received: complete without an id")
			return
		}
		c.stopOp(*m.ID)
	default:
		c.protocolError("Invalid message received: unexpected type " + m.Type)
	}
}

// badMessage closes the connection with 4400.
func (graphQLTransportWS) badMessage(c *wsConn, msg string) { c.closeWith(4400, msg) }

// keepAlive is a ping, as Hasura sends it.
func (graphQLTransportWS) keepAlive() []byte {
	return []byte(`{"type":"ping","payload":{"message":"keepalive"}}`)
}

// expired closes with 4403, which graphql-ws clients retry with a fresh
// token from their connectionParams.
func (graphQLTransportWS) expired(c *wsConn) { c.closeWith(4403, "Forbidden: JWT expired") }

func (graphQLTransportWS) dataType() string { return "next" }

// startFailed sends error with the list of errors; it ends the operation
// (no complete).
func (graphQLTransportWS) startFailed(c *wsConn, op *wsOp, err error) {
	c.endOp(op)
	body := wire.AppendErrors(nil, err)
	c.send(frame("error", op.idJSON, body[len(`{"errors":`):len(body)-1]))
}

// queryFailed is startFailed: an error ends a graphql-transport-ws
// operation.
func (p graphQLTransportWS) queryFailed(c *wsConn, op *wsOp, err error) { p.startFailed(c, op, err) }

func (graphQLTransportWS) initTimeout() bool { return true }
