#!/usr/bin/env bash
# `npm run s3`: the dev S3 server (SeaweedFS) on http://127.0.0.1:8333, data under ./data/s3-dev.
# The first run writes data/s3-dev/identities.json with a random access key (no shipped default
# secret) and every run prints the environment a video-server needs to use it. Other SeaweedFS
# ports (master 9333, volume 8081, filer 8888 and their gRPC ports +10000) stay on loopback.
# Extra arguments go to `weed server`. Stops with Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$("$here/build.sh")"
dir="$root/data/s3-dev"
mkdir -p "$dir/data"
ids="$dir/identities.json"
if [[ ! -f "$ids" ]]; then
  key="dev$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  secret="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
  (umask 077 && printf '{"identities":[{"name":"dev","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
    "$key" "$secret" >"$ids")
fi
key="$(sed -n 's/.*"accessKey":"\([^"]*\)".*/\1/p' "$ids")"
secret="$(sed -n 's/.*"secretKey":"\([^"]*\)".*/\1/p' "$ids")"
cat >&2 <<MSG
s3-dev: S3 on http://127.0.0.1:8333 (credentials in $ids). Use it with:
  BLOB_STORE=s3 S3_ENDPOINT=http://127.0.0.1:8333 S3_BUCKET=videos S3_FORCE_PATH_STYLE=true \\
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret npm start
MSG
exec "$bin" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/data" \
  -master.telemetry=false -master.volumeSizeLimitMB=256 -volume.port=8081 -volume.preStopSeconds=1 \
  -filer -s3 -s3.port=8333 -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$ids" "$@"
