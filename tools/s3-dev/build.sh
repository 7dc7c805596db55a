#!/usr/bin/env bash
# Builds the dev S3 server (SeaweedFS `weed`, pinned below) into tools/s3-dev/bin/.
# Skips the build when bin/weed exists and was built by this script at this version: the stamp
# file holds a hash of this script (which names the version), so an up-to-date binary is used even
# where Go is not installed. Prints the binary path on stdout (build progress goes to stderr).
#
# Why not `go install github.com/seaweedfs/seaweedfs/weed@version`: the module's go.mod has
# replace directives, which `go install pkg@version` refuses. Building inside a copy of the
# downloaded module honours them (and its go.sum), so the build is reproducible through the proxy.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="github.com/seaweedfs/seaweedfs"
version="v0.0.0-20261109003541-7506e5f91cd6"
bin="$here/bin/weed"
stamp="$here/bin/.stamp"

want="$(sha256sum "$here/build.sh" | cut -d' ' -f1)"
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || {
  echo "s3-dev: the Go toolchain (go) is not on PATH; install Go >= 1.24 or set S3_ENDPOINT" >&2
  exit 127
}

mkdir -p "$here/bin"
echo "s3-dev: downloading $module@$version..." >&2
dir="$(cd "$here" && GOFLAGS=-mod=mod go mod download -json "$module@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[[ -n "$dir" && -d "$dir" ]] || {
  echo "s3-dev: go mod download did not report a module directory" >&2
  exit 1
}

# The module cache is read-only; build in a private writable copy. Concurrent builders (two test
# runs) must not clobber each other: private source copy and output name, then an atomic rename.
work="$(mktemp -d "${TMPDIR:-/tmp}/s3-dev-build.XXXXXX")"
tmp="$bin.$$.tmp"
trap 'rm -rf "$work"; rm -f "$tmp"' EXIT
cp -R "$dir/." "$work/"
chmod -R u+w "$work"
echo "s3-dev: building weed (first build compiles SeaweedFS; about 7 CPU-minutes)..." >&2
(cd "$work" && CGO_ENABLED=0 go build -mod=readonly -trimpath -o "$tmp" ./weed)
mv -f "$tmp" "$bin"
echo "$want" >"$stamp"
echo "$bin"
