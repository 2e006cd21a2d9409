"""Translations: every zh_Hans catalog is complete, consistent and up to date, and pages use it.

(a) No catalog under src/gonghui has an empty msgstr, a fuzzy entry (header included) or
    placeholders that differ from its msgid's; one msgid means one translation everywhere
    (Django merges all catalogs into one: the first app in INSTALLED_APPS would silently win).
(b) The catalogs hold exactly the msgids of the source: scripts/makemessages.sh runs on a copy
    of src/gonghui and must find the same msgids, app by app (needs GNU gettext's xgettext).
(c) Pages answer in Chinese by default and in English when asked.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.utils import translation
from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "gonghui"
SCRIPT = ROOT / "scripts" / "makemessages.sh"


# --- a small .po reader ------------------------------------------------------------------------
@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file (obsolete #~ entries skipped), the header (msgid "") first."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    current: str | None = None
    start = 0

    def flush() -> None:
        nonlocal fields, flags, current
        if "msgid" in fields:
            strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries.append(
                Entry(
                    msgid=fields["msgid"],
                    msgid_plural=fields.get("msgid_plural"),
                    msgctxt=fields.get("msgctxt"),
                    msgstr=strs,
                    flags=flags,
                    line=start,
                )
            )
        fields, flags, current = {}, set(), None

    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#,"):
            if "msgid" in fields:
                flush()
            flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if m:
            key = m.group(1)
            if key in ("msgctxt", "msgid") and "msgid" in fields:
                flush()
            if not fields:
                start = n
            current = key
            fields[key] = ast.literal_eval(m.group(2))
        elif line.startswith('"') and current:
            fields[current] += ast.literal_eval(line)
        else:
            raise AssertionError(f"{path}:{n}: cannot read {raw!r}")
    flush()
    return entries


def catalogs(root: Path = SRC) -> list[Path]:
    return sorted(p for p in root.rglob("locale/*/LC_MESSAGES/*.po") if "vendor" not in p.parts)


def label(path: Path, root: Path = SRC) -> str:
    return str(path.relative_to(root))


NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
POSITIONAL = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE = re.compile(r"\{[^{}\s]*\}")


def placeholders(text: str, entry: Entry) -> tuple[list[str], list[str], list[str]]:
    """(named, positional, brace) placeholders of a python-format / brace string."""
    named: list[str] = []
    positional: list[str] = []
    if "python-format" in entry.flags:
        stripped = text.replace("%%", "")
        named = sorted(set(NAMED.findall(stripped)))
        positional = POSITIONAL.findall(NAMED.sub("", stripped))
    brace = sorted(BRACE.findall(text)) if BRACE.search(entry.msgid) else []
    return named, positional, brace


def header_fields(entry: Entry) -> dict[str, str]:
    out = {}
    for line in entry.msgstr[0].split("\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


ALL_CATALOGS = catalogs()


# --- (a) complete, no fuzzy, placeholders kept, one translation per msgid ----------------------
def test_there_are_catalogs_for_the_project_and_the_foundation_apps():
    names = {label(p) for p in ALL_CATALOGS}
    expected = {"locale/zh_Hans/LC_MESSAGES/django.po"} | {
        f"{app}/locale/zh_Hans/LC_MESSAGES/django.po"
        for app in ("core", "orgs", "members", "staffauth", "demo", "codes", "funds")
    }
    assert expected <= names


@pytest.mark.parametrize("po", ALL_CATALOGS, ids=[label(p) for p in ALL_CATALOGS])
def test_catalog_is_complete_and_well_formed(po):
    entries = read_po(po)
    assert entries and entries[0].msgid == "", f"{label(po)}: no header entry"
    header = entries[0]
    problems = []
    if "fuzzy" in header.flags:
        problems.append("header is fuzzy (remove the '#, fuzzy' line above msgid \"\")")
    fields = header_fields(header)
    plural_forms = fields.get("Plural-Forms", "")
    if "zh_Hans" in po.parts and plural_forms.replace(" ", "") != "nplurals=1;plural=0;":
        problems.append(f"Plural-Forms must be 'nplurals=1; plural=0;', not {plural_forms!r}")
    if "charset=UTF-8" not in fields.get("Content-Type", ""):
        problems.append("Content-Type must declare charset=UTF-8")
    seen: set[tuple[str | None, str]] = set()
    for e in entries[1:]:
        where = f"{label(po)}:{e.line} {e.msgid!r}"
        if e.key in seen:
            problems.append(f"{where}: duplicate msgid")
        seen.add(e.key)
        if "fuzzy" in e.flags:
            problems.append(f"{where}: fuzzy")
        if not e.msgstr or any(not s.strip() for s in e.msgstr):
            problems.append(f"{where}: untranslated")
            continue
        source = e.msgid_plural if e.msgid_plural is not None else e.msgid
        want = placeholders(source, e)
        for s in e.msgstr:
            got = placeholders(s, e)
            if got != want:
                problems.append(f"{where}: placeholders {got} in {s!r}, expected {want}")
    assert not problems, "\n".join(problems)


def test_one_msgid_has_one_translation_across_catalogs():
    """Django merges every app's catalog into one; a msgid translated two ways shows only one of
    them everywhere. Use the same words, or give the msgid a context (pgettext)."""
    by_key: dict[tuple[str, str | None, str], dict[str, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for po in ALL_CATALOGS:
        lang = po.parent.parent.name
        for e in read_po(po)[1:]:
            if e.msgstr and all(s.strip() for s in e.msgstr) and "fuzzy" not in e.flags:
                by_key[(lang, e.msgctxt, e.msgid)][" | ".join(e.msgstr)].append(label(po))
    clashes = [
        f"{msgid!r}{f' (context {ctx!r})' if ctx else ''}: "
        + "; ".join(f"{s!r} in {', '.join(where)}" for s, where in sorted(versions.items()))
        for (lang, ctx, msgid), versions in sorted(by_key.items(), key=str)
        if len(versions) > 1
    ]
    assert not clashes, "the same msgid is translated differently:\n" + "\n".join(clashes)


# --- (b) up to date with the source ------------------------------------------------------------
def _msgids(po: Path) -> set[tuple[str | None, str, str | None]]:
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in read_po(po)[1:]}


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="needs GNU gettext (apt-get install gettext)"
)
def test_catalogs_are_up_to_date_with_the_source(tmp_path):
    copy = tmp_path / "gonghui"
    shutil.copytree(
        SRC,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "vendor", "node_modules"),
    )
    env = {**os.environ, "GONGHUI_SRC": str(copy), "DJANGO_SETTINGS_MODULE": "gonghui.settings"}
    run = subprocess.run(
        ["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr

    fresh = {label(p, copy): p for p in catalogs(copy)}
    committed = {label(p): p for p in ALL_CATALOGS}
    problems = []
    for name in sorted(set(fresh) | set(committed)):
        new = _msgids(fresh[name]) if name in fresh else set()
        old = _msgids(committed[name]) if name in committed else set()
        if name not in committed:
            problems.append(
                f"{name}: missing; run `bash scripts/makemessages.sh {name.split('/')[0]}`"
            )
            continue
        for key in sorted(new - old, key=str):
            problems.append(f"{name}: not in the catalog yet: {key[1]!r}")
        for key in sorted(old - new, key=str):
            problems.append(f"{name}: no longer in the source: {key[1]!r}")
    assert not problems, (
        "catalogs are stale: run `bash scripts/makemessages.sh <app>` and translate\n"
        + "\n".join(problems)
    )


# --- (c) pages answer in Chinese, and in English when asked ------------------------------------
def _compiled() -> None:
    """Compile catalogs whose .mo is missing or older than the .po (`make messages` does this
    before `make test`; a bare `pytest` run should not depend on it)."""
    stale = [
        po
        for po in ALL_CATALOGS
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if not stale:
        return
    if shutil.which("msgfmt") is None:
        pytest.skip(
            "compiled catalogs (.mo) are missing and msgfmt is not installed: run `make messages`"
        )
    for po in stale:
        subprocess.run(
            ["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)],
            check=True,
            capture_output=True,
        )
    # Django caches loaded catalogs per language: forget them so the fresh .mo files are read.
    trans_real._translations = {}
    trans_real._default = None


def _text(html: str) -> str:
    """Visible text and attribute values of a page, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    attrs = " ".join(re.findall(r'(?:placeholder|title|aria-label|alt|value)="([^"]*)"', html))
    text = re.sub(r"<[^>]+>", " ", html) + " " + attrs
    return re.sub(r"\s+", " ", text)


def _english_phrases() -> set[str]:
    """msgids of our catalogs that read as English phrases (two words or more, no placeholders)."""
    out = set()
    for po in ALL_CATALOGS:
        for e in read_po(po)[1:]:
            if "%" in e.msgid or "{" in e.msgid or " " not in e.msgid.strip():
                continue
            out.add(e.msgid.strip())
    return out


@pytest.fixture
def compiled():
    _compiled()
    yield
    translation.activate("zh-hans")


def test_every_translation_is_the_one_shown(compiled):
    """Django merges catalogs: LOCALE_PATHS first, then INSTALLED_APPS in order (unfold and
    django.contrib.* before ours). A msgid that an earlier catalog also translates shows that
    other translation (e.g. contrib.sessions' "Session" = 会话), so ours must agree or use a
    context (pgettext)."""
    shadowed = []
    with translation.override("zh-hans"):
        for po in ALL_CATALOGS:
            if po.parent.parent.name != "zh_Hans" or po.stem != "django":
                continue
            app = po.relative_to(SRC).parts[0]
            if app != "locale" and not django_apps.is_installed(f"gonghui.{app}"):
                continue  # not in INSTALLED_APPS (yet): Django does not load this catalog
            for e in read_po(po)[1:]:
                if not e.msgstr or not all(e.msgstr) or "fuzzy" in e.flags:
                    continue  # reported by test_catalog_is_complete_and_well_formed
                if e.msgid_plural is not None:
                    shown = (
                        translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
                        if e.msgctxt
                        else translation.ngettext(e.msgid, e.msgid_plural, 1)
                    )
                else:
                    shown = (
                        translation.pgettext(e.msgctxt, e.msgid)
                        if e.msgctxt
                        else translation.gettext(e.msgid)
                    )
                if shown != e.msgstr[0]:
                    shadowed.append(
                        f"{label(po)}: {e.msgid!r} shows {shown!r}, not {e.msgstr[0]!r}"
                    )
    assert not shadowed, "translations hidden by another catalog:\n" + "\n".join(shadowed)


def _assert_chinese(html: str, english_page: str, expect: list[str]):
    text = _text(html)
    for word in expect:
        assert word in text, f"{word!r} not on the zh-hans page"
    en_text = _text(english_page)
    leftover = sorted(p for p in _english_phrases() if p in en_text and p in text)
    assert not leftover, f"English left on the zh-hans page: {leftover}"


@pytest.mark.django_db
def test_member_login_page_is_chinese_by_default_and_english_on_request(client, compiled):
    zh = client.get("/m/login", HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh_default = client.get("/m/login")  # no preference at all: LANGUAGE_CODE = zh-hans
    en = client.get("/m/login", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == zh_default.status_code == en.status_code == 200
    zh_html, en_html = zh.content.decode(), en.content.decode()
    # inner pages carry their title and a back link in the bar (issue #12 item 6); the brand is
    # on the home page
    _assert_chinese(zh_html, en_html, ["登录", "手机号", "获取验证码", "返回"])
    zh_home = client.get("/m/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en_home = client.get("/m/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    _assert_chinese(zh_home, en_home, ["工惠码"])
    _assert_chinese(zh_default.content.decode(), en_html, ["登录", "获取验证码"])
    en_text = _text(en_html)
    assert "Sign in" in en_text and "Send code" in en_text
    assert not re.search(r"[\u4e00-\u9fff]", en_text.replace("中文", "")), (
        "Chinese on the English page"
    )


@pytest.mark.django_db
def test_language_cookie_switches_to_english_and_back(client, settings, compiled):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = _text(client.get("/m/login", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert "Sign in" in en and "登录" not in en
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    zh = _text(client.get("/m/login", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "登录" in zh and "Sign in" not in zh


@pytest.mark.django_db
def test_member_join_page_is_chinese(client, compiled):
    zh = client.get("/m/join", HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = client.get("/m/join", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 200
    _assert_chinese(zh.content.decode(), en.content.decode(), ["申请入会", "验证手机号", "下一步"])


@pytest.mark.django_db
def test_admin_login_is_chinese(client, compiled):
    zh = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 200
    zh_html, en_html = zh.content.decode(), en.content.decode()
    _assert_chinese(zh_html, en_html, ["欢迎回到", "用户名", "密码", "登录", "动态验证码"])
    for english in ("Welcome back to", "Username", "Password", "Log in", "Return to site"):
        assert english in _text(en_html)
        assert english not in _text(zh_html)


@pytest.mark.django_db
def test_model_labels_and_messages_translate(compiled):
    from gonghui.codes.models import Credential
    from gonghui.funds.models import Budget
    from gonghui.members.models import Member

    with translation.override("zh-hans"):
        assert str(Member._meta.verbose_name) == "会员"
        assert str(Member._meta.get_field("name").verbose_name) == "姓名"
        assert str(Member.Status.ACTIVE.label) == "正常"
        assert str(Member.Status.LEFT.label) == "已退会"
        assert str(Credential.Status.ACTIVE.label) == "有效"
        assert str(Budget._meta.verbose_name) == "预算"
    with translation.override("en"):
        assert str(Member.Status.LEFT.label) == "Left"
        assert str(Member._meta.get_field("name").verbose_name) == "Name"
