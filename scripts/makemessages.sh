#!/usr/bin/env bash
# Extract translatable strings into the zh_Hans catalogs, one catalog per app.
#
#   bash scripts/makemessages.sh              # every app under src/gonghui with an apps.py, and the project level
#   bash scripts/makemessages.sh members codes # only these apps ("project" = the project level)
#
# Each app's strings go to src/gonghui/<app>/locale/zh_Hans/LC_MESSAGES/django.po (and djangojs.po
# when the app's own .js files call gettext). The project level (src/gonghui/templates/, settings.py,
# api.py, urls.py, ...) goes to src/gonghui/locale/zh_Hans/LC_MESSAGES/django.po and never repeats
# an app's strings (every app folder is --ignore'd there).
#
# Deterministic: no line numbers (--add-location=file), no wrapping, no obsolete entries, and the
# header carries no dates, so running it twice changes nothing. New msgids come in with an empty
# msgstr (msgmerge may propose a "#, fuzzy" guess): fill them, remove the fuzzy flags, then
# `make messages` compiles. tests/core/test_i18n.py fails on empty, fuzzy or stale catalogs.
#
# GONGHUI_SRC=/some/copy/gonghui runs on a copy of the source tree (the staleness test does this).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$(cd "${GONGHUI_SRC:-$ROOT/src/gonghui}" && pwd)"
GONGHUI="${GONGHUI_BIN:-$ROOT/.venv/bin/gonghui}"
PYTHON="${GONGHUI_PYTHON:-$ROOT/.venv/bin/python}"
LOCALE=zh_Hans
export DJANGO_SETTINGS_MODULE=gonghui.settings

command -v xgettext >/dev/null || { echo "makemessages.sh: xgettext not found (apt-get install gettext)" >&2; exit 2; }

# Apps = folders directly under src/gonghui that have an apps.py.
mapfile -t ALL_APPS < <(cd "$SRC" && for d in */; do d="${d%/}"; [ -f "$d/apps.py" ] && echo "$d"; done | LC_ALL=C sort)

if [ $# -eq 0 ]; then
    TARGETS=("${ALL_APPS[@]}" project)
else
    TARGETS=("$@")
fi

# Folders that never hold translatable strings of ours.
COMMON_IGNORES=(--ignore=static/vendor --ignore=node_modules --ignore=migrations --ignore=__pycache__)

has_js_gettext() {  # $1 = directory, $2.. = extra find prunes
    local dir="$1"; shift
    find "$dir" \( -name vendor -o -name node_modules "$@" \) -prune -o -name '*.js' -type f -print0 \
        | xargs -0 -r grep -lE '\b(n|p|np)?gettext[[:space:]]*\(|\binterpolate[[:space:]]*\(' 2>/dev/null \
        | grep -q .
}

# Normalise a catalog header: no dates, no fuzzy header, the language and plural forms set.
normalise_header() {  # $1 = po file, $2 = label
    "$PYTHON" - "$1" "$2" "$LOCALE" <<'PY'
import re
import sys
from pathlib import Path

path, label, locale = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
text = path.read_text(encoding="utf-8")
head, sep, rest = text.partition('\n\n')
if 'msgid ""' not in head:
    sys.exit(f"{path}: no header entry")
fields = {}
order = []
for m in re.finditer(r'^"([^:"]+): ?(.*?)\\n"$', head, re.M):
    fields[m.group(1)] = m.group(2)
    order.append(m.group(1))
fields.pop("POT-Creation-Date", None)
fields.pop("PO-Revision-Date", None)
fields["Project-Id-Version"] = "gonghui"
fields.setdefault("Report-Msgid-Bugs-To", "")
fields["Last-Translator"] = fields.get("Last-Translator", "").replace("FULL NAME <EMAIL@ADDRESS>", "")
fields["Language-Team"] = "Gonghui <zh_Hans>" if "LANGUAGE" in fields.get("Language-Team", "LANGUAGE") else fields["Language-Team"]
fields["Language"] = locale
fields["MIME-Version"] = "1.0"
fields["Content-Type"] = "text/plain; charset=UTF-8"
fields["Content-Transfer-Encoding"] = "8bit"
fields["Plural-Forms"] = "nplurals=1; plural=0;"
keys = ["Project-Id-Version", "Report-Msgid-Bugs-To", "Last-Translator", "Language-Team", "Language",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Plural-Forms"]
keys += [k for k in order if k not in keys and k in fields]
lines = [
    f"# Gonghui ({label}): Simplified Chinese translations.",
    "# This file is distributed under the same license as the gonghui package.",
    "#",
    'msgid ""',
    'msgstr ""',
] + [f'"{k}: {fields[k]}\\n"' for k in keys]
path.write_text("\n".join(lines) + sep + rest, encoding="utf-8")
PY
}

stats() {  # $1 = po file, $2 = label
    local out
    out="$(LC_ALL=C msgfmt --statistics -o /dev/null "$1" 2>&1 || true)"
    echo "  $2: $out"
}

run_makemessages() {  # $1 = cwd, $2 = label, rest = extra args
    local dir="$1" label="$2"; shift 2
    mkdir -p "$dir/locale"
    local domains=(django)
    if has_js_gettext "$dir" "${JS_PRUNES[@]}"; then domains+=(djangojs); fi
    for domain in "${domains[@]}"; do
        local po="$dir/locale/$LOCALE/LC_MESSAGES/$domain.po" keep=""
        # Keep the old file (and its mtime, so `make messages` has nothing to redo) when unchanged.
        if [ -f "$po" ]; then keep="$(mktemp)"; cp -p "$po" "$keep"; fi
        (cd "$dir" && "$GONGHUI" makemessages -v0 -l "$LOCALE" -d "$domain" --no-obsolete \
            --add-location=file --no-wrap "${COMMON_IGNORES[@]}" "$@")
        if [ -f "$po" ]; then
            normalise_header "$po" "$label"
            if [ -n "$keep" ] && cmp -s "$po" "$keep"; then mv -f "$keep" "$po"; keep=""; fi
            stats "$po" "$label/$domain"
        fi
        if [ -n "$keep" ]; then rm -f "$keep"; fi
    done
}

echo "makemessages ($LOCALE) in $SRC"
for target in "${TARGETS[@]}"; do
    if [ "$target" = project ] || [ "$target" = . ]; then
        ignores=()
        JS_PRUNES=()
        for app in "${ALL_APPS[@]}"; do
            ignores+=("--ignore=$app")
            JS_PRUNES+=(-o -path "$SRC/$app")
        done
        run_makemessages "$SRC" project "${ignores[@]}"
    else
        if [ ! -f "$SRC/$target/apps.py" ]; then
            echo "makemessages.sh: $target is not an app (no $SRC/$target/apps.py)" >&2
            exit 2
        fi
        JS_PRUNES=()
        run_makemessages "$SRC/$target" "$target"
    fi
done
