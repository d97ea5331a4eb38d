#!/bin/bash
# test-handover.sh: store, ship under a manifest, the handover receipt, and
# receipt at a second site that shares nothing with the first but the
# receipt's QR code, all through wastetag-cli. Prints TAP.
set -u

CLI=${WASTETAG_CLI:?set WASTETAG_CLI to the wastetag-cli binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
A=(--ledger "$T/producer.wtl")
B=(--ledger "$T/disposal.wtl")

n=0
failed=0
ok () { n=$((n+1)); echo "ok $n - $1"; }
not_ok () { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check () { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "command: $*" "stderr: $(cat "$T/err" 2>/dev/null)"; fi; }
run () { "$CLI" "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
status () { cat "$T/rc"; }
events () { "$CLI" "$@" ledger verify; }
# Refused: non-zero, one sentence on stderr, and nothing recorded.
refused_by () {
  local before=$1
  [ "$(status)" != 0 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ "$(events "${A[@]}")" = "$before" ]
}
state () { "$CLI" "$@" containers | awk -F'\t' -v c="$CODE" '$1 == c { print $4 }'; }

"$CLI" "${A[@]}" site init --name 示例化工 --uscc 91350100M000100Y43 --facility TS001 >/dev/null
"$CLI" "${B[@]}" site init --name 示例处置中心 --uscc 91110000600037341L >/dev/null
"$CLI" "${A[@]}" label --waste 900-249-08 --count 4 --weight 180 --volume 200 -o "$T/drums.pdf" >"$T/codes"
"$CLI" "${A[@]}" label --waste 900-249-08 --count 1 --weight 180 --format png -o "$T/extra.png" >"$T/extra"
c1=$(sed -n 1p "$T/codes"); c2=$(sed -n 2p "$T/codes"); c3=$(sed -n 3p "$T/codes"); c4=$(sed -n 4p "$T/codes")

run "${A[@]}" store --facility TS001 "$c1" "$c2" "$c3"
check "store three containers" test "$(status)" = 0
CODE=$c1
check "a stored container is in storage" test "$(state "${A[@]}")" = stored

before=$(events "${A[@]}")
run "${A[@]}" store --facility TS001 "$c4" "$c1"
check "storing one twice refuses the whole command" refused_by "$before"
CODE=$c4
check "and the other container was not stored" test "$(state "${A[@]}")" = labelled

for bad in 2026350100012 20269901000123 20263599000123 20213501000123 2026ABCD000123; do
  before=$(events "${A[@]}")
  run "${A[@]}" manifest new --number $bad --carrier 顺达危运 --vehicle 闽A12345 --receiver 示例处置中心
  check "manifest number $bad is refused" refused_by "$before"
done
run "${A[@]}" manifest new --number 20265002000001 --carrier 渝运 --vehicle 渝B1 --receiver 某中心
check "a 重庆 county manifest number is valid" test "$(status)" = 0

before=$(events "${A[@]}")
run "${A[@]}" manifest new --carrier 顺达危运 --vehicle 闽A12345 --receiver 示例处置中心 \
  --receiver-licence "$(printf '闽危废\n3501')"
check "a receiver licence with a line break is refused" refused_by "$before"
run "${A[@]}" manifest new --carrier 顺达危运 --vehicle 闽A12345 --receiver 示例处置中心 \
  --receiver-licence "$(printf 'X%.0s' $(seq 65))"
check "a receiver licence longer than 64 characters is refused" refused_by "$before"

M=$("$CLI" "${A[@]}" manifest new --number 20263501000123 --carrier 顺达危运 --vehicle 闽A12345 --receiver 示例处置中心 \
      --receiver-licence 闽环危废证第3501000123号)
check "manifest new prints the manifest id" test ${#M} = 36
run "${A[@]}" manifest show "$M"
check "manifest show gives the receiver's licence" grep -qx $'receiver_licence\t闽环危废证第3501000123号' "$T/out"

before=$(events "${A[@]}")
run "${A[@]}" ship --manifest "$M" --by 王芳:12 --carrier-person 李司机:5678 "$c1"
check "a PIN that is too short is refused" refused_by "$before"
run "${A[@]}" ship --manifest "$M" --by 王芳:1234 --carrier-person 李司机:5678 "$c1" "$c2" "$c3"
check "ship three containers with both parties" test "$(status)" = 0
CODE=$c1
check "a shipped container is shipped" test "$(state "${A[@]}")" = shipped
run "${A[@]}" ledger table shipped
check "table B.3 gives the receiver's licence for each container shipped" \
  test "$(grep -c ',示例处置中心,闽环危废证第3501000123号,20263501000123' "$T/out")" = 3
run "${A[@]}" ledger table outsourced
check "table B.5 gives the licence number too" \
  test "$(grep -c ',示例处置中心,闽环危废证第3501000123号,' "$T/out")" = 3

M2=$("$CLI" "${A[@]}" manifest new --carrier 别家 --vehicle 闽A0 --receiver 别处)
before=$(events "${A[@]}")
run "${A[@]}" ship --manifest "$M2" "$c1"
check "shipping a container twice is refused" refused_by "$before"
check "and the sentence names the first manifest" grep -q 20263501000123 "$T/err"
before=$(events "${A[@]}")
run "${A[@]}" treat --method D10 "$c2"
check "treating before receipt is refused" refused_by "$before"

run "${A[@]}" manifest receipt "$M" -o "$T/receipt.pdf"
check "the handover receipt is written" test "$(status)" = 0 -a -s "$T/receipt.pdf"
check "the receipt names the manifest" grep -q 20263501000123 <(pdftotext "$T/receipt.pdf" -)
pdftoppm -r 150 -png -singlefile -f 1 -l 1 "$T/receipt.pdf" "$T/receipt"

# The disposal site, offline, loads the list from the receipt's QR code.
run "${B[@]}" manifest load "$T/extra.png"
check "a container label is not a receipt" test "$(status)" != 0
run "${B[@]}" manifest load "$T/receipt.png"
check "the receipt loads at the second site" test "$(status)" = 0 -a "$(cat "$T/out")" = "$M"
check "the loaded manifest expects the three containers" grep -q $'^expected\t3$' <("$CLI" "${B[@]}" manifest show "$M")

run "${B[@]}" receive --manifest "$M" --weight "$c1"=150 --reject "$c2"=桶体泄漏 "$c1"
check "receive one and reject one" test "$(status)" = 0
CODE=$c1
check "received" test "$(state "${B[@]}")" = received
CODE=$c2
check "rejected" test "$(state "${B[@]}")" = rejected
check "the weight difference is flagged" grep -q '"weight_discrepancy":true' <("$CLI" "${B[@]}" history "$c1")
check "the third is still missing" grep -q $'^missing\t'"$c3" <("$CLI" "${B[@]}" manifest show "$M")

run "${B[@]}" receive --manifest "$M" "$c1"
check "receiving twice is refused" test "$(status)" != 0 -a "$(wc -l <"$T/err")" = 1

run "${B[@]}" treat --method D10 "$c1"
check "treat after receipt" test "$(status)" = 0
CODE=$c1
check "treated" test "$(state "${B[@]}")" = treated
check "history, oldest first" test "$("$CLI" "${B[@]}" history "$c1" | tail -n +2 | cut -f2 | tr '\n' ' ')" = "received treated "

# A container of another producer does not belong to this manifest.
C=(--ledger "$T/other.wtl")
"$CLI" "${C[@]}" site init --name 别的工厂 --uscc 91110000600037341L >/dev/null
foreign=$("$CLI" "${C[@]}" label --waste 900-249-08 --count 1 -o "$T/f.pdf")
M3=$("$CLI" "${A[@]}" manifest new --carrier 顺达危运 --vehicle 闽A12345 --receiver 示例处置中心)
"$CLI" "${A[@]}" ship --manifest "$M3" "$c4" >/dev/null
"$CLI" "${A[@]}" manifest receipt "$M3" -o "$T/r3.pdf"
pdftoppm -r 150 -png -singlefile -f 1 -l 1 "$T/r3.pdf" "$T/r3"
"$CLI" "${B[@]}" manifest load "$T/r3.png" >/dev/null
run "${B[@]}" receive --manifest "$M3" "$foreign"
check "a container of someone else's manifest is refused" test "$(status)" != 0 -a "$(wc -l <"$T/err")" = 1
check "and the sentence says whose" grep -q '示例化工' "$T/err"

run "${A[@]}" ledger verify
check "the producer's ledger verifies" test "$(status)" = 0
run "${B[@]}" ledger verify
check "the disposal site's ledger verifies" test "$(status)" = 0

run "${A[@]}" methods
check "the editable list of treatment methods" grep -q $'^D10\t' "$T/out"
run "${A[@]}" methods set X1 本厂回转窑
check "a site adds its own method" grep -q $'^X1\t本厂回转窑$' <("$CLI" "${A[@]}" methods)

echo "1..$n"
[ $failed = 0 ]
