#!/usr/bin/env bash
# Builds the dev MongoDB-wire server (FerretDB embedded, SQLite backend) into tools/mongo-dev/bin/.
# Skips the build when bin/mongo-dev exists and was built from the same sources: the stamp file
# holds a hash of go.mod, go.sum, main.go and this script (so an up-to-date binary is used even
# where Go is not installed). Prints the binary path on stdout (build progress goes to stderr).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/bin/mongo-dev"
stamp="$here/bin/.stamp"

want="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" "$here/build.sh" | sha256sum | cut -d' ' -f1)"
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || {
  echo "mongo-dev: the Go toolchain (go) is not on PATH; install Go >= 1.22 or set MONGODB_URI" >&2
  exit 127
}

mkdir -p "$here/bin"
echo "mongo-dev: building (first build compiles FerretDB and SQLite; a few minutes)..." >&2
# Concurrent builders (two test runs) must not clobber each other: build to a private name,
# then rename into place, which is atomic.
tmp="$bin.$$.tmp"
trap 'rm -f "$tmp"' EXIT
# -mod=readonly: go.sum is committed, builds are reproducible through the module proxy.
# ferretdb_no_postgresql: we only need the SQLite backend; smaller and faster to build.
(cd "$here" && CGO_ENABLED=0 go build -mod=readonly -trimpath -tags ferretdb_no_postgresql -o "$tmp" .)
mv -f "$tmp" "$bin"
echo "$want" >"$stamp"
echo "$bin"
