"""Benchmark: import a generated 100,000-row .xlsx roster into PostgreSQL.

    python bench/import_members.py [--rows N] [--database-url URL] [--batch-size N]

What it does, in one run:

1. Sets up a database of its own (dropped and created again, then migrated): the
   ``--database-url`` given, or ``GONGHUI_BENCH_DATABASE_URL``, or the server of ``DATABASE_URL``
   with the database name ``gonghui_bench``, or ``postgres://postgres@127.0.0.1:5432/gonghui_bench``.
   Its name must contain "bench", because it is dropped.
2. Creates a federation, one grassroots union and 20 enterprises, and writes the roster with
   xlsxwriter (constant memory): valid synthetic ID numbers (``make_id_number``), distinct mobile
   phones, half of the rows with an enterprise's USCC, some gig workers with a trade, join dates.
3. Times the full import exactly as ``gonghui import-members`` runs it (``roster_import``):
   calamine parse + every check + blind-index look-ups + AES-GCM sealing + member numbers +
   batched inserts of the members and their JOINED history rows + the job's progress updates +
   the audit entry.
4. Times the physical anchor: a PostgreSQL ``COPY … FROM STDIN`` of the same rows. The choice:
   the member rows the import has just written are dumped (untimed) with ``COPY … TO STDOUT``
   — the same columns and already prepared values (ciphertexts, indexes, birth years, member
   numbers) — and loaded (timed) into a scratch table ``bench_member_copy`` created
   ``LIKE members_member INCLUDING ALL``, i.e. the same column types, defaults, CHECK and
   unique constraints and indexes (foreign keys are not copied by LIKE). The import also writes
   one history row per member; the anchor loads the member rows only.
5. Prints the figures and, as its last line, one JSON object:
   ``{"rows", "seconds", "rows_per_s", "copy_rows_per_s", "ratio_to_copy"}``.

Target (issue 2): 100,000 rows in under 60 s. DEBUG is off, as in production (with DEBUG on,
Django keeps the text of every query, which costs time with 2,000-row INSERTs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gonghui_bench"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红兰飞鹏辉斌波宇浩凯健俊帆帅旭宁龙林欣晨阳佳琪雪梅琳婷颖慧晶倩燕玲丹蕾海峰建国志鑫博文"


def bench_database_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("GONGHUI_BENCH_DATABASE_URL"):
        return os.environ["GONGHUI_BENCH_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(base)
        return urlunsplit((parts.scheme, parts.netloc, "/gonghui_bench", parts.query, ""))
    return DEFAULT_URL


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate_roster(path: Path, rows: int, usccs: list[str]) -> None:
    import xlsxwriter

    from gonghui.core.identifiers import make_id_number

    rng = random.Random(20240601)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("名册")
    sheet.write_row(
        0,
        0,
        [
            "姓名",
            "身份证号",
            "手机号",
            "单位统一社会信用代码",
            "就业类型",
            "新业态职业",
            "入会日期",
            "一线职工",
        ],
    )
    first = dt.date(1965, 1, 1)
    trades = ["外卖骑手", "快递员", "货车司机", "网约车司机"]
    for n in range(rows):
        birth = first + dt.timedelta(days=n % 12000)
        id_number = make_id_number(region="331021", birth=birth, seq=n // 12000)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if n % 3 else "")
        gig = n % 10 == 0
        row = [
            name,
            id_number,
            f"139{n:08d}",
            usccs[n % len(usccs)] if n % 2 == 0 else "",
            "新就业形态劳动者" if gig else ("企业职工" if n % 4 else ""),
            trades[n % len(trades)] if gig else "",
            f"{2010 + n % 14}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "是" if n % 5 == 0 else "否",
        ]
        sheet.write_row(n + 1, 0, row)
    workbook.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()

    url = bench_database_url(args.database_url)
    os.environ["DATABASE_URL"] = url
    os.environ["GONGHUI_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    parts = urlsplit(url)
    print(
        f"database: {parts.hostname}:{parts.port or 5432}{parts.path} (dropped and created again)"
    )
    recreate_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from gonghui.core.identifiers import make_uscc
    from gonghui.members.models import ImportJob, Member
    from gonghui.members.roster.importer import BATCH_SIZE, roster_import
    from gonghui.members.roster.progress import TextProgress
    from gonghui.orgs.models import Enterprise, Org
    from gonghui.orgs.services import org_create

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - t:.1f} s")

    work = Path(tempfile.mkdtemp(prefix="gonghui-bench-"))
    settings.PRIVATE_ROOT = work / "private"
    fed = org_create(
        parent=None,
        name="基准测试市总工会",
        code="BENCH",
        kind=Org.Kind.FEDERATION,
        region_code="331021",
    )
    union = org_create(
        parent=fed,
        name="基准测试基层工会",
        code="BENCH-1",
        kind=Org.Kind.GRASSROOTS,
        region_code="331021",
    )
    usccs = []
    for i in range(20):
        uscc = make_uscc(f"91331021{900000 + i:09d}")
        Enterprise.objects.create(
            name=f"基准企业{i}有限公司", uscc=uscc, union=union, region_code="331021"
        )
        usccs.append(uscc)

    path = work / "roster.xlsx"
    t = time.perf_counter()
    generate_roster(path, args.rows, usccs)
    print(
        f"generated {args.rows:,} rows into {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s"
    )

    job = ImportJob.objects.create(org=union, file_name=path.name, file_sha256="0" * 64)
    t, cpu = time.perf_counter(), time.process_time()
    result = roster_import(
        job=job,
        path=path,
        progress=TextProgress(sys.stderr),
        batch_size=args.batch_size or BATCH_SIZE,
        actor="bench/import_members.py",
    )
    seconds = time.perf_counter() - t
    cpu = time.process_time() - cpu
    imported = Member.objects.filter(org=union).count()
    print(
        f"import: {result.total:,} rows, {result.imported:,} imported, {result.errors} bad, "
        f"{seconds:.2f} s, {result.total / seconds:,.0f} rows/s "
        f"(CPU of this process: {cpu:.2f} s; the rest is the database)"
    )
    if result.imported != args.rows or imported != args.rows:
        raise SystemExit(
            f"expected {args.rows} imported members, found {imported} ({result.errors} bad rows)"
        )

    # --- the anchor: COPY of the same rows -------------------------------------------------
    columns = [f.column for f in Member._meta.concrete_fields]
    column_list = ", ".join(f'"{c}"' for c in columns)
    raw = connection.connection  # the psycopg connection under Django's
    with raw.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_member_copy")
        cur.execute("CREATE TABLE bench_member_copy (LIKE members_member INCLUDING ALL)")
        payload = io.BytesIO()
        with cur.copy(
            f"COPY (SELECT {column_list} FROM members_member WHERE org_id = {int(union.pk)} ORDER BY id) TO STDOUT"  # noqa: S608 - our own column names and an int
        ) as copy:
            for chunk in copy:
                payload.write(chunk)
    raw.commit()
    data = payload.getvalue()
    t = time.perf_counter()
    with raw.cursor() as cur:
        with cur.copy(f"COPY bench_member_copy ({column_list}) FROM STDIN") as copy:
            for i in range(0, len(data), 1 << 20):
                copy.write(data[i : i + (1 << 20)])
        raw.commit()
    copy_seconds = time.perf_counter() - t
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM bench_member_copy")
        copied = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_member_copy")
    raw.commit()
    shutil.rmtree(work, ignore_errors=True)
    if copied != args.rows:
        raise SystemExit(f"COPY loaded {copied} rows, expected {args.rows}")
    copy_rate = args.rows / copy_seconds
    rate = args.rows / seconds
    print(
        f"COPY of the same {args.rows:,} member rows ({len(data) / 1e6:.1f} MB, same columns, "
        f"constraints and indexes): {copy_seconds:.2f} s, {copy_rate:,.0f} rows/s"
    )
    print(
        f"import rate / COPY rate = {rate / copy_rate:.3f}; target (100,000 rows in < 60 s, "
        f"i.e. > 1,667 rows/s): {'met' if rate > 100_000 / 60 else 'NOT met'}"
    )
    print(
        json.dumps(
            {
                "rows": args.rows,
                "seconds": round(seconds, 3),
                "rows_per_s": round(rate, 1),
                "copy_rows_per_s": round(copy_rate, 1),
                "ratio_to_copy": round(rate / copy_rate, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
