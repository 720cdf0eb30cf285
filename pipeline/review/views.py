"""What the project page shows: field cards, findings, page images with boxes, the value grids."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.confidence import ACCEPT
from pipeline.review import fields as F
from pipeline.review.pages import box_percent, page_size
from pipeline.review.store import Event
from pipeline.review.workspace import Candidate, ProjectState
from schemas.paths import FUNDS_LINES, LINE_LABELS


@dataclass(frozen=True)
class Card:
    """One field to decide: its readings side by side, confidence, decision so far."""

    path: str
    label: str
    numeric: bool
    confidence: float
    current: str
    original: str
    printed: str | None
    page: int | None
    candidates: list[Candidate]
    decision: Event | None
    doubtful: bool


@dataclass(frozen=True)
class FindingView:
    """A checker or reading finding, with the labels of its fields."""

    index: int
    rule: str
    severity: str
    message: str
    equation: str
    fields: list[str]
    labels: list[str]


@dataclass(frozen=True)
class Box:
    """A field's cell on a page image, in percent of the page."""

    path: str
    label: str
    text: str
    left: float
    top: float
    width: float
    height: float
    classes: str


@dataclass
class PageView:
    """One page image of the project, with its boxes."""

    number: int
    boxes: list[Box] = field(default_factory=list)
    width: float = 595.0  # points, as displayed; the image box keeps this ratio while loading
    height: float = 842.0


@dataclass(frozen=True)
class Cell:
    """One value in the field grids, linking to its card."""

    path: str
    text: str
    classes: str


def cell_classes(state: ProjectState, path: str, focus: str | None, hits: set[str]) -> str:
    """CSS classes of a field wherever it shows: low, done, changed, hit, focus."""
    classes = []
    if path in state.decisions:
        classes.append("done")
        if not F.same(state.value(path), state.original_value(path)):
            classes.append("changed")
    elif path in state.doubtful or state.confidence(path) < ACCEPT:
        classes.append("low")
    if path in hits:
        classes.append("hit")
    if path == focus:
        classes.append("focus")
    return " ".join(classes)


def cards(state: ProjectState, focus: str | None) -> list[Card]:
    """Cards for the doubtful fields, the fields a reviewer decided, and the focused field."""
    paths = sorted(set(state.doubtful) | set(state.decisions), key=F.order_key)
    if focus and focus not in paths:
        paths.insert(0, focus)
    out = []
    for path in paths:
        src = state.original.provenance.get(path)
        out.append(
            Card(
                path=path,
                label=F.label(path),
                numeric=F.is_numeric(path),
                confidence=state.original.field_confidence.get(path, 1.0),
                current=state.text(path),
                original=F.display(path, state.original_value(path), src.text if src else None),
                printed=src.text if src else None,
                page=src.page if src else None,
                candidates=state.candidates(path),
                decision=state.decisions.get(path),
                doubtful=path in state.doubtful,
            )
        )
    return out


def findings(state: ProjectState) -> list[FindingView]:
    """Errors first, then warnings, each with its index for the ?finding= link."""
    views = [
        FindingView(
            i,
            f.rule,
            f.severity.value,
            f.message,
            f.equation,
            f.fields,
            [F.label(p) for p in f.fields],
        )
        for i, f in enumerate(state.findings)
    ]
    return sorted(views, key=lambda v: (v.severity != "error", v.index))


def pages(
    state: ProjectState, pdf: Path | None, focus: str | None, hits: set[str]
) -> list[PageView]:
    """The project's pages with a box for every field read from them."""
    prov = state.original.provenance
    numbers = sorted(set(state.original.pages) | {src.page for src in prov.values()})
    views = {n: PageView(n) for n in numbers}
    if pdf is None:
        return list(views.values())
    sizes = {n: page_size(pdf, n) for n in numbers}
    for n, size in sizes.items():
        views[n].width, views[n].height = round(size.width, 1), round(size.height, 1)
    for path in sorted(prov, key=F.order_key):
        src = prov[path]
        left, top, width, height = box_percent(src.bbox, sizes[src.page])
        views[src.page].boxes.append(
            Box(
                path=path,
                label=F.label(path),
                text=state.text(path),
                left=left,
                top=top,
                width=width,
                height=height,
                classes=cell_classes(state, path, focus, hits),
            )
        )
    return list(views.values())


def funds_rows(
    state: ProjectState, focus: str | None, hits: set[str]
) -> list[tuple[str, list[Cell]]]:
    """The funds block, one row per line."""
    rows = []
    for line in FUNDS_LINES:
        cells = []
        for column in F.FUNDS_COLUMNS:
            path = f"funds.{line}.{column}"
            cells.append(Cell(path, state.text(path), cell_classes(state, path, focus, hits)))
        rows.append((LINE_LABELS[line], cells))
    return rows


def indicator_rows(state: ProjectState, focus: str | None, hits: set[str]) -> list[list[Cell]]:
    """The indicator table, one row of cells per indicator."""
    keys = ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation_reason")
    rows = []
    for i in range(len(state.project.indicators)):
        rows.append(
            [
                Cell(p, state.text(p), cell_classes(state, p, focus, hits))
                for p in (f"indicators[{i}].{k}" for k in keys)
            ]
        )
    return rows


def simple_cells(
    state: ProjectState, paths: list[str], focus: str | None, hits: set[str]
) -> list[tuple[str, Cell]]:
    """(label, cell) of single fields such as the name or the totals."""
    return [
        (F.label(p), Cell(p, state.text(p), cell_classes(state, p, focus, hits))) for p in paths
    ]
