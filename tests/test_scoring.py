"""The scorer: real truth file, outputs written as DocumentResult JSON, scored end to end."""

from __future__ import annotations

import io
import json
import math
import random
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import fitz
import pytest

from jixiao_eval.scoring import (
    EvalCase,
    EvalReport,
    compare,
    evaluate,
    load_cases,
    print_table,
    read_json,
    saved_outputs,
    write_html,
    write_json,
)
from jixiao_eval.scoring.align import align_projects, align_rows
from jixiao_eval.scoring.metrics import expected_calibration_error, numbers_equal, project_values
from jixiao_eval.scoring.models import FieldScore, Tally
from jixiao_eval.scoring.text import levenshtein, narrative_similarity, normalize_text
from pipeline.resources import data_dir
from schemas.output import DocumentResult, ProjectResult, Status
from schemas.report import Indicator, TruthReport

TRUTH_PATH = data_dir("eval") / "seed_2024.truth.json"


@pytest.fixture(scope="module")
def truth() -> TruthReport:
    return TruthReport.model_validate_json(TRUTH_PATH.read_text(encoding="utf-8"))


def perfect_output(truth: TruthReport, confidence: float = 1.0) -> DocumentResult:
    """The truth itself as a pipeline output: every project accepted."""
    projects = [
        ProjectResult(
            **p.model_dump(exclude={"source_inconsistent", "truth_notes"}),
            status=Status.accepted,
            confidence=confidence,
        )
        for p in truth.projects
    ]
    return DocumentResult(
        source="seed_2024.pdf",
        sha256="0" * 64,
        title=truth.title,
        year=truth.year,
        pages=20,
        projects=projects,
        seconds=5.0,
    )


def run_cases(
    tmp_path: Path,
    outputs: dict[str, DocumentResult | None],
    truth: TruthReport | Path = TRUTH_PATH,
) -> EvalReport:
    """Write each output as <id>.json, then evaluate with a run that reads them back."""
    out_dir = tmp_path / "outputs"
    out_dir.mkdir(exist_ok=True)
    cases = []
    for case_id, output in outputs.items():
        if output is not None:
            (out_dir / f"{case_id}.json").write_text(output.model_dump_json(), encoding="utf-8")
        variant = case_id.rpartition("__")[2] if "__" in case_id else "user"
        cases.append(
            EvalCase(id=case_id, variant=variant, pdf=tmp_path / f"{case_id}.pdf", truth=truth)
        )
    return evaluate(cases, saved_outputs(out_dir))


# Scored fields per indicator row, and per project outside its rows (the seed prints 4 funds rows).
ROW_FIELDS = 10
PROJECT_FIELDS = 37


def count_fields(truth: TruthReport, kind: str | None = None) -> int:
    total = 0
    for project in truth.projects:
        total += sum(1 for _, k, _ in project_values(project) if kind in (None, k))
        per_row = {"numeric": 2, "short_text": ROW_FIELDS - 2, "narrative": 0, None: ROW_FIELDS}[
            kind
        ]
        total += per_row * len(project.indicators)
    return total


def test_truth_against_itself_is_perfect(tmp_path: Path, truth: TruthReport) -> None:
    report = run_cases(tmp_path, {"seed__clean": perfect_output(truth)})
    for metrics in (report.overall, report.variants["clean"]):
        assert metrics.fields == count_fields(truth)
        assert metrics.field_accuracy == 1.0
        assert metrics.numeric_accuracy == 1.0
        assert metrics.short_text_exact == 1.0
        assert metrics.narrative_exact == 1.0
        assert metrics.narrative_mean_similarity == 1.0
        assert metrics.project_exact_rate == 1.0
        assert metrics.straight_through_rate == 1.0
        assert metrics.false_accepts == 0 and metrics.false_accept_rate == 0.0
        assert metrics.accepted == 10
        assert metrics.ece == 0.0
        assert metrics.seconds_per_page == pytest.approx(0.25)
        assert metrics.projects_missing == metrics.projects_extra == metrics.rows_extra == 0
    assert all(not p.wrong for p in report.cases[0].projects)


def test_corrupted_numbers_cost_k_over_n_and_make_a_false_accept(
    tmp_path: Path, truth: TruthReport
) -> None:
    output = perfect_output(truth)
    project = output.projects[0]
    project.funds.total.executed = 184.26
    project.indicators[2].score = 9.0
    project.total_score = None
    # Not errors: a float artefact below the printed precision.
    project.funds.total.annual_budget = 185.01 + 1e-9
    report = run_cases(tmp_path, {"doc": output})
    m = report.overall
    n_numeric = count_fields(truth, "numeric")
    assert m.numeric_fields == n_numeric
    assert m.numeric_accuracy == pytest.approx(1 - 3 / n_numeric, abs=1e-12)
    assert m.fields_correct == m.fields - 3
    assert m.false_accepts == 1 and m.accepted == 10
    assert m.false_accept_rate == pytest.approx(0.1)
    assert m.straight_through == 9 and m.project_exact == 9
    wrong = {w.path: (w.expected, w.got) for w in report.cases[0].projects[0].wrong}
    assert wrong == {
        "funds.total.executed": (184.25, 184.26),
        "indicators[2].score": (10.0, 9.0),
        "total_score": (99.92, None),
    }
    worst = {f.field: f for f in m.per_field if f.accuracy < 1}
    assert set(worst) == {"funds.total.executed", "indicators[].score", "total_score"}
    assert worst["total_score"].correct == 9 and worst["total_score"].total == 10


def test_dropped_row_costs_only_that_row(tmp_path: Path, truth: TruthReport) -> None:
    output = perfect_output(truth)
    dropped = output.projects[2].indicators.pop(3)
    report = run_cases(tmp_path, {"doc": output})
    project = report.cases[0].projects[2]
    assert project.missing_rows == [3]
    assert project.fields - project.correct == ROW_FIELDS
    assert {w.path for w in project.wrong} == {f"indicators[3].{f}" for f in Indicator.model_fields}
    assert next(w for w in project.wrong if w.path == "indicators[3].name").expected == (
        dropped.name
    )
    assert report.overall.fields == count_fields(truth)
    assert report.overall.fields_correct == count_fields(truth) - ROW_FIELDS
    assert report.overall.rows_missing == 1


def test_extra_row_counts_as_one_wrong_row(tmp_path: Path, truth: TruthReport) -> None:
    output = perfect_output(truth)
    rows = output.projects[1].indicators
    rows.insert(4, rows[4].model_copy(update={"name": "完全不同的额外指标行"}))
    report = run_cases(tmp_path, {"doc": output})
    project = report.cases[0].projects[1]
    assert project.extra_rows == [4] and project.missing_rows == []
    assert (
        project.fields
        == len(truth.projects[1].indicators) * ROW_FIELDS + PROJECT_FIELDS + ROW_FIELDS
    )
    assert project.correct == project.fields - ROW_FIELDS
    assert all(w.outcome == "extra" and w.path.startswith("indicators[4].") for w in project.wrong)
    assert report.overall.fields == count_fields(truth) + ROW_FIELDS
    assert report.overall.rows_extra == 1
    assert report.overall.false_accepts == 1


def test_slightly_renamed_and_reordered_projects_still_align(
    tmp_path: Path, truth: TruthReport
) -> None:
    output = perfect_output(truth)
    output.projects[2].name = "进博会志愿服务保障项日"  # 目 misread as 日
    output.projects[1].name = "“两企三新”党建 经费"  # curly quotes and a stray space
    output.projects.reverse()
    report = run_cases(tmp_path, {"doc": output})
    case = report.cases[0]
    assert report.overall.projects_missing == 0 and not case.extra_projects
    assert [p.output_index for p in case.projects] == list(range(9, -1, -1))
    renamed = case.projects[2]
    assert [w.path for w in renamed.wrong] == ["name"]
    assert 0.6 < renamed.name_similarity < 1
    assert case.projects[1].exact  # quote and space folding: the name is right


def test_missing_output_and_missing_project_count_all_fields_wrong(
    tmp_path: Path, truth: TruthReport
) -> None:
    partial = perfect_output(truth)
    lost = partial.projects.pop(5)
    partial.projects.append(lost.model_copy(update={"name": "一个不存在的项目"}))
    report = run_cases(tmp_path, {"broken__scan": None, "partial__clean": partial})
    failed = report.variants["scan"]
    assert failed.docs_failed == 1 and failed.fields == count_fields(truth)
    assert failed.fields_correct == 0 and failed.field_accuracy == 0.0
    assert failed.projects_missing == 10 and failed.accepted == 0
    assert failed.false_accept_rate == 0.0 and failed.narrative_mean_similarity == 0.0
    assert failed.ece is None and failed.seconds_per_page is None
    assert report.cases[0].error is not None and "FileNotFoundError" in report.cases[0].error

    partly = report.variants["clean"]
    lost_fields = PROJECT_FIELDS + ROW_FIELDS * len(truth.projects[5].indicators)
    assert partly.fields_correct == count_fields(truth) - lost_fields
    assert partly.projects_missing == 1 and partly.projects_extra == 1
    # The accepted extra project is a false accept; the missing one cannot be accepted.
    assert partly.accepted == 10 and partly.false_accepts == 1
    assert report.cases[1].extra_projects[0].name == "一个不存在的项目"
    assert report.overall.fields == 2 * count_fields(truth)


def test_narrative_with_one_changed_character(tmp_path: Path, truth: TruthReport) -> None:
    output = perfect_output(truth)
    text = truth.projects[0].goal_expected
    output.projects[0].goal_expected = "x" + text[1:]
    long_text = truth.projects[1].goal_actual
    output.projects[1].goal_actual = long_text[:-2] + "y" + long_text[-1]
    report = run_cases(tmp_path, {"doc": output})
    short_similarity = 1 - 1 / len(normalize_text(text))
    long_similarity = 1 - 1 / len(normalize_text(long_text))
    assert short_similarity < 0.98 <= long_similarity  # one wrong, one still "exact"
    wrong = report.cases[0].projects[0].wrong
    assert [w.path for w in wrong] == ["goal_expected"]
    assert wrong[0].similarity == pytest.approx(short_similarity)
    assert report.cases[0].projects[1].exact
    n = count_fields(truth, "narrative")
    m = report.overall
    assert m.narrative_exact == pytest.approx((n - 1) / n)
    expected_mean = (n - 2 + short_similarity + long_similarity) / n
    assert m.narrative_mean_similarity == pytest.approx(expected_mean)


def test_needs_review_on_inconsistent_truth_counts_as_flagged(
    tmp_path: Path, truth: TruthReport
) -> None:
    marked = truth.model_copy(deep=True)
    for i in (3, 7):
        marked.projects[i].source_inconsistent = True
    truth_file = tmp_path / "marked.truth.json"
    truth_file.write_text(marked.model_dump_json(by_alias=True), encoding="utf-8")
    output = perfect_output(truth)
    output.projects[3].status = Status.needs_review
    report = run_cases(tmp_path, {"doc": output}, truth=truth_file)
    m = report.overall
    assert m.inconsistent == 2 and m.inconsistent_flagged == 1
    assert m.flagged_inconsistent_rate == 0.5
    # Fully correct but not accepted: not straight-through, and not counted as accepted.
    assert m.straight_through == 9 and m.project_exact == 10 and m.accepted == 9
    clean = run_cases(tmp_path, {"doc": perfect_output(truth)})
    assert clean.overall.inconsistent == 0 and clean.overall.flagged_inconsistent_rate is None


def test_ece_on_a_hand_computed_example() -> None:
    tally = Tally()
    for confidence, correct in ((0.95, True), (0.95, False), (0.15, False), (0.15, False)):
        tally.add(
            FieldScore(
                path="total_score",
                field="total_score",
                kind="numeric",
                correct=correct,
                confidence=confidence,
            )
        )
    # Bin 9: accuracy 0.5 vs confidence 0.95; bin 1: 0 vs 0.15; each holds half the fields.
    assert expected_calibration_error(tally.calibration) == pytest.approx(0.5 * 0.45 + 0.5 * 0.15)
    assert [b.n for b in tally.calibration] == [0, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert expected_calibration_error(Tally().calibration) is None


def test_calibration_uses_field_confidence_then_project_confidence(
    tmp_path: Path, truth: TruthReport
) -> None:
    output = perfect_output(truth)
    project = output.projects[0]
    project.confidence = 0.55
    project.grade = "良"
    project.field_confidence = {"grade": 0.05}
    report = run_cases(tmp_path, {"doc": output})
    m = report.overall
    n0 = PROJECT_FIELDS + ROW_FIELDS * len(truth.projects[0].indicators)
    total = count_fields(truth)
    assert [b.n for b in m.calibration] == [1, 0, 0, 0, 0, n0 - 1, 0, 0, 0, total - n0]
    assert m.calibration[0].accuracy == 0.0 and m.calibration[5].accuracy == 1.0
    assert m.ece == pytest.approx((1 * 0.05 + (n0 - 1) * 0.45) / total)


class _TagChecker(HTMLParser):
    VOID = frozenset({"meta", "br", "img", "hr", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def test_html_and_json_reports(tmp_path: Path, truth: TruthReport) -> None:
    bad = perfect_output(truth, confidence=0.9)
    bad.projects[1].indicators.pop(0)
    bad.projects[4].department = "<script>alert(1)</script>"
    report = run_cases(
        tmp_path, {"a__clean": perfect_output(truth), "b__scan": bad, "c__scan": None}
    )
    html_path = tmp_path / "report" / "eval.html"
    write_html(report, html_path)
    page = html_path.read_text(encoding="utf-8")
    checker = _TagChecker()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == []
    ids = {attrs.get("id") for tag, attrs in checker.seen if tag == "svg"}
    assert {"chart-variants", "chart-calibration"} <= ids
    assert ("meta", {"charset": "utf-8"}) in checker.seen
    assert sum(tag == "details" for tag, _ in checker.seen) == 3
    # one reliability diagram overall, one per variant with held-out documents
    diagonals = sum(1 for tag, a in checker.seen if tag == "line" and a.get("class") == "diagonal")
    assert diagonals == 1 + len(report.held_out)
    assert {f"chart-held-out-{v}" for v in report.held_out} <= ids
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert escape(truth.projects[1].indicators[0].name) in page  # the missing row, in Chinese
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # page CSS must not restyle the chart's shapes (a .bar rule once squashed every bar)
    style = page[page.index("<style>") : page.index("</style>")]
    svg_classes = {
        a["class"] for tag, a in checker.seen if tag in ("rect", "line") and a.get("class")
    }
    assert svg_classes and not any(f".{cls}" in style for cls in svg_classes)

    json_path = tmp_path / "report" / "eval.json"
    write_json(report, json_path)
    assert read_json(json_path) == report
    raw = json.loads(json_path.read_text(encoding="utf-8"))
    assert set(raw["variants"]) == {"clean", "scan"}
    assert not list(json_path.parent.glob(".*.tmp"))  # atomic writes leave no temp files


def test_console_table_and_compare(tmp_path: Path, truth: TruthReport) -> None:
    worse = perfect_output(truth)
    worse.projects[0].total_score = 1.0
    before = run_cases(tmp_path, {"x__clean": worse})
    after = run_cases(tmp_path, {"x__clean": perfect_output(truth)})
    table = io.StringIO()
    print_table(before, file=table)
    lines = table.getvalue().splitlines()
    assert lines[0].split()[:3] == ["variant", "docs", "projects"]
    assert any(line.startswith("clean ") for line in lines)
    assert any(line.startswith("overall ") for line in lines)
    assert any(line.strip().startswith("total_score") and "(9/10)" in line for line in lines)
    delta = io.StringIO()
    compare(before, after, file=delta)
    out = delta.getvalue().splitlines()
    assert out[0].startswith("clean: field acc") and out[-1].startswith("overall:")
    gain = 100 / count_fields(truth)
    assert f"(+{gain:.1f})" in out[0]


def _blank_pdf(path: Path) -> None:
    doc = fitz.open()
    doc.new_page()
    doc.save(path)
    doc.close()


def test_load_cases_pairs_pdfs_with_truth(tmp_path: Path, truth: TruthReport) -> None:
    truth_json = TRUTH_PATH.read_text(encoding="utf-8")
    for name in ("seed__clean.pdf", "seed__scan.pdf", "mine.v2.pdf", "lonely.pdf", "out.pdf"):
        _blank_pdf(tmp_path / name)
    (tmp_path / "seed.truth.json").write_text(truth_json, encoding="utf-8")
    (tmp_path / "mine.v2.json").write_text(truth_json, encoding="utf-8")
    # A pipeline output beside its PDF is not a truth file.
    (tmp_path / "out.json").write_text(perfect_output(truth).model_dump_json(), encoding="utf-8")
    cases = load_cases(tmp_path, variants={"clean", "scan"})
    assert [(c.id, c.variant) for c in cases] == [
        ("mine.v2", "user"),
        ("seed__clean", "clean"),
        ("seed__scan", "scan"),
    ]
    assert cases[1].truth == tmp_path / "seed.truth.json"
    assert cases[1].load_truth() == truth
    assert load_cases(tmp_path, variants={"v2"})[0].variant == "v2"


def test_alignment_and_text_helpers() -> None:
    names = ["培训出席完成率", "线下活动次数", "课程满意度", "宣传推送及时性"]
    pairs = align_rows(names, [names[0], names[2], names[3]])
    assert [(p.truth, p.output) for p in pairs] == [(0, 0), (1, None), (2, 1), (3, 2)]
    garbled = align_rows(names, [names[0], "线下汽动次", names[2], names[3], "多出来的"])
    assert [(p.truth, p.output) for p in garbled] == [(0, 0), (1, 1), (2, 2), (3, 3), (None, 4)]
    projects = align_projects(["机关服务经费", "开办经费"], ["开办经费", "完全无关"])
    assert [(p.truth, p.output) for p in projects] == [(0, None), (1, 0), (None, 1)]
    assert levenshtein("kitten", "sitting") == 3 and levenshtein("", "abc") == 3
    assert levenshtein("前缀abc后缀", "前缀axc后缀") == 1
    assert normalize_text(" “两企三新”（党建） ") == normalize_text('"两企三新"(党建)')
    assert normalize_text("「a」") == normalize_text("'a'")
    assert narrative_similarity("", "") == 1.0 and narrative_similarity("ab", "") == 0.0
    assert numbers_equal(0.1 + 0.2, 0.3) and numbers_equal(None, None)
    assert not numbers_equal(None, 0.0) and not numbers_equal(99.58, 99.59)
    assert math.isclose(narrative_similarity("abcd", "abce"), 0.75)


def _reference_levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def test_levenshtein_matches_the_textbook_table() -> None:
    rng = random.Random(7)
    for _ in range(500):
        alphabet = "甲乙丙丁a"[: rng.randint(1, 5)]
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 70)))
        assert levenshtein(a, b) == _reference_levenshtein(a, b), (a, b)


def test_the_held_out_part_is_a_fixed_half_of_the_documents() -> None:
    """Split by document: both parts hold documents, every variant of one falls on one side."""
    from pathlib import Path

    from jixiao_eval.scoring.split import held_out

    truths = sorted(
        p.name
        for p in (Path(__file__).resolve().parents[1] / "eval" / "truth").glob("*.json")
        if p.name != "index.json"
    )
    sides = [held_out(t) for t in truths]
    assert 0.25 * len(truths) <= sum(sides) <= 0.75 * len(truths)
    assert sides == [held_out(t) for t in truths]  # fixed
    name = truths[0].removesuffix(".json")
    assert held_out(name) == held_out(f"{name}.truth.json") == held_out(f"eval/truth/{name}.json")
