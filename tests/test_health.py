"""Text-layer health: page verdicts and suspect cells, on real generated PDFs."""

from __future__ import annotations

from pathlib import Path

import fitz
import pytest

from jixiao_eval.pdfgen.write import write_report_pdf
from pipeline.health import diagnose, doubled_share, suspect_cell
from pipeline.layout import page_tables
from pipeline.options import ReadOptions
from pipeline.read import read_checked
from pipeline.render import read_page
from pipeline.textnorm import bad_glyphs
from schemas import TruthReport


@pytest.fixture(scope="module")
def pdfs(seed_truth: TruthReport, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("health")
    one = seed_truth.model_copy(update={"projects": seed_truth.projects[:1]})
    # The same project with a broken mapping printed into its department: 工 -> 匚.
    p = one.projects[0]
    broken = one.model_copy(
        update={"projects": [p.model_copy(update={"department": p.department.replace("工", "匚")})]}
    )
    return {
        "digital": write_report_pdf(one, "digital", d / "digital.pdf", seed=3),
        "fakebold": write_report_pdf(one, "fakebold", d / "fakebold.pdf", seed=3),
        "broken": write_report_pdf(broken, "digital", d / "broken.pdf", seed=3),
        "scan": write_report_pdf(one, "scan", d / "scan.pdf", seed=3),
    }


def _diagnose(path: Path) -> tuple[str, list[str]]:
    with fitz.open(path) as doc:
        content = read_page(doc[0])
    return diagnose(content, page_tables(content)[0])


def test_bad_glyphs() -> None:
    assert bad_glyphs("中共上海市委社会工作部 ≥95.00(%)") == []
    assert bad_glyphs("社会匚作部") == ["匚"]
    assert bad_glyphs("a\ufffdb\ue123") == ["\ue123", "\ufffd"]
    assert bad_glyphs("x\x07y") == ["\x07"]


def test_clean_digital_page_is_ok(pdfs: dict[str, Path]) -> None:
    assert _diagnose(pdfs["digital"]) == ("ok", [])


def test_fake_bold_is_reported_but_ok(pdfs: dict[str, Path]) -> None:
    verdict, problems = _diagnose(pdfs["fakebold"])
    assert verdict == "ok"
    assert any("doubled glyphs" in p for p in problems)
    with fitz.open(pdfs["fakebold"]) as doc, fitz.open(pdfs["digital"]) as clean:
        assert doubled_share(read_page(doc[0])) > 0.05
        assert doubled_share(read_page(clean[0])) == 0.0


def test_impossible_glyph_makes_the_page_and_cell_suspect(pdfs: dict[str, Path]) -> None:
    verdict, problems = _diagnose(pdfs["broken"])
    assert verdict == "suspect"
    assert any("匚" in p for p in problems)
    with fitz.open(pdfs["broken"]) as doc:
        content = read_page(doc[0])
    suspect = [c for t in page_tables(content)[0] for c in t.cells if suspect_cell(c)]
    assert [c.text for c in suspect] == [c.text for c in suspect if "匚" in c.text]
    assert len(suspect) >= 1


def test_scan_is_unusable_and_read_with_ocr_only_when_allowed(pdfs: dict[str, Path]) -> None:
    assert _diagnose(pdfs["scan"]) == ("unusable", ["no text layer (scanned page)"])
    with fitz.open(pdfs["scan"]) as doc:
        content, health = read_checked(doc[0], ReadOptions(ocr="off"))
    assert health.read_with == "text_layer" and health.verdict == "unusable"
    assert content.chars == []


def test_clean_page_is_not_rendered(pdfs: dict[str, Path]) -> None:
    # auto on a clean digital page: the text layer alone, byte for byte what render.py reads
    with fitz.open(pdfs["digital"]) as doc:
        content, health = read_checked(doc[0], ReadOptions())
        plain = read_page(doc[0])
    assert health.read_with == "text_layer" and health.verdict == "ok"
    assert content.chars == plain.chars and content.readings == []


def test_bad_ocr_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="'auto', 'off' or 'always'"):
        ReadOptions(ocr="sometimes")  # type: ignore[arg-type]
