"""Typed objects that flow between the stages: render -> layout -> extract -> check -> reconcile.

Characters and ruling segments are slotted dataclasses rather than pydantic models: a page holds
thousands of them and validating each would cost more than reading the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas import CandidateValue, FieldSource, Finding, Project, ReadWith, Source, TextLayer

__all__ = [
    "BBox",
    "Cell",
    "Char",
    "DocumentLayout",
    "ExtractionResult",
    "PageContent",
    "ProjectCandidate",
    "ReadWith",
    "Reading",
    "Segment",
    "Table",
    "TextLayer",
    "TextLine",
]

BBox = tuple[float, float, float, float]


@dataclass(slots=True, frozen=True)
class Char:
    """One glyph of the text layer, with its box in PDF points (y grows downwards)."""

    c: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool = False
    # How sure the reader is of this glyph: 1.0 for a digital text layer, the arbitrated
    # confidence of its cell when it came from OCR or from a hidden layer checked by OCR.
    score: float = 1.0
    # PyMuPDF's own line this glyph sits in (one number per block/line of the page, in
    # PyMuPDF's order); -1 where no text layer grouped it (OCR).
    line: int = -1
    # y of the glyph's origin: the baseline it was drawn on. Boxes come from font metrics and
    # CJK punctuation boxes sit low or high in some fonts; the baseline does not move. None
    # where unknown (OCR).
    baseline: float | None = None


@dataclass(slots=True, frozen=True)
class Segment:
    """A drawn ruling line, horizontal (y0 == y1) or vertical (x0 == x1)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return abs(self.y1 - self.y0) <= abs(self.x1 - self.x0)


@dataclass(slots=True, frozen=True)
class Reading:
    """One source's reading of one region (a cell), kept for arbitration and the review view."""

    source: Literal[Source.text_layer, Source.ocr]
    text: str
    confidence: float
    bbox: BBox
    chosen: bool = False  # the reading the cell's text was taken from


@dataclass(slots=True)
class PageContent:
    """What render.py reads off one page."""

    number: int  # 1-based
    width: float
    height: float
    chars: list[Char]
    segments: list[Segment]
    text_layer: TextLayer
    image_coverage: float = 0.0  # share of the page area covered by images
    image_boxes: list[BBox] = field(default_factory=list)  # where the images are drawn
    read_with: ReadWith = ReadWith.text_layer  # pipeline/read.py decides
    readings: list[Reading] = field(default_factory=list)  # per-cell readings where sources differ
    warnings: list[str] = field(default_factory=list)  # MuPDF's complaints while parsing the page
    # clockwise quarter turns the scan was given to read it upright (pipeline/orientation.py):
    # boxes are in the turned frame
    turned: int = 0


@dataclass(slots=True)
class Cell:
    """A table cell after merging: grid position, spans, box, text and reading flags."""

    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: BBox
    text: str
    page: int
    doubtful: list[str] = field(default_factory=list)  # why the text may be misread
    confidence: float = 1.0  # lowest Char.score of its text (1.0 for a digital layer)
    read_with: ReadWith = ReadWith.text_layer  # the page's PageContent.read_with
    readings: list[Reading] = field(default_factory=list)  # other sources' readings of the cell
    # A second, independent reading of the text: PyMuPDF's own lines in PyMuPDF's order (see
    # layout.pymupdf_text); None where the cell has no text layer of its own (OCR) or holds a
    # printed number (or a dash, or nothing), which the checker's arithmetic tests instead.
    alt_text: str | None = None

    @property
    def xc(self) -> float:
        return (self.bbox[0] + self.bbox[2]) / 2


@dataclass(slots=True)
class Table:
    """A ruled table on one page, rebuilt from its ruling lines."""

    page: int
    bbox: BBox
    n_rows: int
    n_cols: int
    cells: list[Cell]
    text_layer: TextLayer

    def rows(self) -> list[list[tuple[Cell, bool]]]:
        """Cells touching each grid row, left to right; the flag is True where the cell starts there."""
        out: list[list[tuple[Cell, bool]]] = [[] for _ in range(self.n_rows)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                out[r].append((cell, r == cell.row))
        for row in out:
            row.sort(key=lambda item: item[0].bbox[0])
        return out


@dataclass(slots=True)
class TextLine:
    """A line of text outside any table (titles, headings)."""

    page: int
    text: str
    bbox: BBox
    size: float


@dataclass(slots=True)
class DocumentLayout:
    """Every table and free text line of a document, in page order."""

    pages: int
    tables: list[Table]
    lines: list[TextLine]
    text_layers: dict[int, TextLayer]


class ProjectCandidate(BaseModel):
    """One extractor's reading of one project, with where each value came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    project: Project
    printed: dict[str, str] = Field(default_factory=dict, description="Field path -> text read.")
    provenance: dict[str, FieldSource] = Field(default_factory=dict)
    field_confidence: dict[str, float] = Field(default_factory=dict)
    reading_findings: list[Finding] = Field(default_factory=list)
    pages: list[int] = Field(default_factory=list)
    extractor: Literal["layout", "llm", "layout+llm"] = "layout"
    candidates: dict[str, list[CandidateValue]] = Field(
        default_factory=dict,
        description="Field path -> each source's reading, where text layer and OCR disagree.",
    )


class ExtractionResult(BaseModel):
    """An extractor's reading of a whole document."""

    title: str = ""
    year: int | None = None
    candidates: list[ProjectCandidate] = Field(default_factory=list)
