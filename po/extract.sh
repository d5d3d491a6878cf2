#!/usr/bin/env bash
# po/extract.sh: writes every translatable message of the project to a PO
# template, without a header.  C sources are listed in po/POTFILES and mark
# messages with _(), N_() and ngettext(); shell scripts are listed in
# po/POTFILES.shell and mark them with ci_t (ci/lib.sh).
# po/check-translations.sh and po/merge-parts.sh share it, so both read the
# same messages.
# Usage: po/extract.sh OUTPUT_POT   (run from the repository root)
set -euo pipefail

output=${1:?usage: po/extract.sh OUTPUT_POT}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
  --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=ngettext:1,2 \
  --keyword=g_dngettext:2,3 --add-comments=TRANSLATORS: --omit-header \
  --files-from=po/POTFILES --output="$work/c.pot"
xgettext --from-code=UTF-8 --language=Shell --keyword= --keyword=ci_t \
  --add-comments=TRANSLATORS: --omit-header \
  --files-from=po/POTFILES.shell --output="$work/shell.pot"
msgcat --use-first "$work/c.pot" "$work/shell.pot" --output-file="$output"
