#!/usr/bin/env bash
# Refresh the translations: extract every msgid from Python and templates into
# qinqing/locale/zh_Hans/LC_MESSAGES/django.po, then compile django.mo next to it.
#
# Existing translations are kept (msgmerge). New strings come out with an empty
# msgstr, and changed strings come out marked "#, fuzzy". Neither kind is compiled,
# so the page shows the English source text until someone translates it. The script
# lists them at the end. Translate them, remove the "#, fuzzy" line, and run this again.
#
# Usage: scripts/i18n.sh           refresh and compile
#        scripts/i18n.sh --check   the same, but exit 1 if anything is untranslated or fuzzy
# English is the source language, so it needs no catalogue.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
[ "${1:-}" = "--check" ] && check=1

command -v msgfmt >/dev/null 2>&1 || { echo "gettext is missing: apt-get install gettext" >&2; exit 2; }

QQ=.venv/bin/qinqing
export DJANGO_SETTINGS_MODULE=qinqing.settings
# Keep the settings module from creating ./.qinqing just to run makemessages.
tmp_data=""
if [ -z "${QINQING_DATA_DIR:-}" ]; then
  tmp_data=$(mktemp -d)
  export QINQING_DATA_DIR="$tmp_data"
  trap 'rm -rf "$tmp_data"' EXIT
fi

LOCALES=(zh_Hans)
IGNORE=(--ignore=.venv --ignore=venv --ignore=node_modules --ignore=tests --ignore=bench
        --ignore=scripts --ignore=docs --ignore=build --ignore=dist --ignore='*.egg-info')

for l in "${LOCALES[@]}"; do
  "$QQ" makemessages -l "$l" "${IGNORE[@]}"
done
# compilemessages walks the whole tree, so ignore the venv as well (it holds Django's own catalogues).
for l in "${LOCALES[@]}"; do
  "$QQ" compilemessages -l "$l" "${IGNORE[@]}"
done

status=0
for l in "${LOCALES[@]}"; do
  po=qinqing/locale/$l/LC_MESSAGES/django.po
  echo "== $po"
  msgfmt -c --statistics -o /dev/null "$po"
  untranslated=$(msgattrib --untranslated --no-obsolete "$po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry too whenever it prints anything.
  [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
  [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
  if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
    echo "Still to translate in $po ($untranslated untranslated, $fuzzy fuzzy):"
    msgattrib --untranslated --no-obsolete --no-wrap "$po" | grep '^msgid "..*"' || true
    msgattrib --only-fuzzy --no-obsolete --no-wrap "$po" | grep '^msgid "..*"' | sed 's/^/(fuzzy) /' || true
    status=1
  fi
done

if [ "$check" = 1 ]; then exit "$status"; fi
exit 0
