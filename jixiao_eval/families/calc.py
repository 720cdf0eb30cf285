"""Write a Document as an .xlsx workbook (one sheet per project) the way Calc users lay it out."""

from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from jixiao_eval.families.grid import Cell, Document, Table, number_format, text_width

FONT = "Noto Serif CJK SC"
_THIN = Side(style="thin", color="000000")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FILL = PatternFill("solid", fgColor="D9D9D9")
# Calc's column width unit is about half a CJK character of a 9 pt font.
_UNITS_PER_CHAR = 1.9
_LINE_PT = 1.3  # line height / font size


def _lines(cell: Cell, widths: list[float]) -> int:
    room = (sum(widths[cell.col : cell.col + cell.span]) - 0.6) * 1.1
    if cell.vertical:
        return math.ceil(len(cell.text) * 1.05)
    return sum(max(1, math.ceil(text_width(part) / room)) for part in cell.text.split("\n"))


def _row_heights(table: Table, font_pt: float) -> list[float]:
    lines = [max(row.min_lines, 1) for row in table.rows]
    spanning: list[tuple[int, Cell]] = []
    for r, row in enumerate(table.rows):
        for cell in row.cells:
            if cell.rows == 1:
                lines[r] = max(lines[r], _lines(cell, table.widths))
            else:
                spanning.append((r, cell))
    for r, cell in spanning:
        need = _lines(cell, table.widths)
        have = sum(lines[r : r + cell.rows])
        if need > have:
            lines[r + cell.rows - 1] += need - have
    return [n * font_pt * _LINE_PT + 5 for n in lines]


def _put(ws: Worksheet, r: int, cell: Cell, font_pt: float) -> None:
    c0 = cell.col + 1
    target = ws.cell(row=r, column=c0)
    parsed = number_format(cell.text)
    if parsed is None:
        target.value = cell.text
        target.data_type = "s"  # '=100%' is a printed target, not a formula
    else:
        value, fmt = parsed
        target.value = float(value) if "." in fmt or "%" in fmt else int(value)
        target.number_format = fmt
    target.font = Font(name=FONT, size=font_pt, bold=cell.bold)
    target.alignment = Alignment(
        horizontal=cell.align,
        vertical="center",
        wrap_text=not cell.vertical,
        text_rotation=255 if cell.vertical else 0,
    )
    for rr in range(r, r + cell.rows):
        for cc in range(c0, c0 + cell.span):
            part = ws.cell(row=rr, column=cc)
            part.border = _GRID
            if cell.fill:
                part.fill = _FILL
    if cell.span > 1 or cell.rows > 1:
        ws.merge_cells(
            start_row=r, start_column=c0, end_row=r + cell.rows - 1, end_column=c0 + cell.span - 1
        )


def _sheet(ws: Worksheet, table: Table, doc: Document) -> None:
    n = len(table.widths)
    for i, width in enumerate(table.widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width * _UNITS_PER_CHAR
    r = 1
    if table.lead:
        _text_line(ws, r, n, table.lead, Font(name=FONT, size=doc.font_pt + 1), "left")
        r += 1
    for k, line in enumerate(table.title):
        size = doc.font_pt + 8 if k == 0 else doc.font_pt + 1
        _text_line(ws, r, n, line, Font(name=FONT, size=size, bold=k == 0), "center")
        ws.row_dimensions[r].height = size * 1.8
        r += 1
    if table.above:
        _text_line(ws, r, n, table.above, Font(name=FONT, size=doc.font_pt), "right")
        r += 1
    heights = _row_heights(table, doc.font_pt)
    header_rows = []
    for row, height in zip(table.rows, heights, strict=True):
        for cell in row.cells:
            _put(ws, r, cell, doc.font_pt)
        ws.row_dimensions[r].height = height
        if row.header:
            header_rows.append(r)
        r += 1
    for line in table.below:
        _text_line(ws, r, n, line, Font(name=FONT, size=doc.font_pt), "left")
        r += 1
    if header_rows:
        ws.print_title_rows = f"{header_rows[0]}:{header_rows[-1]}"
    ws.print_area = f"A1:{get_column_letter(n)}{r - 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if doc.landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.oddFooter.center.text = "-&P-"
    ws.oddFooter.center.size = 9
    ws.sheet_view.showGridLines = False


def _text_line(ws: Worksheet, r: int, n: int, text: str, font: Font, align: str) -> None:
    cell = ws.cell(row=r, column=1, value=text)
    cell.font = font
    cell.alignment = Alignment(horizontal=align, vertical="center")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)


def write_xlsx(doc: Document, path: Path) -> None:
    """One sheet per table, A4, fit to the page width, header rows repeated, -N- page numbers."""
    wb = Workbook()
    for i, table in enumerate(doc.tables):
        ws = wb.active if i == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = doc.sheet_names[i] if i < len(doc.sheet_names) else f"项目{i + 1}"
        _sheet(ws, table, doc)
    wb.save(path)
