#!/bin/sh
# bench/decode/run.sh: decode time, degraded-set reads against zbarimg and
# ZXingReader, and preview frame rate while decoding.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/decode/run.sh [BUILD_DIR] [N]     (defaults: _build 20)
#
# Builds nothing: build first (ninja -C BUILD_DIR bench/decode/bench-decode).
# 1. bench-decode timing N, pinned to CPU 0 with taskset: median and p95 ms
#    per frame at 640x480, 1280x720, 1920x1080, with and without a code, for
#    the project's decoder (video path and still path), zbar alone and
#    zxing-cpp alone; then what each zxing variant costs on empty frames.
# 2. bench-decode degraded: N frames per category written as PNG with the
#    exact payload beside them; the project's decoder, zbarimg (zbar-tools)
#    and ZXingReader (zxing-cpp-tools) read the same files, exact bytes.
# 3. bench-decode fps: a 1280x720 PNG through WtCamera at 30 fps for 10 s
#    (filesrc ! pngdec ! imagefreeze), preview "frame" signals per second on
#    the main loop while the scan branch decodes every frame it can.
set -eu

BUILD=${1:-_build}
N=${2:-20}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BENCH=$BUILD/bench/decode/bench-decode

if [ ! -x "$BENCH" ]; then
  echo "No $BENCH; build it first: ninja -C $BUILD bench/decode/bench-decode" >&2
  exit 1
fi
for tool in zbarimg ZXingReader python3 taskset; do
  command -v $tool >/dev/null || { echo "$tool is missing (apt install zbar-tools zxing-cpp-tools python3 util-linux)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wt-decode.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

echo "## Decode time per frame (one core: taskset -c 0), $N frames per row"
echo
taskset -c 0 "$BENCH" timing "$N"
echo
taskset -c 0 "$BENCH" components "$N"
echo

echo "## Degraded set: $N frames per category, 640x480, about 4 px/module, exact text"
echo
"$BENCH" degraded "$WORK/frames" "$N" > "$WORK/project.tsv"
python3 - "$WORK/project.tsv" <<'PY'
import collections, os, subprocess, sys

rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")]
count = collections.defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
missed = []
for png, project, zbar_lib, zxing_lib in rows:
    want = open(png[:-4] + ".txt", "rb").read()
    z = subprocess.run(["zbarimg", "--nodbus", "-q", "--raw", "-Sdisable", "-Sqrcode.enable",
                        "-Sbinary", png], capture_output=True).stdout
    x = subprocess.run(["ZXingReader", "-format", "QRCode", "-bytes", png],
                       capture_output=True).stdout
    zok = z == want or z == want + b"\n"
    xok = x == want or x == want + b"\n"
    kind = os.path.basename(png).rsplit("_", 1)[0]
    c = count[kind]
    c[0] += 1
    c[1] += project == "1"
    c[2] += zbar_lib == "1"
    c[3] += zxing_lib == "1"
    c[4] += zok
    c[5] += xok
    c[6] += zok or xok
    if (zok or xok) and project != "1":
        missed.append(os.path.basename(png))

print("| category | frames | project | zbar (lib) | zxing-cpp (lib) | zbarimg | ZXingReader | either CLI |")
print("|---|---|---|---|---|---|---|---|")
total = [0] * 7
for kind in sorted(count):
    c = count[kind]
    total = [a + b for a, b in zip(total, c)]
    print("| %s | %d | %d | %d | %d | %d | %d | %d |" % (kind, *c))
print("| **total** | %d | **%d** | %d | %d | %d | %d | %d |" % tuple(total))
print()
if missed:
    print("Read by a CLI tool but not by the project: " + ", ".join(missed))
else:
    print("The project reads every frame that zbarimg or ZXingReader reads.")
PY
echo

echo "## Preview frame rate at 1280x720 while decoding (WtCamera, 10 s at 30 fps)"
echo
"$BENCH" frame 1280 720 "$WORK/frame720.png"
"$BENCH" fps "$WORK/frame720.png" 10
echo
echo "Reproduce: ninja -C ${1:-_build} bench/decode/bench-decode && bench/decode/run.sh ${1:-_build} $N"
echo "(zbar-tools $(dpkg-query -W -f='${Version}' zbar-tools 2>/dev/null || echo '?'), zxing-cpp-tools $(dpkg-query -W -f='${Version}' zxing-cpp-tools 2>/dev/null || echo '?'), $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
