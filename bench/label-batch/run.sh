#!/bin/sh
# bench/label-batch/run.sh: Wastetag's label batch against glabels-3-batch.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/label-batch/run.sh [BUILD_DIR] [N]     (defaults: _build 1000)
#
# Builds nothing: build first (ninja -C BUILD_DIR bench/label-batch/bench-label-batch).
# Runs bench-label-batch N (render N labels to one PDF through the core, then
# rasterise at 300 dpi and decode every page), then the same job in gLabels 3:
# a 100 mm square label, one QR code (libqrencode backend) merged from a CSV
# column and three merged text lines, N CSV rows, glabels-3-batch -o out.pdf,
# timed with /usr/bin/time -v. Prints a table and the command that reproduces it.
set -eu

BUILD=${1:-_build}
N=${2:-1000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BENCH=$BUILD/bench/label-batch/bench-label-batch

if [ ! -x "$BENCH" ]; then
  echo "No $BENCH; build it first: ninja -C $BUILD bench/label-batch/bench-label-batch" >&2
  exit 1
fi
for tool in glabels-3-batch pdftoppm pdfinfo; do
  command -v $tool >/dev/null || { echo "$tool is missing (apt install glabels poppler-utils)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt install time)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wt-label-batch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

# ---- Wastetag ---------------------------------------------------------------
"$BENCH" "$N" --keep "$WORK" > "$WORK/wt.txt"
wt() { sed -n "s/^$1: //p" "$WORK/wt.txt"; }

# ---- gLabels 3 --------------------------------------------------------------
# The same payloads as the Wastetag run, one CSV row per label.
python3 - "$N" "$WORK/data.csv" <<'PY'
import csv, sys, zlib
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["payload", "name", "code", "date"])
    for i in range(n):
        code = "91350100M000100Y43" "90024908" "20261130" "%c%02d" % (chr(ord("A") + (i // 1000) % 20), i % 100)
        body = "WT1 危险废物\nID:%s\nWC:900-249-08\nHZ:T,I\nDT:2026-11-30\n" % code
        payload = body + "CK:%08X" % (zlib.crc32(body.encode()) & 0xffffffff)
        w.writerow([payload, "废矿物油与含矿物油废物", code, "2026-11-30"])
PY

cat > "$WORK/label.glabels" <<XML
<?xml version="1.0"?>
<Glabels-document xmlns="http://glabels.org/xmlns/3.0/">
  <Template brand="Wastetag" part="HJ1276-100" size="Other" width="100mm" height="100mm" description="HJ 1276 100 mm">
    <Meta category="label"/>
    <Label-rectangle id="0" width="100mm" height="100mm" round="0mm" x_waste="0mm" y_waste="0mm">
      <Markup-margin size="3mm"/>
      <Layout nx="1" ny="1" x0="0mm" y0="0mm" dx="100mm" dy="100mm"/>
    </Label-rectangle>
  </Template>
  <Objects id="0" rotate="False">
    <Object-box x="0mm" y="0mm" w="100mm" h="100mm" line_width="1mm" line_color="0x000000ff" fill_color="0xff9600ff" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0" shadow="False"/>
    <Object-text x="5mm" y="5mm" w="90mm" h="12mm" justify="Center" valign="Top" auto_shrink="False" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0" shadow="False">
      <Span font_family="Noto Sans CJK SC" font_size="22" font_weight="Bold" font_italic="False" color="0x000000ff" line_spacing="1">危险废物</Span>
    </Object-text>
    <Object-text x="5mm" y="20mm" w="55mm" h="6mm" justify="Left" valign="Top" auto_shrink="False" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0" shadow="False">
      <Span font_family="Noto Sans CJK SC" font_size="9" font_weight="Normal" font_italic="False" color="0x000000ff" line_spacing="1">废物名称：<Field name="name"/></Span>
    </Object-text>
    <Object-text x="5mm" y="27mm" w="55mm" h="6mm" justify="Left" valign="Top" auto_shrink="False" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0" shadow="False">
      <Span font_family="Noto Sans CJK SC" font_size="9" font_weight="Normal" font_italic="False" color="0x000000ff" line_spacing="1">数字识别码：<Field name="code"/></Span>
    </Object-text>
    <Object-text x="5mm" y="34mm" w="55mm" h="6mm" justify="Left" valign="Top" auto_shrink="False" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0" shadow="False">
      <Span font_family="Noto Sans CJK SC" font_size="9" font_weight="Normal" font_italic="False" color="0x000000ff" line_spacing="1">产生日期：<Field name="date"/></Span>
    </Object-text>
    <Object-box x="60mm" y="60mm" w="35mm" h="35mm" line_width="0mm" line_color="0xffffffff" fill_color="0xffffffff" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0" shadow="False"/>
    <Object-barcode x="62mm" y="62mm" w="31mm" h="31mm" backend="libqrencode" style="IEC18004" text="False" checksum="True" format="10" color="0x000000ff" field="payload" a0="1" a1="0" a2="0" a3="1" a4="0" a5="0" shadow="False"/>
  </Objects>
  <Merge type="Text/Comma/Line1Keys" src="$WORK/data.csv"/>
</Glabels-document>
XML

GL_CMD="glabels-3-batch -o $WORK/glabels.pdf $WORK/label.glabels"
# glabels-3-batch is a GTK program and wants a display; give it a virtual one.
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  GL_CMD="xvfb-run -a $GL_CMD"
fi
/usr/bin/time -v -o "$WORK/gl-time.txt" $GL_CMD > "$WORK/gl-out.txt" 2>&1 || {
  echo "glabels-3-batch failed:" >&2; cat "$WORK/gl-out.txt" >&2; exit 1; }

# Peak RSS of the biggest process under time (with xvfb-run, Xvfb is a sibling
# and not counted; glabels-3-batch is the child that matters).
GL_WALL=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/gl-time.txt" |
  awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
GL_RSS_KB=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/gl-time.txt")
GL_PAGES=$(pdfinfo "$WORK/glabels.pdf" | sed -n 's/^Pages: *//p')
GL_BYTES=$(stat -c %s "$WORK/glabels.pdf")
# Check that gLabels really drew the QR code (a blank label would be faster):
# decode its first page with zbarimg when zbar-tools is installed.
GL_QR="-"
if command -v zbarimg >/dev/null; then
  pdftoppm -r 300 -gray -png -singlefile -f 1 -l 1 "$WORK/glabels.pdf" "$WORK/gl-1"
  if zbarimg -q --raw -Sdisable -Sqrcode.enable "$WORK/gl-1.png" >/dev/null 2>&1; then
    GL_QR="page 1 ok"
  else
    GL_QR="page 1 FAIL"
  fi
fi

awk -v n="$N" \
    -v wt_s="$(wt render_seconds)" -v wt_rss="$(wt peak_rss_mb)" -v wt_bpl="$(wt bytes_per_label)" \
    -v wt_dec="$(wt decoded)" \
    -v gl_qr="$GL_QR" -v gl_s="$GL_WALL" -v gl_rss_kb="$GL_RSS_KB" -v gl_bytes="$GL_BYTES" -v gl_pages="$GL_PAGES" \
'BEGIN {
  wt_lps = n / wt_s; gl_lps = n / gl_s;
  printf "\n%-22s %14s %14s\n", "", "Wastetag", "glabels-3-batch";
  printf "%-22s %14d %14d\n", "labels", n, n;
  printf "%-22s %14.3f %14.3f\n", "wall time (s)", wt_s, gl_s;
  printf "%-22s %14.1f %14.1f\n", "labels/s", wt_lps, gl_lps;
  printf "%-22s %14.1f %14.1f\n", "peak RSS (MB)", wt_rss, gl_rss_kb / 1024;
  printf "%-22s %14.0f %14.0f\n", "PDF bytes/label", wt_bpl, gl_bytes / n;
  printf "%-22s %14s %14s\n", "pages", n, gl_pages;
  printf "%-22s %14s %14s\n", "decoded (300 dpi)", wt_dec, gl_qr;
  printf "\nthroughput ratio: %.1fx (target >= 10x)\n", wt_lps / gl_lps;
}'
echo "(Wastetag: $(wt options); glabels: one page per CSV row, wall time includes start-up.)"
echo
echo "Reproduce: bench/label-batch/run.sh ${1:-_build} $N"
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
