"""The derived eval set (eval/truth/): reproducible, valid, covering, and arithmetically right."""

from __future__ import annotations

import json
import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from jixiao_eval.truth.derive import main
from jixiao_eval.truth.funds import execution_rate, funds_score
from jixiao_eval.truth.indicators import parse_qty
from pipeline.checks import check_project
from schemas.report import TruthProject, TruthReport

ROOT = Path(__file__).resolve().parents[1]
TRUTH = ROOT / "eval" / "truth"
SEED = ROOT / "eval" / "seed_2024.truth.json"
LINES = ("total", "appropriation", "carryover", "other")
PARTS = LINES[1:]
CENT = Decimal("0.01")


def d(value: float | None) -> Decimal:
    """A JSON float as the Decimal that was printed (repr is the shortest round-trip text)."""
    assert value is not None
    return Decimal(repr(value))


@pytest.fixture(scope="module")
def index() -> list[dict[str, Any]]:
    return json.loads((TRUTH / "index.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docs(index: list[dict[str, Any]]) -> list[tuple[dict[str, Any], TruthReport]]:
    return [
        (entry, TruthReport.model_validate_json((TRUTH / entry["file"]).read_text("utf-8")))
        for entry in index
    ]


def projects(docs: list[tuple[dict[str, Any], TruthReport]]):
    """(index entry, report, project index, project) for every derived project."""
    for entry, report in docs:
        for i, p in enumerate(report.projects):
            yield entry, report, i, p


# --- reproducibility ------------------------------------------------------------------------


def test_rederiving_reproduces_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    (tmp_path / "99_stale_2020.json").write_text("{}", encoding="utf-8")
    (tmp_path / "keep.txt").write_text("not ours", encoding="utf-8")
    assert main(["--out", str(tmp_path)]) == 0
    assert not (tmp_path / "99_stale_2020.json").exists()  # a file the script named, now gone
    assert (tmp_path / "keep.txt").exists()  # anything else is left alone
    (tmp_path / "keep.txt").unlink()
    committed = sorted(p.name for p in TRUTH.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (TRUTH / name).read_bytes(), name


def test_files_are_sorted_json_with_two_decimal_numbers() -> None:
    for path in sorted(TRUTH.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        data = json.loads(text, parse_float=Decimal)
        assert (
            text
            == json.dumps(json.loads(text), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        ), path.name
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, Decimal):
                assert -item.as_tuple().exponent <= 2, (path.name, item)  # type: ignore[operator]


# --- validity and the index -----------------------------------------------------------------


def test_every_file_is_a_truth_report_listed_in_the_index(docs, index) -> None:
    files = {p.name for p in TRUTH.glob("*.json")} - {"index.json"}
    assert files == {entry["file"] for entry in index}
    for entry, report in docs:
        assert entry["projects"] == len(report.projects)
        assert report.year == entry["year"]
        assert (
            report.title
            == f"{report.projects[0].department} {report.year}年度财政项目支出绩效自评表"
        )
        assert {p.amount_unit for p in report.projects} == {entry["unit"]}
        grades: dict[str, int] = {}
        for p in report.projects:
            grades[p.grade] = grades.get(p.grade, 0) + 1
        assert entry["grades"] == grades
        flagged = [i for i, p in enumerate(report.projects) if p.source_inconsistent]
        assert [x["index"] for x in entry["inconsistent_projects"]] == flagged
        assert len({p.name for p in report.projects}) == len(report.projects)
        assert report.notes and any(
            ("TRUNCATED" if entry["rate_rounding"] == "truncate" else "ROUNDED") in n
            for n in report.notes
        )


# --- coverage -------------------------------------------------------------------------------


def test_coverage(docs, index) -> None:
    all_projects = [p for _, _, _, p in projects(docs)]
    counts = [entry["projects"] for entry in index]
    assert len(index) >= 20 and 130 <= len(all_projects) <= 170
    assert 1 in counts and 12 in counts
    assert {p.grade for p in all_projects} == {"优", "良", "中", "差", "合格", "不合格"}
    assert {e["labels"] for e in index} == {"优良中差", "优合格不合格"}
    assert sum(e["unit"] == "元" for e in index) >= 3
    assert {e["rate_rounding"] for e in index} == {"truncate", "round_half_up"}
    assert len({e["year"] for e in index}) == 4
    assert len({p.department for p in all_projects}) >= 15
    assert any(p.implementing_unit != p.department for p in all_projects)
    kinds = {x["kind"] for e in index for x in e["inconsistent_projects"]}
    assert {"bad_rate", "bad_total", "bad_grade"} <= kinds
    assert any(k.startswith("bad_sum") for k in kinds)
    assert 3 <= sum(bool(e["inconsistent_projects"]) for e in index) <= 4
    total = [p.funds.total for p in all_projects]
    assert sum(t.initial_budget != 0 for t in total) >= len(total) // 3
    assert any(p.funds.carryover.annual_budget for p in all_projects)
    assert any(p.funds.other.annual_budget for p in all_projects)
    assert any(t.annual_budget == 0 and t.execution_rate == 0 for t in total)
    assert any(d(t.execution_rate) > 100 and t.score == t.weight for t in total)
    assert {t.weight for t in total} == {5.0, 10.0, 20.0}
    assert any(line.execution_rate is None for p in all_projects for line in (p.funds.carryover,))
    assert any(len(p.name) > 30 for p in all_projects)
    assert {d(p.total_score) for p in all_projects} >= {Decimal(90), Decimal(80), Decimal(60)}
    lens = [len(p.indicators) for p in all_projects]
    assert min(lens) >= 3 and max(lens) >= 14
    reduced = [i for p in all_projects for i in p.indicators if i.score != i.weight]
    silent = [i for i in reduced if not i.deviation_reason]
    assert 3 <= len(silent) <= len(reduced) // 5  # R9 warnings are real, but rare


# --- arithmetic -----------------------------------------------------------------------------


def _violations(p: TruthProject, rounding: str) -> list[str]:
    """The rules R1-R7 a project breaks, checked exactly in Decimal with the doc's rounding."""
    out = []
    f = p.funds
    lines = {name: getattr(f, name) for name in LINES}
    for column in ("initial_budget", "annual_budget", "executed"):
        parts = sum((d(getattr(lines[n], column)) for n in PARTS), Decimal(0))
        if parts != d(getattr(f.total, column)):
            out.append(f"sum {column}")
    mode = ROUND_DOWN if rounding == "truncate" else ROUND_HALF_UP
    for name, line in lines.items():
        b, e = d(line.annual_budget), d(line.executed)
        want = Decimal("0.00") if b == 0 else (e * 100 / b).quantize(CENT, rounding=mode)
        if line.execution_rate is None:
            if b != 0 or name == "total":
                out.append(f"null rate {name}")
        elif d(line.execution_rate) != want:
            out.append(f"rate {name}")
        if name != "total" and (line.weight is not None or line.score is not None):
            out.append(f"sub-row weight/score {name}")
    w, rate = d(f.total.weight), d(f.total.execution_rate)
    fs = (w * min(rate, Decimal(100)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if d(f.total.score) != fs:
        out.append("funds score")
    if sum((d(i.weight) for i in p.indicators), w) != 100 or p.total_weight != 100:
        out.append("weights")
    if any(not 0 <= d(i.score) <= d(i.weight) for i in p.indicators):
        out.append("score range")
    total = sum((d(i.score) for i in p.indicators), d(f.total.score))
    if total != d(p.total_score):
        out.append("total")
    s = d(p.total_score)
    bands = {"优": s >= 90, "良": 80 <= s < 90, "中": 60 <= s < 80, "差": s < 60}
    bands |= {"合格": 60 <= s < 90, "不合格": s < 60}
    if not bands[p.grade]:
        out.append("grade")
    return out


def test_consistent_projects_obey_every_rule_and_flagged_ones_break_one(docs) -> None:
    for entry, _, i, p in projects(docs):
        broken = _violations(p, entry["rate_rounding"])
        where = f"{entry['id']} P{i + 1}"
        if p.source_inconsistent:
            assert broken, where
            assert any(n.startswith("SOURCE INCONSISTENT") for n in p.truth_notes), where
        else:
            assert broken == [], (where, broken)


def test_each_document_shows_its_rounding_mode(docs) -> None:
    """Some rate in every document truncates and rounds differently, so the mode is visible."""
    for entry, report in docs:
        split = [
            line
            for p in report.projects
            for line in (p.funds.total, p.funds.appropriation)
            if line.annual_budget
            and execution_rate(d(line.executed), d(line.annual_budget), "truncate")
            != execution_rate(d(line.executed), d(line.annual_budget), "round_half_up")
        ]
        assert split, entry["id"]


def test_the_checker_finds_errors_exactly_in_the_flagged_projects(docs) -> None:
    for entry, _, i, p in projects(docs):
        findings = check_project(p)
        errors = [f.rule for f in findings if f.severity.value == "error"]
        where = f"{entry['id']} P{i + 1}"
        assert bool(errors) == p.source_inconsistent, (where, errors)
        # Targets and actuals were varied consistently: met <=> full marks (no R8).
        assert not [f for f in findings if f.rule == "R8"], where


def test_indicator_rows_are_well_formed(docs) -> None:
    for entry, report, i, p in projects(docs):
        where = f"{entry['id']} P{i + 1}"
        runs = [(r.level1, r.level2) for r in p.indicators]
        firsts = [runs[k] for k in range(len(runs)) if k == 0 or runs[k] != runs[k - 1]]
        assert len(firsts) == len(set(firsts)), where  # each (一级, 二级) is one run
        l1 = [k[0] for k in firsts]
        l1_runs = [l1[k] for k in range(len(l1)) if k == 0 or l1[k] != l1[k - 1]]
        assert len(l1_runs) == len(set(l1_runs)), where
        silent_note = " ".join(n for n in report.notes if "blank 偏差原因" in n)
        for r, row in enumerate(p.indicators):
            target, actual = parse_qty(row.target), parse_qty(row.actual)
            if row.score != row.weight and not row.deviation_reason:
                assert re.search(rf"P{i + 1} row {r + 1}\b", silent_note), (where, r)
            if target is None or actual is None or not row.weight:
                continue
            assert target.meets(actual.value) == (row.score == row.weight), (where, r)


def test_texts_use_years_near_the_document_year(docs) -> None:
    for entry, _, i, p in projects(docs):
        texts = [p.name, p.goal_expected, p.goal_actual]
        texts += [t for row in p.indicators for t in (row.name, row.target, row.deviation_reason)]
        years = {int(y) for t in texts for y in re.findall(r"(?<!\d)20[12]\d(?!\d)", t)}
        assert years <= {entry["year"] - 1, entry["year"], entry["year"] + 1}, (entry["id"], i)


# --- the arithmetic helpers and the seed convention -----------------------------------------


def test_rate_and_score_helpers() -> None:
    b, e = Decimal("185.01"), Decimal("184.25")  # seed P1: 99.589...
    assert execution_rate(e, b, "truncate") == Decimal("99.58")
    assert execution_rate(e, b, "round_half_up") == Decimal("99.59")
    assert execution_rate(Decimal(0), Decimal(0), "truncate") == Decimal("0.00")
    assert funds_score(Decimal(10), Decimal("99.58")) == Decimal("9.96")
    assert funds_score(Decimal(10), Decimal("93.45")) == Decimal("9.35")  # half-up, not even
    assert funds_score(Decimal(20), Decimal("103.20")) == Decimal(20)  # capped at 分数


def test_seed_prints_truncated_rates_and_the_score_formula() -> None:
    seed = TruthReport.model_validate_json(SEED.read_text(encoding="utf-8"))
    for p in seed.projects:
        t = p.funds.total
        rate = execution_rate(d(t.executed), d(t.annual_budget), "truncate")
        assert rate == d(t.execution_rate), p.name
        assert funds_score(d(t.weight), rate) == d(t.score), p.name
        assert _violations(p, "truncate") == [], p.name
