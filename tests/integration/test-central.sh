#!/bin/bash
# test-central.sh: the central office's read-only mode on a real PostgreSQL 15
# with TLS and client certificates: migration 002 on a fresh store and on
# one at version 1, add-office, mirror (every site's events once, again
# nothing, only new rows after), a site role's mirror (its own site only),
# an office that cannot write by any route, and a mirror whose connection
# is killed half way and then resumed. After every step the cache holds
# exactly the central store's events, each id once. Prints TAP.
set -u

CLI=${WASTETAG_CLI:?set WASTETAG_CLI to the wastetag-cli binary}
HELPER=${1:?give the sync-helper binary}
SQL_DIR=$(cd "$(dirname "$0")/../../resources/sql" && pwd)
export PG_ENV_FSYNC=off WASTETAG_NO_KEYRING=1 LC_ALL=C.UTF-8
if ! command -v psql >/dev/null || ! command -v openssl >/dev/null || ! command -v sqlite3 >/dev/null; then
  echo "1..0 # SKIP psql, openssl or sqlite3 missing"; exit 0
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
own () { sqlite3 "$1" "SELECT count(*) FROM event WHERE device_id = (SELECT device_id FROM device WHERE is_local = 1)"; }
ledgers=()
central_matches () {  # the store holds exactly the sites' own events, each once
  local sum=0 l
  for l in "${ledgers[@]}"; do sum=$((sum + $(own "$l"))); done
  [ "$(q 'SELECT count(*) FROM ingest.event')" = "$sum" ] &&
    [ "$(q 'SELECT count(DISTINCT event_id) FROM ingest.event')" = "$sum" ]
}
# The cache holds exactly the store's events (WHERE: of one site), each once.
cache_ids () { sqlite3 "$1" "SELECT lower(hex(event_id)) FROM event ORDER BY 1"; }
store_ids () { q "SELECT replace(event_id::text, '-', '') FROM ingest.event WHERE ${1:-true} ORDER BY 1"; }
cache_matches () {  # CACHE [WHERE]
  cache_ids "$1" >"$T/cache.ids"; store_ids "${2:-true}" >"$T/store.ids"
  [ -s "$T/store.ids" ] && cmp -s "$T/cache.ids" "$T/store.ids" &&
    [ "$(sort -u "$T/cache.ids" | wc -l)" = "$(wc -l <"$T/cache.ids")" ]
}
role_psql () {  # ROLE PASSWORD [psql args]
  local role=$1 pw=$2; shift 2
  PGPASSWORD=$pw psql -X -q -At -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$PG_PORT dbname=wastetag user=$role sslmode=verify-full sslrootcert=$PG_CA sslcert=$PG_DIR/$role.crt sslkey=$PG_DIR/$role.key" "$@"
}
conn_pw () { sed -n 's/^password = //p' "$1"; }
kill_role () { q "SELECT count (pg_terminate_backend (pid)) FROM pg_stat_activity WHERE usename = '$1'" >/dev/null; }
n_sql=$(ls "$SQL_DIR"/[0-9]*.sql | wc -l)

# ---- Migration 002 -----------------------------------------------------------------------
# A store installed by a version that knew only 001 gets 002 alone.
PG_DB=postgres pg_psql -c 'CREATE DATABASE old' >/dev/null
PG_DB=old pg_psql -1 -f "$SQL_DIR/001_init.sql" >/dev/null 2>"$T/err"
PG_DB=old pg_psql -c "INSERT INTO ingest.schema_version (version, name) VALUES (1, '001_init.sql')" >/dev/null
OLD_DSN=${PG_ADMIN_DSN/dbname=wastetag/dbname=old}
run central init --dsn "$OLD_DSN"
check "central init on a store at version 1 applies the new migrations only" \
  grep -q "schema version $n_sql ($((n_sql - 1)) migrations applied)" "$T/out"
check "the old store has ingest.central_feed now" \
  test "$(PG_DB=old pg_psql -At -c "SELECT count(*) FROM pg_proc WHERE proname = 'central_feed'")" = 1
run central init --dsn "$OLD_DSN"
check "and again: nothing to do" grep -q 'already' "$T/out"

run central init --dsn "$PG_ADMIN_DSN"
check "central init on an empty store applies every migration" \
  grep -q "schema version $n_sql ($n_sql migrations applied)" "$T/out"
check "each migration is recorded once" \
  test "$(q 'SELECT count(*) FROM ingest.schema_version')" = "$n_sql" -a "$(q 'SELECT max(version) FROM ingest.schema_version')" -ge 2
run central init --dsn "$PG_ADMIN_DSN"
check "re-running init is safe" test "$(status)" = 0 -a "$(q 'SELECT count(*) FROM ingest.schema_version')" = "$n_sql"

# ---- Sites with events ------------------------------------------------------------------------
USCC_A=91350100M000100Y43; USCC_B=91110000600037341L
ROLE_A=site_$(echo $USCC_A | tr A-Z a-z); ROLE_B=site_$(echo $USCC_B | tr A-Z a-z)
pg_client_cert "$ROLE_A"; pg_client_cert "$ROLE_B"
"$CLI" central add-site --dsn "$PG_ADMIN_DSN" --site $USCC_A --name 示例化工 --out "$T/a.conn" \
  --cert "$PG_DIR/$ROLE_A.crt" --key "$PG_DIR/$ROLE_A.key" >/dev/null
"$CLI" central add-site --dsn "$PG_ADMIN_DSN" --site $USCC_B --name 示例处置中心 --out "$T/b.conn" \
  --cert "$PG_DIR/$ROLE_B.crt" --key "$PG_DIR/$ROLE_B.key" >/dev/null
A=(--ledger "$T/a.wtl"); B=(--ledger "$T/b.wtl")
ledgers=("$T/a.wtl" "$T/b.wtl")
"$CLI" "${A[@]}" site init --name 示例化工 --uscc $USCC_A >/dev/null
"$CLI" "${B[@]}" site init --name 示例处置中心 --uscc $USCC_B >/dev/null
"$HELPER" "$T/a.wtl" gen 3000 示例处置中心 5
"$HELPER" "$T/b.wtl" gen 1500
"$CLI" "${A[@]}" sync --connection "$T/a.conn" >/dev/null
"$CLI" "${B[@]}" sync --connection "$T/b.conn" >/dev/null
check "both sites pushed: the store equals the sites" central_matches

# ---- add-office ---------------------------------------------------------------------------------
ROLE_O=office_zongbu
pg_client_cert "$ROLE_O"
run central add-office --dsn "$PG_ADMIN_DSN" --name zongbu --out "$T/office.conn" \
  --cert "$PG_DIR/$ROLE_O.crt" --key "$PG_DIR/$ROLE_O.key"
check "add-office prints the role and the file" test "$(status)" = 0 -a "$(cat "$T/out")" = "$ROLE_O"$'\t'"$T/office.conn"
check "the office's connection file is private" test "$(stat -c %a "$T/office.conn")" = 600
check "it logs in with SCRAM over verify-full TLS" \
  grep -q '^sslmode = verify-full$' "$T/office.conn" -a -n "$(conn_pw "$T/office.conn")"
check "the office role is a member of wastetag_central only" \
  test "$(q "SELECT string_agg (g.rolname, ',') FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = '$ROLE_O'")" = wastetag_central
check "its password is stored as SCRAM" \
  test "$(q "SELECT left (rolpassword, 13) FROM pg_authid WHERE rolname = '$ROLE_O'")" = 'SCRAM-SHA-256'
PW_O=$(conn_pw "$T/office.conn")
run central add-office --dsn "$PG_ADMIN_DSN" --name 总部 --out "$T/office2.conn"
check "an office named in Chinese gets a plain role name" grep -Eq '^office_[0-9a-f]{12}'$'\t' "$T/out"

# ---- The office is read-only ---------------------------------------------------------------------
DEV_A=$(sqlite3 "$T/a.wtl" "SELECT device_id FROM device WHERE is_local = 1")
ro () { role_psql "$ROLE_O" "$PW_O" -c "$1" >"$T/out" 2>"$T/err"; }
ro "SELECT count(*) FROM ingest.event"
check "the office reads every site's events" test "$(cat "$T/out")" = "$(q 'SELECT count(*) FROM ingest.event')"
ro "SHOW default_transaction_read_only"
check "the office's transactions start read-only" test "$(cat "$T/out")" = on
for stmt in \
  "INSERT INTO ingest.event (event_id, device_id, device_seq, site_id, container_code, kind, actor, wall_ms, hlc, payload, prev_hash, hash, sig) VALUES (gen_random_uuid (), '$DEV_A', 999999, '$USCC_A', 'x', 'x', 'x', 0, 0, '{}', '\\x00', '\\x00', '\\x00')" \
  "UPDATE ingest.event SET actor = 'x' WHERE device_seq = 1" \
  "DELETE FROM ingest.event WHERE device_seq = 1" \
  "UPDATE ingest.anomaly SET cleared_at = now ()" \
  "INSERT INTO ingest.site (site_id, name, role_name) VALUES ('x', 'x', 'x')"; do
  ro "SET default_transaction_read_only = off; BEGIN READ WRITE; $stmt; COMMIT"
  check "the office cannot write: ${stmt:0:30}…" grep -q 'permission denied' "$T/err"
done
printf 'x\tx\n' | role_psql "$ROLE_O" "$PW_O" -c "COPY ingest.event (site_id, kind) FROM STDIN" >"$T/out" 2>"$T/err"
check "the office cannot COPY into the events" grep -Eq 'permission denied|read-only' "$T/err"
for call in \
  "ingest.register_device ('$DEV_A', '\\x00', '$USCC_A')" \
  "ingest.claim_cursor ('$DEV_A', 0, '\\x00', NULL)" \
  "ingest.apply_stage ('$DEV_A')" \
  "ingest.sync_done ('$DEV_A')" \
  "ingest.feed_for_site ('$DEV_A', '0', 0, 10)"; do
  ro "SET default_transaction_read_only = off; BEGIN READ WRITE; SELECT * FROM $call; COMMIT"
  check "the office cannot act as a device: ${call%% (*}" grep -q 'permission denied for function' "$T/err"
done
check "nothing the office tried changed the store" central_matches

# ---- Mirror ---------------------------------------------------------------------------------------
total=$(q 'SELECT count(*) FROM ingest.event')
run central mirror --connection "$T/office.conn" --ledger "$T/cache.wtl"
check "mirror pulls every site's events" test "$(status)" = 0 -a "$(cat "$T/out")" = "pulled $total"
check "the sum of the sites' events, each id once" \
  test "$total" = $(( $(own "$T/a.wtl") + $(own "$T/b.wtl") ))
check "the cache holds exactly the store's events" cache_matches "$T/cache.wtl"
check "the cache folded them into containers (three events each)" \
  test "$(sqlite3 "$T/cache.wtl" "SELECT count(*) FROM container")" = $((total / 3))
check "the central anomalies come along" \
  test "$(sqlite3 "$T/cache.wtl" "SELECT count(*) FROM anomaly WHERE source LIKE 'central:%'")" = "$(q 'SELECT count(*) FROM ingest.anomaly')"
run central mirror --connection "$T/office.conn" --ledger "$T/cache.wtl"
check "mirror again pulls 0" test "$(status)" = 0 -a "$(cat "$T/out")" = "pulled 0"

"$HELPER" "$T/a.wtl" gen 600 示例处置中心 3
"$CLI" "${A[@]}" sync --connection "$T/a.conn" >/dev/null
run central mirror --connection "$T/office.conn" --ledger "$T/cache.wtl"
check "after new events, mirror pulls only them" test "$(cat "$T/out")" = "pulled 600"
check "the cache still holds exactly the store's events" cache_matches "$T/cache.wtl"
check "and the store equals the sites" central_matches

# A site's role mirrors its own site only.
run central mirror --connection "$T/b.conn" --ledger "$T/b-cache.wtl"
check "a site's mirror pulls its own events" test "$(status)" = 0 -a "$(cat "$T/out")" = "pulled $(own "$T/b.wtl")"
check "and nothing of the other site" cache_matches "$T/b-cache.wtl" "site_id = '$USCC_B'"
check "not one event of A at B's mirror" \
  test "$(sqlite3 "$T/b-cache.wtl" "SELECT count(*) FROM event WHERE site_id = '$USCC_A'")" = 0

# ---- Connection killed in the middle of a mirror, then resumed ------------------------------------
"$HELPER" "$T/a.wtl" gen 60000 示例处置中心 4
"$CLI" "${A[@]}" sync --connection "$T/a.conn" >/dev/null
total=$(q 'SELECT count(*) FROM ingest.event')
"$CLI" central mirror --connection "$T/office.conn" --ledger "$T/cut.wtl" >"$T/cut.out" 2>"$T/cut.err" &
pid=$!
for i in $(seq 600); do
  [ -f "$T/cut.wtl" ] && [ "$(sqlite3 "$T/cut.wtl" 'SELECT count(*) FROM event' 2>/dev/null || echo 0)" -gt 0 ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
kill_role "$ROLE_O"
wait $pid; rc=$?
got=$(sqlite3 "$T/cut.wtl" 'SELECT count(*) FROM event')
check "a mirror whose connection is killed fails with one sentence (kept $got of $total)" \
  test $rc != 0 -a "$(wc -l <"$T/cut.err")" = 1 -a "$got" -lt "$total"
run central mirror --connection "$T/office.conn" --ledger "$T/cut.wtl"
check "the resumed mirror pulls exactly what was missing" test "$(cat "$T/out")" = "pulled $((total - got))"
check "after the cut: the cache holds exactly the store's events, each once" cache_matches "$T/cut.wtl"
check "after the cut: the store equals the sites" central_matches

# The office's window closes in the middle of a mirror: its GCancellable
# interrupts the running statement; the next mirror takes the rest.
"$HELPER" "$T/cancel.wtl" mirror-cancel "$T/office.conn" 700 >"$T/out" 2>"$T/err"
got=$(sqlite3 "$T/cancel.wtl" 'SELECT count(*) FROM event')
check "a cancelled mirror says so and keeps the pages it stored ($(cat "$T/out"))" \
  test "$(cat "$T/out")" = "cancelled $got" -a "$got" -lt "$total"
run central mirror --connection "$T/office.conn" --ledger "$T/cancel.wtl"
check "the mirror after a cancel pulls exactly the rest" test "$(cat "$T/out")" = "pulled $((total - got))"
check "after the cancel: the cache holds exactly the store's events, each once" cache_matches "$T/cancel.wtl"

# The server restarted in the middle of a mirror.
"$CLI" central mirror --connection "$T/office.conn" --ledger "$T/crash.wtl" >"$T/cut.out" 2>"$T/cut.err" &
pid=$!
for i in $(seq 600); do
  [ -f "$T/crash.wtl" ] && [ "$(sqlite3 "$T/crash.wtl" 'SELECT count(*) FROM event' 2>/dev/null || echo 0)" -gt 0 ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
pg_restart_immediate
wait $pid; rc=$?
got=$(sqlite3 "$T/crash.wtl" 'SELECT count(*) FROM event')
run central mirror --connection "$T/office.conn" --ledger "$T/crash.wtl"
check "after a server crash mid-mirror (rc=$rc, kept $got) the rerun pulls exactly the rest" \
  test "$(status)" = 0 -a "$(cat "$T/out")" = "pulled $((total - got))"
check "after the crash: the cache holds exactly the store's events, each once" cache_matches "$T/crash.wtl"
check "after the crash: the store equals the sites" central_matches

# ---- Signatures: signed heads authenticate segments, the sweep checks every event ----------------
devices=$(q 'SELECT count(*) FROM ingest.device d WHERE NOT blocked AND EXISTS (SELECT 1 FROM ingest.event e WHERE e.device_id = d.device_id)')
run central verify --dsn "$PG_ADMIN_DSN"
check "central verify authenticates every stored event by its device's signed head" \
  test "$(status)" = 0 -a "$(head -n1 "$T/out")" = "authenticated $total events by $devices signed heads, 0 bad"
check "then sweeps every signature (several pages, every core)" \
  test "$(tail -n1 "$T/out")" = "checked $total signatures, 0 bad"
check "the store shows every row authenticated and swept" \
  test "$(q 'SELECT sum (unverified + authenticated_not_swept) FROM ingest.verification')" = 0
ro 'SELECT sum (stored_seq) = sum (swept_seq) FROM ingest.verification'
check "the office reads the verification state (read-only)" test "$(cat "$T/out")" = t
run central verify --dsn "$PG_ADMIN_DSN"
check "and again: nothing new to check" \
  test "$(cat "$T/out")" = "authenticated 0 events by 0 signed heads, 0 bad"$'\n'"checked 0 signatures, 0 bad"

# A signature corrupted deep in a chain whose hashes are intact: the head
# authenticates the segment (its hashes chain into the signed head), the
# sweep still finds the bad signature, names it and blocks the device.
"$HELPER" "$T/a.wtl" gen 45000
"$CLI" "${A[@]}" sync --connection "$T/a.conn" --no-pull >/dev/null
head=$(q "SELECT last_seq FROM ingest.sync_cursor WHERE device_id = '$DEV_A'")
badseq=$((head - 1234))
q "ALTER TABLE ingest.event DISABLE TRIGGER event_append_only;
   UPDATE ingest.event SET sig = set_byte (sig, 7, get_byte (sig, 7) # 1) WHERE device_id = '$DEV_A' AND device_seq = $badseq;
   ALTER TABLE ingest.event ENABLE TRIGGER event_append_only" >/dev/null
run central verify --dsn "$PG_ADMIN_DSN" --heads-only
check "heads only: the segment with a bad middle signature is authenticated by its valid head" \
  test "$(status)" = 0 -a "$(cat "$T/out")" = "authenticated 45000 events by 1 signed heads, 0 bad"$'\n'"checked 0 signatures, 0 bad"
check "the store shows it authenticated, not swept, the device not blocked" \
  test "$(q "SELECT authenticated_seq || ' ' || authenticated_not_swept || ' ' || unverified || ' ' || blocked FROM ingest.verification WHERE device_id = '$DEV_A'")" = "$head 45000 0 false"
run central verify --dsn "$PG_ADMIN_DSN"
check "the sweep finds the forged signature in the third page; the rows before it count" \
  test "$(status)" = 3 -a "$(cat "$T/out")" = "authenticated 0 events by 0 signed heads, 0 bad"$'\n'"checked $((45000 - 1234 - 1)) signatures, 1 bad"
check "it is an anomaly naming the event" \
  test "$(q "SELECT count(*) FROM ingest.anomaly WHERE kind = 'bad_signature' AND device_id = '$DEV_A' AND (detail ->> 'seq')::bigint = $badseq AND event_id IS NOT NULL")" = 1
check "the device is blocked and the check keeps its place before the bad row" \
  test "$(q "SELECT d.blocked::text || ' ' || v.verified_seq FROM ingest.device d JOIN ingest.verify_state v USING (device_id) WHERE device_id = '$DEV_A'")" = "true $((badseq - 1))"
check "the segment stays authenticated up to the head; its rows after the bad one are not swept" \
  test "$(q "SELECT authenticated_seq || ' ' || swept_seq FROM ingest.verification WHERE device_id = '$DEV_A'")" = "$head $((badseq - 1))"
check "after the forged signature: the store equals the sites" central_matches

# A bad head: the device is blocked at once, then its segment is checked
# event by event and the anomaly names the first bad event.
DEV_B=$(sqlite3 "$T/b.wtl" "SELECT device_id FROM device WHERE is_local = 1")
"$HELPER" "$T/b.wtl" gen 3000
"$CLI" "${B[@]}" sync --connection "$T/b.conn" --no-pull >/dev/null
headb=$(q "SELECT last_seq FROM ingest.sync_cursor WHERE device_id = '$DEV_B'")
q "ALTER TABLE ingest.event DISABLE TRIGGER event_append_only;
   UPDATE ingest.event SET sig = set_byte (sig, 9, get_byte (sig, 9) # 4)
    WHERE device_id = '$DEV_B' AND device_seq IN ($headb, $((headb - 700)));
   ALTER TABLE ingest.event ENABLE TRIGGER event_append_only" >/dev/null
run central verify --dsn "$PG_ADMIN_DSN"
check "a bad head is reported, and the sweep of its segment stops at the first bad event" \
  test "$(status)" = 3 -a "$(cat "$T/out")" = "authenticated 0 events by 1 signed heads, 1 bad"$'\n'"checked $((3000 - 700 - 1)) signatures, 1 bad"
check "one anomaly, naming the head and the first bad event" \
  test "$(q "SELECT count(*) || ' ' || min (detail ->> 'head_seq') || ' ' || min (detail ->> 'first_bad_seq') || ' ' || count (event_id) FROM ingest.anomaly WHERE kind = 'bad_signature' AND device_id = '$DEV_B'")" = "1 $headb $((headb - 700)) 1"
check "the device with the bad head is blocked, nothing of it authenticated past the last good check" \
  test "$(q "SELECT blocked || ' ' || swept_seq || ' ' || (authenticated_seq < $headb) FROM ingest.verification WHERE device_id = '$DEV_B'")" = "true $((headb - 701)) true"
run "${B[@]}" sync --connection "$T/b.conn" --no-pull
check "a device blocked for a bad head is refused" grep -q 'blocked' "$T/err"
check "after the bad head: the store equals the sites" central_matches

echo "1..$n"
[ $failed = 0 ]
