// PostGraphile 5 for the hasgen benchmark: the Amber preset plus the
// connection-filter plugin (for `like`), production settings, a pool of
// 32, prepared statements on (PostGraphile's default).
//
//	node server.mjs <database-url> <port>
//
// Requests carrying X-Bench-Role run as that Postgres role with
// jwt.claims.user_id = X-Bench-User-Id (row-level security), like
// PostGraphile's pgSettings or JWT claims; the others run as the
// connecting (owner) role.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

const [databaseUrl, port] = process.argv.slice(2);

const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  // Filter on any column, as PostGraphile 4 does by default (ignoreIndexes):
  // graphql-bench filters albums.title, which has no index.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: databaseUrl,
      schemas: ["public"],
      poolConfig: { max: 32 },
    }),
  ],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false, websockets: false },
  grafast: {
    explain: false,
    context(ctx) {
      const req = ctx.node?.req;
      const role = req?.headers["x-bench-role"];
      if (!role) return {};
      return {
        pgSettings: {
          role: String(role),
          "jwt.claims.user_id": String(req.headers["x-bench-user-id"] ?? ""),
        },
      };
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 60_000;
await serv.addTo(server);
await pgl.getSchema(); // build the schema before the first request
server.listen(Number(port), "127.0.0.1", () => console.log("listening"));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
