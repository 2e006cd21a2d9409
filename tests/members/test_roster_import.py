"""Roster import service: row checks, the error report, batches, re-runs, encodings."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import translation

from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.members import pii
from gonghui.members.models import EmploymentType, GigTrade, ImportJob, Member, MemberHistory
from gonghui.members.roster import importer
from gonghui.members.roster.importer import roster_import
from gonghui.members.roster.validate import DbCheck
from tests.factories import id_number_for, make_member, phone_for, uscc_for
from tests.members.test_roster_support import (  # noqa: F401  (private_root is a fixture)
    HEADER,
    World,
    new_job,
    private_root,
    report_rows,
    with_bad_check,
    write_csv,
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


def mixed_rows(w: World) -> list[list]:
    """Spreadsheet rows 2..12: three good rows and one bad row of every kind."""
    return [
        [
            "张三",
            id_number_for(1),
            phone_for(1),
            w.enterprise.uscc,
            "新就业形态劳动者",
            "外卖骑手",
            "2023-05-01",
            "是",
        ],
        ["李四", id_number_for(2), phone_for(2), "", "", "", "", ""],
        ["王五", with_bad_check(id_number_for(3)), phone_for(3), "", "", "", "", ""],
        ["赵六", id_number_for(4), "12345", "", "", "", "", ""],
        ["钱七", id_number_for(5), phone_for(5), "", "", "", "", ""],
        ["孙八", id_number_for(5), phone_for(6), "", "", "", "", ""],
        ["周九", id_number_for(500), phone_for(8), "", "", "", "", ""],
        ["吴十", id_number_for(9), phone_for(9), uscc_for(777777), "", "", "", ""],
        ["", id_number_for(10), phone_for(10), "", "", "", "", ""],
        ["郑十一", id_number_for(11), phone_for(500), "", "", "", "", ""],
        ["冯十二", id_number_for(12), phone_for(12), "", "灵活就业", "", "", "否"],
    ]


EXPECTED_BAD = {
    4: "The check character of the ID number is wrong.",
    5: "not a valid mainland China phone number",
    6: "Duplicate in the file: the same ID number is also on row 7.",
    7: "Duplicate in the file: the same ID number is also on row 6.",
    8: "Already a member of 东方工会.",
    9: "Unknown enterprise: no enterprise is registered with the code",
    10: "The name is missing.",
    11: "The phone number is already used by another member.",
}


def snapshot(org):
    return sorted(
        Member.objects.filter(org=org).values_list("pk", "member_no", "name", "updated_at")
    )


def test_good_rows_imported_bad_rows_reported(world, tmp_path):
    path = write_xlsx(tmp_path / "mixed.xlsx", mixed_rows(world))
    job = new_job(world.union, "mixed.xlsx")

    result = roster_import(job=job, path=path, batch_size=4)

    assert (result.total, result.imported, result.present, result.errors) == (11, 3, 0, 8)
    members = Member.objects.filter(org=world.union)
    assert sorted(members.values_list("name", flat=True)) == ["冯十二", "张三", "李四"]
    # Only the good rows: none of the bad rows' people is a member anywhere.
    for n in (3, 4, 5, 9, 10, 11):
        assert not Member.objects.filter(
            id_number_index=pii.id_number_index(id_number_for(n))
        ).exists()
    assert Member.objects.filter(org=world.other).count() == 1

    zhang = members.get(name="张三")
    assert pii.open_id_number(zhang) == id_number_for(1)
    assert pii.open_phone(zhang) == phone_for(1)
    assert zhang.id_number_masked == id_number_for(1)[:3] + "*" * 11 + id_number_for(1)[-4:]
    assert zhang.enterprise == world.enterprise
    assert (zhang.employment_type, zhang.gig_trade) == (EmploymentType.GIG, GigTrade.RIDER)
    assert zhang.joined_on == dt.date(2023, 5, 1) and zhang.is_frontline
    assert len(zhang.member_no) == 11
    assert (
        zhang.skills == [] and zhang.status == Member.Status.ACTIVE and zhang.created_at is not None
    )
    joined = zhang.history.get()
    assert (joined.kind, joined.to_org, joined.to_status) == (
        MemberHistory.Kind.JOINED,
        world.union,
        "active",
    )
    assert joined.reason == f"roster import #{job.pk}" and joined.at is not None
    feng = members.get(name="冯十二")
    assert feng.employment_type == EmploymentType.FLEXIBLE and not feng.is_frontline
    assert (
        MemberHistory.objects.filter(
            member__org=world.union, kind=MemberHistory.Kind.JOINED
        ).count()
        == 3
    )

    report = report_rows(result.report_path)
    assert sorted(report) == sorted(EXPECTED_BAD)
    for number, reason in EXPECTED_BAD.items():
        assert reason in report[number][5], (number, report[number])
    # The report never carries a full ID number or phone.
    flat = json.dumps(list(report.values()), ensure_ascii=False, default=str)
    assert id_number_for(500) not in flat and phone_for(8) not in flat

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (
        job.total_rows,
        job.processed_rows,
        job.imported_rows,
        job.skipped_rows,
        job.error_rows,
    ) == (
        11,
        11,
        3,
        0,
        8,
    )
    assert job.report_path == result.report_path and job.finished_at is not None

    audit = AuditEntry.objects.filter(action="members.roster.import")
    assert audit.count() == 1
    entry = audit.get()
    assert entry.org_id == world.union.pk and entry.object_id == str(job.pk)
    assert entry.data["imported"] == 3 and entry.data["errors"] == 8 and entry.data["rows"] == 11
    dumped = json.dumps(entry.data, ensure_ascii=False)
    assert "张三" not in dumped and id_number_for(1) not in dumped and phone_for(1) not in dumped


def test_rerun_of_the_same_file_changes_nothing(world, tmp_path):
    path = write_xlsx(tmp_path / "mixed.xlsx", mixed_rows(world))
    first = roster_import(job=new_job(world.union), path=path)
    before = snapshot(world.union)
    history = MemberHistory.objects.count()

    second = roster_import(job=new_job(world.union), path=path)

    assert (second.total, second.imported, second.present, second.errors) == (11, 0, 3, 8)
    assert snapshot(world.union) == before
    assert MemberHistory.objects.count() == history
    assert sorted(report_rows(second.report_path)) == sorted(report_rows(first.report_path))


def test_same_id_in_this_union_with_another_phone_is_an_error(world, tmp_path):
    roster_import(
        job=new_job(world.union), path=write_xlsx(tmp_path / "a.xlsx", mixed_rows(world)[:1])
    )
    changed = [["张三", id_number_for(1), phone_for(77), "", "", "", "", ""]]
    result = roster_import(job=new_job(world.union), path=write_xlsx(tmp_path / "b.xlsx", changed))
    assert (result.imported, result.present, result.errors) == (0, 0, 1)
    assert (
        "Already a member of this union, with a different phone number."
        in report_rows(result.report_path)[2][5]
    )


def test_crash_mid_way_leaves_whole_batches_and_a_rerun_completes(world, tmp_path, monkeypatch):
    rows = [[f"会员{chr(0x4E00 + n)}", id_number_for(n), phone_for(n)] for n in range(20, 26)]
    path = write_xlsx(tmp_path / "six.xlsx", rows, header=HEADER[:3])
    original = importer._insert_history
    calls = {"n": 0}

    def failing_insert_history(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(importer, "_insert_history", failing_insert_history)
    job = new_job(world.union)
    with pytest.raises(RuntimeError):
        roster_import(job=job, path=path, batch_size=2)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "import the same file again" in job.message
    # The first batch is complete (members and their history); the second left nothing.
    assert Member.objects.filter(org=world.union).count() == 2
    assert MemberHistory.objects.filter(member__org=world.union).count() == 2
    assert (job.processed_rows, job.imported_rows) == (2, 2)
    stopped = AuditEntry.objects.get(action="members.roster.import")
    assert stopped.data["stopped"] == "RuntimeError" and stopped.data["imported"] == 2

    monkeypatch.setattr(importer, "_insert_history", original)
    result = roster_import(job=new_job(world.union), path=path, batch_size=2)
    assert (result.imported, result.present, result.errors) == (4, 2, 0)
    assert Member.objects.filter(org=world.union).count() == 6
    assert MemberHistory.objects.filter(member__org=world.union).count() == 6
    assert len(set(Member.objects.values_list("member_no", flat=True))) == Member.objects.count()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-8"])
def test_csv_encodings(world, tmp_path, encoding):
    rows = [
        [
            "张三",
            id_number_for(1),
            phone_for(1),
            world.enterprise.uscc,
            "企业职工",
            "",
            "2020/01/02",
            "是",
        ],
        ["欧阳娜娜", id_number_for(2), phone_for(2), "", "", "快递员", "", ""],
        ["王五", with_bad_check(id_number_for(3)), phone_for(3), "", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "roster.csv", rows, encoding=encoding)
    job = new_job(world.union, "roster.csv")
    result = roster_import(job=job, path=path)
    assert (result.imported, result.errors) == (2, 1)
    zhang = Member.objects.get(name="张三")
    assert zhang.joined_on == dt.date(2020, 1, 2) and zhang.enterprise == world.enterprise
    ouyang = Member.objects.get(name="欧阳娜娜")
    assert (ouyang.employment_type, ouyang.gig_trade) == (EmploymentType.GIG, GigTrade.COURIER)
    assert list(report_rows(result.report_path)) == [4]


def test_missing_required_column_refuses_the_whole_file(world, tmp_path):
    rows = [["张三", id_number_for(1)], ["李四", id_number_for(2)]]
    path = write_xlsx(tmp_path / "nophone.xlsx", rows, header=["姓名", "身份证号"])
    job = new_job(world.union, "nophone.xlsx")
    with pytest.raises(Refused) as exc:
        roster_import(job=job, path=path)
    assert exc.value.code == "roster_missing_column"
    assert "手机号" in str(exc.value.message)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "手机号" in job.message
    assert Member.objects.filter(org=world.union).count() == 0
    assert not AuditEntry.objects.filter(action="members.roster.import").exists()


def test_english_headers_blank_leading_rows_and_numeric_id_cells(world, tmp_path):
    rows = [
        ["Zhang San", id_number_for(1), int(phone_for(1))],  # phone as a number cell: fine
        ["Li Si", float(id_number_for(2)[:17] + "0"), phone_for(2)],  # ID as a number: digits lost
        [None, None, None],  # an empty row is skipped, not an error
        ["Wang Wu", id_number_for(3).lower(), " " + phone_for(3) + " "],
    ]
    path = write_xlsx(tmp_path / "en.xlsx", rows, header=["Name", "ID number", "Mobile"], skip=2)
    result = roster_import(job=new_job(world.union, "en.xlsx"), path=path)
    assert (result.total, result.imported, result.errors) == (3, 2, 1)
    report = report_rows(result.report_path)
    assert list(report) == [5]  # header on row 3, so the second data row is row 5
    assert "stored as a number" in report[5][5]


def test_value_checks(world, tmp_path):
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()  # noqa: DTZ011
    rows = [
        ["甲", id_number_for(31), phone_for(31), "", "外星人", "", "", ""],
        ["乙", id_number_for(32), phone_for(32), "", "企业职工", "外卖骑手", "", ""],
        ["丙", id_number_for(33), phone_for(33), "", "", "", future, ""],
        ["丁", id_number_for(34), phone_for(34), "", "", "", "not a date", ""],
        ["戊", id_number_for(35), phone_for(35), "", "", "", "", "maybe"],
        ["12345", id_number_for(36), phone_for(36), "123", "", "", "", ""],
        ["庚", id_number_for(37), "02088888888", "", "", "", "", ""],
    ]
    result = roster_import(job=new_job(world.union), path=write_xlsx(tmp_path / "v.xlsx", rows))
    assert (result.imported, result.errors) == (0, 7)
    report = report_rows(result.report_path)
    assert "Unknown employment type" in report[2][5]
    assert "A gig trade is only for" in report[3][5]
    assert "The join date is in the future." in report[4][5]
    assert "The join date is not a date" in report[5][5]
    assert "一线职工 must be 是 or 否." in report[6][5]
    assert "A name must contain letters." in report[7][5]
    assert "is not a valid unified social credit code" in report[7][5]
    assert report[7][4] == "姓名、单位统一社会信用代码"
    assert "A mobile number is needed" in report[8][5]


def test_dry_run_imports_nothing(world, tmp_path):
    path = write_xlsx(tmp_path / "mixed.xlsx", mixed_rows(world))
    job = new_job(world.union)
    result = roster_import(job=job, path=path, dry_run=True)
    assert (result.would_import, result.imported, result.errors) == (3, 0, 8)
    assert Member.objects.filter(org=world.union).count() == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.message


def test_federation_cannot_take_members_and_a_job_runs_once(world, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", mixed_rows(world)[:1])
    with pytest.raises(Refused) as exc:
        roster_import(job=new_job(world.district), path=path)
    assert exc.value.code == "org_not_grassroots"
    job = new_job(world.union)
    roster_import(job=job, path=path)
    with pytest.raises(Refused) as exc:
        roster_import(job=job, path=path)
    assert exc.value.code == "import_job_not_pending"
    assert Member.objects.filter(org=world.union).count() == 1


def test_not_a_roster_is_refused(world, tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("姓名,身份证号,手机号\n", encoding="utf-8")
    with pytest.raises(Refused) as exc:
        roster_import(job=new_job(world.union, "fake.xlsx"), path=fake)
    assert exc.value.code == "roster_bad_content"
    txt = tmp_path / "r.txt"
    txt.write_text("x", encoding="utf-8")
    with pytest.raises(Refused) as exc:
        roster_import(job=new_job(world.union, "r.txt"), path=txt)
    assert exc.value.code == "roster_bad_type"


def test_a_batch_that_collides_with_a_concurrent_write_is_checked_again(
    world, tmp_path, monkeypatch
):
    """Between the check and the insert someone else enrols the same person: the unique
    blind index refuses the batch, the batch is checked again and the rest goes in."""
    rows = [[f"会员{chr(0x4E00 + n)}", id_number_for(n), phone_for(n)] for n in range(40, 44)]
    path = write_xlsx(tmp_path / "four.xlsx", rows, header=HEADER[:3])
    make_member(world.union, n=41, name=rows[1][0])  # already there, unseen by the first check
    original = importer.check_against_db
    calls = {"n": 0}

    def blind_first_check(good, *, org):
        calls["n"] += 1
        if calls["n"] == 1:  # pretend that none of them is there yet
            new = [(r, pii.id_number_index(r.id_number), pii.phone_index(r.phone)) for r in good]
            return DbCheck(new=new, present=0, bad=[])
        return original(good, org=org)

    monkeypatch.setattr(importer, "check_against_db", blind_first_check)
    result = roster_import(job=new_job(world.union), path=path)
    assert calls["n"] == 2
    assert (result.imported, result.present, result.errors) == (3, 1, 0)
    assert Member.objects.filter(org=world.union).count() == 4
    assert MemberHistory.objects.filter(member__org=world.union).count() == 4


def test_fast_phone_path_agrees_with_normalize_phone():
    import random

    from gonghui.core.identifiers import InvalidIdentifier, normalize_phone
    from gonghui.members.roster.validate import roster_phone

    rng = random.Random(7)
    samples = [f"1{rng.randrange(10**10):010d}" for _ in range(3000)]
    samples += [f"1{p}{rng.randrange(10**9):09d}" for p in range(10) for _ in range(30)]
    samples += [
        "13912345678",
        "10000000000",
        "19999999999",
        "02088888888",
        "+8613912345678",
        "139 1234 5678",
    ]
    agree = 0
    for s in samples:
        try:
            expected = normalize_phone(s)
        except InvalidIdentifier as exc:
            with pytest.raises(InvalidIdentifier) as got:
                roster_phone(s)
            assert got.value.code == exc.code, s
        else:
            assert roster_phone(s) == expected, s
            agree += 1
    assert agree > 1000  # most random 1xxxxxxxxxx numbers are valid mobiles; both paths were taken
