#!/usr/bin/env bash
# Checks that po/ja.po translates every message a person can read.
#
# 1. Every source file of client/ and simulator/ (tests excluded) that marks
#    strings with _(), N_() or ngettext() is listed in po/POTFILES.
# 2. Extracts the messages afresh (po/extract.sh) and merges po/ja.po with
#    them: no message may be missing, untranslated or fuzzy.
# 3. msgfmt --check accepts po/ja.po (format strings agree, header valid).
# Usage: check-translations.sh SOURCE_ROOT
set -euo pipefail

root=${1:?usage: check-translations.sh SOURCE_ROOT}
cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

marked=$(grep -lE '(^|[^A-Za-z0-9_])(N?_|ngettext) ?\(' client/*.c simulator/*.c | sort)
for file in $marked; do
  if ! grep -qxF "$file" po/POTFILES; then
    echo "po/POTFILES: $file marks translatable strings but is not listed; add the line \"$file\"" >&2
    status=1
  fi
done

po/extract.sh "$work/messages.pot" 2>"$work/xgettext.log" || {
  cat "$work/xgettext.log" >&2
  exit 1
}
msgmerge --quiet --no-fuzzy-matching po/ja.po "$work/messages.pot" \
  --output-file="$work/merged.po"
msgattrib --untranslated --no-obsolete "$work/merged.po" >"$work/untranslated.po"
msgattrib --only-fuzzy --no-obsolete "$work/merged.po" >"$work/fuzzy.po"
for kind in untranslated fuzzy; do
  count=$( (grep -c '^msgid ' "$work/$kind.po" || true) )
  # The header entry (msgid "") counts once when anything is listed.
  if [ "$count" -gt 1 ]; then
    echo "po/ja.po: $((count - 1)) $kind message(s); translate them in po/ja.po (ninja -C BUILDDIR naccs-mail-harness-update-po adds the new ones):" >&2
    grep -A1 '^#:' "$work/$kind.po" | grep -v '^--' | head -40 >&2
    status=1
  fi
done

msgfmt --check --statistics --output-file=/dev/null po/ja.po
exit "$status"
