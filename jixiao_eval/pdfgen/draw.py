"""Draw paginated layouts with PyMuPDF: ruling lines, text, two ways of printing bold."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Literal

import fitz

from jixiao_eval.pdfgen.layout import PageLayout, TextItem
from jixiao_eval.pdfgen.style import PAGE_H, PAGE_W, Style
from jixiao_eval.pdfgen.text import FONT, text_width

BoldMode = Literal["stroke", "copies"]

# Fixed metadata so the same inputs give the same bytes (the /ID is suppressed on save). The
# creator names the generator's first home: renaming it would change every generated PDF's bytes.
_METADATA = {
    "producer": "PyMuPDF",
    "creator": "jixiao pipeline.evalset.pdfgen",
    "creationDate": "D:20250301090000+08'00'",
    "modDate": "D:20250301090000+08'00'",
}

Segment = tuple[float, float, float]  # fixed coordinate, start, end


def _merge(spans: dict[float, list[tuple[float, float]]]) -> list[Segment]:
    out: list[Segment] = []
    for pos in sorted(spans):
        cur: tuple[float, float] | None = None
        for a, b in sorted(spans[pos]):
            if cur is not None and a <= cur[1] + 0.05:
                cur = (cur[0], max(cur[1], b))
                continue
            if cur is not None:
                out.append((pos, *cur))
            cur = (a, b)
        if cur is not None:
            out.append((pos, *cur))
    return out


def rules(rects: list[tuple[float, float, float, float]]) -> tuple[list[Segment], list[Segment]]:
    """Cell rectangles -> (horizontal, vertical) ruling segments, shared edges merged."""
    hs: dict[float, list[tuple[float, float]]] = defaultdict(list)
    vs: dict[float, list[tuple[float, float]]] = defaultdict(list)
    for x0, y0, x1, y1 in rects:
        hs[round(y0, 2)].append((x0, x1))
        hs[round(y1, 2)].append((x0, x1))
        vs[round(x0, 2)].append((y0, y1))
        vs[round(x1, 2)].append((y0, y1))
    return _merge(hs), _merge(vs)


def _draw_rules(page: fitz.Page, layout: PageLayout, width: float) -> None:
    hs, vs = rules(layout.rects)
    if not hs and not vs:
        return
    shape = page.new_shape()
    for y, x0, x1 in hs:
        shape.draw_line((x0, y), (x1, y))
    for x, y0, y1 in vs:
        shape.draw_line((x, y0), (x, y1))
    # Square caps close the corners where horizontal and vertical rules meet.
    shape.finish(width=width, color=(0, 0, 0), lineCap=2, closePath=False)
    shape.commit()


def _append(tw: fitz.TextWriter, item: TextItem, dx: float = 0.0, dy: float = 0.0) -> None:
    tw.append((item.x + dx, item.y + dy), item.text, font=FONT, fontsize=item.size)


def _append_copies(tw: fitz.TextWriter, item: TextItem, style: Style) -> None:
    """Fake bold: the same glyphs printed again at small offsets."""
    offsets = [(0.0, 0.0), *style.bold_offsets]
    if style.bold_order == "line":
        for dx, dy in offsets:
            _append(tw, item, dx, dy)
        return
    x = item.x
    for ch in item.text:
        for dx, dy in offsets:
            tw.append((x + dx, item.y + dy), ch, font=FONT, fontsize=item.size)
        x += text_width(ch, item.size)


def _thin_stroke(doc: fitz.Document, page: fitz.Page, width: float) -> None:
    """TextWriter strokes render_mode=2 text with 5% of the font size; make it thinner."""
    for xref in page.get_contents():
        stream = doc.xref_stream(xref)
        if b"2 Tr" in stream:
            doc.update_stream(xref, re.sub(rb"[\d.]+ w\n", b"%.2f w\n" % width, stream))


def draw_text(
    doc: fitz.Document, page: fitz.Page, texts: list[TextItem], style: Style, bold: BoldMode
) -> None:
    """Print text lines; bold ones stroked (digital) or repeated at offsets (fakebold)."""
    plain = fitz.TextWriter(page.rect)
    strong = fitz.TextWriter(page.rect)
    has_strong = False
    for item in texts:
        if not item.text:
            continue
        if not item.bold:
            _append(plain, item)
        elif bold == "copies":
            _append_copies(plain, item, style)
        else:
            _append(strong, item)
            has_strong = True
    plain.write_text(page)
    if has_strong:
        strong.write_text(page, render_mode=2)
        _thin_stroke(doc, page, style.bold_stroke)


def draw_invisible(page: fitz.Page, texts: list[TextItem], morph: fitz.Matrix | None) -> None:
    """An OCR-style invisible text layer (render_mode=3), optionally rotated with the image."""
    tw = fitz.TextWriter(page.rect)
    for item in texts:
        if item.text:
            _append(tw, item)
    if morph is None:
        tw.write_text(page, render_mode=3)
    else:
        tw.write_text(page, render_mode=3, morph=(fitz.Point(PAGE_W / 2, PAGE_H / 2), morph))


def draw_vector(pages: list[PageLayout], style: Style, bold: BoldMode) -> fitz.Document:
    """A vector PDF (ruled tables + text layer) of the paginated layout."""
    doc = fitz.open()
    for layout in pages:
        page = doc.new_page(width=PAGE_W, height=PAGE_H)
        _draw_rules(page, layout, style.rule_width)
        draw_text(doc, page, layout.texts, style, bold)
    return doc


def to_bytes(doc: fitz.Document, title: str) -> bytes:
    """Subset fonts, fix metadata and serialise reproducibly."""
    doc.set_metadata({**_METADATA, "title": title})
    doc.subset_fonts()
    data: bytes = doc.tobytes(garbage=4, deflate=True, no_new_id=True)
    return data
