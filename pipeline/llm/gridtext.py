"""A project's cells as a text grid for the LLM: row/column, spans, text, reading doubts.

Which cells: the project's own rows, carved out of the document's tables by reading order,
from the top of its 项目名称 cell to the bottom of its 评分等级 cell (by the layout reader's
provenance); pages in between are taken whole. A project sharing a page with its neighbours
(tables that follow each other) so gets only its own rows, and a project split by a page
break gets both parts. Without those anchors the project's pages are taken whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pipeline.models import BBox, Cell, DocumentLayout, ProjectCandidate, Table

# Points of slack around the anchors' boxes (cell borders are shared by neighbours).
_SLACK = 1.0


@dataclass
class TablePart:
    """The cells of one table that belong to the project."""

    table: Table
    cells: list[Cell]
    first_row: int

    @property
    def bbox(self) -> BBox:
        """Box around the cells, in PDF points."""
        return (
            min(c.bbox[0] for c in self.cells),
            min(c.bbox[1] for c in self.cells),
            max(c.bbox[2] for c in self.cells),
            max(c.bbox[3] for c in self.cells),
        )


@dataclass
class ProjectGrid:
    """The project's table parts in reading order, and their text serialisation."""

    parts: list[TablePart] = field(default_factory=list)

    def page_boxes(self) -> dict[int, BBox]:
        """Per page: the box around the project's cells there (for page crops)."""
        out: dict[int, BBox] = {}
        for part in self.parts:
            b = part.bbox
            page = part.table.page
            if page in out:
                o = out[page]
                b = (min(o[0], b[0]), min(o[1], b[1]), max(o[2], b[2]), max(o[3], b[3]))
            out[page] = b
        return out

    def text(self) -> str:
        """One line per non-empty cell: [r<row>,c<col>] text, spans as ranges; rows renumbered."""
        lines: list[str] = []
        for i, part in enumerate(self.parts, 1):
            t = part.table
            lines.append(f"# table {i} (page {t.page}, {t.n_cols} grid columns)")
            for c in sorted(part.cells, key=lambda c: (c.row, c.col)):
                if not c.text:
                    continue
                r = c.row - part.first_row
                rows = f"r{r}" if c.rowspan == 1 else f"r{r}-{r + c.rowspan - 1}"
                cols = f"c{c.col}" if c.colspan == 1 else f"c{c.col}-{c.col + c.colspan - 1}"
                doubt = " [may be misread: " + "; ".join(c.doubtful) + "]" if c.doubtful else ""
                lines.append(f"[{rows},{cols}] {c.text}{doubt}")
        return "\n".join(lines)


def _position(page: int, y: float) -> tuple[int, float]:
    return (page, y)


def project_grid(layout: DocumentLayout, candidate: ProjectCandidate) -> ProjectGrid:
    """The cells of the tables on the candidate's pages that lie within the project's rows."""
    pages = set(candidate.pages)
    start_src = candidate.provenance.get("name")
    end_src = next(
        (
            candidate.provenance[p]
            for p in ("grade", "total_score", "total_weight")
            if p in candidate.provenance
        ),
        None,
    )
    first = min(pages, default=0)
    last = max(pages, default=0)
    start = (
        _position(start_src.page, start_src.bbox[1] - _SLACK)
        if start_src
        else _position(first, float("-inf"))
    )
    end = (
        _position(end_src.page, end_src.bbox[3] + _SLACK)
        if end_src
        else _position(last, float("inf"))
    )
    grid = ProjectGrid()
    for table in layout.tables:
        if table.page not in pages:
            continue
        cells = [
            c
            for c in table.cells
            if start <= _position(c.page, (c.bbox[1] + c.bbox[3]) / 2) <= end
            # a merged label cell spanning the project's first rows starts above its centre
            or (start <= _position(c.page, c.bbox[1] + _SLACK * 2) <= end)
        ]
        if cells:
            grid.parts.append(TablePart(table, cells, min(c.row for c in cells)))
    return grid


def data_nonce(text: str) -> str:
    """A delimiter tag derived from the data itself: the PDF's author cannot forge it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
