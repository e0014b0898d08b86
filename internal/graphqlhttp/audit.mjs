// Runs graphql-http's server audit (the GraphQL-over-HTTP conformance
// suite) against the server at the URL given as the first argument and
// prints one JSON line per audit: {id, name, status, reason}. audit_test.go
// runs it and judges the results.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url>');
  process.exit(2);
}
const results = await auditServer({ url });
for (const r of results) {
  const out = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') {
    out.reason = r.reason;
    if (r.response) {
      out.responseStatus = r.response.status;
      try {
        out.responseBody = (await r.response.text()).slice(0, 300);
      } catch {
        // the body was read by the audit already
      }
    }
  }
  console.log(JSON.stringify(out));
}
