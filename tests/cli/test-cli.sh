#!/bin/bash
# test-cli.sh: wastetag-cli as a script or a clerk would use it, including
# every bad input of issue #2. Prints TAP.
set -u

CLI=${WASTETAG_CLI:?set WASTETAG_CLI to the wastetag-cli binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export WASTETAG_LEDGER="$T/ledger.wtl"
USCC=91350100M000100Y43

n=0
failed=0
ok () { n=$((n+1)); echo "ok $n - $1"; }
not_ok () { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check () { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "command: $*"; fi; }

# Runs the CLI; keeps stdout, stderr and the status.
run () { "$CLI" "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
status () { cat "$T/rc"; }
refused () {
  # Non-zero, exactly one sentence on stderr, nothing on stdout.
  [ "$(status)" != 0 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ ! -s "$T/out" ] && grep -q 'wastetag-cli: ' "$T/err"
}
n_containers () { "$CLI" containers | tail -n +2 | wc -l; }

# --- site ---------------------------------------------------------------
run site init --name 测试化工 --uscc 91350100M000100Y44 --contact 张三 --phone 13800000000
check "invalid USCC is refused in one sentence" refused
check "the message says what is wrong" grep -q '“3”' "$T/err"
run site show
check "nothing was set up after a refused USCC" refused

run site init --name 测试化工 --uscc $USCC --contact 张三 --phone 13800000000 --address 福州 --device 仓库电脑
check "site init succeeds" test "$(status)" = 0
run site show
check "site show names the unit" grep -q $'^name\t测试化工$' "$T/out"
check "the device has an Ed25519 public key" grep -Eq $'^public_key\t[0-9A-F]{64}$' "$T/out"
run site init --name 别的 --uscc $USCC
check "a site is set up only once" refused

# --- catalogue ----------------------------------------------------------
run catalogue search 900-249
check "search by code" grep -q $'^900-249-08\tHW08\tT,I\t' "$T/out"
run catalogue search HW08
check "search by category gives its 32 codes" test "$(wc -l <"$T/out")" = 32
run catalogue search 废矿物油
check "search by words" grep -q '^900-249-08' "$T/out"
run catalogue search In
check "search by hazard letter" test "$(wc -l <"$T/out")" = 6

# --- bad label inputs: nothing registered ---------------------------------
run label --waste 999-999-99 --count 1 -o "$T/x.pdf"
check "unknown waste code is refused" refused
run label --waste 900-249-08 --count 0 -o "$T/x.pdf"
check "count 0 is refused" refused
run label --waste 900-249-08 --count 10001 -o "$T/x.pdf"
check "count above 10,000 is refused" refused
run label --waste 900-249-08 --count 1 --weight -5 -o "$T/x.pdf"
check "negative weight is refused" refused
run label --waste 900-249-08 --count 1 --weight abc -o "$T/x.pdf"
check "weight that is not a number is refused" refused
run label --waste 900-249-08 --count 1 -o "$T/no/such/folder/x.pdf"
check "unwritable output path is refused" refused
check "no output file appeared" test ! -e "$T/x.pdf"
check "nothing was registered by refused jobs" test "$(n_containers)" = 0

# Disk full in the middle of the job: the file-size limit makes writes fail
# with EFBIG the way a full disk fails them with ENOSPC (the CLI ignores
# SIGXFSZ itself).
mkdir -p "$T/full"
( ulimit -f 200; exec "$CLI" label --waste 900-249-08 --count 60 -o "$T/full/l.pdf" ) >"$T/out" 2>"$T/err"
echo $? >"$T/rc"
check "a disk that fills up mid-job is reported" refused
check "no label file is left behind" test -z "$(ls -A "$T/full")"
check "nothing was registered when the disk filled up" test "$(n_containers)" = 0

# --- a real batch ---------------------------------------------------------
run label --waste 900-249-08 --count 3 --weight 180 --volume 200 --common-name 废机油 -o "$T/drums.pdf"
check "label succeeds" test "$(status)" = 0
check "label prints one code per container" test "$(wc -l <"$T/out")" = 3
cp "$T/out" "$T/codes"
check "the PDF has one page per label" grep -q '^Pages: *3$' <(pdfinfo "$T/drums.pdf")
check "the 150 mm label page is exact" grep -Eq '^Page size: *425\.19[0-9]* x 425\.19[0-9]* pts' <(pdfinfo "$T/drums.pdf")
pdftotext "$T/drums.pdf" "$T/drums.txt"
check "the Chinese fields are in the PDF text" grep -q '危险废物' "$T/drums.txt"
check "the plant's name for the waste is printed" grep -q '废机油' "$T/drums.txt"
check "the containers are registered" test "$(n_containers)" = 3

run label --waste 900-041-49 --count 2 --format png --dpi 203 -o "$T/bags.png"
check "PNG labels: one file per label" test -e "$T/bags-0001.png" -a -e "$T/bags-0002.png"
cp "$T/out" "$T/bagcodes"
run decode "$T/bags-0001.png" "$T/bags-0002.png"
check "decoding the PNG labels gives the printed codes" \
  test "$(cut -f2 "$T/out")" = "$(cat "$T/bagcodes")"
run decode --raw "$T/bags-0001.png"
check "--raw gives the exact payload with escaped newlines" grep -q $'\tWT1 危险废物\\\\nID:' "$T/out"

run label --waste 336-064-17 --count 2 --volume 1000 -o "$T/ibc.pdf"
check "above 450 L each container gets two 200 mm labels" grep -q '^Pages: *4$' <(pdfinfo "$T/ibc.pdf")
check "the 200 mm page is exact" grep -Eq '^Page size: *566\.9[0-9]* x 566\.9[0-9]* pts' <(pdfinfo "$T/ibc.pdf")

run label --waste 900-249-08 --count 5 --size 100 --layout a4 --start 3 -o "$T/sheet.pdf"
check "A4 sheets: 5 labels from position 3 take two sheets" grep -q '^Pages: *2$' <(pdfinfo "$T/sheet.pdf")
check "A4 sheets are A4" grep -Eq '^Page size: *595\.2[0-9]* x 841\.8[0-9]* pts' <(pdfinfo "$T/sheet.pdf")

run label --waste 900-249-08 --count 1 --format svg -o "$T/one.svg"
check "SVG label" grep -q '<svg' "$T/one.svg"

# --- reprint and void -------------------------------------------------------
first=$(head -1 "$T/codes")
run reprint "$first" --reason 标签破损 -o "$T/reprint.pdf"
check "reprint keeps the code and counts" test "$(cat "$T/out")" = "$first"$'\t1'
check "the reprint is marked on the label" grep -q '重印' <(pdftotext "$T/reprint.pdf" -)
run history "$first"
check "history shows labelled then relabelled" test "$(tail -n +2 "$T/out" | cut -f2 | tr '\n' ' ')" = "labelled relabelled "
second=$(sed -n 2p "$T/codes")
run void "$second"
check "void needs a reason" refused
run void "$second" --reason 打印错误
check "void succeeds" test "$(status)" = 0
check "the voided label shows in the list" grep -q "^$second"$'\t.*\tvoided\t' <("$CLI" containers)
run reprint "$second" --reason x -o "$T/r2.pdf"
check "a voided label cannot be reprinted" refused

run ledger verify
check "the ledger verifies" test "$(status)" = 0 -a "$(cat "$T/out")" = "$(( $(n_containers) + 2 ))"

# --- killed in the middle of a batch -----------------------------------------
before=$(n_containers)
mkdir -p "$T/kill"
"$CLI" label --waste 900-249-08 --count 1000 --format png --dpi 600 -o "$T/kill/k.png" >/dev/null 2>&1 &
pid=$!
for i in $(seq 50); do [ -n "$(ls -A "$T/kill" 2>/dev/null)" ] && break; sleep 0.1; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
after=$(n_containers)
check "a killed batch is all or nothing" test "$after" = "$before" -o "$after" = "$((before + 1000))"
check "no label appears under a final name after a kill" test -z "$(ls "$T/kill" | grep -v '^\.')"
run ledger verify
check "the ledger is intact after the kill" test "$(status)" = 0
run label --waste 900-249-08 --count 1 -o "$T/after.pdf"
check "the ledger works after the kill" test "$(status)" = 0

# --- ledgers that are not ours ----------------------------------------------
echo "shopping list" >"$T/notes.txt"
WASTETAG_LEDGER="$T/notes.txt" run containers
check "a file that is not a ledger is refused" refused
check "and the message says so" grep -q 'not a Wastetag ledger' "$T/err"
cp "$WASTETAG_LEDGER" "$T/newer.wtl"
sqlite3 "$T/newer.wtl" 'PRAGMA user_version = 99'
run --ledger "$T/newer.wtl" containers
check "a ledger from a newer version is refused" refused
check "and the message says to update" grep -q 'newer version' "$T/err"

# --- decode bad inputs --------------------------------------------------------
echo "not an image" >"$T/fake.png"
run decode "$T/fake.png"
check "an image that is not an image gives - and a message" test "$(status)" != 0 -a "$(cat "$T/out")" = "$T/fake.png"$'\t-'
if command -v qrencode >/dev/null; then
  qrencode -o "$T/url.png" 'https://example.com/x'
  run decode "$T/url.png"
  check "a foreign QR code gives -" test "$(cut -f2 "$T/out")" = "-"
  check "and says it is not a Wastetag label" grep -q 'not a Wastetag label' "$T/err"
fi

echo "1..$n"
[ $failed = 0 ]
