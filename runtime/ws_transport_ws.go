package runtime

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

import "context"

// handleTransportWS handles one graphql-transport-ws client message.
func (c *wsConn) handleTransportWS(ctx context.Context, m *wsMessage) {
	switch m.Type {
	case "connection_init":
		c.mu.Lock()
		seen := c.initSeen
		c.initSeen = true
		c.mu.Unlock()
		if seen {
			c.closeWith(4429, "Too many initialisation requests")
			return
		}
		s, err := c.connectionInit(ctx, m.Payload)
		if err != nil {
			c.h.m.errors.WithLabelValues("websocket").Inc()
			c.closeWith(4403, "Forbidden: "+err.Message)
			return
		}
		c.initialised(s)
		c.send([]byte(`{"type":"connection_ack"}`))
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
