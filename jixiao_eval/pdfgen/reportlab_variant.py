"""The seed layout drawn by another producer (reportlab), the way office software prints it.

Our own generator (write.py) draws with PyMuPDF, the library we also read with, so its PDFs agree
with our reader more than real ones do. This one draws the same paginated layout
(jixiao_eval/pdfgen/layout.py, the continuous "fakebold" flow) with reportlab and an embedded
TrueType subset, and adds what real reports print:

- fake bold: every bold glyph drawn twice, the copy ~0.3 pt to the right;
- full-width punctuation (，；) in the narratives, so 。、，end many of their wrapped lines;
- the punctuation that ends a justified line (every wrapped line but a cell's last) drawn as
  its own run in a second, non-embedded font, as Word does when it compresses line-end
  punctuation in a fallback font; that font's descriptor puts the glyph box below the
  baseline, so the box sits low against its line: readers that cluster lines by box centre
  pull the mark into the next line (`国。家展展台`);
- a title over two lines in a larger font, the year on the first line only.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import io
import os
import re
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import fitz

from jixiao_eval.pdfgen.draw import rules
from jixiao_eval.pdfgen.layout import TextItem
from jixiao_eval.pdfgen.style import PAGE_H, PAGE_W
from jixiao_eval.pdfgen.text import text_width
from jixiao_eval.pdfgen.write import layout_pages
from schemas.report import Indicator, Project, Report, TruthReport

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

_BODY = "JxDroidSans"
_PUNCT = "JxPunct"
PUNCTUATION = frozenset("。、，；：")
BOLD_OFFSET = 0.3  # points: the second copy of a fake-bold glyph
# The punctuation font's box, in ems from the baseline (the body font's is 0.77 / -0.24):
# producers declare odd metrics for such fallback fonts; this box sits most of a line low
# (MuPDF keeps a descriptor box only when the ascent is positive).
PUNCT_ASCENT = 0.05
PUNCT_DESCENT = -1.3
# The title's first line (department and year) is printed smaller than the second.
TITLE_FIRST_SCALE = 0.8
_FULL_WIDTH = str.maketrans({",": "，", ";": "；"})


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import CIDFontInfo, UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    # PyMuPDF's Droid Sans Fallback: the font layout.py measured the text with.
    data = io.BytesIO(bytes(fitz.Font("china-s").buffer))
    pdfmetrics.registerFont(TTFont(_BODY, data))
    # A non-embedded CID font (readers substitute their own glyphs and keep its metrics),
    # registered under its own name with the descriptor's box moved.
    info = copy.deepcopy(CIDFontInfo["STSong-Light"])
    desc = info["DescendantFonts"][0]["FontDescriptor"]
    desc["Ascent"] = round(PUNCT_ASCENT * 1000)
    desc["Descent"] = round(PUNCT_DESCENT * 1000)
    CIDFontInfo[_PUNCT] = info
    punct = UnicodeCIDFont("STSong-Light")
    punct.face = copy.copy(punct.face)
    punct.face.name = _PUNCT
    punct.name = punct.fontName = _PUNCT
    pdfmetrics.registerFont(punct)


def _full_width(text: str) -> str:
    return text.translate(_FULL_WIDTH)


def _printed(project: Project) -> Project:
    """The project as this producer prints it: full-width commas and semicolons in narratives."""
    inds = [
        Indicator.model_validate(
            {
                **i.model_dump(),
                "name": _full_width(i.name),
                "deviation_reason": _full_width(i.deviation_reason),
            }
        )
        for i in project.indicators
    ]
    return project.model_copy(
        update={
            "goal_expected": _full_width(project.goal_expected),
            "goal_actual": _full_width(project.goal_actual),
            "indicators": inds,
        }
    )


def _two_line_title(title: str) -> str:
    """Break the title before 支出 (or 绩效): department and year above, the form's name below."""
    flat = title.replace("\n", "")
    m = re.search(r"(项目)?支出|绩效", flat)
    if m is None or m.start() == 0:
        return flat
    cut = m.end(1) if m.group(1) else m.start()
    return flat[:cut] + "\n" + flat[cut:]


def _draw_string(
    canvas: Canvas, item: TextItem, x: float, size: float, justified: bool, rise: float
) -> None:
    """One line, glyph by glyph in one text object: bold glyphs doubled, a justified line's
    final mark in _PUNCT and raised by `rise` ems (negative: lowered)."""
    text = canvas.beginText()
    y = PAGE_H - item.y
    pos = x
    last = len(item.text) - 1
    for i, ch in enumerate(item.text):
        mark = justified and i == last and ch in PUNCTUATION
        for dx in (0.0, BOLD_OFFSET) if item.bold else (0.0,):
            text.setTextOrigin(pos + dx, y)
            text.setFont(_PUNCT if mark else _BODY, size)
            text.setRise(rise * size if mark else 0.0)
            text.textOut(ch)
        pos += text_width(ch, size)
    canvas.drawText(text)


def render_reportlab(report: Report | TruthReport, seed: int = 0, punct_rise: float = 0.0) -> bytes:
    """The PDF bytes of `report` drawn by reportlab; same inputs give the same bytes.

    punct_rise (ems) also moves the line-end marks' baseline, with a text rise (Ts), as
    Word's raised/lowered character position does: -0.8 puts it most of a line low, where
    no baseline rule can place it and only PyMuPDF's pen-position lines keep it in order.
    """
    from reportlab.pdfgen.canvas import Canvas

    _register_fonts()
    printed = report.model_copy(
        update={
            "title": _two_line_title(report.title),
            "projects": [_printed(p) for p in report.projects],
        }
    )
    layout, style = layout_pages(printed, "fakebold", seed)
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
    canvas.setTitle(report.title)
    canvas.setCreator("jixiao_eval.pdfgen.reportlab_variant")
    for page in layout.pages:
        hs, vs = rules(page.rects)
        canvas.setLineWidth(style.rule_width)
        canvas.setLineCap(2)
        for y, x0, x1 in hs:
            canvas.line(x0, PAGE_H - y, x1, PAGE_H - y)
        for x, y0, y1 in vs:
            canvas.line(x, PAGE_H - y0, x, PAGE_H - y1)
        titles = [t for t in page.texts if t.field == "title"]
        for k, item in enumerate(page.texts):
            if not item.text:
                continue
            # the next printed line belongs to the same cell: this one is justified
            nxt = page.texts[k + 1] if k + 1 < len(page.texts) else None
            justified = nxt is not None and bool(item.field) and nxt.field == item.field
            x, size = item.x, item.size
            if item.field == "title" and len(titles) > 1 and item is titles[0]:
                size = item.size * TITLE_FIRST_SCALE
                x = (PAGE_W - text_width(item.text, size)) / 2
            _draw_string(
                canvas, dataclasses.replace(item, size=size), x, size, justified, punct_rise
            )
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def write_reportlab_pdf(
    report: Report | TruthReport, path: Path, seed: int = 0, punct_rise: float = 0.0
) -> Path:
    """Render and write atomically (temp file in the same folder, then os.replace)."""
    data = render_reportlab(report, seed, punct_rise)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def main(argv: list[str] | None = None) -> int:
    """CLI: python -m jixiao_eval.pdfgen.reportlab_variant TRUTH.json OUT.pdf [--seed N]."""
    ap = argparse.ArgumentParser(
        prog="python -m jixiao_eval.pdfgen.reportlab_variant", description=__doc__
    )
    ap.add_argument("truth", type=Path, help="TruthReport (or Report) JSON file")
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--punct-rise", type=float, default=0.0, help="line-end marks' rise, ems")
    args = ap.parse_args(argv)
    raw = args.truth.read_text(encoding="utf-8")
    try:
        report: Report | TruthReport = TruthReport.model_validate_json(raw)
    except ValueError:
        report = Report.model_validate_json(raw)
    out = write_reportlab_pdf(report, args.out, seed=args.seed, punct_rise=args.punct_rise)
    print(f"{out} ({out.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
