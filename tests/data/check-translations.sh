#!/bin/sh
# Fails when a translation in po/LINGUAS is out of date: the template is
# regenerated from po/POTFILES.in (as meson's i18n "glib" preset does), each
# catalogue is merged against it, and any untranslated or fuzzy message is
# listed. Then msgfmt --check must accept the merged catalogue.
# Usage: check-translations.sh [SOURCE_ROOT]
set -eu
cd "${1:-$(dirname "$0")/../..}"

for tool in xgettext msgmerge msgattrib msgfmt; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "1..0 # SKIP $tool is not installed (package gettext)"
    exit 0
  fi
done

for f in po/POTFILES.in po/LINGUAS; do
  if [ ! -f "$f" ]; then
    echo "Bail out! $f is missing"
    exit 1
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

package=$(sed -n "s/^project('\([^']*\)'.*/\1/p" meson.build | head -n 1)
package=${package:-wastetag}

# The same keywords and format flags as meson's i18n.gettext(preset: 'glib').
# xgettext picks the language by extension: C, GtkBuilder (.ui), .desktop,
# AppStream metainfo and GSettings schemas (the last two through the ITS
# rules that glib and appstream install).
if ! xgettext \
    --package-name="$package" \
    --from-code=UTF-8 \
    --add-comments \
    --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
    --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
    --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
    --flag=g_dngettext:2:pass-c-format \
    --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
    --flag=g_string_append_printf:2:c-format --flag=g_error_new:3:c-format \
    --flag=g_set_error:4:c-format --flag=g_markup_printf_escaped:1:c-format \
    --flag=g_log:3:c-format --flag=g_print:1:c-format --flag=g_printerr:1:c-format \
    --flag=g_printf:1:c-format --flag=g_fprintf:2:c-format \
    --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format \
    --files-from=po/POTFILES.in \
    --output="$tmp/$package.pot" 2>"$tmp/xgettext.log"; then
  echo "Bail out! xgettext could not extract the messages:"
  sed 's/^/# /' "$tmp/xgettext.log"
  exit 1
fi

# Count the messages of a catalogue, not its header.
count () {
  if [ -s "$1" ]; then
    awk '/^msgid / { n++ } END { print (n > 0) ? n - 1 : 0 }' "$1"
  else
    echo 0
  fi
}

# List the messages of a catalogue, one line each, for the log.
list () {
  msgattrib --no-wrap --no-obsolete "$1" 2>/dev/null |
    awk '/^#: / { where = substr($0, 4); next }
         /^msgid "/ && $0 != "msgid \"\"" { print "#   " $0 "  (" where ")" }'
}

languages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' po/LINGUAS | tr -s ' \t' '\n\n' | sed '/^$/d')
n=$(echo "$languages" | sed '/^$/d' | wc -l)

echo "1..$((n * 3 + 1))"

# Strings xgettext could not read fully are shown, not failed: a msgid that
# ends in "%" before a G_GINT64_FORMAT cannot be translated at run time.
if [ -s "$tmp/xgettext.log" ]; then
  sed 's/^/# xgettext: /' "$tmp/xgettext.log"
fi
total=$(count "$tmp/$package.pot")
echo "ok 1 - the template has $total messages from po/POTFILES.in"

i=1
status=0
for lang in $languages; do
  po="po/$lang.po"
  merged="$tmp/$lang.po"

  i=$((i + 1))
  if [ ! -f "$po" ] || ! msgmerge --quiet --no-wrap --previous -o "$merged" "$po" "$tmp/$package.pot" 2>"$tmp/msgmerge.log"; then
    echo "not ok $i - $po cannot be merged with the template"
    [ -f "$tmp/msgmerge.log" ] && sed 's/^/# /' "$tmp/msgmerge.log"
    status=1
    i=$((i + 2))
    echo "not ok $((i - 1)) - $po: untranslated messages # SKIP not merged"
    echo "not ok $i - $po: msgfmt --check # SKIP not merged"
    continue
  fi

  msgattrib --untranslated --no-obsolete -o "$tmp/$lang.untranslated.po" "$merged"
  msgattrib --only-fuzzy --no-obsolete -o "$tmp/$lang.fuzzy.po" "$merged"
  untranslated=$(count "$tmp/$lang.untranslated.po")
  fuzzy=$(count "$tmp/$lang.fuzzy.po")

  if [ "$untranslated" -eq 0 ]; then
    echo "ok $i - $po: every message is translated"
  else
    echo "not ok $i - $po: $untranslated of $total message(s) are untranslated:"
    list "$tmp/$lang.untranslated.po"
    status=1
  fi

  i=$((i + 1))
  if [ "$fuzzy" -eq 0 ]; then
    echo "ok $i - $po: no fuzzy message"
  else
    echo "not ok $i - $po: $fuzzy message(s) are fuzzy (the English changed; check and remove the fuzzy flag):"
    list "$tmp/$lang.fuzzy.po"
    status=1
  fi

  i=$((i + 1))
  if msgfmt --check --check-accelerators=_ --statistics -o /dev/null "$merged" 2>"$tmp/msgfmt.log"; then
    echo "ok $i - $po: msgfmt --check accepts it ($(tr -d '\n' < "$tmp/msgfmt.log"))"
  else
    echo "not ok $i - $po: msgfmt --check rejects it:"
    sed 's/^/# /' "$tmp/msgfmt.log"
    status=1
  fi
done

if [ "$status" -ne 0 ]; then
  echo "# To fix: ninja -C BUILDDIR $package-update-po, then translate the messages above."
fi
exit "$status"
