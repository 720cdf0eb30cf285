"""Pages as the layout stage should see them: the text layer where it can be believed, OCR where not.

A clean digital page is read from its text layer alone (no rendering, no OCR). A scan is read
from its image: ruling lines from imagelines, cell text from OCR. A hidden (OCR) text layer
over an image, and digital cells with impossible glyphs, are checked cell by cell against OCR
of the same region (pipeline/arbitrate.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pipeline import confidence as C
from pipeline.arbitrate import LAYER, OCR, Decision, compact_text, decide, ocr_text
from pipeline.health import diagnose, suspect_cell
from pipeline.layout import page_tables
from pipeline.models import BBox, Cell, Char, PageContent, Reading, TextLayer
from pipeline.options import ReadOptions
from pipeline.render import Document, Page, read_page, render_gray
from pipeline.textnorm import bad_glyphs
from schemas import PageHealth, ReadWith, Source, Verdict

if TYPE_CHECKING:
    from pipeline.imagelines import PageImage
    from pipeline.ocr import OcrLine


def read_document(
    doc: Document, options: ReadOptions | None = None
) -> tuple[list[PageContent], list[PageHealth]]:
    """Every page, read from the source that can be believed, with its health verdict."""
    opts = options or ReadOptions()
    pages: list[PageContent] = []
    health: list[PageHealth] = []
    for page in doc:
        content, h = read_checked(page, opts)
        pages.append(content)
        health.append(h)
    return pages, health


def read_checked(page: Page, opts: ReadOptions) -> tuple[PageContent, PageHealth]:
    """One page: its text layer, replaced or checked by OCR where it cannot be believed."""
    content = read_page(page)
    layer = content.text_layer
    # The grid is only needed to find suspect cells: a clean page skips it (build_layout makes
    # it later), which keeps clean PDFs as fast as before.
    needs_grid = opts.ocr == "always" or (
        layer is TextLayer.digital and bool(bad_glyphs("".join(c.c for c in content.chars)))
    )
    tables = page_tables(content)[0] if needs_grid else []
    verdict, problems = diagnose(content, tables)
    scanned = layer is TextLayer.none and content.image_coverage > 0.3
    suspect = [c for t in tables for c in t.cells if suspect_cell(c)]
    pasted = _pasted_images(content) if layer is TextLayer.digital else []
    if opts.ocr == "off" or (
        opts.ocr == "auto"
        and not scanned
        and layer is TextLayer.digital
        and not suspect
        and not pasted
    ):
        return content, PageHealth(
            page=content.number, text_layer=layer, verdict=verdict, problems=problems
        )
    if scanned or layer is TextLayer.invisible:
        content = _read_image_page(page, content, opts)
    elif pasted and not suspect and opts.ocr == "auto":
        content = _read_pasted_tables(page, content, pasted, opts)
        if content.read_with is ReadWith.text_layer_ocr:
            problems.append("a table pasted as an image: read by OCR")
    elif layer is TextLayer.digital:
        cells = [c for t in tables for c in t.cells] if opts.ocr == "always" else suspect
        content = _recheck_cells(page, content, cells, opts)
    if content.turned:
        problems.append(f"scanned turned: read after {90 * content.turned}° clockwise")
    disagree = sum(1 for r in content.readings if r.source is Source.ocr)
    if disagree and layer is not TextLayer.none:
        problems.append(f"text layer disagrees with OCR in {disagree} cells")
        if verdict is Verdict.ok:
            verdict = Verdict.suspect
    return content, PageHealth(
        page=content.number,
        text_layer=layer,
        verdict=verdict,
        read_with=content.read_with,
        problems=problems,
    )


def _image(page: Page, content: PageContent, opts: ReadOptions, deskew: bool) -> PageImage:
    from pipeline.imagelines import prepare

    gray = render_gray(page, opts.dpi)
    return prepare(gray, opts.dpi, content.width, content.height, deskew=deskew)


def _upright_image(
    page: Page, content: PageContent, opts: ReadOptions
) -> tuple[PageContent, PageImage]:
    """A scan turned upright (by /Rotate or in its pixels), deskewed; the page's size follows."""
    from pipeline import ocr_cache
    from pipeline.imagelines import prepare
    from pipeline.orientation import turn, upright

    gray = render_gray(page, opts.dpi)
    # the probe needs one reader's probabilities, not a second reading
    way = upright(gray, opts.dpi, lambda img, boxes: ocr_cache.regions(img, boxes, opts, None))
    if way.turns:
        gray = turn(gray, way.turns)
        if way.turns % 2:
            content = replace(content, width=content.height, height=content.width)
        content = replace(content, turned=way.turns)
    img = prepare(gray, opts.dpi, content.width, content.height, deskew=True)
    return content, img


def _inside(ch: Char, box: BBox) -> bool:
    cx, cy = (ch.x0 + ch.x1) / 2, (ch.y0 + ch.y1) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _with_score(chars: list[Char], score: float) -> list[Char]:
    return [replace(c, score=score) for c in chars]


def _arbitrate_cells(
    cells: list[Cell],
    layer_chars: list[list[Char]] | None,
    lines_per_cell: list[list[OcrLine]],
) -> tuple[list[Char], list[Reading]]:
    """Chars of each cell from the chosen source, and the readings where sources disagree."""
    from pipeline.ocr import line_chars

    chars: list[Char] = []
    readings: list[Reading] = []
    for k, (cell, lines) in enumerate(zip(cells, lines_per_cell, strict=True)):
        ocr = ocr_text(lines)
        mine = layer_chars[k] if layer_chars is not None else None
        layer_text = compact_text(cell.text) if mine is not None else None
        d: Decision = decide(layer_text, ocr)
        if d.source is Source.ocr:
            for line in lines:
                chars += line_chars(line, d.confidence)
        else:
            chars += _with_score(mine or [], d.confidence)
        if d.disagreement and layer_text is not None:
            readings += [
                Reading(LAYER, layer_text, _layer_conf(d), cell.bbox, d.source is not Source.ocr),
                Reading(OCR, ocr.text, round(ocr.low, 3), cell.bbox, d.source is Source.ocr),
            ]
    return chars, readings


def _layer_conf(d: Decision) -> float:
    return d.confidence if d.source is Source.text_layer else C.UNSETTLED


def _read_image_page(page: Page, content: PageContent, opts: ReadOptions) -> PageContent:
    """A scan or a hidden-layer page: grid from the image, cell text from OCR (and the layer)."""
    from pipeline import ocr_cache
    from pipeline.imagelines import ruling_segments
    from pipeline.ocr import line_chars

    hidden = content.text_layer is TextLayer.invisible
    if hidden:
        img = _image(page, content, opts, deskew=True)
    else:
        content, img = _upright_image(page, content, opts)
    segments = ruling_segments(img)
    layer_chars: list[Char] = []
    if hidden:
        for ch in content.chars:
            if ch.c.isspace():
                continue
            x, y = img.deskew_point((ch.x0 + ch.x1) / 2, (ch.y0 + ch.y1) / 2)
            hw, hh = (ch.x1 - ch.x0) / 2, (ch.y1 - ch.y0) / 2
            layer_chars.append(replace(ch, x0=x - hw, y0=y - hh, x1=x + hw, y1=y + hh))
    grid = replace(content, chars=layer_chars, segments=segments)
    tables, _ = page_tables(grid)
    cells = [c for t in tables for c in t.cells]
    per_cell = (
        [[ch for ch in layer_chars if _inside(ch, c.bbox)] for c in cells] if hidden else None
    )
    lines = ocr_cache.regions(img, [c.bbox for c in cells], opts)
    chars, readings = _arbitrate_cells(cells, per_cell, lines)
    if not hidden:
        readings += _missed_marks(img, cells, lines)
    boxes = [t.bbox for t in tables]
    if hidden:
        outside = [ch for ch in layer_chars if not any(_inside(ch, b) for b in boxes)]
        # hidden-layer text outside the tables (titles) is not checked by OCR
        chars += _with_score(outside, C.HIDDEN_LAYER)
    else:
        for line in ocr_cache.outside(img, boxes, opts):
            chars += line_chars(line, min(line.probs, default=1.0))
    return replace(
        content,
        chars=chars,
        segments=segments,
        read_with=ReadWith.text_layer_ocr if hidden else ReadWith.ocr,
        readings=readings,
    )


# An image this large (share of the page) with (nearly) no text layer over it may be a table
# pasted as a picture into an otherwise digital page.
_PASTED_MIN_AREA = 0.1
_PASTED_MAX_CHARS = 3


def _pasted_images(content: PageContent) -> list[BBox]:
    """Boxes of large images on a digital page that carry no text of the layer."""
    area = content.width * content.height or 1.0
    out: list[BBox] = []
    for box in content.image_boxes:
        if (box[2] - box[0]) * (box[3] - box[1]) < _PASTED_MIN_AREA * area:
            continue
        inside = sum(1 for ch in content.chars if not ch.c.isspace() and _inside(ch, box))
        if inside <= _PASTED_MAX_CHARS:
            out.append(box)
    return out


def _read_pasted_tables(
    page: Page, content: PageContent, boxes: list[BBox], opts: ReadOptions
) -> PageContent:
    """A digital page with tables pasted as images: those tables' grid and text from the image,
    everything else from the text layer. An image holding no table leaves the page as it was."""
    from pipeline import ocr_cache
    from pipeline.imagelines import ruling_segments

    img = _image(page, content, opts, deskew=False)  # the text layer's frame
    segments = [
        s
        for s in ruling_segments(img)
        if any(_inside_box((s.x0 + s.x1) / 2, (s.y0 + s.y1) / 2, b) for b in boxes)
    ]
    tables, _ = page_tables(replace(content, chars=[], segments=segments))
    cells = [c for t in tables for c in t.cells]
    if not cells:
        return content
    lines = ocr_cache.regions(img, [c.bbox for c in cells], opts)
    chars, _ = _arbitrate_cells(cells, None, lines)
    keep = [ch for ch in content.chars if not any(_inside(ch, t.bbox) for t in tables)]
    return replace(
        content,
        chars=keep + chars,
        segments=content.segments + segments,
        read_with=ReadWith.text_layer_ocr,
    )


def _inside_box(x: float, y: float, box: BBox) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _missed_marks(img: PageImage, cells: list[Cell], lines: list[list[OcrLine]]) -> list[Reading]:
    """Cells OCR read as empty although their pixels hold a mark (a lone ≥, a 0): an empty
    reading, chosen, that the layout stage turns into an unsettled cell."""
    from pipeline.imagelines import has_ink

    return [
        Reading(OCR, "", C.UNSETTLED, cell.bbox, True)
        for cell, found in zip(cells, lines, strict=True)
        if not ocr_text(found).text and has_ink(img, cell.bbox)
    ]


def _recheck_cells(
    page: Page, content: PageContent, cells: list[Cell], opts: ReadOptions
) -> PageContent:
    """A digital page: OCR the given cells and arbitrate each against the text layer."""
    from pipeline import ocr_cache

    if not cells:
        return content
    # The text layer's frame is the page's: the image is not deskewed.
    img = _image(page, content, opts, deskew=False)
    boxes = [c.bbox for c in cells]
    per_cell = [[ch for ch in content.chars if _inside(ch, b)] for b in boxes]
    lines = ocr_cache.regions(img, boxes, opts)
    chars, readings = _arbitrate_cells(cells, per_cell, lines)
    keep = [ch for ch in content.chars if not any(_inside(ch, b) for b in boxes)]
    return replace(
        content, chars=keep + chars, read_with=ReadWith.text_layer_ocr, readings=readings
    )
