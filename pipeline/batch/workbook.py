"""summary.xlsx: sheets 项目, 指标, 问题, 文件, streamed row by row (XlsxWriter constant memory).

Numbers are numbers, shown with the decimals the report printed; a project that needs review
has its rows highlighted; every sheet has a frozen header, an autofilter and columns wide
enough for their Chinese text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from pipeline.output import NUMBER_PATHS, printed_number
from schemas import DocumentResult, ProjectResult, Status

PROJECT_HEADER = [
    "文件",
    "项目名称",
    "主管部门",
    "实施单位",
    "页码",
    "年度预算数",
    "执行数",
    "执行率(%)",
    "总分值",
    "总得分",
    "评分等级",
    "状态",
    "置信度",
    "数据源不一致",
    "原因",
]
INDICATOR_HEADER = [
    "文件",
    "项目名称",
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因",
    "状态",
]
FINDING_HEADER = ["文件", "项目名称", "规则", "严重程度", "字段", "说明", "算式"]
FILE_HEADER = ["文件", "JSON", "页数", "状态", "项目数", "耗时(秒)", "错误类型", "错误"]
SHEETS = {
    "项目": PROJECT_HEADER,
    "指标": INDICATOR_HEADER,
    "问题": FINDING_HEADER,
    "文件": FILE_HEADER,
}

_HIGHLIGHT = "#FFF2CC"  # pale yellow: needs review
_MAX_WIDTH = 60
# A fixed creation time: two runs on the same inputs give the same workbook.
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def _width(value: object) -> int:
    text = str(value)
    if text.isascii():
        return len(text)
    # CJK takes two columns; past _MAX_WIDTH characters the column is at its widest anyway
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text[:_MAX_WIDTH])


class _Sheet:
    """One worksheet written in row order, tracking column widths as it goes."""

    def __init__(self, book: _Book, name: str, header: list[str]) -> None:
        self.book = book
        self.ws: Worksheet = book.wb.add_worksheet(name)
        self.widths = [_width(h) + 2 for h in header]
        self.row = 0
        self.write([(h, None) for h in header], book.head)

    def write(
        self, cells: list[tuple[Any, int | None]], fmt: Format | None = None, hi: bool = False
    ) -> None:
        for col, (value, places) in enumerate(cells):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.ws.write_number(self.row, col, value, self.book.number(places, hi))
            elif value is None or value == "":
                self.ws.write_blank(self.row, col, None, fmt or self.book.text(hi))
            else:
                self.ws.write_string(self.row, col, str(value), fmt or self.book.text(hi))
            self.widths[col] = max(self.widths[col], min(_MAX_WIDTH, _width(value) + 2))
        self.row += 1

    def finish(self) -> None:
        for col, width in enumerate(self.widths):
            self.ws.set_column(col, col, width)
        self.ws.freeze_panes(1, 0)
        self.ws.autofilter(0, 0, max(0, self.row - 1), len(self.widths) - 1)


class _Book:
    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_numbers": False}
        )
        self.wb.set_properties({"created": _EPOCH})
        self.head = self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self._formats: dict[tuple[str, bool], Format] = {}

    def _format(self, num_format: str, hi: bool) -> Format:
        key = (num_format, hi)
        if key not in self._formats:
            props: dict[str, Any] = {"num_format": num_format}
            if hi:
                props["bg_color"] = _HIGHLIGHT
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def number(self, places: int | None, hi: bool) -> Format:
        """'0.00' for a number printed with two decimals; General when unknown."""
        return self._format(
            "General" if places is None else ("0." + "0" * places if places else "0"), hi
        )

    def text(self, hi: bool) -> Format:
        """Plain text ('@' keeps Excel from reading '1-2' as a date)."""
        return self._format("@", hi)


class Workbook:
    """summary.xlsx, filled one document at a time."""

    def __init__(self, path: Path) -> None:
        self.book = _Book(path)
        self.sheets = {name: _Sheet(self.book, name, header) for name, header in SHEETS.items()}

    def add(self, name: str, json_name: str, doc: DocumentResult) -> None:
        """The rows of one input: its projects, indicators, findings and its file row."""
        for p in doc.projects:
            self._project(name, p)
        err = doc.errors[0] if doc.errors else None
        self.sheets["文件"].write(
            [
                (name, None),
                (json_name, None),
                (doc.pages, 0),
                (doc.status.value, None),
                (len(doc.projects), 0),
                (doc.seconds, 2),
                (err.kind.value if err else "", None),
                ("; ".join(e.message for e in doc.errors), None),
            ],
            hi=bool(doc.errors),
        )

    def _project(self, name: str, p: ProjectResult) -> None:
        hi = p.status is Status.needs_review
        t = p.funds.total
        values = [t.annual_budget, t.executed, t.execution_rate, p.total_weight, p.total_score]
        nums = [
            (v, printed_number(p, path, v)[1])
            for v, path in zip(values, NUMBER_PATHS.values(), strict=True)
        ]
        self.sheets["项目"].write(
            [
                (name, None),
                (p.name, None),
                (p.department, None),
                (p.implementing_unit, None),
                (" ".join(str(n) for n in p.pages), None),
                *nums,
                (p.grade, None),
                (p.status.value, None),
                (p.confidence, 2),
                ("是" if p.source_inconsistent else "", None),
                (" | ".join(str(r) for r in p.reasons), None),
            ],
            hi=hi,
        )
        for i, ind in enumerate(p.indicators):
            self.sheets["指标"].write(
                [
                    (name, None),
                    (p.name, None),
                    (ind.level1, None),
                    (ind.level2, None),
                    (ind.name, None),
                    (ind.target, None),
                    (ind.actual, None),
                    (ind.weight, printed_number(p, f"indicators[{i}].weight", ind.weight)[1]),
                    (ind.score, printed_number(p, f"indicators[{i}].score", ind.score)[1]),
                    (ind.deviation_reason, None),
                    (p.status.value, None),
                ],
                hi=hi,
            )
        for f in p.findings:
            self.sheets["问题"].write(
                [
                    (name, None),
                    (p.name, None),
                    (f.rule, None),
                    (f.severity.value, None),
                    (", ".join(f.fields), None),
                    (f.message, None),
                    (f.equation, None),
                ],
                hi=hi,
            )

    def close(self) -> None:
        """Finish every sheet and write the file."""
        for sheet in self.sheets.values():
            sheet.finish()
        self.book.wb.close()
