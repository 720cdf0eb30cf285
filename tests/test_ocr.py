"""OCR of scans and hidden text layers, end to end on real generated PDFs, plus arbitration.

OCR is slow (a few seconds a page): one small report, each variant read once per session.
"""

from __future__ import annotations

from pathlib import Path

import fitz
import pytest

from jixiao_eval.pdfgen.write import write_report_pdf
from jixiao_eval.scoring import score_document
from pipeline.arbitrate import (
    CONF_AGREE,
    CONF_UNSETTLED,
    OcrText,
    decide,
    format_ok,
    ocr_confidence,
)
from pipeline.extract.layout import extract_layout
from pipeline.layout import build_layout
from pipeline.read import ReadOptions, read_document
from pipeline.reconcile import ACCEPT_THRESHOLD
from pipeline.run import RunOptions, process_file
from schemas import DocumentResult, TruthReport

SEED = 11


def _sure(text: str) -> OcrText:
    return OcrText(text, tuple(0.99 for _ in text))


# -- arbitration (no OCR) ---------------------------------------------------------------
def test_agreement_is_confident() -> None:
    d = decide("184.25", _sure("184.25"))
    assert d.source == "text_layer" and d.confidence == CONF_AGREE and not d.disagreement


def test_layer_that_breaks_the_format_loses() -> None:
    d = decide("O.00", _sure("0.00"))
    assert d.source == "ocr" and d.confidence >= ACCEPT_THRESHOLD
    d = decide("中共上海市委社会匚作部", _sure("中共上海市委社会工作部"))
    assert d.source == "ocr" and d.confidence >= ACCEPT_THRESHOLD


def test_ocr_that_breaks_the_format_is_not_taken() -> None:
    d = decide("0.00", _sure("O.0O"))
    assert d.source == "text_layer" and d.confidence < ACCEPT_THRESHOLD


def test_unsure_disagreement_goes_to_review() -> None:
    unsure = OcrText("620.61", (0.99, 0.99, 0.5, 0.99, 0.99, 0.99))  # unsure of the extra 0
    d = decide("62.61", unsure)
    assert d.confidence == CONF_UNSETTLED < ACCEPT_THRESHOLD
    # OCR saw fewer characters than the layer: a drop nobody can judge from the cell
    d = decide("620.61", _sure("62.61"))
    assert d.confidence < ACCEPT_THRESHOLD


def test_sure_ocr_over_a_layer_that_dropped_a_digit() -> None:
    d = decide("62.61", _sure("620.61"))
    assert d.source == "ocr" and d.confidence >= ACCEPT_THRESHOLD


def test_ocr_alone() -> None:
    assert ocr_confidence(_sure("99.58")) >= ACCEPT_THRESHOLD
    assert ocr_confidence(OcrText("99.58", (0.99, 0.6, 0.99, 0.99, 0.99))) < ACCEPT_THRESHOLD
    assert ocr_confidence(_sure("9O.58")) < ACCEPT_THRESHOLD
    assert ocr_confidence(OcrText("≥95.00(%)", (0.99,) * 9, dropped=True)) < ACCEPT_THRESHOLD
    assert not format_ok("1000000.00(人次") and format_ok("1000000.00(人次)")
    assert not format_ok("5:00") and format_ok("5.00")
    assert not format_ok("94.71()")


# -- end to end -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(seed_truth: TruthReport) -> TruthReport:
    return seed_truth.model_copy(update={"projects": seed_truth.projects[:1]})


@pytest.fixture(scope="module")
def pdfs(small: TruthReport, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ocr")
    return {v: write_report_pdf(small, v, d / f"{v}.pdf", seed=SEED) for v in ("scan", "badlayer")}


@pytest.fixture(scope="module")
def results(pdfs: dict[str, Path]) -> dict[str, DocumentResult]:
    return {v: process_file(p) for v, p in pdfs.items()}


def _check_no_false_accept(truth: TruthReport, res: DocumentResult) -> float:
    case = score_document(truth, res)
    assert len(case.projects) == len(truth.projects)
    assert all(p.found for p in case.projects)
    for p in case.projects:
        # a project is accepted only when every field is right
        assert not (p.status == "accepted" and not p.exact), [w.path for w in p.wrong]
    return case.tally.fields.accuracy


def test_scan_is_read_by_ocr(small: TruthReport, results: dict[str, DocumentResult]) -> None:
    res = results["scan"]
    assert not res.errors
    assert {h.verdict for h in res.page_health} == {"unusable"}
    assert {h.read_with for h in res.page_health} == {"ocr"}
    assert _check_no_false_accept(small, res) >= 0.97
    got, want = res.projects[0], small.projects[0]
    assert got.funds == want.funds
    assert [i.score for i in got.indicators] == [i.score for i in want.indicators]
    assert got.total_score == want.total_score


def test_scan_with_ocr_off_reports_a_scan(pdfs: dict[str, Path]) -> None:
    res = process_file(pdfs["scan"], RunOptions(ocr="off"))
    assert [e.kind for e in res.errors] == ["scanned"]


def test_hidden_layer_is_checked_by_ocr(
    small: TruthReport, pdfs: dict[str, Path], results: dict[str, DocumentResult]
) -> None:
    with fitz.open(pdfs["badlayer"]) as doc:
        hidden = "".join(page.get_text() for page in doc)
    assert "匚" in hidden  # the generator's OCR layer misread 工 somewhere
    res = results["badlayer"]
    assert {h.verdict for h in res.page_health} == {"suspect"}
    assert {h.read_with for h in res.page_health} == {"text_layer+ocr"}
    assert any("disagrees with OCR" in p for h in res.page_health for p in h.problems)
    assert _check_no_false_accept(small, res) >= 0.98
    # the chosen values hold no misread glyph; the hidden layer's reading stays as a candidate
    assert "匚" not in "".join(p.model_dump_json(exclude={"candidates"}) for p in res.projects)
    assert any(
        v.source == "text_layer" and "匚" in str(v.value)
        for p in res.projects
        for values in p.candidates.values()
        for v in values
    )


def test_disagreements_become_candidates(pdfs: dict[str, Path]) -> None:
    with fitz.open(pdfs["badlayer"]) as doc:
        pages, _ = read_document(doc, ReadOptions())
    (cand,) = extract_layout(build_layout(pages)).candidates
    assert cand.candidates
    for path, values in cand.candidates.items():
        assert {v.source for v in values} == {"text_layer", "ocr"}
        assert sum(v.note == "chosen" for v in values) == 1
        chosen = next(v for v in values if v.note == "chosen")
        # never a splice: the field's printed text is one source's reading, whole
        assert "".join(cand.printed.get(path, "").split()) == chosen.value


# -- the leading operator ---------------------------------------------------------------
def test_leading_operator_is_checked_by_its_shape(tmp_path: Path) -> None:
    """The recogniser reads this type's ≥ as '2' or skips it; the glyph's shape catches it."""
    from jixiao_eval.pdfgen.text import FONT
    from pipeline.imagelines import prepare
    from pipeline.ocr import read_regions
    from pipeline.page_image import render_gray

    texts = ["≥ 95.00(%)", "≤ 200000.00(元)", "100.00(%)", "19000.00(人)", "=100.00(%)"]
    doc = fitz.open()
    page = doc.new_page(width=300, height=40 * len(texts))
    boxes = []
    for i, text in enumerate(texts):
        tw = fitz.TextWriter(page.rect)
        tw.append((20, 40 * i + 24), text, font=FONT, fontsize=9)
        tw.write_text(page)
        boxes.append((10.0, 40.0 * i + 8, 200.0, 40.0 * i + 32))
    img = prepare(render_gray(page, 200), 200, page.rect.width, page.rect.height, deskew=False)
    lines = [ls[0] for ls in read_regions(img, boxes)]
    shapes = [ln.lead_shape for ln in lines]
    assert shapes[0] == "≥" and shapes[1] == "≤"
    assert shapes[2] is None and shapes[3] is None
    for ln in lines[:2]:
        # either the recogniser read the operator the shape shows, or the line is not trusted
        assert ln.text[0] == ln.lead_shape or ln.dropped, (ln.text, ln.lead_shape)
    assert not lines[2].dropped and lines[2].text == "100.00(%)"
