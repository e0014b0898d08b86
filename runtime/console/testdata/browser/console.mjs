// Drives the hasgen console in headless Chromium with Playwright, as a
// person would: the page loads, its header editor holds the pre-filled
// admin secret, a query typed into the editor is run and its result read
// from the page, then a subscription is started, a row inserted over
// HTTP, and the new row read from the page. It prints what it saw as one
// JSON object on stdout; browser_test.go checks it.
//
// Environment: CONSOLE_URL (the server's base URL), ADMIN_SECRET, QUERY,
// SUBSCRIPTION, INSERT (a mutation taking $body), MARK (the inserted
// body), CHROMIUM (the browser binary), SCREENSHOT (a PNG path).
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('CONSOLE_URL');
const out = { requests: [], websockets: [], pageErrors: [], consoleErrors: [], timings: {} };
const started = Date.now();
const lap = (name) => { out.timings[name] = Date.now() - started; };

const browser = await chromium.launch({
  executablePath: env('CHROMIUM'),
  headless: true,
  // The machine has no network but loopback; these keep Chromium from
  // trying, and the resolver rule makes any host name fail as offline.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const pending = [];
  page.on('request', (r) => {
    pending.push(r.allHeaders().then((headers) => {
      out.requests.push({ url: r.url(), method: r.method(), headers, body: r.postData() || '' });
    }));
  });
  page.on('websocket', (ws) => {
    const w = { url: ws.url(), sent: [] };
    out.websockets.push(w);
    ws.on('framesent', (f) => w.sent.push(String(f.payload)));
  });
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });

  // The text of the CodeMirror editor inside the element sel.
  const editor = (sel) => page.evaluate((s) => {
    const el = document.querySelector(s + ' .CodeMirror');
    return el ? el.CodeMirror.getValue() : null;
  }, sel);
  const result = () => editor('.graphiql-response');
  // Waits until the result pane holds one of needles; returns its text.
  const waitResult = (needles, what) => page.waitForFunction((ns) => {
    const el = document.querySelector('.graphiql-response .CodeMirror');
    const v = el ? el.CodeMirror.getValue() : '';
    return ns.some((n) => v.includes(n)) ? v : false;
  }, needles).then((h) => h.jsonValue()).catch((e) => {
    throw new Error(`waiting for ${what}: ${e.message}`);
  });

  const introspection = page.waitForResponse((r) => (r.request().postData() || '').includes('IntrospectionQuery'));
  introspection.catch(() => {}); // awaited below; a failure before then is the one to report
  await page.goto(base + '/console');
  await page.waitForSelector('.graphiql-container');
  lap('page');
  const intro = await introspection;
  out.introspectionStatus = intro.status();
  out.introspectionBody = await intro.text();
  lap('schema');

  // The header editor as the page shows it: the tab open, its text.
  out.headersTabOpen = await page.isVisible('.graphiql-editor-tools button[data-name="headers"].active');
  out.headerEditor = await editor('.graphiql-editor-tool .graphiql-editor:not(.hidden)');

  // The schema, in the documentation explorer.
  await page.click('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector('.graphiql-doc-explorer-root-type');
  out.docs = await page.textContent('.graphiql-doc-explorer');

  // A query, typed into the editor and run.
  const type = async (text, operationName) => {
    await page.click('.graphiql-query-editor .CodeMirror');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // insertText, not keystrokes: the editor closes brackets as one types.
    await page.keyboard.insertText(text);
    // GraphiQL runs the operation it has parsed out of the editor, a
    // moment after the edit: wait for it, as a person reading would.
    await page.waitForFunction((name) => {
      const el = document.querySelector('.graphiql-query-editor .CodeMirror');
      return el && el.CodeMirror.operationName === name;
    }, operationName);
  };
  await type(env('QUERY'), 'Channels');
  out.queryEditor = await editor('.graphiql-query-editor');
  await page.click('.graphiql-execute-button');
  out.queryResult = await waitResult(['"data"', '"errors"'], 'the query result');
  lap('query');
  await page.screenshot({ path: env('SCREENSHOT') });
  lap('screenshot');

  // A subscription: started in the console, fed by an insert over HTTP.
  await type(env('SUBSCRIPTION'), 'LatestMessage');
  await page.click('.graphiql-execute-button');
  out.subscriptionFirst = await waitResult(['"data"', '"errors"'], 'the first subscription result');
  lap('subscription');
  const mark = env('MARK');
  const res = await fetch(base + '/v1/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': env('ADMIN_SECRET') },
    body: JSON.stringify({ query: env('INSERT'), variables: { body: mark } }),
  });
  out.insert = await res.text();
  out.subscriptionAfter = await waitResult([mark], 'the inserted row in the subscription');
  lap('subscription-insert');
  // Stop it (the same button), as a person would before leaving.
  await page.click('.graphiql-execute-button');

  // New headers typed into the header editor: the schema is fetched
  // again, with them (here, the role user's schema).
  const refetch = page.waitForResponse((r) => (r.request().postData() || '').includes('IntrospectionQuery') &&
    r.request().headers()['x-hasura-role'] === 'user');
  await page.click('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(JSON.stringify({ 'X-Hasura-Admin-Secret': env('ADMIN_SECRET'), 'X-Hasura-Role': 'user', 'X-Hasura-User-Id': '1' }));
  const again = await refetch;
  out.refetchStatus = again.status();
  out.refetchBody = await again.text();
  lap('schema-refetch');
  await Promise.all(pending);
} catch (e) {
  // What the page showed, to tell why.
  out.failure = String(e && e.stack || e);
  out.requests = out.requests.map((r) => `${r.method} ${r.url} ${r.body.slice(0, 80)}`);
  process.stderr.write(JSON.stringify(out, null, 2) + '\n');
  throw e;
} finally {
  await browser.close();
}
lap('done');
process.stdout.write(JSON.stringify(out));
