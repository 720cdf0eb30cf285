"""Deterministic extractor: table grids -> project candidates, by the table's own labels
(reader.py), the form recognised (forms.py), parsed into the schema (assemble.py)."""

from __future__ import annotations

import re

from pipeline.extract.assemble import assemble
from pipeline.extract.forms import recognise
from pipeline.extract.reader import Reader, table_rows
from pipeline.models import DocumentLayout, ExtractionResult, Table, TextLine

_YEAR = re.compile(r"(20\d{2})\s*年")


def _title(layout: DocumentLayout) -> tuple[str, int | None]:
    """The report title: the first heading on the first pages, with the lines drawn with it.

    A title is often set over two lines in different sizes, the department and year above
    the form's name (`XX部门2024年度项目` / `支出绩效自评表`): the lines right above and below
    the heading, centred on it and of a comparable size, are part of it.
    """
    first = [ln for ln in layout.lines if ln.page <= 2]
    start = next((i for i, ln in enumerate(first) if "自评" in ln.text or "绩效" in ln.text), None)
    if start is None and first:
        start = first.index(max(first[:5], key=lambda ln: ln.size))
    title = ""
    if start is not None:
        lo = hi = start
        while lo > 0 and _one_title(first[lo - 1], first[lo]):
            lo -= 1
        while hi + 1 < len(first) and hi < start + 2 and _one_title(first[hi], first[hi + 1]):
            hi += 1
        title = "".join(ln.text for ln in first[lo : hi + 1])
    m = _YEAR.search(title)
    return title, int(m.group(1)) if m else None


def _one_title(upper: TextLine, lower: TextLine) -> bool:
    """Whether two consecutive free lines are one title: same page, right below each other,
    sizes within a factor 0.6, and centred on each other (a left-set `附件2` is not)."""
    big = max(upper.size, lower.size)
    gap = lower.bbox[1] - upper.bbox[3]
    if upper.page != lower.page or not -0.2 * big < gap < 0.8 * big:
        return False
    if min(upper.size, lower.size) < 0.6 * big:
        return False
    uc, lc = (upper.bbox[0] + upper.bbox[2]) / 2, (lower.bbox[0] + lower.bbox[2]) / 2
    return lower.bbox[0] <= uc <= lower.bbox[2] and upper.bbox[0] <= lc <= upper.bbox[2]


def extract_layout(layout: DocumentLayout) -> ExtractionResult:
    """Read every project table of a document by its labels."""
    reader = Reader()
    for row in table_rows(layout):
        reader.feed(row)
    title, year = _title(layout)
    candidates = [assemble(raw, recognise(raw)) for raw in reader.done()]
    return ExtractionResult(title=title, year=year, candidates=candidates)


__all__ = ["Table", "extract_layout"]
