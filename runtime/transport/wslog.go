package transport

// The websocket transport's websocket-log lines, in Hasura's shape
// (Hasura.GraphQL.Transport.WebSocket.Server WSLog): {"event": {"type":
// "accepted" | "rejected" | "closed" | "operation", "detail": ...},
// "connection_info": {"websocket_id", "jwt_expiry", "msg"}, "user_vars"}.

import (
	"time"

	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/hasgen/hasgen/runtime/wire"
)

type wsLog struct {
	Event          wsEvent           `json:"event"`
	ConnectionInfo wsConnInfo        `json:"connection_info"`
	UserVars       map[string]string `json:"user_vars"`
}

type wsEvent struct {
	Type   string `json:"type"`
	Detail any    `json:"detail,omitempty"`
}

type wsConnInfo struct {
	WebsocketID string     `json:"websocket_id"`
	JWTExpiry   *time.Time `json:"jwt_expiry"`
	Msg         *string    `json:"msg"`
}

// wsOpDetail is an operation event's detail (Hasura's OperationDetails).
type wsOpDetail struct {
	RequestID     *string       `json:"request_id"`
	OperationID   string        `json:"operation_id"`
	Query         *wire.Request `json:"query"`
	OperationType wsEvent       `json:"operation_type"`
	OperationName *string       `json:"operation_name"`
}

// logging reports whether the connection writes websocket-log lines.
func (c *wsConn) logging() bool { return c.h.Logs.Enabled(logs.Websocket, logs.Info) }

// logEvent writes one websocket-log line for c.
func (c *wsConn) logEvent(lv logs.Level, ev wsEvent) {
	if !c.h.Logs.Enabled(logs.Websocket, lv) {
		return
	}
	l := &wsLog{Event: ev, ConnectionInfo: wsConnInfo{WebsocketID: c.id}}
	c.mu.Lock()
	if s := c.session; s != nil {
		l.UserVars = s.Vars
		if !s.Expires.IsZero() {
			t := s.Expires
			l.ConnectionInfo.JWTExpiry = &t
		}
	}
	c.mu.Unlock()
	c.h.Logs.Log(logs.Websocket, lv, l)
}

// opRequestID is the request id of an operation's log lines, "" when
// neither websocket-log nor query-log is written.
func (c *wsConn) opRequestID() string {
	if c.logging() || c.h.Logs.Enabled(logs.Query, logs.Info) || c.h.engine.WantsRequestID() {
		return logs.NewID()
	}
	return ""
}

// logOp writes an operation event: typ is started, query_err (with the
// error), stopped or completed; rid and req are those of the operation's
// start.
func (c *wsConn) logOp(id, rid string, req *wire.Request, typ string, err error) {
	if !c.logging() {
		return
	}
	d := &wsOpDetail{OperationID: id, Query: req, OperationType: wsEvent{Type: typ}}
	if req != nil {
		d.RequestID = &rid
		if req.OperationName != "" {
			name := req.OperationName
			d.OperationName = &name
		}
	}
	lv := logs.Info
	if err != nil {
		d.OperationType.Detail = qerr(err)
		lv = logs.Error
	}
	c.logEvent(lv, wsEvent{Type: "operation", Detail: d})
}
