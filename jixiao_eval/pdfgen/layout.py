"""Pagination: place the title, the project list and the project tables on A4 pages."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from jixiao_eval.pdfgen.style import PAGE_W, Style
from jixiao_eval.pdfgen.table import Cell, Row, build_rows
from jixiao_eval.pdfgen.text import text_width, wrap
from schemas.report import Project

_EPS = 0.01
# Where the visual middle of a CJK glyph sits above its baseline, in ems (Droid Sans Fallback).
_MID = 0.36


@dataclass(frozen=True)
class TextItem:
    """One printed line of text: baseline origin, size, bold flag and the field it shows."""

    x: float
    y: float
    text: str
    size: float
    bold: bool = False
    field: str = ""


@dataclass
class PageLayout:
    """Everything on one page: text lines and cell rectangles (whose edges are the rules)."""

    texts: list[TextItem] = field(default_factory=list)
    rects: list[tuple[float, float, float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Frag:
    """The part of a row (or merged cell) on one page."""

    page: int
    top: float
    h: float


@dataclass
class Layout:
    """A paginated report; project_starts holds (page index, y) of each table's top."""

    pages: list[PageLayout]
    project_starts: list[tuple[int, float]]


def _flow(
    n: int, lh: float, heights: list[float], off: float, pad: float
) -> list[tuple[int, float]]:
    """(fragment, top within fragment) of n lines flowing down fragments of the given heights.

    A line that would cross a fragment's bottom moves to the top of the next fragment,
    pushing the lines after it down, the way Word continues a cell after a page break.
    """
    out: list[tuple[int, float]] = []
    k, start, v = 0, 0.0, off
    for _ in range(n):
        while k < len(heights) - 1 and v + lh > start + heights[k] - pad * 0.5 + _EPS:
            start += heights[k]
            k += 1
            v = max(v, start + pad)
        out.append((k, v - start))
        v += lh
    return out


class _Paginator:
    def __init__(self, style: Style, split_rows: bool) -> None:
        self.s = style
        self.split_rows = split_rows
        self.pages: list[PageLayout] = []
        self.row_frags: list[list[Frag]] = []  # placed rows of the current table
        self.y = 0.0
        self.new_page()

    @property
    def body_h(self) -> float:
        return self.s.bottom - self.s.margin_t

    def new_page(self) -> None:
        self.pages.append(PageLayout())
        self.y = self.s.margin_t

    def put_line(self, x: float, top: float, lh: float, item: TextItem) -> None:
        """Record a heading line whose line box starts at `top`, on a new page if full."""
        if top + lh > self.s.bottom:
            self.new_page()
            top = self.y
        base = top + lh / 2 + _MID * item.size
        self.pages[-1].texts.append(TextItem(x, base, item.text, item.size, item.bold, item.field))
        self.y = top + lh

    # ----- title and list -------------------------------------------------------------
    def heading(self, title: str, names: list[str]) -> None:
        s = self.s
        lh = s.line_h(s.title_size)
        self.y += s.title_size * 0.3
        for line in wrap(title, s.content_w, s.title_size):
            x = (PAGE_W - text_width(line, s.title_size)) / 2
            self.put_line(x, self.y, lh, TextItem(0, 0, line, s.title_size, True, "title"))
        self.y += s.title_size * 0.8
        lh = s.line_h(s.list_size) * 1.1
        indent = s.list_size * 2
        for i, name in enumerate(names, 1):
            label = f"{i}.{name}"
            for j, line in enumerate(wrap(label, s.content_w - 2 * indent, s.list_size)):
                x = s.x0 + indent + (text_width(f"{i}.", s.list_size) if j else 0)
                item = TextItem(0, 0, line, s.list_size, False, f"projects[{i - 1}].name")
                self.put_line(x, self.y, lh, item)
        self.y += s.list_size

    # ----- tables ---------------------------------------------------------------------
    def _last_need(self, row: Row, heights: list[float]) -> float:
        """Height the last (open) fragment needs after the given finished fragments."""
        s = self.s
        need = 0.0
        for cell in row.cells:
            if cell.span > 1 or not cell.lines:
                continue
            lh = s.line_h(cell.size)
            pos = _flow(len(cell.lines), lh, [*heights, math.inf], s.pad_y, s.pad_y)
            last = [t for k, t in pos if k == len(heights)]
            if last:
                need = max(need, last[-1] + lh + s.pad_y)
        return need

    def _merged_need(self, ends: list[tuple[Cell, int]], own: list[Frag]) -> float:
        """Height this row's open fragment needs so the merged cells ending here hold their
        text, given where their earlier rows (and this row's finished parts) went."""
        s = self.s
        cur_page = len(self.pages) - 1
        best = 0.0
        for cell, first in ends:
            if not cell.lines:
                continue
            prior = [f for frs in self.row_frags[first:] for f in frs] + own
            groups: list[Frag] = []
            for fr in prior:
                if groups and groups[-1].page == fr.page:
                    g = groups[-1]
                    groups[-1] = Frag(g.page, g.top, fr.top + fr.h - g.top)
                else:
                    groups.append(fr)
            prefix = 0.0
            if groups and groups[-1].page == cur_page:
                prefix = self.y - groups[-1].top
                groups.pop()
            lh = s.line_h(cell.size)
            pos = _flow(len(cell.lines), lh, [g.h for g in groups] + [math.inf], s.pad_y, s.pad_y)
            last = [t for k, t in pos if k == len(groups)]
            if last:
                best = max(best, last[-1] + lh + s.pad_y - prefix)
        return best

    def place_row(self, row: Row, ends: list[tuple[Cell, int]]) -> list[Frag]:
        s = self.s
        min_h = s.line_h(s.size) + 2 * s.pad_y
        frags: list[Frag] = []
        heights: list[float] = []
        while True:
            avail = s.bottom - self.y
            rest = max(
                min_h,
                row.height - sum(heights),
                self._last_need(row, heights),
                self._merged_need(ends, frags),
            )
            if rest <= avail + _EPS:
                frags.append(Frag(len(self.pages) - 1, self.y, rest))
                self.y += rest
                return frags
            fits_page = rest <= self.body_h + _EPS
            at_top = self.y <= s.margin_t + _EPS
            if not at_top and ((not self.split_rows and fits_page) or avail < min_h):
                self.new_page()
                continue
            # Split here: keep the lines that fit, unless none do.
            kept = any(
                k == len(heights)
                for cell in row.cells
                if cell.span == 1 and cell.lines
                for k, _ in _flow(
                    len(cell.lines),
                    s.line_h(cell.size),
                    [*heights, avail, math.inf],
                    s.pad_y,
                    s.pad_y,
                )
            )
            if not kept and not at_top:
                self.new_page()
                continue
            frags.append(Frag(len(self.pages) - 1, self.y, avail))
            heights.append(avail)
            self.new_page()

    def table(self, rows: list[Row], first_mode: bool) -> None:
        ends: dict[int, list[tuple[Cell, int]]] = defaultdict(list)
        for r, row in enumerate(rows):
            for cell in row.cells:
                if cell.span > 1:
                    ends[r + cell.span - 1].append((cell, r))
        self.row_frags = []
        for r, row in enumerate(rows):
            self.row_frags.append(self.place_row(row, ends[r]))
        row_frags = self.row_frags
        for r, row in enumerate(rows):
            for cell in row.cells:
                if cell.span == 1:
                    self._simple_cell(cell, row_frags[r])
                else:
                    covered = [f for frs in row_frags[r : r + cell.span] for f in frs]
                    self._merged_cell(cell, covered, first_mode)

    def _draw_lines(self, cell: Cell, frag: Frag, lines: list[tuple[str, float]]) -> None:
        """Print (text, top) lines of a cell inside one fragment."""
        s = self.s
        page = self.pages[frag.page]
        lh = s.line_h(cell.size)
        for text, top in lines:
            if cell.align == "l":
                x = cell.x0 + s.pad_x
            else:
                x = (cell.x0 + cell.x1 - text_width(text, cell.size)) / 2
            base = top + lh / 2 + _MID * cell.size
            page.texts.append(TextItem(x, base, text, cell.size, cell.bold, cell.field))

    def _simple_cell(self, cell: Cell, frags: list[Frag]) -> None:
        s = self.s
        for fr in frags:
            self.pages[fr.page].rects.append((cell.x0, fr.top, cell.x1, fr.top + fr.h))
        if not cell.lines:
            return
        lh = s.line_h(cell.size)
        pos = _flow(len(cell.lines), lh, [f.h for f in frags], s.pad_y, s.pad_y)
        for k, fr in enumerate(frags):
            mine = [cell.lines[i] for i, (kk, _) in enumerate(pos) if kk == k]
            if not mine:
                continue
            # Each fragment centres (or top-aligns) the lines it got.
            top = fr.top + s.pad_y if cell.valign == "t" else fr.top + (fr.h - len(mine) * lh) / 2
            self._draw_lines(cell, fr, [(t, top + i * lh) for i, t in enumerate(mine)])

    def _merged_cell(self, cell: Cell, covered: list[Frag], first_mode: bool) -> None:
        s = self.s
        parts: list[Frag] = []
        for fr in covered:  # one rectangle per page
            if parts and parts[-1].page == fr.page:
                last = parts[-1]
                parts[-1] = Frag(last.page, last.top, fr.top + fr.h - last.top)
            else:
                parts.append(fr)
        for fr in parts:
            self.pages[fr.page].rects.append((cell.x0, fr.top, cell.x1, fr.top + fr.h))
        if not cell.lines:
            return
        lh = s.line_h(cell.size)
        text_h = len(cell.lines) * lh
        if first_mode and text_h + 2 * s.pad_y <= parts[0].h + _EPS:
            top = parts[0].top + (parts[0].h - text_h) / 2
            self._draw_lines(cell, parts[0], [(t, top + i * lh) for i, t in enumerate(cell.lines)])
            return
        heights = [f.h for f in parts]
        off = max(s.pad_y, (sum(heights) - text_h) / 2)
        pos = _flow(len(cell.lines), lh, heights, off, s.pad_y)
        if pos[-1][1] + lh > heights[pos[-1][0]] - s.pad_y * 0.5 + _EPS:
            # Centring pushed a line past a break and out of the cell: fill from the top.
            pos = _flow(len(cell.lines), lh, heights, s.pad_y, s.pad_y)
        for k, fr in enumerate(parts):
            mine = [(cell.lines[i], fr.top + t) for i, (kk, t) in enumerate(pos) if kk == k]
            self._draw_lines(cell, fr, mine)


def layout_report(title: str, projects: list[Project], style: Style, *, continuous: bool) -> Layout:
    """Paginate a report: continuous=True is the fakebold flow (tables follow each other,
    rows split at page breaks); False is the digital one (a page per project, whole rows)."""
    pag = _Paginator(style, split_rows=continuous)
    pag.heading(title, [p.name for p in projects])
    starts: list[tuple[int, float]] = []
    for i, project in enumerate(projects):
        rows = build_rows(project, style)
        for row in rows:  # fields are report-wide paths: projects[i].indicators[j].name
            for cell in row.cells:
                if cell.field:
                    cell.field = f"projects[{i}].{cell.field}"
        if i > 0:
            if continuous:
                pag.y += style.table_gap
                if pag.y + rows[0].height > style.bottom:
                    pag.new_page()
            else:
                pag.new_page()
        if pag.y + rows[0].height > style.bottom:
            pag.new_page()
        starts.append((len(pag.pages) - 1, pag.y))
        pag.table(rows, first_mode=style.merge_split == "first" and not continuous)
    return Layout(pag.pages, starts)
