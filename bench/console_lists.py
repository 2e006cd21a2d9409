"""Benchmark: every console list page for the federation admin on the demo data (issue #12: each
under 1 s).

    python bench/console_lists.py [--database-url URL] [--repeat 5] [--role fed_admin]

A throw-away database (SQLite in a temporary folder by default; ``--database-url`` for
PostgreSQL, whose name must contain "bench": it is dropped and created again), migrated and
loaded with ``gonghui demo``. Each changelist the role may open is requested through Django's
test client ``--repeat`` times (the first, which warms caches, is not counted); the best and the
median server-side times are printed per list, with the admin landing page (``/admin/``) as
the anchor measured in the same run. Last line: one JSON object with ``lists``, ``max_ms``
(the slowest list's median), ``anchor_ms`` and ``ratio`` (max over anchor).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def timed(client, url: str, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(repeat + 1):
        t = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - t
        if response.status_code != 200:
            return []
        if i:
            out.append(elapsed * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--role", default="fed_admin")
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="gonghui-bench-lists-")
    url = args.database_url or f"sqlite:///{var}/bench.sqlite3"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "gonghui.settings",
            "GONGHUI_VAR_DIR": var,
            "DATABASE_URL": url,
            "GONGHUI_TASKS_INLINE": "true",
            "GONGHUI_SMS_BACKEND": "gonghui.core.sms.MemorySmsBackend",
        }
    )
    os.environ.pop("REDIS_URL", None)
    if url.startswith("postgres"):
        name = urlsplit(url).path.lstrip("/")
        if "bench" not in name:
            raise SystemExit("the database name must contain 'bench' (it is dropped)")
        import psycopg

        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", stdout=io.StringIO())
    print(f"database: {connection.vendor}; migrate + demo: {time.perf_counter() - t:.1f} s")
    client = Client()
    client.force_login(get_user_model().objects.get(username=args.role))
    anchor = timed(client, "/admin/", args.repeat)
    anchor_ms = statistics.median(anchor)
    print(f"anchor /admin/: median {anchor_ms:.0f} ms, best {min(anchor):.0f} ms")
    lists = {}
    for model in admin.site._registry:
        opts = model._meta
        path = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        times = timed(client, path, args.repeat)
        if not times:
            continue  # the role may not open it
        lists[opts.label] = statistics.median(times)
        print(f"  {opts.label:<32} median {lists[opts.label]:6.0f} ms  best {min(times):6.0f} ms")
    slowest = max(lists, key=lambda k: lists[k])
    max_ms = lists[slowest]
    print(
        f"{len(lists)} lists; slowest {slowest} {max_ms:.0f} ms "
        f"(target < 1000 ms: {'met' if max_ms < 1000 else 'MISSED'})"
    )
    print(
        json.dumps(
            {
                "lists": len(lists),
                "max_ms": round(max_ms, 1),
                "slowest": slowest,
                "anchor_ms": round(anchor_ms, 1),
                "ratio": round(max_ms / anchor_ms, 2) if anchor_ms else None,
            }
        )
    )


if __name__ == "__main__":
    main()
