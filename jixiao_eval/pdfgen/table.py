"""The cell model of one project table: rows, merged cells, wrapped text."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from jixiao_eval.pdfgen.style import Style
from jixiao_eval.pdfgen.text import fit_lines, fmt_amount
from schemas.report import Indicator, Project

FUNDS_HEADERS = ("年初预算数", "全年预算数", "全年执行数", "分数", "执行率(%)", "得分")
FUNDS_ROWS = (
    ("total", "年度资金总额："),
    ("appropriation", "其中：当年财政拨款"),
    ("carryover", "上年结转资金"),
    ("other", "其他资金"),
)
FUNDS_FIELDS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
IND_HEADERS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析\n及改进措施",
)


@dataclass
class Cell:
    """One table cell; a merged cell lives in its first row with span > 1."""

    x0: float
    x1: float
    text: str
    field: str = ""  # schema field path the text comes from; "" for fixed labels
    bold: bool = False
    align: Literal["c", "l"] = "c"
    valign: Literal["c", "t"] = "c"
    span: int = 1
    one_line: bool = False
    lines: list[str] = dataclasses.field(default_factory=list)
    size: float = 0.0

    def fit(self, style: Style) -> None:
        """Wrap the text to the cell width, shrinking the font for numbers that would break."""
        width = self.x1 - self.x0 - 2 * style.pad_x
        self.lines, self.size = fit_lines(self.text, width, style.size, one_line=self.one_line)
        if not self.lines:
            self.size = style.size

    def need_h(self, style: Style) -> float:
        """Height the wrapped text needs, padding included."""
        n = max(len(self.lines), 1)
        return n * style.line_h(self.size) + 2 * style.pad_y


@dataclass
class Row:
    """One table row: the cells that start in it and its height."""

    kind: str
    cells: list[Cell]
    height: float = 0.0


def _label(x0: float, x1: float, text: str, span: int = 1) -> Cell:
    return Cell(x0, x1, text, bold=True, span=span)


def _num(x0: float, x1: float, value: float | None, path: str) -> Cell:
    return Cell(x0, x1, fmt_amount(value), field=path, one_line=True)


def _runs(values: list[str], starts: set[int]) -> list[tuple[int, int]]:
    """(first index, length) of runs of equal non-empty values, breaking at `starts`."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(values):
        j = i + 1
        while j < len(values) and values[i] and values[j] == values[i] and j not in starts:
            j += 1
        runs.append((i, j - i))
        i = j
    return runs


def _indicator_rows(inds: list[Indicator], a: list[float]) -> list[Row]:
    rows = [Row("ind", []) for _ in inds]
    l1_runs = _runs([ind.level1 for ind in inds], set())
    l1_starts = {start for start, _ in l1_runs}
    l2_runs = _runs([ind.level2 for ind in inds], l1_starts)
    for start, n in l1_runs:
        rows[start].cells.append(
            Cell(a[0], a[1], inds[start].level1, field=f"indicators[{start}].level1", span=n)
        )
    for start, n in l2_runs:
        rows[start].cells.append(
            Cell(a[1], a[2], inds[start].level2, field=f"indicators[{start}].level2", span=n)
        )
    for i, ind in enumerate(inds):
        p = f"indicators[{i}]"
        rows[i].cells += [
            Cell(a[2], a[3], ind.name, field=f"{p}.name"),
            Cell(a[3], a[4], ind.target, field=f"{p}.target", one_line=True),
            Cell(a[4], a[5], ind.actual, field=f"{p}.actual", one_line=True),
            _num(a[5], a[6], ind.weight, f"{p}.weight"),
            _num(a[6], a[7], ind.score, f"{p}.score"),
            Cell(a[7], a[8], ind.deviation_reason, field=f"{p}.deviation_reason"),
        ]
    return rows


def build_rows(project: Project, style: Style) -> list[Row]:
    """All rows of one project table, wrapped and with their final heights."""
    a = style.ind_x()
    f = style.funds_x()
    x0, x1 = a[0], a[-1]
    rows = [
        Row(
            "name", [_label(x0, a[2], "项目名称"), Cell(a[2], x1, project.name, "name", bold=True)]
        ),
        Row(
            "dept",
            [
                _label(x0, a[2], "主管部门"),
                Cell(a[2], f[4], project.department, "department"),
                _label(f[4], f[5], "实施单位"),
                Cell(f[5], x1, project.implementing_unit, "implementing_unit"),
            ],
        ),
        Row(
            "funds_head",
            [
                _label(x0, a[2], f"项目资金\n({project.amount_unit})", span=5),
                Cell(f[1], f[2], ""),
                *(_label(f[i + 2], f[i + 3], h) for i, h in enumerate(FUNDS_HEADERS)),
            ],
        ),
    ]
    for key, rowname in FUNDS_ROWS:
        line = getattr(project.funds, key)
        cells = [Cell(f[1], f[2], rowname)]
        for i, name in enumerate(FUNDS_FIELDS):
            cells.append(_num(f[i + 2], f[i + 3], getattr(line, name), f"funds.{key}.{name}"))
        rows.append(Row("funds", cells))
    rows += [
        Row(
            "goal_head",
            [
                _label(x0, a[1], "年度总体目标", span=2),
                _label(a[1], a[4], "预期目标"),
                _label(a[4], x1, "实际完成情况"),
            ],
        ),
        Row(
            "goal",
            [
                Cell(a[1], a[4], project.goal_expected, "goal_expected", align="l", valign="t"),
                Cell(a[4], x1, project.goal_actual, "goal_actual", align="l", valign="t"),
            ],
        ),
        Row("ind_head", [_label(a[i], a[i + 1], h) for i, h in enumerate(IND_HEADERS)]),
    ]
    rows += _indicator_rows(project.indicators, a)
    rows += [
        Row(
            "total",
            [
                _label(x0, a[5], "总分"),
                _num(a[5], a[6], project.total_weight, "total_weight"),
                _num(a[6], a[7], project.total_score, "total_score"),
                Cell(a[7], x1, ""),
            ],
        ),
        Row("grade", [_label(x0, a[2], "评分等级"), Cell(a[2], x1, project.grade, "grade")]),
    ]
    _size_rows(rows, style)
    return rows


def _size_rows(rows: list[Row], style: Style) -> None:
    """Row height = tallest single cell; a merged cell taller than its rows grows the last one."""
    min_h = style.line_h(style.size) + 2 * style.pad_y
    for row in rows:
        for cell in row.cells:
            cell.fit(style)
        singles = [c.need_h(style) for c in row.cells if c.span == 1]
        row.height = max([min_h, *singles])
    for r, row in enumerate(rows):
        for cell in row.cells:
            if cell.span > 1:
                covered = rows[r : r + cell.span]
                short = cell.need_h(style) - sum(x.height for x in covered)
                if short > 0:
                    covered[-1].height += short
