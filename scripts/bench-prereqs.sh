#!/usr/bin/env bash
# Makes sure the tools a benchmark needs are here before it starts, instead of failing midway.
#   bash scripts/bench-prereqs.sh wrk nginx go     (any subset; the npm bench scripts call it)
# wrk and nginx come from apt-get (with sudo when not root). Go cannot come from apt on Debian 12
# (golang-go is 1.19; our modules need ≥ 1.22 and bench/go asks for 1.26): any Go ≥ 1.21 fetches
# the toolchain a module asks for by itself (GOTOOLCHAIN=auto), so apt's golang-go is tried when
# it is new enough; otherwise this stops and says what to install. Exit 1 = something is missing.
set -euo pipefail
# nginx lives in /usr/sbin, which is not on a normal user's PATH.
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/go/bin"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench: $* missing and there is no apt-get here: install $* with your package manager" >&2
    return 1
  fi
  if [ -n "$sudo" ] && ! command -v sudo >/dev/null 2>&1; then
    echo "bench: $* missing; run as root or install sudo, or: apt-get install $*" >&2
    return 1
  fi
  echo "bench: installing $* with apt-get" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

go_ok() {
  command -v go >/dev/null 2>&1 || return 1
  local v
  v="$(go env GOVERSION 2>/dev/null | sed 's/^go//')"
  local major="${v%%.*}" rest="${v#*.}"
  local minor="${rest%%.*}"
  [ "${major:-0}" -gt 1 ] || [ "${minor:-0}" -ge 21 ]
}

status=0
for tool in "$@"; do
  case "$tool" in
    wrk | nginx)
      if ! command -v "$tool" >/dev/null 2>&1; then
        apt_install "$tool" || status=1
        if [ "$tool" = nginx ] && command -v systemctl >/dev/null 2>&1; then
          # Debian starts the packaged service on :80; the benchmark runs its own on loopback.
          $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
        fi
      fi
      # deploy/nginx.conf (bench/http/blob-stores.ts runs it) loads nginx's njs module.
      if [ "$tool" = nginx ] && [ ! -f /usr/lib/nginx/modules/ngx_http_js_module.so ]; then
        apt_install libnginx-mod-http-js || status=1
      fi
      ;;
    go)
      if ! go_ok; then
        if apt-cache policy golang-go 2>/dev/null | grep -qE 'Candidate: 2:1\.(2[1-9]|[3-9][0-9])'; then
          apt_install golang-go || status=1
        fi
        if ! go_ok; then
          cat >&2 <<'MSG'
bench: Go ≥ 1.21 is needed (bench/go, tools/mongo-dev; newer toolchains are then fetched
       automatically). Install it from https://go.dev/dl/ — e.g.
         curl -fsSL https://go.dev/dl/go1.26.0.linux-amd64.tar.gz | sudo tar -C /usr/local -xz
       and put /usr/local/go/bin on PATH, then run the benchmark again.
MSG
          status=1
        fi
      fi
      ;;
    *)
      echo "bench-prereqs: unknown tool '$tool' (knows wrk, nginx, go)" >&2
      status=1
      ;;
  esac
done
exit "$status"
