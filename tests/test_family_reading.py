"""The reader on the committed families set: every LibreOffice Calc and Writer PDF, read by the
real pipeline and scored field by field against its truth.

tests/test_families.py checks the set itself; this file checks what the reader makes of it,
including the Writer renderings that broke it: merged 一级/二级 cells whose side borders are
drawn on their first row only, and the first row after a page break drawn with no inner
borders at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jixiao_eval.scoring.metrics import score_document
from pipeline.run import process_file
from schemas.output import Status
from schemas.report import TruthReport

SET = Path(__file__).resolve().parents[1] / "eval" / "families"
PROJECT_PDFS = sorted(p for p in SET.glob("*.pdf") if not p.name.startswith("not_project"))


def _truth(pdf: Path) -> TruthReport:
    doc_id = pdf.stem.rpartition("__")[0]
    return TruthReport.model_validate_json((SET / f"{doc_id}.truth.json").read_text("utf-8"))


@pytest.mark.parametrize("pdf", PROJECT_PDFS, ids=lambda p: p.stem)
def test_every_field_of_every_family_pdf_is_read_right(pdf: Path) -> None:
    truth = _truth(pdf)
    doc = process_file(pdf)
    case = score_document(truth, doc)
    wrong = [(w.path, w.expected, w.got) for p in case.projects for w in p.wrong]
    assert wrong == []
    assert not case.extra_projects
    for got, want in zip(doc.projects, truth.projects, strict=True):
        # an inconsistent source is flagged; a consistent one read right goes straight through
        # unless a rule of the form's own arithmetic says otherwise
        if want.source_inconsistent:
            assert got.status is Status.needs_review, (pdf.name, got.name)


def test_writer_merged_level_cells_are_not_glued_to_their_neighbours() -> None:
    """Writer draws a merged 二级 cell's left border on its first row only; the 一级 cell beside
    it must stay its own cell (it read `产出指标数量指标…`, or 绩效指标 as every 一级)."""
    doc = process_file(SET / "national_2020_02_dongliu_2023__writer.pdf")
    second = doc.projects[1]
    levels = {(i.level1, i.level2) for i in second.indicators}
    assert ("产出指标(50分)", "质量指标") in levels
    assert ("效益指标(30分)", "可持续影响指标") in levels
    assert all(i.level1 != "绩效指标" for i in second.indicators)


def test_a_name_cell_spanning_the_level_columns_after_a_page_break_keeps_the_group() -> None:
    """The first row of a Writer page continuing the table has no inner side borders: the name
    (开展教研活动场次) spans the 二级 column, whose group runs on from the page before."""
    doc = process_file(SET / "sichuan_0013zp_01_pengxi_2023__writer.pdf")
    row = next(i for p in doc.projects for i in p.indicators if i.name == "开展教研活动场次")
    assert (row.level1, row.level2) == ("产出指标", "数量指标")


def test_an_integer_total_off_by_one_point_is_not_rounding() -> None:
    """Hebei prints whole points: 总分 96 over rows summing to 95 is the document's own
    inconsistency (R5), not rounding; the 86% rate row (9 for 10 × 86.2%) still passes."""
    for producer in ("calc", "writer"):
        doc = process_file(SET / f"hebei_langfang_02_guangyang_2022__{producer}.pdf")
        by_name = {p.name: p for p in doc.projects}
        off = by_name["校舍维修改造项目"]
        assert off.total_score == 96
        assert off.status is Status.needs_review
        assert any(f.rule == "R5" for f in off.findings)
        fine = by_name["农村义务教育学校营养改善计划补助资金"]
        assert fine.status is Status.accepted, [f.message for f in fine.findings]


def test_goals_the_reader_cannot_place_are_flagged_never_accepted_empty() -> None:
    """A layout not built for (tests/fixtures/unseen: a 0013zp variant from Writer whose goals
    sit label | text | label | text on one row): everything else reads right; the goals, whose
    labels were printed but whose text was not placed, are flagged, never accepted as ''."""
    pdf = Path(__file__).resolve().parent / "fixtures" / "unseen" / "samerow_goals__writer.pdf"
    (project,) = process_file(pdf).projects
    assert project.status is Status.needs_review
    assert project.funds.total.executed == 60.9 and project.funds.total.execution_rate == 99.51
    assert [i.weight for i in project.indicators] == [22.5] * 4
    assert [i.target for i in project.indicators] == ["=100%", "≤10次", "=100%", "≤5%"]
    assert project.total_score == 99.95 and project.conclusion == "及时、足额缴纳。"
    for key in ("goal_expected", "goal_actual"):
        assert project.field_confidence[key] < 0.9


UNSEEN = Path(__file__).resolve().parent / "fixtures" / "unseen"


@pytest.mark.parametrize("producer", ["calc", "writer"])
def test_a_beijing_form_not_built_for_is_read_whole(producer: str) -> None:
    """A 北京 海淀-style form (tests/fixtures/unseen/make_beijing.py): 主管部门及代码, only a
    年初预算数（A） with 执行率（B/A）, 其中：本年一般公共预算拨款, goals headed 年度总体目标完成情况综述,
    分值 before the targets and 得分计算方法 columns in both blocks. Every field is read right;
    with no 全年预算数 printed, the rate is checked against the 年初预算数 and the projects go
    straight through."""
    truth = TruthReport.model_validate_json(
        (UNSEEN / "beijing_haidian.truth.json").read_text("utf-8")
    )
    doc = process_file(UNSEEN / f"beijing_haidian__{producer}.pdf")
    case = score_document(truth, doc)
    assert [(w.path, w.expected, w.got) for p in case.projects for w in p.wrong] == []
    assert not case.extra_projects and len(doc.projects) == len(truth.projects)
    for got in doc.projects:
        assert got.status is Status.accepted, [f.message for f in got.findings]
        assert got.funds.total.annual_budget is None  # not printed: never filled in
