#!/bin/bash
# run.sh: the sync benchmark against a throwaway PostgreSQL 15 (TLS 1.3,
# client certificates, fsync on, shared_buffers 1 GB), started here and
# removed at the end. Usage: bench/sync/run.sh BUILD_DIR [N]
set -eu
BUILD=${1:?usage: bench/sync/run.sh BUILD_DIR [N]}
N=${2:-1000000}
BENCH=$BUILD/bench/sync/bench-sync
CLI=$BUILD/app/cli/wastetag-cli
[ -x "$BENCH" ] || { echo "build first: ninja -C $BUILD bench/sync/bench-sync" >&2; exit 1; }
export PG_ENV_FSYNC=on PG_ENV_SHARED_BUFFERS=1GB WASTETAG_NO_KEYRING=1
. "$(dirname "$0")/../../tests/integration/pg-env.sh"
W=$PG_DIR/bench; mkdir -p "$W"
"$CLI" central init --dsn "$PG_ADMIN_DSN" >/dev/null
for s in 91350100M000100Y43:示例化工:a 91110000600037341L:示例处置中心:b; do
  IFS=: read -r uscc name l <<<"$s"
  role=site_$(echo "$uscc" | tr A-Z a-z)
  pg_client_cert "$role"
  "$CLI" central add-site --dsn "$PG_ADMIN_DSN" --site "$uscc" --name "$name" --out "$W/$l.conn" \
    --cert "$PG_DIR/$role.crt" --key "$PG_DIR/$role.key" >/dev/null
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), PostgreSQL $(pg_psql -Atc 'SHOW server_version')"
"$BENCH" "$PG_ADMIN_DSN" "$W/a.conn" "$W/b.conn" 示例处置中心 "$N"
echo
echo "reproduce: meson setup $BUILD && ninja -C $BUILD bench/sync/bench-sync app/cli/wastetag-cli && bench/sync/run.sh $BUILD $N"
