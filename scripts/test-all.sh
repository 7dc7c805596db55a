#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine with Node 20 and Go, then runs
# typecheck, lint and every test. `.ci/run` calls exactly this (through `npm run test:all`).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: chromium (browser tests), ffmpeg (ffprobe reads our streams), curl (a real
# HTTP client in the stream tests), nginx with its njs module (the deploy/nginx.conf front in
# test/nodes/ and test/hostile/headers) and openssl (its test certificate).
# strace counts a server's failed writes to its log pipe (test/helpers/piped-server.ts).
# nginx lives in /usr/sbin, which is not on a normal user's PATH; the tests find it through ours.
export PATH="$PATH:/usr/sbin:/sbin"
declare -A want=([chromium]=chromium [ffprobe]=ffmpeg [curl]=curl [nginx]=nginx [openssl]=openssl [strace]=strace)
missing=()
for cmd in "${!want[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${want[$cmd]}"); done
# deploy/nginx.conf counts request headers with nginx's JavaScript module (njs).
[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || missing+=(libnginx-mod-http-js)
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test-all: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian starts the packaged nginx service on :80; the tests run their own, on loopback ports.
  if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null 2>&1; then
    $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi

# npm 11.19's `npm ci` rejects a lock that lacks other platforms' optional packages (biome,
# msgpackr-extract) even when npm itself just wrote it; `npm install` still follows the lock.
if ! npm ci --no-fund --no-audit; then
  echo "test-all: npm ci refused the lock file; falling back to npm install (follows package-lock.json)"
  npm install --no-fund --no-audit
fi
# The MongoDB-wire dev server (FerretDB embedded in our own Go module), built once and cached.
if [ -x tools/mongo-dev/build.sh ]; then bash tools/mongo-dev/build.sh; fi
# The dev S3 server (SeaweedFS, test/nodes/), built once and cached (~7 CPU-minutes the first time).
bash tools/s3-dev/build.sh

npm run typecheck
npm run lint
npm test
