"""Tests of the eval-set PDF generator on real PDFs rendered from the seed truth."""

from __future__ import annotations

from pathlib import Path

import fitz
import numpy as np
import pytest

from jixiao_eval.pdfgen.degrade import CONFUSIONS, corrupt_text
from jixiao_eval.pdfgen.text import fmt_amount, wrap
from jixiao_eval.pdfgen.write import (
    VARIANTS,
    layout_pages,
    main,
    render_report,
    write_report_pdf,
)
from schemas.report import TruthReport

SEED_TRUTH = Path(__file__).resolve().parents[1] / "eval" / "seed_2024.truth.json"


@pytest.fixture(scope="module")
def truth() -> TruthReport:
    return TruthReport.model_validate_json(SEED_TRUTH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def small(truth: TruthReport) -> TruthReport:
    """The first two projects: enough for the slow raster variants."""
    return truth.model_copy(update={"projects": truth.projects[:2]})


@pytest.fixture(scope="module")
def pdfs(truth: TruthReport, small: TruthReport, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("pdfgen")
    docs = {}
    for variant in VARIANTS:
        report = truth if variant in ("digital", "fakebold") else small
        path = write_report_pdf(report, variant, out / f"{variant}.pdf", seed=0)
        docs[variant] = fitz.open(path)
    return docs


def _words(page: fitz.Page) -> set[str]:
    return {w[4] for w in page.get_text("words")}


def _glyphs(page: fitz.Page) -> list[tuple[str, float, float, int]]:
    """Every glyph drawn: (char, x, y, render type), duplicates included."""
    out = []
    for span in page.get_texttrace():
        for ch in span["chars"]:
            out.append((chr(ch[0]), ch[2][0], ch[2][1], span["type"]))
    return out


def test_unknown_variant_is_rejected(small: TruthReport) -> None:
    assert VARIANTS == ("digital", "fakebold", "scan", "badlayer")
    with pytest.raises(ValueError, match="variant"):
        render_report(small, "ocr", seed=0)


def test_digital_text_layer_holds_every_name_and_number(pdfs, truth: TruthReport) -> None:
    doc = pdfs["digital"]
    text = "".join(page.get_text() for page in doc).replace("\n", "")
    for project in truth.projects:
        assert project.name in text
        assert project.department in text
    p1 = truth.projects[0]
    expected = {fmt_amount(p1.total_score), fmt_amount(p1.total_weight)}
    for line in (p1.funds.total, p1.funds.appropriation, p1.funds.carryover, p1.funds.other):
        assert line is not None
        expected |= {fmt_amount(v) for v in line.model_dump().values()}
    for ind in p1.indicators:
        expected |= {fmt_amount(ind.weight), fmt_amount(ind.score), ind.target, ind.actual}
    assert {"185.01", "184.25", "99.58", "9.96", "-", "≥95.00(%)", "99.92"} <= expected
    missing = expected - _words(doc[0])
    assert not missing, missing


def test_digital_is_ruled_one_project_per_page_and_bold_without_duplicates(pdfs) -> None:
    doc = pdfs["digital"]
    page = doc[0]
    lines = [it for d in page.get_drawings() for it in d["items"] if it[0] == "l"]
    horizontal = [it for it in lines if abs(it[1].y - it[2].y) < 0.01]
    vertical = [it for it in lines if abs(it[1].x - it[2].x) < 0.01]
    assert len({round(it[1].y) for it in horizontal}) >= 20
    assert len({round(it[1].x) for it in vertical}) >= 12
    starts = [i for i, p in enumerate(doc) if "项目名称" in p.get_text()]
    assert len(starts) == 10 and starts[0] == 0 and len(set(starts)) == 10
    label = [g for g in _glyphs(page) if g[0] == "称"]
    # render_mode=2 bold: one glyph, traced once filled (0) and once stroked (1).
    assert sorted(g[3] for g in label) == [0, 1] and len({g[1:3] for g in label}) == 1
    assert page.get_text().count("项目名称") == 1
    assert doc[0].get_fonts() and len(doc.tobytes()) < 300_000


def test_narrow_level_columns_wrap_two_characters_a_line(truth: TruthReport) -> None:
    layout, _ = layout_pages(truth, "digital", seed=0)
    items = [t for t in layout.pages[0].texts if t.field.endswith(".level2")]
    lines = [t.text for t in items if t.field == "projects[0].indicators[5].level2"]
    assert "".join(lines) == "可持续影响指标" and max(len(x) for x in lines) == 2
    assert all(len(t.text) <= 2 for t in items)


def test_wrap_keeps_numbers_whole_and_respects_width() -> None:
    lines = wrap("执行率为185.01万元的项目推动全市性行业协会商会发展", 40, 9)
    assert any("185.01" in x for x in lines)
    assert all("185" not in x or "185.01" in x for x in lines)
    assert "".join(lines) == "执行率为185.01万元的项目推动全市性行业协会商会发展"
    assert wrap("≥1000000.00(人次)", 56, 8.5) == ["≥1000000.00", "(人次)"]


def test_generation_is_deterministic(small: TruthReport, tmp_path: Path) -> None:
    for variant in ("digital", "fakebold", "scan"):
        assert render_report(small, variant, 3) == render_report(small, variant, 3)
    assert render_report(small, "digital", 3) != render_report(small, "digital", 4)
    path = write_report_pdf(small, "digital", tmp_path / "a.pdf", seed=3)
    assert path.read_bytes() == render_report(small, "digital", 3)
    assert [p.name for p in tmp_path.iterdir()] == ["a.pdf"]


def test_fakebold_repeats_labels_and_runs_tables_on(pdfs, truth: TruthReport) -> None:
    doc = pdfs["fakebold"]
    assert doc.page_count < pdfs["digital"].page_count
    page = doc[0]
    copies = [g for g in _glyphs(page) if g[0] == "称" and g[3] == 0]
    first = copies[0]
    near = [g for g in copies if abs(g[1] - first[1]) < 1 and abs(g[2] - first[2]) < 1]
    assert 2 <= len(near) <= 3 and len({(g[1], g[2]) for g in near}) == len(near)
    spans = [
        s
        for b in page.get_text("rawdict")["blocks"]
        for ln in b.get("lines", [])
        for s in ln["spans"]
        if "".join(c["c"] for c in s["chars"]) == "项目名称"
    ]
    assert len(spans) >= 2  # seed 0 repeats whole lines, so the raw layer shows them twice
    starts = [(i, s.y0) for i, p in enumerate(doc) for s in p.search_for("项目名称")[:1] if i > 0]
    assert any(y > 150 for _, y in starts), starts
    layout, style = layout_pages(truth, "fakebold", seed=0)
    assert any(page > 0 and y > style.margin_t + 100 for page, y in layout.project_starts)


def test_fakebold_splits_a_tall_row_across_the_page_break(truth: TruthReport) -> None:
    layout, _ = layout_pages(truth, "fakebold", seed=0)
    pages_by_field: dict[str, set[int]] = {}
    for i, page in enumerate(layout.pages):
        for t in page.texts:
            pages_by_field.setdefault(t.field, set()).add(i)
    # A cell's lines (not just a merged label) continue on the next page somewhere.
    split = [f for f, pages in pages_by_field.items() if len(pages) > 1 and "[" in f]
    assert any(f.endswith((".name", ".target")) for f in split), split


def test_scan_is_image_only(pdfs) -> None:
    doc = pdfs["scan"]
    assert doc.page_count >= 2
    for page in doc:
        assert page.get_text().strip() == ""
        assert len(page.get_images()) == 1
        assert page.get_drawings() == []
        assert abs(page.rect.width - 595.28) < 1 and abs(page.rect.height - 841.89) < 1


def test_badlayer_text_is_invisible_and_slightly_wrong(pdfs, small: TruthReport) -> None:
    doc = pdfs["badlayer"]
    layout, _ = layout_pages(small, "badlayer", seed=0)
    assert doc.page_count == len(layout.pages)
    printed = [t.text for p in layout.pages for t in p.texts if t.text]
    got: list[str] = []
    for page in doc:
        assert len(page.get_images()) == 1 and page.get_drawings() == []
        trace = page.get_texttrace()
        assert trace and {s["type"] for s in trace} == {3}
        got += [
            s["text"]
            for b in page.get_text("dict")["blocks"]
            for ln in b.get("lines", [])
            for s in ln["spans"]
        ]
    assert len(got) == len(printed)  # one span per cell line
    wrong = [(a, b) for a, b in zip(printed, got, strict=True) if a != b]
    assert 0 < len(wrong) < 0.3 * len(printed)
    allowed = set(CONFUSIONS.values())
    for truth_line, ocr_line in wrong:
        assert len(ocr_line) <= len(truth_line)
        assert set(ocr_line) - set(truth_line) <= allowed


def test_corrupt_text_rates_and_swaps() -> None:
    text = "中共上海市委社会工作部 2024年度 185.01 人员 0.00"
    assert corrupt_text(text, np.random.default_rng(1), 0.0) == text
    every = corrupt_text(text, np.random.default_rng(1), 1.0)
    assert "工" not in every and "匚" in every and "入" in every
    assert every.count("0") < text.count("0")
    a = corrupt_text(text * 20, np.random.default_rng(7), 0.05)
    assert a == corrupt_text(text * 20, np.random.default_rng(7), 0.05) and a != text * 20


def test_yuan_amounts_fit_and_cli_writes_a_pdf(small: TruthReport, tmp_path: Path) -> None:
    data = small.model_dump(by_alias=True)
    data["projects"][0]["amount_unit"] = "元"
    data["projects"][0]["funds"]["total"]["annual_budget"] = 18501000.0
    src = tmp_path / "truth.json"
    src.write_text(TruthReport.model_validate(data).model_dump_json(by_alias=True), "utf-8")
    out = tmp_path / "out" / "digital.pdf"
    assert main([str(src), "digital", str(out), "--seed", "2"]) == 0
    page = fitz.open(out)[0]
    assert "18501000.00" in _words(page)
    assert "(元)" in page.get_text()
