#!/bin/sh
# Fails when a source file with translatable strings is missing from
# po/POTFILES.in. Usage: check-potfiles.sh [SOURCE_ROOT]
set -eu
cd "${1:-$(dirname "$0")/../..}"

potfiles=po/POTFILES.in
if [ ! -f "$potfiles" ]; then
  echo "Bail out! $potfiles is missing"
  exit 1
fi

missing=$(mktemp)
trap 'rm -f "$missing"' EXIT

{
  find app -name '*.c' -print
  find ui -name '*.ui' -print
  find resources -maxdepth 1 \( -name '*.in' -o -name '*.xml' \) -print
} | LC_ALL=C sort | while read -r file; do
  case "$file" in
    *.c) grep -Eq '(^|[^A-Za-z0-9_])N?_\(' "$file" || continue ;;
    *.ui) grep -q 'translatable="yes"' "$file" || continue ;;
    *.desktop.in|*.metainfo.xml.in|*.gschema.xml) ;;
    *) grep -Eq '(_\(|N_\(|translatable="yes")' "$file" || continue ;;
  esac
  if ! grep -Fxq "$file" "$potfiles"; then
    echo "$file" >> "$missing"
  fi
done

n=$(wc -l < "$missing")
echo "1..1"
if [ "$n" -gt 0 ]; then
  echo "not ok 1 - $n file(s) with translatable strings are not in $potfiles:"
  sed 's/^/# /' "$missing"
  exit 1
fi
echo "ok 1 - every file with translatable strings is in $potfiles"
