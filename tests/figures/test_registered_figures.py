"""Every registered figure is in a registered section, has a translated label and a sound
definition (issue #13 item 4)."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from gonghui.members import figures

#: The sections the dashboard shows, in order.
SECTIONS = [
    "members",
    "services",
    "funds",
    "benefits",
    "activities",
    "mutualaid",
    "assistance",
    "rights",
    "jobs",
    "honors",
    "academy",
]


def _both(label) -> tuple[str, str]:
    with translation.override("en"):
        english = str(label)
    with translation.override("zh-hans"):
        chinese = str(label)
    return english, chinese


def test_sections_are_registered_in_order():
    assert [s.key for s in figures.sections()] == SECTIONS


def test_every_figure_is_in_a_registered_section():
    assert figures.problems() == []
    keys = {s.key for s in figures.sections()}
    found = figures.figures()
    assert len(found) >= 40
    for fig in found:
        assert fig.section in keys, fig.key
        assert fig.key.split(".")[0] in {*keys, "venues"}, fig.key
    # every section but the services one (counted from ServiceEvent by the dashboard) has some
    assert {f.section for f in found} == keys - {"services"}


def test_every_label_is_translated():
    labels = [s.label for s in figures.sections()]
    labels += [f.label for f in figures.figures()]
    labels += [p.label for p in figures.pending()]
    for label in labels:
        english, chinese = _both(label)
        assert english and chinese != english, english
        assert not any("a" <= c.lower() <= "z" for c in chinese), chinese


def test_rates_are_not_additive_and_money_is_fen():
    for fig in figures.figures():
        if fig.unit == figures.Unit.PERMILLE:
            assert not fig.additive, fig.key
        if "fen" in fig.key or fig.key.startswith("funds.spent"):
            assert fig.unit == figures.Unit.FEN, fig.key


def test_pending_counters():
    keys = {p.key for p in figures.pending()}
    assert keys >= {
        "members.enrolments",
        "members.transfers",
        "benefits.settlements",
        "mutualaid.claims",
        "assistance.reviews",
        "rights.overdue",
    }


# --- docs/figures.md: the table of the published figures is the registry ----------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "figures.md"
BEGIN, END = "<!-- figures table: begin -->", "<!-- figures table: end -->"


def figures_table() -> str:
    """The registry as the markdown table of docs/figures.md (labels in zh-hans)."""
    lines = [
        "| section | figure | label | unit | additive | stock | public |",
        "|---|---|---|---|---|---|---|",
    ]
    yes = {True: "yes", False: "no"}
    with translation.override("zh-hans"):
        for f in figures.figures():
            lines.append(
                f"| {f.section} | `{f.key}` | {f.label} | {f.unit.value} | {yes[f.additive]} "
                f"| {yes[f.stock]} | {yes[f.public]} |"
            )
        lines += ["", "| pending work | label |", "|---|---|"]
        lines += [f"| `{p.key}` | {p.label} |" for p in figures.pending()]
    return "\n".join(lines)


def test_the_doc_table_is_the_registry():
    text = DOC.read_text(encoding="utf-8")
    table = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = figures_table()
    assert table == expected, f"docs/figures.md is stale; the table is:\n{expected}"
