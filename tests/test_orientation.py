"""Scans turned a quarter or a half turn (in their pixels, or by /Rotate) are read upright.

The scans are made here from a committed LibreOffice page: rendered, turned with numpy, and
written as image-only PDFs, so each turned copy holds exactly the upright page's pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
import pytest

from pipeline.layout import page_tables
from pipeline.options import ReadOptions
from pipeline.read import read_checked
from pipeline.render import open_pdf

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
