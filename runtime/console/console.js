// The hasgen console: GraphiQL (assets/graphiql, a UMD build that bundles
// graphql-js and graphql-ws) over the server's GraphQL endpoint. Queries
// and mutations go over HTTP POST, subscriptions over graphql-ws
// (graphql-transport-ws); they, and the schema's introspection, carry the
// headers of the header editor.
(function () {
  'use strict';
  var h = React.createElement;
  var config = JSON.parse(document.getElementById('hasgen-console-config').textContent);
  // Relative to the page, so that the console works behind a proxy that
  // serves the server under a path.
  var http = new URL(config.endpoint, location.href);
  var ws = new URL(http.href);
  ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  var inner = GraphiQL.createFetcher({ url: http.href, subscriptionUrl: ws.href });

  // GraphiQL introspects as it mounts, before its header editor exists,
  // and so without headers: a server that wants an admin secret or a
  // token answers "Error fetching schema". The first introspection waits
  // for the editor (HeaderWatch publishes it) and takes its headers.
  var headerEditor = null;
  var editorReady = [];
  function whenEditor() {
    if (headerEditor) return Promise.resolve(headerEditor);
    return new Promise(function (resolve) {
      editorReady.push(resolve);
      // Should it never come, go without.
      setTimeout(function () { resolve(null); }, 5000);
    });
  }
  function parseHeaders(text) {
    try {
      var v = text && text.trim() ? JSON.parse(text) : {};
      return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
    } catch (e) {
      return null;
    }
  }
  function fetcher(params, opts) {
    if (params.operationName === 'IntrospectionQuery' && !(opts && opts.headers) && !headerEditor) {
      return whenEditor().then(function (ed) {
        var headers = ed ? parseHeaders(ed.getValue()) : null;
        return inner(params, Object.assign({}, opts, headers ? { headers: headers } : {}));
      });
    }
    return inner(params, opts);
  }

  // HeaderWatch renders nothing: inside GraphiQL's providers, it hands the
  // header editor to the fetcher above and fetches the schema again when
  // the headers change (a secret or token typed in), once they are valid
  // JSON and have rested for a moment.
  function HeaderWatch() {
    var ed = GraphiQL.React.useEditorContext({ nonNull: true }).headerEditor;
    var introspect = GraphiQL.React.useSchemaStore().introspect;
    React.useEffect(function () {
      if (!ed) return undefined;
      headerEditor = ed;
      editorReady.splice(0).forEach(function (resolve) { resolve(ed); });
      var last = JSON.stringify(parseHeaders(ed.getValue()));
      var timer = null;
      function changed() {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var now = parseHeaders(ed.getValue());
          if (now && JSON.stringify(now) !== last) {
            last = JSON.stringify(now);
            introspect();
          }
        }, 700);
      }
      ed.on('change', changed);
      return function () {
        clearTimeout(timer);
        ed.off('change', changed);
      };
    }, [ed, introspect]);
    return null;
  }

  var props = {
    fetcher: fetcher,
    // Headers may hold secrets: they are not written to localStorage.
    shouldPersistHeaders: false,
    defaultQuery: '# hasgen console: GraphiQL over ' + http.pathname + '.\n' +
      '# Request headers (X-Hasura-Admin-Secret, Authorization: Bearer …)\n' +
      '# go in the Headers tab below, as JSON.\n\nquery {\n  __typename\n}\n'
  };
  if (config.headers && Object.keys(config.headers).length > 0) {
    // The server's headers (HASGEN_CONSOLE_HEADERS), in this tab and
    // every new one.
    props.headers = props.defaultHeaders = JSON.stringify(config.headers, null, 2);
    props.defaultEditorToolsVisibility = 'headers';
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    h(GraphiQL, props, h(GraphiQL.Footer, null, h(HeaderWatch))));
})();
