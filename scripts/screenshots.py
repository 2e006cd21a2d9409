"""Regenerate the screenshots under docs/screenshots/ (``make screenshots``).

A throw-away SQLite database in a temporary folder, migrated and loaded with the demo; the
development server on a free port; Debian's Chromium driven by Playwright. Members and staff
are signed in the way the browser tests do it (a session made here, not a password typed), so
no SMS is needed. Phones are 390×844, the console 1,366×768. Nothing is left behind but the
PNG files.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(env: dict[str, str], port: int) -> Iterator[str]:
    gonghui = [sys.executable, "-m", "gonghui"]
    cmd = [*gonghui, "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(  # noqa: S603 - our own command
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=2)  # noqa: S310 - localhost
                break
            time.sleep(0.5)
        else:
            raise SystemExit("the development server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def staff_cookie(username: str) -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies["sessionid"].value


def member_cookie() -> str:
    from django.contrib.sessions.backends.db import SessionStore

    from gonghui.demo import data
    from gonghui.members import pii
    from gonghui.members.models import Member

    member = Member.objects.get(phone_index=pii.phone_index(data.DEMO_MEMBER_PHONE))
    session = SessionStore()
    session["gonghui_member_id"] = member.pk
    session.create()
    assert session.session_key is not None
    return session.session_key


def shoot(out: Path, base: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )

        def context(viewport: dict[str, int], cookie: str):  # type: ignore[no-untyped-def]
            ctx = browser.new_context(locale="zh-CN", viewport=viewport, device_scale_factor=1)
            ctx.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
            return ctx

        def save(page, name: str, full: bool = False) -> None:  # type: ignore[no-untyped-def]
            page.wait_for_load_state("networkidle")
            path = out / f"{name}.png"
            page.screenshot(path=str(path), full_page=full)
            shots.append(path)

        member = context(PHONE, member_cookie()).new_page()
        member.goto(f"{base}/m/")
        save(member, "h5-home")
        member.goto(f"{base}/m/code/")
        member.wait_for_function(
            "() => (document.querySelector('[data-testid=code-digits]')"
            ".dataset.code || '').length === 20"
        )
        save(member, "h5-code")
        code = member.get_attribute("[data-testid=code-digits]", "data-code") or ""
        member.goto(f"{base}/m/assistance/apply")
        save(member, "h5-hardship-form", full=True)

        pos = context(PHONE, staff_cookie("cashier")).new_page()
        pos.goto(f"{base}/pos/")
        pos.click("[data-testid=pos-pick]")
        pos.wait_for_selector("[data-testid=pos-bill]", state="visible")
        pos.fill("[data-testid=pos-bill]", "128.50")
        pos.fill("[data-testid=pos-code]", code)
        pos.press("[data-testid=pos-code]", "Enter")
        # several offers apply: the choice (best preselected) is the screen to show; else the answer
        pos.wait_for_selector(
            "[data-testid=pos-choice], [data-testid=pos-result][data-state=ok], "
            "[data-testid=pos-result][data-state=err]",
            state="visible",
        )
        save(pos, "pos")

        console = context(DESKTOP, staff_cookie("fed_admin")).new_page()
        console.goto(f"{base}/admin/")
        save(console, "console")
        browser.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gonghui-shots-") as var:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gonghui.settings",
            "GONGHUI_VAR_DIR": var,
            "DATABASE_URL": f"sqlite:///{var}/gonghui.sqlite3",
            "GONGHUI_TASKS_INLINE": "true",
            "GONGHUI_SMS_BACKEND": "gonghui.core.sms.MemorySmsBackend",
            "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        }
        env.pop("REDIS_URL", None)
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("demo", "--base-url", "http://127.0.0.1", stdout=open(os.devnull, "w"))  # noqa: SIM115
        with server(env, free_port()) as base:
            for path in shoot(out, base):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
