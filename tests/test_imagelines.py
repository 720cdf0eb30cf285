"""Ruling lines from page images: skew, deskew and the table grid of real generated scans."""

from __future__ import annotations

from pathlib import Path

import fitz
import numpy as np
import pytest
from PIL import Image

from jixiao_eval.pdfgen.write import _base_variant, write_report_pdf
from pipeline.imagelines import PageImage, binarize, estimate_skew, prepare, ruling_segments
from pipeline.layout import page_tables
from pipeline.models import PageContent, Table, TextLayer
from pipeline.render import read_page, render_gray
from schemas import TruthReport

DPI = 150
SEED = 5


@pytest.fixture(scope="module")
def one_project(seed_truth: TruthReport) -> TruthReport:
    return seed_truth.model_copy(update={"projects": seed_truth.projects[:1]})


@pytest.fixture(scope="module")
def pdfs(one_project: TruthReport, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The scan of one project, and the vector rendering it was made from (same layout)."""
    d = tmp_path_factory.mktemp("imagelines")
    base = _base_variant(SEED, "scan")
    return {
        "scan": write_report_pdf(one_project, "scan", d / "scan.pdf", seed=SEED),
        "vector": write_report_pdf(one_project, base, d / "vector.pdf", seed=SEED),
    }


def _image_tables(page: fitz.Page) -> tuple[PageImage, list[Table]]:
    img = prepare(render_gray(page, DPI), DPI, page.rect.width, page.rect.height)
    content = PageContent(
        page.number + 1, page.rect.width, page.rect.height, [], ruling_segments(img), TextLayer.none
    )
    return img, page_tables(content)[0]


def _shape(tables: list[Table]) -> list[tuple[int, int, int]]:
    return [(t.n_rows, t.n_cols, len(t.cells)) for t in tables]


def test_skew_of_a_turned_page_is_measured(pdfs: dict[str, Path]) -> None:
    with fitz.open(pdfs["vector"]) as doc:
        gray = render_gray(doc[0], DPI)
    assert abs(estimate_skew(binarize(gray, DPI), DPI)) < 0.02
    for angle in (1.5, -0.7):
        turned = np.asarray(Image.fromarray(gray).rotate(angle, fillcolor=255))
        # PIL turns counter-clockwise; the lines then fall to the left: a negative cv2 slope.
        assert estimate_skew(binarize(turned, DPI), DPI) == pytest.approx(-angle, abs=0.05)


def test_scan_grid_matches_the_vector_original(pdfs: dict[str, Path]) -> None:
    with fitz.open(pdfs["vector"]) as vec, fitz.open(pdfs["scan"]) as scan:
        assert vec.page_count == scan.page_count
        for vpage, spage in zip(vec, scan, strict=True):
            expected = page_tables(read_page(vpage))[0]
            img, got = _image_tables(spage)
            assert img.angle != 0.0  # every generated scan page is skewed
            assert _shape(got) == _shape(expected)
            # Cell boxes land within a point or two of the drawn ones (deskewed frame).
            for t_exp, t_got in zip(expected, got, strict=True):
                for c_exp, c_got in zip(t_exp.cells, t_got.cells, strict=True):
                    assert (c_exp.row, c_exp.col) == (c_got.row, c_got.col)
                    assert (
                        max(abs(a - b) for a, b in zip(c_exp.bbox, c_got.bbox, strict=True)) < 6.0
                    )


def test_a_strongly_rotated_scan_still_yields_the_grid(
    pdfs: dict[str, Path], tmp_path: Path
) -> None:
    with fitz.open(pdfs["vector"]) as vec:
        expected = page_tables(read_page(vec[0]))[0]
        gray = render_gray(vec[0], DPI)
        rect = vec[0].rect
    turned = Image.fromarray(gray).rotate(2.5, fillcolor=255)
    png = tmp_path / "turned.png"
    turned.save(png)
    doc = fitz.open()
    page = doc.new_page(width=rect.width, height=rect.height)
    page.insert_image(page.rect, filename=str(png))
    img, got = _image_tables(page)
    assert img.angle == pytest.approx(-2.5, abs=0.05)
    assert _shape(got) == _shape(expected)


def test_text_strokes_are_not_ruling_lines(pdfs: dict[str, Path]) -> None:
    # The title and the project list above the table hold long horizontal strokes (一, 二):
    # no segment may start above the table.
    with fitz.open(pdfs["scan"]) as doc:
        img, tables = _image_tables(doc[0])
        segs = ruling_segments(img)
    top = min(t.bbox[1] for t in tables)
    assert segs and all(min(s.y0, s.y1) >= top - 2 for s in segs)


FAMILIES = Path(__file__).resolve().parents[1] / "eval" / "families"


@pytest.mark.parametrize(
    ("name", "page_no"),
    [
        # the 满意度 row: the 一级|二级 line is drawn on the merged cells' first row only
        ("national_2020_02_dongliu_2023__writer.pdf", 1),
        # landscape; double outer border whose left side ends in the middle of merged cells
        ("sichuan_0013zp_01_pengxi_2023__writer.pdf", 0),
        ("shanghai_district_01_putuo_tiyu_2022__writer.pdf", 0),
    ],
)
def test_a_scanned_writer_page_has_the_grid_of_its_original(name: str, page_no: int) -> None:
    from jixiao_eval.families.scans import scan_pdf

    src = FAMILIES / name
    with fitz.open(src) as doc:
        want, _ = page_tables(read_page(doc[page_no]))
    with fitz.open(stream=scan_pdf(src, 11, [page_no])) as scan:
        _, got = _image_tables(scan[0])

    def spans(tables: list[Table]) -> list[list[tuple[int, int, int, int]]]:
        return [[(c.row, c.col, c.rowspan, c.colspan) for c in t.cells] for t in tables]

    assert _shape(got) == _shape(want)
    assert spans(got) == spans(want)


def test_a_mark_in_a_cell_is_ink_and_specks_are_not() -> None:
    from pipeline.imagelines import has_ink

    dpi = 200
    s = dpi / 72
    gray = np.full((int(100 * s), int(300 * s)), 238, np.uint8)
    rng = np.random.default_rng(3)
    gray = np.clip(gray + rng.normal(0, 6, gray.shape), 0, 255).astype(np.uint8)
    for x in (10, 110, 210, 290):  # three cells, 100 pt wide, 10..90 pt tall
        gray[int(10 * s) : int(90 * s), int(x * s) : int(x * s) + 2] = 30
    for y in (10, 90):
        gray[int(y * s) : int(y * s) + 2, int(10 * s) : int(290 * s)] = 30
    # a lone short stroke (the size of a "-" or a "≥"'s bar at 10 pt) in the first cell
    gray[int(50 * s) : int(50 * s) + 3, int(55 * s) : int(62 * s)] = 40
    # scattered single-pixel specks in the second; the third is blank paper
    ys, xs = (
        rng.integers(int(20 * s), int(80 * s), 12),
        rng.integers(int(120 * s), int(200 * s), 12),
    )
    gray[ys, xs] = 40
    img = prepare(gray, dpi, 300, 100, deskew=False)
    assert has_ink(img, (10, 10, 110, 90))
    assert not has_ink(img, (110, 10, 210, 90))
    assert not has_ink(img, (210, 10, 290, 90))
