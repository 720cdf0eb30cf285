"""OCR text follows the printed convention of the same document: no inserted spaces."""

from __future__ import annotations

from pathlib import Path

import fitz

from pipeline.run import process_file
from schemas import ReadWith


def test_ocr_cells_print_like_the_digital_pages(seed_pdfs: dict[str, Path], tmp_path: Path) -> None:
    # page 1 digital, page 2 the same report's scan of project 2: one document, both kinds
    doc = fitz.open(seed_pdfs["digital"])
    doc.select([0])
    scan = fitz.open(seed_pdfs["scan"])
    doc.insert_pdf(scan, from_page=1, to_page=1)
    mixed = tmp_path / "mixed.pdf"
    doc.save(mixed)
    res = process_file(mixed)
    assert [h.read_with for h in res.page_health] == [ReadWith.text_layer, ReadWith.ocr]
    digital, scanned = res.projects[0], res.projects[1]
    assert any(i.target.startswith("≥") for i in scanned.indicators)
    assert all(" " not in i.target for i in digital.indicators)  # the document's convention
    spaced = [v for i in scanned.indicators for v in (i.target, i.actual, i.name) if " " in v]
    assert spaced == []  # on main: '≥ 1.00(期/周)' and friends
