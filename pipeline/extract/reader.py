"""The role-driven reader: table rows -> the cells of each project, by the table's own labels.

No template: each header row gives its columns a role (labels.py), each labelled row its role,
and cells are taken by the column they sit under. What the form does not print stays absent
(assemble.py makes it null); what the reader cannot place is noted, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.extract import labels as L
from pipeline.extract.raw import RawProject
from pipeline.models import Cell, DocumentLayout, TextLayer
from schemas import ReadWith
from schemas.paths import INDICATOR_COLUMNS


@dataclass
class Row:
    """One grid row of a table: its cells (flag: the cell starts here), page and layer."""

    cells: list[tuple[Cell, bool]]
    page: int
    continues_table: bool  # first row of a table on a later page than the previous row
    layer: TextLayer


def table_rows(layout: DocumentLayout) -> list[Row]:
    """Every grid row of every table, in page order."""
    out: list[Row] = []
    last_page = 0
    for table in layout.tables:
        for i, row in enumerate(table.rows()):
            if not row:
                continue
            out.append(Row(row, table.page, i == 0 and table.page > last_page, table.text_layer))
        last_page = table.page if table.cells else last_page
    return out


def _covering(row: Row, x: float) -> tuple[Cell, bool] | None:
    for cell, start in row.cells:
        if cell.bbox[0] - 0.5 <= x <= cell.bbox[2] + 0.5:
            return cell, start
    return None


def _has_number(got: dict[str, tuple[Cell, bool]], key: str) -> bool:
    hit = got.get(key)
    return hit is not None and hit[1] and bool(hit[0].text)


def _joined(cells: list[Cell]) -> str:
    return "".join(c.text for c in cells)


def _right_of(row: Row, cell: Cell) -> list[Cell]:
    return [c for c, start in row.cells if start and c.bbox[0] >= cell.bbox[2] - 0.5]


def _levels_share_ocr_cell(got: dict[str, tuple[Cell, bool]]) -> bool:
    """The 一级 and 二级 columns read as one OCR'd cell: on a scan that is usually a border
    the image lost, and OCR interleaves the two labels' lines (满意度指满意度指标(10分)标), so
    glued_levels cannot see it. A digital cell spanning both is a label printed once, and its
    text is in order."""
    one, two = got.get("level1"), got.get("level2")
    if one is None or two is None or one[0] is not two[0] or not one[0].text:
        return False
    return one[0].read_with is not ReadWith.text_layer


# Header labels whose value (the cells to their right) is one field.
_VALUE_FIELDS = {"department": "department", "unit": "implementing_unit"}


class Reader:
    """Feeds rows in order; collects one RawProject per 项目名称 row."""

    def __init__(self) -> None:
        self.projects: list[RawProject] = []
        self.cur: RawProject | None = None
        self.section = ""
        self.funds_x: dict[str, float] = {}
        self.goal_x: dict[str, tuple[float, float]] = {}
        self.ind_x: dict[str, float] = {}
        self.funds_line = ""
        self.repeated_head = False

    def feed(self, row: Row) -> None:
        """Read one row."""
        starts = [c for c, s in row.cells if s]
        kinds = {id(c): L.single_label(c.text) for c in starts}
        if "project_name" in kinds.values():
            name_cell = next(c for c in starts if kinds[id(c)] == "project_name")
            self._start(row, name_cell)
            self._header_row(row, starts, kinds)
            return
        if self.cur is None:
            return
        self.cur.pages.add(row.page)
        if row.layer is not TextLayer.digital:
            self.cur.untrusted_layer = True
        if self._header_row(row, starts, kinds) or self._section_head(starts):
            return
        total = next((c for c in starts if kinds[id(c)] == "total"), None)
        if total is not None and self.section != "funds":
            self._total(row, total)
            return
        grade = next((c for c in starts if kinds[id(c)] == "grade"), None)
        if grade is not None:
            vals = [v for v in _right_of(row, grade) if v.text]
            self.cur.put("grade", vals, allow_empty=True)
            self.section = "tail"
            return
        line_key = next((k for c in starts if (k := L.funds_line(c.text))), None)
        if line_key is not None or self.section == "funds":
            self._funds_row(row, line_key)
        elif self.section == "goals":
            self._goal_row(row, starts)
        elif self.section == "indicators":
            if row.continues_table and not self.cur.indicators and not self._has_numbers(row):
                return  # the rest of the indicator header, split by the page break
            self._indicator_row(row)
        elif self.section == "tail":
            self._unplaced(starts)

    def _header_row(self, row: Row, starts: list[Cell], kinds: dict[int, str | None]) -> bool:
        """Label-and-value rows (主管部门, 实施单位, narratives, 自评得分) and the 项目资金 label;
        True if the row held one and nothing else is to be read from it."""
        assert self.cur is not None
        taken = False
        # a goals header row (年初设定目标 | 年度目标完成情况) names columns, not values
        goal_heads = len({k for c in starts if (k := L.goal_head(c.text))}) == 2
        for c in starts:
            kind = kinds[id(c)]
            if kind is None:
                continue
            vals = [v for v in _right_of(row, c) if L.single_label(v.text) is None]
            if kind in _VALUE_FIELDS:
                taken = True
                if vals:
                    self.cur.put(_VALUE_FIELDS[kind], [vals[0]])
            elif kind in L.NARRATIVE_LABELS and not goal_heads:
                taken = True
                self.cur.put(kind, [v for v in vals if v.text], allow_empty=True)
            elif kind == "self_score":
                taken = True
                if vals and "total_score" not in self.cur.cells:
                    self.cur.put("total_score", [vals[0]])
            elif kind == "funds_label":
                self.cur.unit_cells = [c]
        return taken

    def _section_head(self, starts: list[Cell]) -> bool:
        """A funds, goals or indicator header row: remember its columns; True if it was one."""
        assert self.cur is not None
        heads = {k: c for c in starts if (k := L.funds_head(c.text))}
        # a budget column: 全年/调整后预算数, or only 年初预算数(A) where the rate is B/A (北京)
        if len(heads) >= 3 and {"annual_budget", "initial_budget"} & heads.keys():
            self.funds_x = {k: c.xc for k, c in heads.items()}
            self.cur.funds_heads = dict(heads)
            if L.amount_unit(_joined(self.cur.unit_cells)) is None:
                # the unit printed in a header cell instead: 年度预算数（万元）
                self.cur.unit_cells += [c for c in starts if L.amount_unit(c.text)][:1]
            self.section = "funds"
            return True
        goals = {k: c for c in starts if (k := L.goal_head(c.text))}
        if len(goals) == 2:
            self.cur.goal_heads = True
            self.goal_x = {k: (c.bbox[0], c.bbox[2]) for k, c in goals.items()}
            self.section = "goals"
            return True
        ind = {k: c for c in starts if (k := L.indicator_head(c.text))}
        if len(ind) >= 5 and "name" in ind:
            self.ind_x = {k: c.xc for k, c in ind.items()}
            self.cur.indicator_cols = set(ind)
            # the header repeated atop a continuation page: the next row continues the table
            self.repeated_head = bool(self.cur.indicators)
            self.section = "indicators"
            return True
        return False

    def _has_numbers(self, row: Row) -> bool:
        got = (
            {k: h for k in ("weight", "score") if (h := _covering(row, self.ind_x[k])) is not None}
            if {"weight", "score"} <= self.ind_x.keys()
            else {}
        )
        return _has_number(got, "weight") or _has_number(got, "score")

    def _funds_row(self, row: Row, line_key: str | None) -> None:
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
        label = next((c.text for c, st in row.cells if st and L.funds_line(c.text)), "")
        self.cur.funds_rows.setdefault(line_key, L.key_text(label))
        for col, x in self.funds_x.items():
            hit = _covering(row, x)
            path = f"funds.{line_key}.{col}"
            if hit is None or L.funds_line(hit[0].text) is not None:
                continue
            if path not in self.cur.cells or not _joined(self.cur.cells[path]):
                # a blank cell of a printed row is read too: it is printed empty (null)
                self.cur.put(path, [hit[0]])

    def _start(self, row: Row, name_cell: Cell) -> None:
        self._finish()
        self.cur = RawProject(first_page=row.page)
        self.cur.pages.add(row.page)
        vals: list[Cell] = []
        for c in _right_of(row, name_cell):
            if L.single_label(c.text) is not None:
                break  # another label on the same row (项目编号, 自评得分 ...)
            if c.text:
                vals.append(c)
        self.cur.put("name", vals)
        self.section = "header"

    def _goal_row(self, row: Row, starts: list[Cell]) -> None:
        assert self.cur is not None
        for c in starts:
            if L.single_label(c.text) == "goal_label":
                continue
            best, overlap = None, 0.0
            for key, (x0, x1) in self.goal_x.items():
                ov = min(x1, c.bbox[2]) - max(x0, c.bbox[0])
                if ov > overlap:
                    best, overlap = key, ov
            if best and c.text:
                self.cur.append(best, c)
            elif best:
                # the goal's cell is printed empty: read, and blank (not missed)
                self.cur.put(best, self.cur.cells.get(best, []), allow_empty=True)

    def _indicator_row(self, row: Row) -> None:
        assert self.cur is not None
        if self.repeated_head:
            row = Row(row.cells, row.page, True, row.layer)
        got: dict[str, tuple[Cell, bool]] = {}
        for key, x in self.ind_x.items():
            hit = _covering(row, x)
            if hit is not None:
                got[key] = hit
        if not row.continues_table and not any(c.text for c, start in got.values() if start):
            return  # an empty grid row, or only merged cells passing through
        shared = _levels_share_ocr_cell(got)
        spanned = self._name_spans_levels(got, row.continues_table)
        prev = self.cur.indicators[-1] if self.cur.indicators else None
        placeholder = self._placeholder(got)
        if row.continues_table and prev is not None and not placeholder:
            # Word splits a tall row over the page break: the numbers sit in one part only.
            here = _has_number(got, "weight") or _has_number(got, "score")
            before = any(c.text for k in ("weight", "score") for c in prev.get(k, []))
            if not here or not before:
                self._merge_split_row(prev, got)
                self.cur.level_doubts |= {(len(self.cur.indicators) - 1, k) for k in spanned}
                return
        if placeholder:
            self.cur.placeholder_rows += 1
            # a group label may start on it: the rows below it still belong to that group
            for key in ("level1", "level2"):
                self._level(key, got.get(key), row.continues_table, None)
            return
        self.repeated_head = False  # the table continues from here on this page
        index = len(self.cur.indicators)
        self.cur.level_doubts |= {(index, k) for k in spanned}
        if shared:
            self.cur.shared_levels.add(index)
        ind: dict[str, list[Cell]] = {}
        for key in INDICATOR_COLUMNS:
            hit = got.get(key)
            if key in ("level1", "level2"):
                self._level(key, hit, row.continues_table, index)
            elif hit is not None and hit[1]:
                ind[key] = [hit[0]]
        self.cur.indicators.append(ind)

    def _name_spans_levels(self, got: dict[str, tuple[Cell, bool]], page_break: bool) -> list[str]:
        """A 三级 name cell reaching into the 一级/二级 columns is the name's, not a group label:
        Writer leaves out the side borders of merged cells running on past a page break, so
        the first row of the new page reads as one cell. The level then runs on from the group
        above; the levels it was taken from are returned (the reading to doubt) unless that is
        the page-break case with a group to run on."""
        assert self.cur is not None
        name = got.get("name")
        doubtful: list[str] = []
        for key in ("level1", "level2"):
            hit = got.get(key)
            if name is None or hit is None or hit[0] is not name[0]:
                continue
            del got[key]
            if not (page_break and self.cur.level_rows[key]):
                doubtful.append(key)
        return doubtful

    @staticmethod
    def _placeholder(got: dict[str, tuple[Cell, bool]]) -> bool:
        """A row printed to be filled in ('指标2：', '……', an empty 经济效益指标 group): no name
        of its own and no points."""
        if _has_number(got, "weight") or _has_number(got, "score"):
            return False
        name = got.get("name")
        text = name[0].text if name is not None and name[1] else ""
        if not text:
            # no name: a row's rest after a page break has text of its own besides the merged
            # 一级/二级 cells; an empty group (经济效益指标 with no row) has none
            return not any(
                c.text for k, (c, start) in got.items() if start and k not in ("level1", "level2")
            )
        return L.is_placeholder(text)

    def _level(
        self, key: str, hit: tuple[Cell, bool] | None, page_break: bool, index: int | None
    ) -> None:
        """Track merged 一级/二级 cells; a merged cell split by a page break stays one group.
        index None: a placeholder row, which belongs to no indicator."""
        assert self.cur is not None
        groups = self.cur.level_rows[key]
        last = groups[-1] if groups else None
        if last is not None and (
            hit is None
            or any(c is hit[0] for c in last[0])
            or (page_break and (not hit[0].text or not L.complete_level(_joined(last[0]))))
        ):
            # an empty continuation cell joins too: the rows below it are still inside it
            if hit is not None and not any(c is hit[0] for c in last[0]):
                last[0].append(hit[0])
            if index is not None and (not last[1] or last[1][-1] != index):
                last[1].append(index)
            return
        if hit is not None:
            groups.append(([hit[0]], [] if index is None else [index]))

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

    def _total(self, row: Row, label: Cell) -> None:
        assert self.cur is not None
        self.cur.total_row = True
        for key in ("weight", "score"):
            x = self.ind_x.get(key)
            hit = _covering(row, x) if x is not None else None
            if hit is not None and hit[0] is not label:
                self.cur.put(f"total_{key}", [hit[0]], allow_empty=True)
        if "total_weight" not in self.cur.cells or "total_score" not in self.cur.cells:
            nums = [c for c in _right_of(row, label) if c.text]
            if len(nums) >= 2:
                self.cur.put("total_weight", [nums[0]])
                self.cur.put("total_score", [nums[1]])
        self.section = "tail"

    def _unplaced(self, starts: list[Cell]) -> None:
        """A row after the totals that no label explains: a grade printed under another label
        must not pass for 'no grade'."""
        assert self.cur is not None
        texts = [c for c in starts if c.text]
        if any(L.is_grade_word(c.text) for c in texts) and "grade" not in self.cur.cells:
            self.cur.unplaced_grade = [c for c in texts if L.is_grade_word(c.text)][:1]

    def _finish(self) -> None:
        if self.cur is not None:
            self.projects.append(self.cur)
        self.cur = None
        self.section = ""
        self.goal_x = {}

    def done(self) -> list[RawProject]:
        """Every project read, in order."""
        self._finish()
        return self.projects
