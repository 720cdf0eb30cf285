"""What the reader found for one project, still as cells: the hand-off to assemble.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.models import Cell


@dataclass
class RawProject:
    """The cells of one project by field path, and what the reader saw of the form."""

    first_page: int
    pages: set[int] = field(default_factory=set)
    cells: dict[str, list[Cell]] = field(default_factory=dict)
    indicators: list[dict[str, list[Cell]]] = field(default_factory=list)
    # per level key: groups of (cells of the merged cell, indicator rows it covers)
    level_rows: dict[str, list[tuple[list[Cell], list[int]]]] = field(
        default_factory=lambda: {"level1": [], "level2": []}
    )
    split_rows: list[int] = field(default_factory=list)
    # (indicator row, level key): a level taken from the group above past a name cell that
    # spans the level's column (Reader._name_spans_levels)
    level_doubts: set[tuple[int, str]] = field(default_factory=set)
    # indicator rows whose 一级 and 二级 are one OCR'd cell (reader._levels_share_ocr_cell)
    shared_levels: set[int] = field(default_factory=set)
    unit_cells: list[Cell] = field(default_factory=list)
    untrusted_layer: bool = False
    joined: set[str] = field(default_factory=set)
    # what the form prints: funds rows and their label text, funds and indicator columns
    funds_rows: dict[str, str] = field(default_factory=dict)
    funds_heads: dict[str, Cell] = field(default_factory=dict)
    indicator_cols: set[str] = field(default_factory=set)
    total_row: bool = False
    # the form printed the goals' column labels (年初设定目标 | 年度目标完成情况)
    goal_heads: bool = False
    placeholder_rows: int = 0
    # a grade word in a row no label explains (see Reader._unplaced)
    unplaced_grade: list[Cell] = field(default_factory=list)

    def put(self, path: str, cells: list[Cell], allow_empty: bool = False) -> None:
        """Record the cells of a field (an empty list: the field's cell is printed blank)."""
        if cells or allow_empty:
            self.cells[path] = cells

    def append(self, path: str, cell: Cell) -> None:
        """Add a cell to a field that continues (a goal text over several rows or pages)."""
        self.cells.setdefault(path, []).append(cell)
        if len({c.page for c in self.cells[path]}) > 1:
            self.joined.add(path)
