#!/bin/bash
# test-sync.sh: the central store on a real PostgreSQL 15 with TLS and client
# certificates: install, two sites, isolation by every route, faults (a
# connection killed mid-batch, the server restarted mid-sync, the network
# gone mid-pull, one batch pushed twice at once, an old backup restored,
# a clock days off) and a USB bundle through the central store. After every
# fault the central event count equals the sum of the sites' own events and
# every id is there once. Prints TAP.
set -u

CLI=${WASTETAG_CLI:?set WASTETAG_CLI to the wastetag-cli binary}
HELPER=${1:?give the sync-helper binary}
export PG_ENV_FSYNC=off WASTETAG_NO_KEYRING=1 LC_ALL=C.UTF-8
if ! command -v psql >/dev/null || ! command -v openssl >/dev/null; then
  echo "1..0 # SKIP psql or openssl missing"; exit 0
fi
. "$(dirname "$0")/pg-env.sh" || { echo "1..0 # SKIP no PostgreSQL server"; exit 0; }
T=$PG_DIR/work
mkdir -p "$T"

n=0
failed=0
ok () { n=$((n+1)); echo "ok $n - $1"; }
not_ok () { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check () { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "command: $*" "stdout: $(head -c 600 "$T/out" 2>/dev/null)" "stderr: $(head -c 600 "$T/err" 2>/dev/null)"; fi; }
run () { "$CLI" "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
status () { cat "$T/rc"; }
q () { pg_psql -At -c "$1"; }
# Events this ledger made itself.
own () { sqlite3 "$1" "SELECT count(*) FROM event WHERE device_id = (SELECT device_id FROM device WHERE is_local = 1)"; }
device_of () { sqlite3 "$1" "SELECT device_id FROM device WHERE is_local = 1"; }
ledgers=()
central_matches () {
  local sum=0 l
  for l in "${ledgers[@]}"; do sum=$((sum + $(own "$l"))); done
  [ "$(q 'SELECT count(*) FROM ingest.event')" = "$sum" ] &&
    [ "$(q 'SELECT count(DISTINCT event_id) FROM ingest.event')" = "$sum" ]
}
site_psql () {  # ROLE PASSWORD CERTNAME [psql args]
  local role=$1 pw=$2 cert=$3; shift 3
  PGPASSWORD=$pw psql -X -q -At -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$PG_PORT dbname=wastetag user=$role sslmode=verify-full sslrootcert=$PG_CA sslcert=$PG_DIR/$cert.crt sslkey=$PG_DIR/$cert.key" "$@"
}
conn_pw () { sed -n 's/^password = //p' "$1"; }

# ---- Install ------------------------------------------------------------------------------
run central init --dsn "$PG_ADMIN_DSN"
check "central init installs the schema" test "$(status)" = 0
check "every migration is recorded" test "$(q 'SELECT count(*) FROM ingest.schema_version')" = "$(ls "$(dirname "$0")"/../../resources/sql/[0-9]*.sql | wc -l)"
run central init --dsn "$PG_ADMIN_DSN"
check "central init again is safe and changes nothing" grep -q 'already' "$T/out"
check "still every migration once" test "$(q 'SELECT count(*) FROM ingest.schema_version')" = "$(ls "$(dirname "$0")"/../../resources/sql/[0-9]*.sql | wc -l)"
check "the schema belongs to a NOLOGIN owner" \
  test "$(q "SELECT r.rolcanlogin FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE nspname = 'ingest'")" = f

# ---- Two sites -----------------------------------------------------------------------------
USCC_A=91350100M000100Y43; USCC_B=91110000600037341L
ROLE_A=site_$(echo $USCC_A | tr A-Z a-z); ROLE_B=site_$(echo $USCC_B | tr A-Z a-z)
pg_client_cert "$ROLE_A"; pg_client_cert "$ROLE_B"
run central add-site --dsn "$PG_ADMIN_DSN" --site $USCC_A --name 示例化工 --out "$T/a.conn" \
  --cert "$PG_DIR/$ROLE_A.crt" --key "$PG_DIR/$ROLE_A.key"
check "add-site writes the connection file" test "$(status)" = 0 -a -s "$T/a.conn"
check "the connection file is private" test "$(stat -c %a "$T/a.conn")" = 600
check "it asks for verify-full TLS" grep -q '^sslmode = verify-full$' "$T/a.conn"
"$CLI" central add-site --dsn "$PG_ADMIN_DSN" --site $USCC_B --name 示例处置中心 --out "$T/b.conn" \
  --cert "$PG_DIR/$ROLE_B.crt" --key "$PG_DIR/$ROLE_B.key" >/dev/null
PW_A=$(conn_pw "$T/a.conn"); PW_B=$(conn_pw "$T/b.conn")

A=(--ledger "$T/a.wtl"); B=(--ledger "$T/b.wtl")
ledgers=("$T/a.wtl" "$T/b.wtl")
"$CLI" "${A[@]}" site init --name 示例化工 --uscc $USCC_A --facility TS001 >/dev/null
"$CLI" "${B[@]}" site init --name 示例处置中心 --uscc $USCC_B >/dev/null
"$CLI" "${A[@]}" label --waste 900-249-08 --count 4 --weight 180 --volume 200 -o "$T/drums.pdf" >"$T/codes"
c1=$(sed -n 1p "$T/codes"); c2=$(sed -n 2p "$T/codes"); c3=$(sed -n 3p "$T/codes"); c4=$(sed -n 4p "$T/codes")
"$CLI" "${A[@]}" store --facility TS001 "$c1" "$c2" "$c3" "$c4" >/dev/null
M=$("$CLI" "${A[@]}" manifest new --number 20263501000123 --carrier 顺达危运 --vehicle 闽A12345 --receiver 示例处置中心)
"$CLI" "${A[@]}" ship --manifest "$M" --by 王芳:1234 --carrier-person 李司机:5678 "$c1" "$c2" "$c3" >/dev/null

run "${A[@]}" sync --connection "$T/a.conn"
check "push: every event of site A" test "$(status)" = 0 -a "$(cat "$T/out")" = "pushed $(own "$T/a.wtl") pulled 0 anomalies 0"
check "the central store has them all" central_matches
run "${A[@]}" sync --connection "$T/a.conn"
check "push again: 0 new rows" test "$(cat "$T/out")" = "pushed 0 pulled 0 anomalies 0"

run "${B[@]}" sync --connection "$T/b.conn"
check "pull: site B gets the events of the three containers shipped to it" \
  test "$(status)" = 0 -a "$(cat "$T/out")" = "pushed 0 pulled 9 anomalies 0"
check "a container shipped to B by A appears at B, shipped" \
  grep -q $'^'"$c1"$'\t.*\tshipped\t' <("$CLI" "${B[@]}" containers)
check "the container A kept is not at B" bash -c "! '$CLI' ${B[*]} containers | grep -q '$c4'"

# B receives with the handover receipt's QR code, one of them lighter.
"$CLI" "${A[@]}" manifest receipt "$M" -o "$T/receipt.pdf" >/dev/null
pdftoppm -r 150 -png -singlefile -f 1 -l 1 "$T/receipt.pdf" "$T/receipt"
"$CLI" "${B[@]}" manifest load "$T/receipt.png" >/dev/null
run "${B[@]}" receive --manifest "$M" --weight "$c1"=150 "$c1" "$c2" "$c3"
check "B receives the three containers" test "$(status)" = 0
run "${B[@]}" sync --connection "$T/b.conn"
check "B pushes its receipts" test "$(status)" = 0
check "the central store flags the weight mismatch" \
  test "$(q "SELECT count(*) FROM ingest.anomaly WHERE kind = 'weight_mismatch' AND container_code = '$c1'")" = 1
run "${A[@]}" sync --connection "$T/a.conn"
check "A pulls B's receipts and sees the anomaly" grep -Eq '^pushed 0 pulled [1-9][0-9]* anomalies 1$' "$T/out"
check "a receipt at B moves A's container to received" \
  grep -q $'^'"$c2"$'\t.*\treceived\t' <("$CLI" "${A[@]}" containers)
check "the anomaly keeps both versions" grep -q $'weight_mismatch\t'"$c1"'.*"shipped".*"received"' <("$CLI" "${A[@]}" anomalies)
check "both ledgers and the store agree" central_matches
"$CLI" "${A[@]}" ledger verify >"$T/out" 2>"$T/err"; echo $? >"$T/rc"
check "A's ledger, with B's pulled events, verifies" test "$(status)" = 0
"$CLI" "${B[@]}" ledger verify >"$T/out" 2>"$T/err"; echo $? >"$T/rc"
check "B's ledger, with A's events in runs with gaps, verifies" test "$(status)" = 0

# ---- Isolation: B cannot read or write A's events by any route -------------------------------
DEV_A=$(device_of "$T/a.wtl"); DEV_B=$(device_of "$T/b.wtl")
sb () { site_psql "$ROLE_B" "$PW_B" "$ROLE_B" "$@" >"$T/out" 2>"$T/err"; }
sb -c "SELECT count(*) FROM ingest.event WHERE container_code = '$c4' OR kind IN ('manifest_opened', 'handover') AND site_id = '$USCC_A'"
check "SELECT: B sees none of A's own events" test "$(cat "$T/out")" = 0
sb -c "SELECT count(*) FROM ingest.event WHERE site_id = '$USCC_A'"
check "SELECT: B sees A's events only of the containers shipped to it" test "$(cat "$T/out")" = 9
sb -c "INSERT INTO ingest.event (event_id, device_id, device_seq, site_id, container_code, kind, actor, wall_ms, hlc, payload, prev_hash, hash, sig) VALUES (gen_random_uuid (), '$DEV_A', 999, '$USCC_A', 'x', 'x', 'x', 0, 0, '{}', '\\x00', '\\x00', '\\x00')"
check "INSERT: refused" grep -q 'permission denied' "$T/err"
sb -c "COPY ingest.event (container_code) FROM STDIN" <<<"x"
check "COPY into the event table: refused" grep -q 'permission denied' "$T/err"
sb -c "DELETE FROM ingest.event"
check "DELETE: refused" grep -q 'permission denied' "$T/err"
sb -c "SELECT * FROM ingest.claim_cursor ('$DEV_A', 0, '\\x00', 0)"
check "claim_cursor with A's device: refused" grep -q 'not registered to site' "$T/err"
sb -c "SELECT * FROM ingest.feed_for_site ('$DEV_A', '0', 0, 100)"
check "feed_for_site with A's device: refused" grep -q 'not registered to site' "$T/err"
sb -c "SELECT ingest.register_device ('$DEV_A', '\\x$(printf '%064d' 0)')"
check "registering A's device for B: refused" grep -q 'already registered' "$T/err"
# A's real rows (B holds some of them) staged and applied as A's device or as B's own.
sqlite3 -separator $'\t' "$T/b.wtl" "SELECT lower (substr (hex (event_id), 1, 8) || '-' || substr (hex (event_id), 9, 4) || '-' || substr (hex (event_id), 13, 4) || '-' || substr (hex (event_id), 17, 4) || '-' || substr (hex (event_id), 21)), device_id, device_seq, site_id, container_code, kind, '\\N', actor, wall_ms, hlc, payload, '\\\\x' || lower (hex (prev_hash)), '\\\\x' || lower (hex (hash)), '\\\\x' || lower (hex (sig))
  FROM event WHERE site_id = '$USCC_A' ORDER BY device_seq LIMIT 1" >"$T/a-rows.tsv"
sb -c "BEGIN" -c "CREATE TEMP TABLE stage (LIKE ingest.stage_template) ON COMMIT DROP" \
   -c "GRANT SELECT ON stage TO wastetag_owner" -c "\\copy stage FROM '$T/a-rows.tsv'" \
   -c "SELECT * FROM ingest.apply_stage ('$DEV_A')"
check "COPY + apply_stage with A's device: refused" grep -q 'not registered to site' "$T/err"
sb -c "BEGIN" -c "CREATE TEMP TABLE stage (LIKE ingest.stage_template) ON COMMIT DROP" \
   -c "GRANT SELECT ON stage TO wastetag_owner" -c "\\copy stage FROM '$T/a-rows.tsv'" \
   -c "SELECT * FROM ingest.apply_stage ('$DEV_B')"
check "A's rows under B's own device: refused" grep -q 'another device or site' "$T/err"
check "nothing of that reached the store" central_matches

# ---- TLS ------------------------------------------------------------------------------------
site_psql "$ROLE_B" "$PW_B" "$ROLE_B" -c "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid ()" >"$T/out" 2>"$T/err"
check "sites talk TLS 1.3" test "$(cat "$T/out")" = TLSv1.3
site_psql "$ROLE_B" "$PW_B" "$ROLE_A" -c "SELECT 1" >"$T/out" 2>"$T/err"
check "B's password with A's certificate: refused" grep -qi 'failed' "$T/err"
pg_client_cert "$ROLE_B-rogue" rogue
cp "$PG_DIR/$ROLE_B-rogue.crt" "$T/rogue.crt"
openssl req -new -nodes -subj "/CN=$ROLE_B" -key "$PG_DIR/$ROLE_B-rogue.key" -out "$T/rogue.csr" 2>/dev/null
openssl x509 -req -in "$T/rogue.csr" -CA "$PG_DIR/rogue-ca.crt" -CAkey "$PG_DIR/rogue-ca.key" -CAcreateserial \
  -days 2 -out "$PG_DIR/$ROLE_B-rogue.crt" 2>/dev/null
site_psql "$ROLE_B" "$PW_B" "$ROLE_B-rogue" -c "SELECT 1" >"$T/out" 2>"$T/err"
check "a certificate from another CA with B's name: refused" test -s "$T/err" -a ! -s "$T/out"
sed "s|^sslcert = .*|sslcert = $PG_DIR/$ROLE_A.crt|; s|^sslkey = .*|sslkey = $PG_DIR/$ROLE_A.key|" "$T/b.conn" >"$T/wrong.conn"
chmod 600 "$T/wrong.conn"
run "${B[@]}" sync --connection "$T/wrong.conn"
check "sync with the wrong certificate fails with a sentence" test "$(status)" != 0 -a "$(wc -l <"$T/err")" -ge 1
grep -v '^password' "$T/a.conn" >"$T/nopw.conn"; chmod 644 "$T/a.conn"
run "${A[@]}" sync --connection "$T/a.conn"
check "a password file others can read is refused" grep -q 'chmod 600' "$T/err"
chmod 600 "$T/a.conn"

# ---- Faults -----------------------------------------------------------------------------------
wait_cursor () {  # DEVICE MIN: until the store's cursor reaches MIN (max 60 s)
  local i
  for i in $(seq 600); do
    [ "$(q "SELECT coalesce ((SELECT last_seq FROM ingest.sync_cursor WHERE device_id = '$1'), 0)")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
kill_site () { q "SELECT count (pg_terminate_backend (pid)) FROM pg_stat_activity WHERE usename = '$1'" >/dev/null; }

# Connection killed in the middle of a batch.
"$HELPER" "$T/a.wtl" gen 60000 示例处置中心 4
base=$(q "SELECT last_seq FROM ingest.sync_cursor WHERE device_id = '$DEV_A'")
"$CLI" "${A[@]}" sync --connection "$T/a.conn" --no-pull --batch 20000 >"$T/kill.out" 2>"$T/kill.err" &
pid=$!
wait_cursor "$DEV_A" $((base + 20000)); sleep 0.3
kill_site "$ROLE_A"
wait $pid; rc=$?
check "a push whose connection is killed fails with a sentence" test $rc != 0 -a "$(wc -l <"$T/kill.err")" = 1
cursor=$(q "SELECT last_seq FROM ingest.sync_cursor WHERE device_id = '$DEV_A'")
run "${A[@]}" sync --connection "$T/a.conn" --no-pull --batch 20000
check "the resumed push sends exactly what was missing" test "$(cat "$T/out")" = "pushed $(( $(own "$T/a.wtl") - cursor )) pulled 0 anomalies 1"
check "after the kill: the store equals the sites" central_matches

# Server restarted in the middle of a sync.
"$HELPER" "$T/a.wtl" gen 40000 示例处置中心 4
base=$(q "SELECT last_seq FROM ingest.sync_cursor WHERE device_id = '$DEV_A'")
"$CLI" "${A[@]}" sync --connection "$T/a.conn" --no-pull --batch 10000 >"$T/kill.out" 2>"$T/kill.err" &
pid=$!
wait_cursor "$DEV_A" $((base + 10000)); sleep 0.2
pg_restart_immediate
wait $pid; rc=$?
check "a push through a server crash fails with a sentence" test $rc != 0 -a "$(wc -l <"$T/kill.err")" = 1
run "${A[@]}" sync --connection "$T/a.conn"
check "sync after the restart succeeds" test "$(status)" = 0
check "after the restart: the store equals the sites" central_matches

# Network gone in the middle of a pull.
expect=$(q "SELECT count(*) FROM ingest.event e JOIN ingest.container_site cs USING (container_code) WHERE cs.site_id = '$USCC_B' AND e.site_id <> '$USCC_B'")
"$CLI" "${B[@]}" sync --connection "$T/b.conn" --no-push >"$T/kill.out" 2>"$T/kill.err" &
pid=$!
for i in $(seq 300); do
  [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE usename = '$ROLE_B' AND query LIKE '%feed_for_site%'")" -gt 0 ] && break
  sleep 0.05
done
sleep 0.5
kill_site "$ROLE_B"
wait $pid; rc=$?
run "${B[@]}" sync --connection "$T/b.conn"
check "the pull resumes after the connection was cut (first run rc=$rc)" test "$(status)" = 0
check "B holds every event that concerns it, once" \
  test "$(sqlite3 "$T/b.wtl" "SELECT count(*) FROM event WHERE device_id <> '$DEV_B'")" = "$expect"
check "generated containers shipped to B appear there" \
  test "$(sqlite3 "$T/b.wtl" "SELECT count(*) FROM container WHERE state = 'shipped'")" -ge $((100000 / 12))
check "after the cut pull: the store equals the sites" central_matches

# The same batch pushed twice at the same time.
"$HELPER" "$T/a.wtl" gen 30000
"$CLI" "${A[@]}" sync --connection "$T/a.conn" --no-pull >"$T/p1" 2>&1 &
p1=$!
"$CLI" "${A[@]}" sync --connection "$T/a.conn" --no-pull >"$T/p2" 2>&1 &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "two concurrent pushes both end well" test $r1 = 0 -a $r2 = 0
check "and together inserted the batch once" \
  test $(( $(cut -d' ' -f2 "$T/p1") + $(cut -d' ' -f2 "$T/p2") )) = 30000
check "after the double push: the store equals the sites" central_matches

# A clock days ahead: accepted, flagged.
USCC_C=91440300MA5DC0XX1L
ROLE_C=site_$(echo $USCC_C | tr A-Z a-z); pg_client_cert "$ROLE_C"
"$CLI" central add-site --dsn "$PG_ADMIN_DSN" --site $USCC_C --name 深圳某厂 --out "$T/c.conn" \
  --cert "$PG_DIR/$ROLE_C.crt" --key "$PG_DIR/$ROLE_C.key" >/dev/null
C=(--ledger "$T/c.wtl"); ledgers+=("$T/c.wtl")
"$CLI" "${C[@]}" site init --name 深圳某厂 --uscc $USCC_C >/dev/null 2>"$T/err" || \
  { USCC_C=""; }
skew=$(( ($(date +%s) + 3 * 86400) * 1000 ))
WASTETAG_CLOCK_MS=$skew "$HELPER" "$T/c.wtl" gen 30
WASTETAG_CLOCK_MS=$skew run "${C[@]}" sync --connection "$T/c.conn"
check "events of a clock 3 days ahead are accepted" grep -q '^pushed 30 ' "$T/out"
check "the offset is reported" grep -q 'clock' "$T/err"
DEV_C=$(device_of "$T/c.wtl")
check "and flagged: clock offset and clock window" \
  test "$(q "SELECT count(DISTINCT kind) FROM ingest.anomaly WHERE device_id = '$DEV_C' AND kind IN ('clock_offset', 'clock_suspect')")" = 2
check "after the skewed clock: the store equals the sites" central_matches

# A device restored from an old backup: fork found, device blocked.
cp "$T/c.wtl" "$T/c-backup.wtl"; cp "$T/c.wtl.key" "$T/c-backup.wtl.key"
"$HELPER" "$T/c.wtl" gen 6
"$CLI" "${C[@]}" sync --connection "$T/c.conn" >/dev/null 2>&1
before=$(q 'SELECT count(*) FROM ingest.event')
cp "$T/c.wtl" "$T/c-synced.wtl"; ledgers=("${ledgers[@]/$T\/c.wtl/$T/c-synced.wtl}")
cp "$T/c-backup.wtl" "$T/c.wtl"; cp "$T/c-backup.wtl.key" "$T/c.wtl.key"; rm -f "$T/c.wtl-wal" "$T/c.wtl-shm"
"$HELPER" "$T/c.wtl" gen 9
run "${C[@]}" sync --connection "$T/c.conn"
check "sync from a restored backup is refused with a sentence" test "$(status)" != 0 -a "$(wc -l <"$T/err")" = 1
check "the fork is an anomaly with both versions" \
  test "$(q "SELECT count(*) FROM ingest.anomaly WHERE kind = 'device_fork' AND device_id = '$DEV_C' AND detail ? 'stored' AND detail ? 'pushed'")" = 1
check "the device is blocked" test "$(q "SELECT blocked FROM ingest.device WHERE device_id = '$DEV_C'")" = t
check "nothing of the fork reached the store" test "$(q 'SELECT count(*) FROM ingest.event')" = "$before"
run "${C[@]}" sync --connection "$T/c.conn"
check "a blocked device stays refused" grep -q 'blocked' "$T/err"

# ---- Signatures and bundles through the central store ---------------------------------------------
run central verify --dsn "$PG_ADMIN_DSN"
check "central verify checks every signature with libsodium" \
  test "$(status)" = 0 -a "$(tail -n1 "$T/out")" = "checked $(( $(own "$T/a.wtl") + $(own "$T/b.wtl") )) signatures, 0 bad"
check "and authenticates every stored event by its device's signed head first" \
  test "$(head -n1 "$T/out")" = "authenticated $(( $(own "$T/a.wtl") + $(own "$T/b.wtl") )) events by 2 signed heads, 0 bad"

USCC_D=91310000MA1FL0XX2F
"$CLI" central add-site --dsn "$PG_ADMIN_DSN" --site $USCC_D --name 无网络站点 --out "$T/d.conn" >/dev/null
D=(--ledger "$T/d.wtl"); O=(--ledger "$T/office.wtl")
"$CLI" "${D[@]}" site init --name 无网络站点 --uscc $USCC_D >/dev/null
"$CLI" "${O[@]}" site init --name 中心办公室 --uscc 91110000600037341L --device-slot Z >/dev/null
"$HELPER" "$T/d.wtl" gen 300
run "${D[@]}" bundle export -o "$T/d.bundle"
check "an offline site exports its events to a stick" test "$(status)" = 0 -a "$(cut -f2 "$T/out")" = 300
run bundle import "$T/d.bundle" --dsn "$PG_ADMIN_DSN"
check "the central store refuses a bundle from a device it does not know" grep -q 'trust' "$T/err"
KEY_D=$("$CLI" "${D[@]}" site show | sed -n 's/^public_key\t//p')
[ -n "$KEY_D" ] || KEY_D=$(sqlite3 "$T/d.wtl" "SELECT lower (hex (public_key)) FROM device WHERE is_local = 1")
run "${O[@]}" bundle import "$T/d.bundle" --dsn "$PG_ADMIN_DSN" --trust "$KEY_D" --receipt "$T/d.receipt"
check "the central store imports it through apply_stage" grep -q '^imported 300 ' "$T/out"
run "${O[@]}" bundle import "$T/d.bundle" --dsn "$PG_ADMIN_DSN"
check "importing the same stick again changes nothing" grep -q '^imported 0 ' "$T/out"
KEY_O=$(sqlite3 "$T/office.wtl" "SELECT lower (hex (public_key)) FROM device WHERE is_local = 1")
run "${D[@]}" bundle import "$T/d.receipt" --trust "$KEY_O"
check "the site takes the central receipt" test "$(status)" = 0
check "the receipt acknowledges all 300" \
  test "$(sqlite3 "$T/d.wtl" "SELECT acked_seq FROM sync_peer WHERE peer = 'central'")" = 300
run "${D[@]}" bundle export -o "$T/d2.bundle"
check "the next stick carries nothing already acknowledged" test "$(cut -f2 "$T/out")" = 0
ledgers+=("$T/d.wtl")
check "after the bundles: the store equals the sites" central_matches

echo "1..$n"
[ $failed = 0 ]
