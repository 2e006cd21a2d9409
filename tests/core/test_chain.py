"""The hash chain over the audit log and the ledger (issue 10, item 7).

A sealer appends seals after commit; ``verify-chain`` recomputes every seal from the rows and
compares the newest seals with heads written outside the database. Tampering is done the way a
table owner could: on PostgreSQL with ``session_replication_role = replica`` (the append-only
triggers do not fire), which the test connection (a superuser) may set."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from gonghui.core import chain
from gonghui.core.audit import audit_record
from gonghui.core.models import AuditEntry, ChainSeal
from gonghui.funds.models import LedgerEntry, LedgerTransaction
from tests.conftest import postgres_only
from tests.factories import org_root
from tests.funds.conftest import make_books

pytestmark = pytest.mark.django_db


def _audit(n: int, action: str = "test.chain") -> list[AuditEntry]:
    org = org_root()
    with transaction.atomic():
        return [
            audit_record(actor=None, action=action, obj=org, org=org, data={"i": i})
            for i in range(n)
        ]


def _tamper(sql: str, params: list | None = None) -> None:
    """Change rows as the owner of the tables could: triggers off for this transaction."""
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(sql, params or [])


def _problems(**kw) -> list[str]:
    return [p.message for p in chain.chain_verify(**kw).problems]


def test_both_chains_are_registered():
    assert {"core.audit", "funds.ledger"} <= set(chain.names())


def test_seal_then_verify_is_clean(tmp_path):
    _audit(3)
    make_books().fund(10_000)
    seals = chain.chain_seal()
    assert {s.chain for s in seals} == {"core.audit", "funds.ledger"}
    audit_seal = next(s for s in seals if s.chain == "core.audit")
    assert audit_seal.seq == 1 and audit_seal.after_id == 0
    assert audit_seal.rows == AuditEntry.objects.count()
    assert audit_seal.prev_hash == "0" * 64 and len(audit_seal.hash) == 64
    report = chain.chain_verify()
    assert report.problems == []
    assert report.unsealed == {"core.audit": 0, "funds.ledger": 0}
    # A second run with nothing new appends nothing.
    assert chain.chain_seal() == []
    # New rows go into the next seal, chained to the previous one.
    _audit(2)
    (second,) = chain.chain_seal(names=["core.audit"])
    assert second.seq == 2 and second.after_id == audit_seal.upto_id
    assert second.prev_hash == audit_seal.hash and second.rows == 2
    assert chain.chain_verify().problems == []


def test_verify_finds_a_changed_audit_row():
    entries = _audit(3)
    chain.chain_seal()
    _tamper("UPDATE core_auditentry SET action = %s WHERE id = %s", ["test.forged", entries[1].pk])
    problems = _problems()
    assert len(problems) == 1 and "core.audit" in problems[0] and "seal 1" in problems[0]


def test_verify_finds_a_removed_audit_row():
    entries = _audit(3)
    chain.chain_seal()
    _tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    (problem,) = _problems()
    assert "rows" in problem and "core.audit" in problem


def test_verify_finds_a_row_slipped_in_below_the_seal():
    entries = _audit(3)
    chain.chain_seal()
    _tamper(
        "INSERT INTO core_auditentry (id, at, actor_label, action, object_type, object_id, "
        "object_repr, data) SELECT %s, at, actor_label, 'test.slipped', object_type, object_id, "
        "object_repr, data FROM core_auditentry WHERE id = %s",
        [-1, entries[0].pk],
    )
    assert len(_problems()) == 1


def test_verify_finds_a_changed_ledger_entry():
    books = make_books()
    books.fund(10_000)
    chain.chain_seal()
    txn = LedgerTransaction.objects.get()
    debit, credit = sorted(LedgerEntry.objects.filter(transaction=txn), key=lambda e: e.amount_fen)
    # Both lines changed so that the transaction still balances: only the chain can tell.
    _tamper("UPDATE funds_ledgerentry SET amount_fen = -1 WHERE id = %s", [debit.pk])
    _tamper("UPDATE funds_ledgerentry SET amount_fen = 1 WHERE id = %s", [credit.pk])
    (problem,) = _problems()
    assert "funds.ledger" in problem


def test_verify_finds_a_missing_seal_in_the_middle():
    _audit(1)
    chain.chain_seal()
    _audit(1)
    chain.chain_seal()
    _audit(1)
    chain.chain_seal()
    _tamper("DELETE FROM core_chainseal WHERE chain = 'core.audit' AND seq = 2")
    problems = _problems()
    assert problems and any("seal 2" in p for p in problems)


def test_heads_written_outside_catch_a_rewrite_recomputed_inside(tmp_path: Path):
    """The attack the chain exists for: change a row, then rebuild every seal in the database.

    The rebuilt chain is consistent with itself, so only the head kept outside can tell."""
    entries = _audit(3)
    chain.chain_seal()
    heads = tmp_path / "heads.txt"
    call_command("chain_head", file=str(heads))
    call_command("verify_chain", heads=str(heads))  # clean: no error
    _tamper("UPDATE core_auditentry SET action = %s WHERE id = %s", ["test.forged", entries[0].pk])
    _tamper("DELETE FROM core_chainseal")
    chain.chain_seal()
    assert chain.chain_verify().problems == []  # consistent inside the database …
    with pytest.raises(
        CommandError, match=r"core\.audit: seal 1 differs"
    ):  # … not with the head outside
        call_command("verify_chain", heads=str(heads))


def test_heads_catch_a_cut_chain(tmp_path: Path):
    _audit(1)
    chain.chain_seal()
    _audit(1)
    chain.chain_seal()
    heads = tmp_path / "heads.txt"
    call_command("chain_head", file=str(heads))
    # The newest rows and their seal removed: what is left is a consistent, shorter chain.
    last = ChainSeal.objects.filter(chain="core.audit").order_by("-seq").first()
    assert last is not None
    _tamper("DELETE FROM core_auditentry WHERE id > %s", [last.after_id])
    _tamper("DELETE FROM core_chainseal WHERE id = %s", [last.pk])
    assert chain.chain_verify().problems == []
    problems = [p.message for p in chain.chain_verify(heads=chain.heads_read(heads)).problems]
    assert any("seal 2" in p for p in problems)


def test_chain_head_appends_lines(tmp_path: Path):
    _audit(1)
    chain.chain_seal()
    heads = tmp_path / "heads.txt"
    call_command("chain_head", file=str(heads))
    call_command("chain_head", file=str(heads))
    lines = heads.read_text().splitlines()
    assert len([x for x in lines if " core.audit " in x]) == 2
    read = chain.heads_read(heads)
    assert {h.chain for h in read} >= {"core.audit"}


def test_seal_command_and_task():
    _audit(2)
    call_command("seal_chain")
    assert ChainSeal.objects.filter(chain="core.audit").count() == 1
    from gonghui.core.tasks import chain_seal_task

    _audit(1)
    chain_seal_task.apply().get()
    assert ChainSeal.objects.filter(chain="core.audit").count() == 2


def test_seals_are_append_only():
    _audit(1)
    (seal, *_) = chain.chain_seal()
    with pytest.raises(PermissionError):
        seal.save()
    with pytest.raises(PermissionError):
        ChainSeal.objects.all().delete()


def test_verify_command_exit(tmp_path: Path):
    _audit(1)
    chain.chain_seal()
    call_command("verify_chain")
    _tamper("UPDATE core_auditentry SET data = '{}'")
    with pytest.raises(CommandError):
        call_command("verify_chain")


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_a_late_commit_is_sealed_in_order_without_a_gap():
    """Ids are taken at INSERT and commit out of order: the sealer stops below a row that is
    still in flight and seals it, in id order, once it has committed."""
    _audit(1, "test.before")
    inserted = threading.Event()
    release = threading.Event()
    late_id: list[int] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                late_id.append(_audit_one("test.late").pk)
                inserted.set()
                release.wait(10)
        finally:
            connections.close_all()

    t = threading.Thread(target=slow_writer)
    t.start()
    assert inserted.wait(10)
    with transaction.atomic():
        after = _audit_one("test.after")
    assert after.pk > late_id[0]
    seals = chain.chain_seal(names=["core.audit"], wait_seconds=0.2)
    sealed_upto = max([s.upto_id for s in seals], default=0)
    assert sealed_upto < late_id[0], "the sealer must stop below a row that is still in flight"
    release.set()
    t.join()
    chain.chain_seal(names=["core.audit"])
    all_seals = list(ChainSeal.objects.filter(chain="core.audit").order_by("seq"))
    assert all_seals[-1].upto_id >= after.pk
    assert sum(s.rows for s in all_seals) == AuditEntry.objects.count()
    assert chain.chain_verify().problems == []


def _audit_one(action: str) -> AuditEntry:
    return audit_record(actor=None, action=action, data={"late": True})


def test_daily_head_task_seals_and_appends_to_the_configured_file(tmp_path: Path, settings):
    settings.GONGHUI_CHAIN_HEADS_FILE = str(tmp_path / "heads.txt")
    _audit(1)
    from gonghui.core.tasks import chain_head_task

    assert chain_head_task.apply().get() >= 1
    (head,) = [h for h in chain.heads_read(tmp_path / "heads.txt") if h.chain == "core.audit"]
    assert head.seq == 1
    assert chain.chain_verify(heads=[head]).problems == []


def test_writers_run_no_chain_statement():
    """The sealer reads rows later: a posting and an audit entry gain no statement, no lock."""
    books = make_books()
    with CaptureQueriesContext(connection) as queries:
        books.fund(10_000)
        _audit(1)
    sql = " ".join(q["sql"].lower() for q in queries.captured_queries)
    for word in ("chainseal", "pg_locks", "advisory", "pg_sequence_last_value"):
        assert word not in sql


@postgres_only()
def test_verify_finds_a_row_slipped_into_an_id_left_by_a_rollback():
    """Ids lost to rollbacks are inside a seal's range (in the middle, and at its end: the last
    seal of a run reaches the horizon), so a row written there later is found."""

    def lost_id() -> int:
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            pk = _audit_one("test.rolled_back").pk
            1 / 0  # noqa: B018
        return pk

    first = _audit(1)[0]
    middle = lost_id()
    _audit(1)
    tail = lost_id()
    (seal,) = chain.chain_seal(names=["core.audit"])
    assert seal.upto_id >= tail
    assert chain.chain_verify(names=["core.audit"]).problems == []
    for pk in (middle, tail):
        _tamper(
            "INSERT INTO core_auditentry (id, at, actor_label, action, object_type, object_id, "
            "object_repr, data) SELECT %s, at, actor_label, 'test.slipped', object_type, "
            "object_id, object_repr, data FROM core_auditentry WHERE id = %s",
            [pk, first.pk],
        )
        (problem,) = _problems(names=["core.audit"])
        assert "seal 1" in problem
        _tamper("DELETE FROM core_auditentry WHERE id = %s", [pk])


def test_a_large_backlog_is_sealed_in_several_linked_seals():
    entries = _audit(7)
    seals = chain.chain_seal(names=["core.audit"], max_rows=3)
    total = AuditEntry.objects.count()
    assert [s.rows for s in seals] == [3] * (total // 3) + ([total % 3] if total % 3 else [])
    assert all(
        b.after_id == a.upto_id and b.prev_hash == a.hash for a, b in itertools.pairwise(seals)
    )
    assert seals[-1].upto_id >= entries[-1].pk
    assert chain.chain_verify().problems == []
