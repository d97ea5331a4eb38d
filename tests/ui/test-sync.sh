#!/bin/bash
# test-sync.sh: the Sync view, the indicator and the Anomalies page against
# a real PostgreSQL 15 with TLS and client certificates (pg-env.sh). This
# script sets up the central store, a site and the ledgers with the CLI,
# then runs the test-sync binary under Xvfb; the binary drives the window.
# Prints TAP (the binary's).
set -u

CLI=${WASTETAG_CLI:?set WASTETAG_CLI to the wastetag-cli binary}
EXE=${1:?give the test-sync binary}
export PG_ENV_FSYNC=off WASTETAG_NO_KEYRING=1
if ! command -v psql >/dev/null || ! command -v openssl >/dev/null || ! command -v sqlite3 >/dev/null; then
  echo "1..0 # SKIP psql, openssl or sqlite3 missing"; exit 0
fi
. "$(dirname "$0")/../integration/pg-env.sh" || { echo "1..0 # SKIP no PostgreSQL server"; exit 0; }
T=$PG_DIR/ui
mkdir -p "$T"
chmod 755 "$PG_DIR" 2>/dev/null

die () { echo "Bail out! $*"; exit 1; }

USCC_A=91350100M000100Y43
ROLE_A=site_$(echo $USCC_A | tr A-Z a-z)
"$CLI" central init --dsn "$PG_ADMIN_DSN" >/dev/null || die "central init"
pg_client_cert "$ROLE_A"
"$CLI" central add-site --dsn "$PG_ADMIN_DSN" --site $USCC_A --name 示例化工 --out "$T/a.conn" \
  --cert "$PG_DIR/$ROLE_A.crt" --key "$PG_DIR/$ROLE_A.key" >/dev/null || die "central add-site"
# A second site, and a central office that reads both.
USCC_B=91110000600037341L
ROLE_B=site_$(echo $USCC_B | tr A-Z a-z)
pg_client_cert "$ROLE_B"
"$CLI" central add-site --dsn "$PG_ADMIN_DSN" --site $USCC_B --name 示例处置中心 --out "$T/b.conn" \
  --cert "$PG_DIR/$ROLE_B.crt" --key "$PG_DIR/$ROLE_B.key" >/dev/null || die "central add-site B"
ROLE_O=office_zongbu
pg_client_cert "$ROLE_O"
"$CLI" central add-office --dsn "$PG_ADMIN_DSN" --name zongbu --out "$T/office.conn" \
  --cert "$PG_DIR/$ROLE_O.crt" --key "$PG_DIR/$ROLE_O.key" >/dev/null || die "central add-office"
# The same site's file aimed at a port nobody listens on: connection refused.
sed "s/^port = .*/port = 1/" "$T/a.conn" >"$T/refused.conn"
chmod 600 "$T/refused.conn"

# A site ledger with containers: labelled and stored.
make_ledger () {  # PATH USCC NAME [SLOT]
  "$CLI" --ledger "$1" site init --name "$3" --uscc "$2" --facility TS001 --device-slot "${4:-A}" >/dev/null \
    || die "site init $1"
  "$CLI" --ledger "$1" label --waste 900-249-08 --count 3 --weight 180 --volume 200 -o "$T/labels.pdf" >"$T/codes" \
    || die "label $1"
  "$CLI" --ledger "$1" store --facility TS001 $(cat "$T/codes") >/dev/null || die "store $1"
}
make_ledger "$T/site.wtl" $USCC_A 示例化工
make_ledger "$T/offline.wtl" $USCC_A 示例化工
# Site B ships three containers to site A and syncs: A's next sync pulls them.
# Another device of site B than usb.wtl's: slot B, so their codes differ.
make_ledger "$T/shipper.wtl" $USCC_B 示例处置中心 B
M=$("$CLI" --ledger "$T/shipper.wtl" manifest new --number 20263501000123 --carrier 顺达危运 --vehicle 闽A12345 \
  --receiver 示例化工) || die "manifest new"
"$CLI" --ledger "$T/shipper.wtl" ship --manifest "$M" --by 王芳:1234 --carrier-person 李司机:5678 $(cat "$T/codes") \
  >/dev/null || die "ship"
"$CLI" --ledger "$T/shipper.wtl" sync --connection "$T/b.conn" >/dev/null || die "sync shipper"
make_ledger "$T/usb.wtl" 91110000600037341L 示例处置中心
make_ledger "$T/tampered.wtl" 91110000600037341L 示例处置中心
"$CLI" --ledger "$T/receiver.wtl" site init --name 示例化工 --uscc $USCC_A >/dev/null || die "site init receiver"
"$CLI" --ledger "$T/stranger.wtl" site init --name 示例化工 --uscc $USCC_A >/dev/null || die "site init stranger"

# An altered event: the triggers that keep events append-only dropped, then
# one payload changed, as a person with a SQLite editor would.
sqlite3 "$T/tampered.wtl" "DROP TRIGGER event_no_update; UPDATE event_row SET payload = coalesce (payload, (SELECT s.payload FROM event_row s WHERE s.id = event_row.same_as)) || ' ' WHERE seq = 2 AND dev = (SELECT r.no FROM device_ref r JOIN device d USING (device_id) WHERE d.is_local = 1);" \
  || die "tamper"

export WT_TEST_DIR=$T WT_TEST_PSQL="$PG_ADMIN_DSN" XDG_CACHE_HOME=$T/cache
# Not exec: pg-env.sh stops the cluster when this shell exits.
xvfb-run -a -s '-screen 0 1280x1024x24' "$EXE" --tap
exit $?
