// PostGraphile 4 for the hasgen benchmark: the library's middleware on a
// plain Node HTTP server, the connection-filter plugin (for `like`),
// production settings, a pool of 32, prepared statements on (PostGraphile's
// default cache of 100).
//
//	node server.js <database-url> <port>
//
// Requests carrying X-Bench-Role run as that Postgres role with
// jwt.claims.user_id = X-Bench-User-Id (row-level security) through
// pgSettings; the others run as the connecting (owner) role.
"use strict";
const http = require("http");
const { Pool } = require("pg");
const { postgraphile } = require("postgraphile");
const ConnectionFilterPlugin = require("postgraphile-plugin-connection-filter");

const [databaseUrl, port] = process.argv.slice(2);
const pool = new Pool({ connectionString: databaseUrl, max: 32 });

const middleware = postgraphile(pool, "public", {
  appendPlugins: [ConnectionFilterPlugin],
  graphqlRoute: "/graphql",
  graphiql: false,
  watchPg: false,
  disableQueryLog: true,
  enableQueryBatching: false,
  allowExplain: false,
  retryOnInitFail: false,
  setofFunctionsContainNulls: false,
  ignoreRBAC: true,
  pgSettings(req) {
    const role = req.headers["x-bench-role"];
    if (!role) return undefined;
    return { role: String(role), "jwt.claims.user_id": String(req.headers["x-bench-user-id"] || "") };
  },
});

const server = http.createServer(middleware);
server.keepAliveTimeout = 60000;
// The schema is built lazily; build it before the first request.
middleware.getGraphQLSchema().then(() => {
  server.listen(Number(port), "127.0.0.1", () => console.log("listening"));
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
