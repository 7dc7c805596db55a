#!/usr/bin/env bash
# `npm run db`: the dev MongoDB-wire server on 127.0.0.1:27017, data under ./data/mongo-dev.
# Extra arguments are passed through (e.g. --listen 127.0.0.1:0 --dir /tmp/x --log-level info).
# Stops with Ctrl-C. Then: MONGODB_URI=mongodb://127.0.0.1:27017/video-server npm start
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$("$here/build.sh")"
# --stdin-watch=false: under npm/a terminal, stdin may be closed or detached; signals stop it.
exec "$bin" --listen 127.0.0.1:27017 --dir "$root/data/mongo-dev" --stdin-watch=false "$@"
