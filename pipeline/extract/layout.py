"""Deterministic extractor: table grids -> project candidates, by the table's own labels."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract import labels as L
from pipeline.extract.assemble import RawProject, assemble
from pipeline.models import Cell, DocumentLayout, ExtractionResult, Table, TextLayer, TextLine
from schemas.paths import INDICATOR_COLUMNS

_YEAR = re.compile(r"(20\d{2})\s*年")


@dataclass
class _Row:
    cells: list[tuple[Cell, bool]]
    page: int
    continues_table: bool  # first row of a table on a later page than the previous row
    layer: TextLayer


def _rows(layout: DocumentLayout) -> list[_Row]:
    out: list[_Row] = []
    last_page = 0
    for table in layout.tables:
        for i, row in enumerate(table.rows()):
            if not row:
                continue
            out.append(_Row(row, table.page, i == 0 and table.page > last_page, table.text_layer))
        last_page = table.page if table.cells else last_page
    return out


def _covering(row: _Row, x: float) -> tuple[Cell, bool] | None:
    for cell, start in row.cells:
        if cell.bbox[0] - 0.5 <= x <= cell.bbox[2] + 0.5:
            return cell, start
    return None


def _has_number(got: dict[str, tuple[Cell, bool]], key: str) -> bool:
    hit = got.get(key)
    return hit is not None and hit[1] and bool(hit[0].text)


def _joined(cells: list[Cell]) -> str:
    return "".join(c.text for c in cells)


def _right_of(row: _Row, cell: Cell) -> list[Cell]:
    return [c for c, start in row.cells if start and c.bbox[0] >= cell.bbox[2] - 0.5]


class _Reader:
    def __init__(self) -> None:
        self.projects: list[RawProject] = []
        self.cur: RawProject | None = None
        self.section = ""
        self.funds_x: dict[str, float] = {}
        self.goal_x: dict[str, tuple[float, float]] = {}
        self.ind_x: dict[str, float] = {}
        self.funds_line = ""

    # -- rows ---------------------------------------------------------------------------
    def feed(self, row: _Row) -> None:
        starts = [c for c, s in row.cells if s]
        kinds = {id(c): L.single_label(c.text) for c in starts}
        if "project_name" in kinds.values():
            name_cell = next(c for c in starts if kinds[id(c)] == "project_name")
            self._start(row, name_cell)
            return
        if self.cur is None:
            return
        self.cur.pages.add(row.page)
        if row.layer is not TextLayer.digital:
            self.cur.untrusted_layer = True
        if self._header_row(row, starts, kinds) or self._section_head(starts):
            return
        total = next((c for c in starts if kinds[id(c)] == "total"), None)
        if total is not None:
            self._total(row, total)
            return
        grade = next((c for c in starts if kinds[id(c)] == "grade"), None)
        if grade is not None:
            vals = [v for v in _right_of(row, grade) if v.text]
            self.cur.put("grade", vals, allow_empty=True)
            self.section = "tail"
            return
        line_key = next((L.funds_line(c.text) for c in starts if L.funds_line(c.text)), None)
        if line_key is not None or self.section == "funds":
            self._funds_row(row, line_key)
        elif self.section == "goals":
            self._goal_row(row, starts)
        elif self.section == "indicators":
            if row.continues_table and not self.cur.indicators and not self._has_numbers(row):
                return  # the rest of the indicator header, split by the page break
            self._indicator_row(row)

    def _header_row(self, row: _Row, starts: list[Cell], kinds: dict[int, str | None]) -> bool:
        """主管部门 / 实施单位 values and the 项目资金 label; True if the row is a header row."""
        assert self.cur is not None
        for c in starts:
            kind = kinds[id(c)]
            if kind in ("department", "unit"):
                vals = [v for v in _right_of(row, c) if L.single_label(v.text) is None]
                if vals:
                    self.cur.put(
                        "department" if kind == "department" else "implementing_unit", [vals[0]]
                    )
            elif kind == "funds_label":
                self.cur.unit_cells = [c]
        return any(kinds[id(c)] in ("department", "unit") for c in starts)

    def _section_head(self, starts: list[Cell]) -> bool:
        """A funds, goals or indicator header row: remember its columns; True if it was one."""
        heads = {k: c for c in starts if (k := L.funds_head(c.text))}
        if len(heads) >= 3 and "annual_budget" in heads:
            self.funds_x = {k: c.xc for k, c in heads.items()}
            self.section = "funds"
            return True
        goals = {k: c for c in starts if (k := L.goal_head(c.text))}
        if len(goals) == 2:
            self.goal_x = {k: (c.bbox[0], c.bbox[2]) for k, c in goals.items()}
            self.section = "goals"
            return True
        ind = {k: c for c in starts if (k := L.indicator_head(c.text))}
        if len(ind) >= 5 and "name" in ind:
            self.ind_x = {k: c.xc for k, c in ind.items()}
            self.section = "indicators"
            return True
        return False

    def _has_numbers(self, row: _Row) -> bool:
        got = (
            {k: h for k in ("weight", "score") if (h := _covering(row, self.ind_x[k])) is not None}
            if {"weight", "score"} <= self.ind_x.keys()
            else {}
        )
        return _has_number(got, "weight") or _has_number(got, "score")

    def _funds_row(self, row: _Row, line_key: str | None) -> None:
        assert self.cur is not None
        if row.continues_table and self.cur.unit_cells:
            # the 项目资金(万元) label split by the page break: "(万元)" lands on this page
            hit = _covering(row, self.cur.unit_cells[0].xc)
            if hit is not None and hit[1] and hit[0].text:
                self.cur.unit_cells.append(hit[0])
        if line_key is None and row.continues_table:
            line_key = self.funds_line or None  # the rest of a funds row split by the page break
        if line_key is None or not self.funds_x:
            return
        self.funds_line = line_key
        for col, x in self.funds_x.items():
            hit = _covering(row, x)
            path = f"funds.{line_key}.{col}"
            if hit is None or not hit[0].text or L.funds_line(hit[0].text) is not None:
                continue
            if path not in self.cur.cells:
                self.cur.put(path, [hit[0]])

    def _start(self, row: _Row, name_cell: Cell) -> None:
        self._finish()
        self.cur = RawProject(first_page=row.page)
        self.cur.pages.add(row.page)
        vals = [c for c in _right_of(row, name_cell) if c.text]
        self.cur.put("name", vals)
        self.section = "header"

    def _goal_row(self, row: _Row, starts: list[Cell]) -> None:
        assert self.cur is not None
        for c in starts:
            if L.single_label(c.text) == "goal_label" or not c.text:
                continue
            best, overlap = None, 0.0
            for key, (x0, x1) in self.goal_x.items():
                ov = min(x1, c.bbox[2]) - max(x0, c.bbox[0])
                if ov > overlap:
                    best, overlap = key, ov
            if best:
                self.cur.append(best, c)

    def _indicator_row(self, row: _Row) -> None:
        assert self.cur is not None
        got: dict[str, tuple[Cell, bool]] = {}
        for key, x in self.ind_x.items():
            hit = _covering(row, x)
            if hit is not None:
                got[key] = hit
        if not row.continues_table and not any(c.text for c, start in got.values() if start):
            return  # an empty grid row, or only merged cells passing through
        prev = self.cur.indicators[-1] if self.cur.indicators else None
        if row.continues_table and prev is not None:
            # Word splits a tall row over the page break: the numbers sit in one part only.
            here = _has_number(got, "weight") or _has_number(got, "score")
            before = any(c.text for k in ("weight", "score") for c in prev.get(k, []))
            if not here or not before:
                self._merge_split_row(prev, got)
                return
        index = len(self.cur.indicators)
        ind: dict[str, list[Cell]] = {}
        for key in INDICATOR_COLUMNS:
            hit = got.get(key)
            if key in ("level1", "level2"):
                self._level(key, hit, row.continues_table, index)
            elif hit is not None and hit[1]:
                ind[key] = [hit[0]]
        self.cur.indicators.append(ind)

    def _level(self, key: str, hit: tuple[Cell, bool] | None, page_break: bool, index: int) -> None:
        """Track merged 一级/二级 cells; a merged cell split by a page break stays one group."""
        assert self.cur is not None
        groups = self.cur.level_rows[key]
        last = groups[-1] if groups else None
        if last is not None and (
            hit is None
            or any(c is hit[0] for c in last[0])
            or (page_break and (not hit[0].text or not _joined(last[0]).endswith("指标")))
        ):
            if hit is not None and not any(c is hit[0] for c in last[0]):
                last[0].append(hit[0])
            if not last[1] or last[1][-1] != index:
                last[1].append(index)
            return
        if hit is not None:
            groups.append(([hit[0]], [index]))

    def _merge_split_row(
        self, prev: dict[str, list[Cell]], got: dict[str, tuple[Cell, bool]]
    ) -> None:
        assert self.cur is not None
        index = len(self.cur.indicators) - 1
        for key, (cell, start) in got.items():
            if key in ("level1", "level2"):
                self._level(key, (cell, start), True, index)
            elif start and cell.text:
                prev.setdefault(key, []).append(cell)
        self.cur.split_rows.append(index)

    def _total(self, row: _Row, label: Cell) -> None:
        assert self.cur is not None
        for key in ("weight", "score"):
            x = self.ind_x.get(key)
            hit = _covering(row, x) if x is not None else None
            if hit is not None and hit[0] is not label:
                self.cur.put(f"total_{key}", [hit[0]])
        if "total_weight" not in self.cur.cells or "total_score" not in self.cur.cells:
            nums = [c for c in _right_of(row, label) if c.text]
            if len(nums) >= 2:
                self.cur.put("total_weight", [nums[0]])
                self.cur.put("total_score", [nums[1]])
        self.section = "tail"

    def _finish(self) -> None:
        if self.cur is not None:
            self.projects.append(self.cur)
        self.cur = None
        self.section = ""
        self.goal_x = {}

    def done(self) -> list[RawProject]:
        self._finish()
        return self.projects


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
    reader = _Reader()
    for row in _rows(layout):
        reader.feed(row)
    title, year = _title(layout)
    return ExtractionResult(title=title, year=year, candidates=[assemble(p) for p in reader.done()])


__all__ = ["Table", "extract_layout"]
