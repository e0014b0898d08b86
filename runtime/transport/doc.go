// Package transport serves GraphQL on /v1/graphql: HTTP POST in Hasura's
// wire format (http.go) and websockets with both subprotocols Hasura
// clients use, one type each (graphql_transport_ws.go, graphql_ws.go)
// behind what they share (ws.go). Every operation is authenticated (package
// auth), prepared by the engine and run once, or, for subscriptions, handed
// to the poller (package live).
package transport
