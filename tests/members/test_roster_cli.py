"""`gonghui import-members` and `gonghui export-members`: output, progress bar and exit codes."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gonghui.core.models import AuditEntry
from gonghui.members.models import ImportJob, Member
from gonghui.members.roster.progress import TextProgress
from gonghui.orgs.models import Role
from tests.factories import id_number_for, make_staff, phone_for
from tests.members.test_roster_support import (  # noqa: F401  (private_root is a fixture)
    World,
    private_root,
    read_xlsx,
    report_rows,
    with_bad_check,
    write_xlsx,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world():
    return World()


def good_rows(start: int, count: int) -> list[list]:
    return [
        [f"职工{chr(0x4E00 + n)}", id_number_for(n), phone_for(n)]
        for n in range(start, start + count)
    ]


def run(*args: str) -> tuple[int, str, str]:
    """Run the command as the console script would; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_members", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_exit_0_when_every_row_is_good_and_a_rerun_changes_nothing(world, tmp_path):
    path = write_xlsx(
        tmp_path / "good.xlsx", good_rows(40, 5), header=["姓名", "身份证号", "手机号"]
    )
    code, out, err = run(str(path), "--union", world.union.code)
    assert code == 0, (out, err)
    assert "5 rows, 5 imported, 0 already present, 0 bad." in out
    assert "Importing [" in err and "100% 5/5" in err
    assert "Error report" not in out
    assert Member.objects.filter(org=world.union).count() == 5

    code, out, _err = run(str(path), "--union", world.union.code)
    assert code == 0
    assert "5 rows, 0 imported, 5 already present, 0 bad." in out
    assert Member.objects.filter(org=world.union).count() == 5
    assert AuditEntry.objects.filter(action="members.roster.import").count() == 2
    assert (
        AuditEntry.objects.filter(action="members.roster.import").first().actor_label
        == "gonghui import-members"
    )


def test_exit_1_with_bad_rows_and_the_report(world, tmp_path):
    rows = [*good_rows(60, 2), ["坏", with_bad_check(id_number_for(62)), phone_for(62)]]
    path = write_xlsx(tmp_path / "bad.xlsx", rows, header=["姓名", "身份证号", "手机号"])
    report = tmp_path / "out" / "errors.xlsx"
    code, out, _err = run(str(path), "--union", world.union.code, "--report", str(report))
    assert code == 1
    assert "3 rows, 2 imported, 0 already present, 1 bad." in out
    assert f"Error report: {report}" in out
    assert list(report_rows(report)) == [4]


def test_dry_run(world, tmp_path):
    path = write_xlsx(
        tmp_path / "good.xlsx", good_rows(70, 3), header=["姓名", "身份证号", "手机号"]
    )
    code, out, _err = run(str(path), "--union", world.union.code, "--dry-run", "--no-progress")
    assert code == 0
    assert "Dry run: nothing was imported (3 rows would be)." in out
    assert Member.objects.count() == 1  # the outsider only
    assert not AuditEntry.objects.filter(action="members.roster.import").exists()


def test_exit_2_when_refused(world, tmp_path):
    path = write_xlsx(
        tmp_path / "nophone.xlsx", [["张三", id_number_for(1)]], header=["姓名", "身份证号"]
    )
    code, _out, err = run(str(path), "--union", world.union.code)
    assert code == 2
    assert "手机号" in err and "nothing was imported" in err
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED

    good = write_xlsx(
        tmp_path / "good.xlsx", good_rows(80, 1), header=["姓名", "身份证号", "手机号"]
    )
    assert run(str(good), "--union", "NO-SUCH-UNION")[0] == 2
    assert run(str(tmp_path / "missing.xlsx"), "--union", world.union.code)[0] == 2
    assert run(str(good), "--union", world.district.code)[0] == 2  # a federation takes no members
    assert Member.objects.filter(org=world.union).count() == 0


def test_user_option_checks_the_capability(world, tmp_path):
    path = write_xlsx(
        tmp_path / "good.xlsx", good_rows(90, 1), header=["姓名", "身份证号", "手机号"]
    )
    reviewer = make_staff(world.union, Role.REVIEWER)
    assert run(str(path), "--union", world.union.code, "--user", reviewer.username)[0] == 2
    admin = make_staff(world.union, Role.UNION_ADMIN)
    assert run(str(path), "--union", world.union.code, "--user", admin.username)[0] == 0
    entry = AuditEntry.objects.get(action="members.roster.import")
    assert entry.actor_id == admin.pk


def test_real_exit_codes_through_the_console_script(world, tmp_path, monkeypatch):
    """`gonghui import-members …` as typed: the process exit codes 0, 1 and 2."""
    from django.core.management import base

    from gonghui.__main__ import main

    monkeypatch.setattr(base.connections, "close_all", lambda: None)  # keep the test's connection
    good = write_xlsx(
        tmp_path / "good.xlsx", good_rows(100, 2), header=["姓名", "身份证号", "手机号"]
    )
    bad = write_xlsx(
        tmp_path / "bad.xlsx",
        [["坏", with_bad_check(id_number_for(103)), phone_for(103)]],
        header=["姓名", "身份证号", "手机号"],
    )
    refused = write_xlsx(tmp_path / "refused.xlsx", [["张三"]], header=["姓名"])
    codes = {}
    for name, path in (("good", good), ("bad", bad), ("refused", refused)):
        monkeypatch.setattr(
            sys,
            "argv",
            ["gonghui", "import-members", str(path), "--union", world.union.code, "--no-progress"],
        )
        with pytest.raises(SystemExit) as exc:
            main()
            raise SystemExit(0)
        codes[name] = exc.value.code
    assert codes == {"good": 0, "bad": 1, "refused": 2}


def test_text_progress_bar():
    tty = io.StringIO()
    tty.isatty = lambda: True  # type: ignore[method-assign]
    bar = TextProgress(tty, width=10, interval=0)
    bar("check", 50, 100)
    bar("check", 100, 100)
    bar("import", 100, 100)
    bar.close()
    text = tty.getvalue()
    assert text.startswith(
        "\rChecking [#####.....]  50% 50/100\rChecking [##########] 100% 100/100\n"
    )
    assert "\n\rImporting [##########] 100% 100/100\n" in text

    log = io.StringIO()
    bar = TextProgress(log, width=10)
    for done in range(0, 101):
        bar("import", done, 100)
    lines = log.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].endswith("100% 100/100")


def test_export_command(world, tmp_path):
    out = tmp_path / "members.xlsx"
    buf = io.StringIO()
    call_command("export_members", str(out), "--union", world.fed.code, stdout=buf)
    rows = read_xlsx(out)
    assert rows[0][:4] == ["会员证号", "姓名", "身份证号", "手机号"]
    assert len(rows) == 2 and "*" in rows[1][2] and rows[1][2] != id_number_for(500)
    assert "1 members" in buf.getvalue() and "masked" in buf.getvalue()
    with pytest.raises(CommandError):
        call_command("export_members", str(out), "--union", world.fed.code, "--reveal")
    reviewer = make_staff(world.fed, Role.REVIEWER)
    with pytest.raises(CommandError, match="may not export"):
        call_command(
            "export_members", str(out), "--union", world.fed.code, "--user", reviewer.username
        )
    admin = make_staff(world.fed, Role.FEDERATION_ADMIN)
    call_command(
        "export_members",
        str(out),
        "--union",
        world.fed.code,
        "--reveal",
        "--user",
        admin.username,
        stdout=buf,
    )
    assert read_xlsx(out)[1][2] == id_number_for(500)
    entries = AuditEntry.objects.filter(action="members.roster.export").order_by("pk")
    assert [e.data["revealed"] for e in entries] == [False, True]
    assert entries.last().actor_id == admin.pk
