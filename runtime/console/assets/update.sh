#!/usr/bin/env bash
# Refreshes the console's third-party files from the npm registry: the
# versions below, each package's built browser file(s) and its licence,
# then SHA256SUMS. Run from anywhere; needs npm. Commit the result, and
# run `go test ./runtime/console` (the browser test drives the new build).
set -euo pipefail
GRAPHIQL=4.1.2 # its UMD bundle includes graphql-js, CodeMirror 5 and graphql-ws
REACT=18.3.1   # the last React with UMD builds; GraphiQL 4 takes 18 or 19
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# npm pack checks each tarball against the registry's integrity hash.
npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null
for p in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
	mkdir "${p%-*}" && tar xzf "$p.tgz" -C "${p%-*}"
done
rm -rf "$here/graphiql" "$here/react" "$here/react-dom"
mkdir -p "$here/graphiql" "$here/react" "$here/react-dom"
cp graphiql/package/dist/index.umd.js graphiql/package/dist/style.css graphiql/package/LICENSE "$here/graphiql/"
cp react/package/umd/react.production.min.js react/package/LICENSE "$here/react/"
cp react-dom/package/umd/react-dom.production.min.js react-dom/package/LICENSE "$here/react-dom/"
cd "$here"
find graphiql react react-dom -type f | LC_ALL=C sort | xargs sha256sum >SHA256SUMS
du -cb graphiql/* react/* react-dom/* | tail -1
