"""Deterministic extractor: table grids -> project candidates, by the table's own labels
(reader.py), the form recognised (forms.py), parsed into the schema (assemble.py)."""

from __future__ import annotations

import re

from pipeline.extract.assemble import assemble
from pipeline.extract.forms import recognise
from pipeline.extract.reader import Reader, table_rows
from pipeline.models import DocumentLayout, ExtractionResult, Table

_YEAR = re.compile(r"(20\d{2})\s*年")


def _title(layout: DocumentLayout) -> tuple[str, int | None]:
    """The report title: the first heading on the first pages, its wrapped lines joined."""
    first = [ln for ln in layout.lines if ln.page <= 2]
    start = next((i for i, ln in enumerate(first) if "自评" in ln.text or "绩效" in ln.text), None)
    if start is None and first:
        start = first.index(max(first[:5], key=lambda ln: ln.size))
    title = ""
    if start is not None:
        head = first[start]
        parts = [head.text]
        for ln in first[start + 1 : start + 3]:
            # a wrapped title line: same size, same page, right below
            gap = ln.bbox[1] - head.bbox[3]
            if ln.page == head.page and abs(ln.size - head.size) < 0.5 and gap < head.size:
                parts.append(ln.text)
                head = ln
            else:
                break
        title = "".join(parts)
    m = _YEAR.search(title)
    return title, int(m.group(1)) if m else None


def extract_layout(layout: DocumentLayout) -> ExtractionResult:
    """Read every project table of a document by its labels."""
    reader = Reader()
    for row in table_rows(layout):
        reader.feed(row)
    title, year = _title(layout)
    candidates = [assemble(raw, recognise(raw)) for raw in reader.done()]
    return ExtractionResult(title=title, year=year, candidates=candidates)


__all__ = ["Table", "extract_layout"]
