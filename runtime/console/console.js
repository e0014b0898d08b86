// The hasgen console: GraphiQL (assets/graphiql, a UMD build that bundles
// graphql-js and graphql-ws) over the server's GraphQL endpoint. Queries
// and mutations go over HTTP POST, subscriptions over graphql-ws
// (graphql-transport-ws); both, and the schema's introspection, carry the
// headers of the header editor.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('hasgen-console-config').textContent);
  // Relative to the page, so that the console works behind a proxy that
  // serves the server under a path.
  var http = new URL(config.endpoint, location.href);
  var ws = new URL(http.href);
  ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  var props = {
    fetcher: GraphiQL.createFetcher({ url: http.href, subscriptionUrl: ws.href }),
    // Headers may hold secrets: they are not written to localStorage.
    shouldPersistHeaders: false,
    defaultQuery: '# hasgen console: GraphiQL over ' + http.pathname + '.\n' +
      '# Request headers (X-Hasura-Admin-Secret, Authorization: Bearer …)\n' +
      '# go in the Headers tab below, as JSON.\n\nquery {\n  __typename\n}\n'
  };
  if (config.headers && Object.keys(config.headers).length > 0) {
    props.initialHeaders = JSON.stringify(config.headers, null, 2);
    props.defaultEditorToolsVisibility = 'headers';
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
})();
