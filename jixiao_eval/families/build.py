"""Build the families set: truth JSON, .xlsx / .docx sources, LibreOffice PDFs, index.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pymupdf

from jixiao_eval.families.calc import write_xlsx
from jixiao_eval.families.common import Built
from jixiao_eval.families.convert import to_pdf
from jixiao_eval.families.grid import Document
from jixiao_eval.families.word import write_docx
from pipeline.output import write_atomic

PRODUCERS: dict[str, tuple[str, Callable[[Document, Path], None]]] = {
    "calc": ("xlsx", write_xlsx),
    "writer": ("docx", write_docx),
}


def all_documents() -> list[Built]:
    """Every families document, in a fixed order."""
    from jixiao_eval.families import hebei, national, negative, shanghai, sichuan

    out: list[Built] = []
    for module in (national, sichuan, shanghai, hebei, negative):
        out += module.documents()
    return out


def truth_json(built: Built) -> str:
    """The truth file's text: stable key order, CJK as is."""
    data = built.truth.model_dump(by_alias=True)
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def missing_cells(built: Built, pdf: Path) -> list[str]:
    """Short printed cell texts that do not appear in the PDF's text (a producer misprint)."""
    with pymupdf.open(pdf) as doc:
        text = "".join(page.get_text() for page in doc)
    flat = "".join(text.split())
    wanted = {
        "".join(cell.text.split())
        for table in built.grid.tables
        for row in table.rows
        for cell in row.cells
        if 0 < len(cell.text) <= 12 and not cell.vertical
    }
    return sorted(t for t in wanted if t not in flat)


def build(out: Path, only: str | None = None) -> list[dict[str, object]]:
    """Write every document (or those whose id starts with `only`) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, object]] = []
    for built in all_documents():
        if only and not built.doc_id.startswith(only):
            continue
        write_atomic(out / f"{built.doc_id}.truth.json", truth_json(built))
        for producer, (ext, write) in PRODUCERS.items():
            source = out / f"{built.doc_id}__{producer}.{ext}"
            write(built.grid, source)
            pdf = out / f"{built.doc_id}__{producer}.pdf"
            to_pdf(source, pdf)
            with pymupdf.open(pdf) as doc:
                pages = doc.page_count
            lost = missing_cells(built, pdf)
            if lost:
                print(f"warning: {pdf.name}: cells not found in the PDF text: {lost[:8]}")
            rows.append(
                {
                    "id": built.doc_id,
                    "producer": producer,
                    "pdf": pdf.name,
                    "pages": pages,
                    "projects": len(built.truth.projects),
                    "form": built.truth.projects[0].form if built.truth.projects else "none",
                    "edge_cases": built.edge_cases,
                }
            )
            print(f"{pdf.name}: {pages} pages, {pdf.stat().st_size // 1024} KB")
    return rows
