"""Pages whose tables are pictures: scans turned a quarter or a half turn (in their pixels, or
by /Rotate) are read upright; tables pasted as images into a digital page are read by OCR.

The PDFs are made here from a committed LibreOffice document: rendered, turned with numpy, and
written as image-only (or image + text) PDFs, so each holds exactly the original's pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
import pytest

from jixiao_eval.pdfgen.write import write_report_pdf
from jixiao_eval.scoring.metrics import score_document
from pipeline import orientation
from pipeline.imagelines import PageImage
from pipeline.layout import page_tables
from pipeline.models import BBox
from pipeline.ocr import OcrLine, read_regions
from pipeline.options import ReadOptions
from pipeline.read import read_checked
from pipeline.render import open_pdf, render_gray
from pipeline.run import process_file
from schemas.output import Status
from schemas.report import TruthReport

SOURCE = (
    Path(__file__).resolve().parents[1]
    / "eval"
    / "families"
    / "hebei_langfang_01_shipin_2021__calc.pdf"
)
DPI = 200


def _scan(out: Path, pixel_turns: int, rotate: int = 0) -> Path:
    """Page 1 of SOURCE as an image-only PDF, its pixels turned clockwise, /Rotate set."""
    with pymupdf.open(SOURCE) as src:
        pix = src[0].get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY)
    a = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.stride)[:, : pix.width]
    a = np.ascontiguousarray(np.rot90(a, -pixel_turns))
    h, w = a.shape
    doc = pymupdf.open()
    page = doc.new_page(width=w * 72 / DPI, height=h * 72 / DPI)
    page.insert_image(page.rect, pixmap=pymupdf.Pixmap(pymupdf.csGRAY, w, h, a.tobytes(), False))
    if rotate:
        page.set_rotation(rotate)
    doc.save(out)
    return out


def _cells(path: Path) -> tuple[list[str], list[str]]:
    with open_pdf(path) as doc:
        content, health = read_checked(doc[0], ReadOptions(dpi=DPI))
    return [c.text for t in page_tables(content)[0] for c in t.cells], health.problems


@pytest.fixture(scope="module")
def upright(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    texts, problems = _cells(_scan(tmp_path_factory.mktemp("scan") / "upright.pdf", 0))
    assert "项目名称" in texts and "廊坊市发改委" in texts
    assert not any("turned" in p for p in problems)
    return texts


@pytest.mark.parametrize(
    ("pixel_turns", "rotate", "read_after"),
    [(2, 0, 180), (1, 0, 270), (0, 90, 270), (3, 0, 90)],
    ids=["pixels-180", "pixels-90", "rotate-attr-90", "pixels-270"],
)
def test_a_turned_scan_reads_as_the_upright_one(
    upright: list[str], tmp_path: Path, pixel_turns: int, rotate: int, read_after: int
) -> None:
    texts, problems = _cells(_scan(tmp_path / "turned.pdf", pixel_turns, rotate))
    assert texts == upright
    assert f"scanned turned: read after {read_after}° clockwise" in problems


def _pasted(out: Path) -> Path:
    """SOURCE with each page's table pasted as a picture under a digital title and page number."""
    src = pymupdf.open(SOURCE)
    doc = pymupdf.open()
    for page in src:
        r = page.rect
        words = page.get_text("words")
        top = min(w[1] for w in words if "项目名称" in w[4]) - 8 if page.number == 0 else 30
        clip = pymupdf.Rect(0, top, r.width, r.height - 40)
        new = doc.new_page(width=r.width, height=r.height)
        if page.number == 0:
            new.insert_text(
                (r.width / 2 - 70, 60), "项目支出绩效自评表", fontname="china-s", fontsize=16
            )
        new.insert_image(clip, pixmap=page.get_pixmap(dpi=DPI, clip=clip))
        new.insert_text((r.width / 2 - 8, r.height - 20), f"-{page.number + 1}-", fontsize=9)
    doc.save(out)
    return out


def test_tables_pasted_as_images_into_a_digital_page_are_read(tmp_path: Path) -> None:
    doc = process_file(_pasted(tmp_path / "pasted.pdf"))
    truth = TruthReport.model_validate_json(
        SOURCE.with_name("hebei_langfang_01_shipin_2021.truth.json").read_text("utf-8")
    )
    case = score_document(truth, doc)
    assert [p.truth_name for p in case.projects] == [p.name for p in truth.projects]
    # OCR'd, every field is read right or its project is flagged; never accepted wrong
    for p in case.projects:
        assert p.wrong == [] or p.status != Status.accepted.value, p.wrong
    # the second project's pages read whole; on the first, PP-OCRv6 can drop the 三 of the
    # 三级指标 header (flagged as a dropped glyph), which costs the indicator table's roles
    assert case.projects[1].correct == case.projects[1].fields
    assert all("a table pasted as an image: read by OCR" in h.problems for h in doc.page_health)


def test_the_upright_probe_reads_a_few_whole_lines(seed_truth: TruthReport, tmp_path: Path) -> None:
    """Which way up a page is, from a handful of lines read each alone (not with slivers of
    the lines around it, which read as garbage and made upright pages look doubtful), long
    ones cut to a few words: on every page of an upright scan, one sure read; upside down,
    turned back."""
    pdf = write_report_pdf(seed_truth, "scan", tmp_path / "scan.pdf", seed=11)
    reads: list[list[list[OcrLine]]] = []

    def reader(img: PageImage, boxes: list[BBox]) -> list[list[OcrLine]]:
        reads.append(read_regions(img, boxes, second=None))
        return reads[-1]

    texts: list[str] = []
    probed = 0
    with pymupdf.open(pdf) as doc:
        assert doc.page_count > 10
        for page in doc:
            reads.clear()
            gray = render_gray(page, DPI)
            way = orientation.upright(gray, DPI, reader)
            assert way.turns == 0
            if not reads:  # no line to judge by (a page of a few numbers)
                continue
            assert len(reads) == 1, way.why  # sure the first way: the other is not read
            assert len(reads[0]) <= 4
            texts += [line.text for lines in reads[0] for line in lines]
            probed += 1
            assert orientation.upright(np.rot90(gray, 2).copy(), DPI, reader).turns == 2
        assert probed >= doc.page_count - 1
    # a narrative line (a goal's 30 characters and more) is read a few words long
    assert max(len(t) for t in texts) <= 20, texts


@pytest.mark.parametrize("page", [0, 1])
def test_an_upside_down_page_that_reads_almost_surely_is_still_turned(page: int) -> None:
    """Upside down, these Sichuan Writer pages' probe lines read 0.90-0.92 on average (short
    glyph runs the recogniser reads as something): not sure enough to skip the other way,
    which reads 1.0."""
    source = SOURCE.with_name("sichuan_0013zp_01_pengxi_2023__writer.pdf")
    with pymupdf.open(source) as doc:
        gray = render_gray(doc[page], DPI)

    def reader(img: PageImage, boxes: list[BBox]) -> list[list[OcrLine]]:
        return read_regions(img, boxes, second=None)

    assert orientation.upright(gray, DPI, reader).turns == 0
    assert orientation.upright(np.rot90(gray, 2).copy(), DPI, reader).turns == 2
