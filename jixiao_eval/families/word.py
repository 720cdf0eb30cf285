"""Write a Document as a .docx the way Word users draw these tables (python-docx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from jixiao_eval.families.grid import Cell, Document, Row

FONT = "Noto Serif CJK SC"
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}
_SIDES = ("top", "left", "bottom", "right")


def _font(run: Any, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = FONT
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)


def _paragraph(container: Any, text: str, size: float, align: str, bold: bool = False) -> Any:
    p = container.add_paragraph()
    p.alignment = _ALIGN[align]
    p.paragraph_format.space_before = Pt(0)
    p.paragraph_format.space_after = Pt(0)
    _font(p.add_run(text), size, bold)
    return p


def _borders(tc: Any, sides: dict[str, tuple[str, int]]) -> None:
    pr = tc.get_or_add_tcPr()
    box = OxmlElement("w:tcBorders")
    for side in _SIDES:
        kind, size = sides.get(side, ("nil", 0))
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), kind)
        if kind != "nil":
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        box.append(el)
    pr.append(box)


def _shade(tc: Any) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), "D9D9D9")
    tc.get_or_add_tcPr().append(shd)


def _cell_sides(
    cell: Cell, r: int, nrows: int, ncols: int, style: str
) -> dict[str, tuple[str, int]]:
    """Word-style borders: a double frame, or open left/right sides with heavy top/bottom."""
    inner = ("single", 4)
    sides = {side: inner for side in _SIDES}
    top, bottom = r == 0, r + cell.rows == nrows
    left, right = cell.col == 0, cell.col + cell.span == ncols
    if style == "frame":
        for side, edge in (("top", top), ("bottom", bottom), ("left", left), ("right", right)):
            if edge:
                sides[side] = ("double", 4)
    else:
        if left:
            del sides["left"]
        if right:
            del sides["right"]
        for side, edge in (("top", top), ("bottom", bottom)):
            if edge:
                sides[side] = ("single", 12)
    return sides


def _table(doc: Any, rows: list[Row], widths: list[float], font_pt: float, style: str) -> None:
    ncols = len(widths)
    table = doc.add_table(rows=len(rows), cols=ncols)
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    # LibreOffice lays the table out from <w:gridCol>; Word from the cell widths: set both.
    for i, column in enumerate(table.columns):
        column.width = Cm(widths[i])
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = Cm(widths[i])
    for r, row in enumerate(rows):
        if row.header:
            tr_pr = table.rows[r]._tr.get_or_add_trPr()
            tr_pr.append(OxmlElement("w:tblHeader"))
        for cell in row.cells:
            a = table.cell(r, cell.col)
            b = table.cell(r + cell.rows - 1, cell.col + cell.span - 1)
            merged = a.merge(b) if (cell.rows > 1 or cell.span > 1) else a
            merged.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            lines = list(cell.text) if cell.vertical else cell.text.split("\n")
            first = merged.paragraphs[0]
            first.alignment = _ALIGN[cell.align]
            _font(first.add_run(lines[0] if lines else ""), font_pt, cell.bold)
            for line in lines[1:]:
                _paragraph(merged, line, font_pt, cell.align, cell.bold)
            for tc in _spanned(table, r, cell):
                _borders(tc, _cell_sides(cell, r, len(rows), ncols, style))
                if cell.fill:
                    _shade(tc)


def _spanned(table: Any, r: int, cell: Cell) -> list[Any]:
    """The <w:tc> elements a merged cell covers (vertical merges keep one per row)."""
    seen: list[Any] = []
    for rr in range(r, r + cell.rows):
        tc = table.cell(rr, cell.col)._tc
        if tc not in seen:
            seen.append(tc)
    return seen


def _footer(section: Any) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("-"), 9)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = p.add_run()
        _font(run, 9)
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._element.append(fld)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
    _font(p.add_run("-"), 9)


def write_docx(doc: Document, path: Path) -> None:
    """Tables one per project, a page break between projects, -N- page numbers."""
    out = new_docx()
    section = out.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if doc.landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(1.6)
    section.top_margin = section.bottom_margin = Cm(1.8)
    usable = (section.page_width - section.left_margin - section.right_margin) / 360000
    _footer(section)
    for i, table in enumerate(doc.tables):
        scale = usable / sum(table.widths)
        widths = [w * scale for w in table.widths]
        if table.lead:
            _paragraph(out, table.lead, doc.font_pt + 1, "left")
        for k, line in enumerate(table.title):
            size = doc.font_pt + 7 if k == 0 else doc.font_pt + 1
            _paragraph(out, line, size, "center", bold=k == 0)
        if table.above:
            _paragraph(out, table.above, doc.font_pt, "right")
        parts = [table.rows]
        if table.split_before is not None:
            parts = [table.rows[: table.split_before], table.rows[table.split_before :]]
        for k, rows in enumerate(parts):
            if k:
                _paragraph(out, "", 1, "left")
            _table(out, rows, widths, doc.font_pt, doc.word_style)
        for line in table.below:
            _paragraph(out, line, doc.font_pt, "left")
        if i + 1 < len(doc.tables):
            p = out.add_paragraph()
            p.add_run().add_break(WD_BREAK.PAGE)
    out.save(str(path))
