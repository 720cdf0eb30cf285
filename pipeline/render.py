"""PDF -> pages: characters with boxes, ruling lines, text-layer trust. The only PyMuPDF reader."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import fitz

from pipeline.batch.limits import current_limits as _limits
from pipeline.errors import InputFileError
from pipeline.models import Char, PageContent, Segment, TextLayer
from pipeline.options import RenderOptions

if TYPE_CHECKING:
    import numpy as np

# The stages after this one handle pages and documents only through these names and functions.
Page: TypeAlias = fitz.Page
Document: TypeAlias = fitz.Document

fitz.TOOLS.mupdf_display_errors(False)  # MuPDF prints repair chatter to stderr; we report ourselves

# Thinner than this, a filled or stroked rectangle is a ruling line, not a box.
_LINE_MAX_THICKNESS = 2.5
_TEXT_FLAGS = fitz.TEXT_PRESERVE_WHITESPACE | fitz.TEXT_PRESERVE_LIGATURES | fitz.TEXT_MEDIABOX_CLIP


def _size(n: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


@contextmanager
def open_pdf(path: Path, options: RenderOptions | None = None) -> Iterator[fitz.Document]:
    """Open a PDF, turning every way it can be unusable into an InputFileError."""
    opts = options or RenderOptions()
    name = str(path)
    if not path.exists():
        raise InputFileError(name, "not_found", "file not found")
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(name, "empty", "empty file (0 bytes)")
    if size > opts.max_bytes:
        raise InputFileError(
            name, "too_large", f"file is {_size(size)}, over the {_size(opts.max_bytes)} limit"
        )
    problem = header_trailer_problem(path)
    if problem is not None:
        kind, reason = problem
        raise InputFileError(name, kind, reason)
    try:
        doc = fitz.open(path)
    except Exception as exc:  # MuPDF raises its own types; all mean "unreadable"
        raise InputFileError(name, "damaged", damaged_message(exc, "MuPDF cannot open it")) from exc
    try:
        if doc.needs_pass:
            raise InputFileError(
                name, "encrypted", "encrypted PDF: a password is needed to open it"
            )
        pages = doc.page_count
        if pages == 0:
            raise InputFileError(name, "empty", "PDF has no pages")
        if pages > opts.max_pages:
            raise InputFileError(
                name, "too_large", f"{pages} pages, over the {opts.max_pages}-page limit"
            )
        yield doc
    except InputFileError:
        raise
    except Exception as exc:
        # MuPDF failing halfway through a page tree or content stream is a damaged file,
        # not a bug of ours: one line naming the file, never "internal error"
        if is_mupdf_error(exc):
            raise InputFileError(name, "damaged", damaged_message(exc, "MuPDF stopped")) from exc
        raise
    finally:
        doc.close()


# --- resource limits: what one page may cost before it is refused as too_complex -------------


def _too_complex(page: fitz.Page, what: str) -> InputFileError:
    return InputFileError(
        str(page.parent.name), "too_complex", f"too_complex: page {page.number + 1}: {what}"
    )


def check_render_size(page: fitz.Page, dpi: float, clip: fitz.Rect | None = None) -> None:
    """Refuse a render whose pixmap would pass the pixel cap (a huge page at OCR resolution)."""
    cap = _limits().max_pixels
    box = clip if clip is not None else page.rect
    pixels = (box.width * dpi / 72) * (box.height * dpi / 72)
    if pixels > cap:
        raise _too_complex(
            page,
            f"a {box.width:.0f}×{box.height:.0f} pt render at {dpi:g} dpi is "
            f"{pixels / 1e6:.0f} M pixels (limit {cap / 1e6:.0f} M)",
        )


def _inflated_size(raw: bytes, cap: int) -> int:
    """Bytes a FlateDecode stream inflates to, counting no further than `cap` + 1."""
    inflater = zlib.decompressobj()
    total = 0
    data = raw
    while data and total <= cap:
        # max_length bounds each step, so a bomb never inflates in memory all at once
        total += len(inflater.decompress(data, 1 << 20))
        data = inflater.unconsumed_tail
    return total


def check_page_budget(page: fitz.Page) -> None:
    """Refuse a page whose drawing instructions pass the content budget, before MuPDF runs them."""
    cap = _limits().max_content_bytes
    doc = page.parent
    total = 0
    for xref in page.get_contents():
        try:
            raw = doc.xref_stream_raw(xref) or b""
            filt = doc.xref_get_key(xref, "Filter")[1]
        except (ValueError, RuntimeError) as exc:  # PyMuPDF's 'bad xref' on a broken object
            raise InputFileError(
                str(doc.name),
                "damaged",
                damaged_message(exc, f"page {page.number + 1}'s content is broken"),
            ) from exc
        try:
            total += _inflated_size(raw, cap) if filt == "/FlateDecode" else len(raw)
        except zlib.error:
            total += len(raw)  # a broken stream: MuPDF reads what it can, we count what is there
        if total > cap:
            raise _too_complex(
                page, f"drawing instructions pass {_size(cap)} (limit of one page's content)"
            )


def check_glyph_count(page: fitz.Page, n: int) -> None:
    """Refuse a page that draws more characters than any table could hold."""
    cap = _limits().max_glyphs
    if n > cap:
        raise _too_complex(page, f"{n} characters drawn (limit {cap} per page)")


def check_line_count(page: fitz.Page, n: int) -> None:
    """Refuse a page that draws more ruling lines than any table has, before the grid is built."""
    cap = _limits().max_ruling_lines
    if n > cap:
        raise _too_complex(page, f"{n} ruling lines drawn (limit {cap} per page)")


# The PDF specification lets readers accept junk before the header; 1024 bytes is the customary
# limit (Acrobat's, and what ISO 32000-2 annex H describes).
_HEADER_WINDOW = 1024
# `%%EOF` closes the last revision; producers and mail gateways append junk after it, and MuPDF
# reads such files, so the marker is looked for anywhere in the file's last megabyte.
_TRAILER_WINDOW = 1 << 20
_MUPDF_CODE = re.compile(r"^code=\d+: ")


def header_trailer_problem(path: Path) -> tuple[str, str] | None:
    """(error kind, reason) when the header or the end marker is missing; None when both are there."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(_HEADER_WINDOW + len(b"%PDF-"))
        fh.seek(max(0, size - _TRAILER_WINDOW))
        tail = fh.read()
    if b"%PDF-" not in head:
        return "not_pdf", f"not a PDF (no %PDF- header in the first {_HEADER_WINDOW} bytes)"
    if b"%%EOF" not in tail:
        return "truncated", "truncated PDF (no %%EOF end marker): download it again"
    return None


# How MuPDF says it ran out of memory (under the worker's RLIMIT_AS): the file is too complex
# for the limit, not damaged.
_OUT_OF_MEMORY = ("malloc", "out of memory", "cannot allocate", "calloc", "realloc")


def is_out_of_memory(exc: BaseException) -> bool:
    """True for MemoryError and for MuPDF's failed allocations."""
    first = str(exc).splitlines()[0].lower() if str(exc) else ""
    return isinstance(exc, MemoryError) or any(word in first for word in _OUT_OF_MEMORY)


def is_mupdf_error(exc: BaseException) -> bool:
    """True for the exceptions MuPDF raises on a damaged file (its own types, or 'code=N: ...')."""
    if is_out_of_memory(exc):
        return False
    if isinstance(exc, fitz.mupdf.FzErrorBase | fitz.FileDataError):
        return True
    return isinstance(exc, RuntimeError) and bool(_MUPDF_CODE.match(str(exc)))


def damaged_message(exc: BaseException, what: str) -> str:
    """'damaged PDF: <what> (<MuPDF's words>)', one line."""
    if isinstance(exc, fitz.FileDataError) and exc.__cause__ is not None:
        exc = exc.__cause__  # PyMuPDF's wrapper only repeats the path; MuPDF says why
    words = _MUPDF_CODE.sub("", str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    words = words.removeprefix("FzErrorFormat: ").strip() or type(exc).__name__
    return f"damaged PDF: {what} ({words[:160]})"


def read_page(page: fitz.Page) -> PageContent:
    """Characters (visible or not), ruling lines and image coverage of one page."""
    chars: list[Char] = []
    invisible = 0
    check_page_budget(page)
    # MuPDF keeps its warnings in one buffer: emptied here, read after this page's parse
    fitz.TOOLS.reset_mupdf_warnings()
    raw = page.get_text("rawdict", flags=_TEXT_FLAGS)
    line_no = -1
    for block in raw["blocks"]:
        if block.get("type", 0) != 0:
            continue
        for line in block["lines"]:
            line_no += 1  # PyMuPDF's own line identity, kept for the second reading of cells
            for span in line["spans"]:
                size = float(span["size"])
                bold = bool(span["flags"] & 16) or "bold" in span["font"].lower()
                hidden = span.get("alpha", 255) == 0
                for ch in span["chars"]:
                    c = ch["c"]
                    x0, y0, x1, y1 = ch["bbox"]
                    base = ch["origin"][1]
                    chars.append(Char(c, x0, y0, x1, y1, size, bold, 1.0, line_no, base))
                    if hidden and not c.isspace():
                        invisible += 1
    check_glyph_count(page, len(chars))
    segments = _ruling_segments(page)
    check_line_count(page, len(segments))
    area = page.rect.width * page.rect.height or 1.0
    covered = 0.0
    boxes: list[tuple[float, float, float, float]] = []
    for info in page.get_image_info():
        r = fitz.Rect(info["bbox"]) & page.rect
        covered += r.width * r.height
        if not r.is_empty:
            boxes.append((r.x0, r.y0, r.x1, r.y1))
    coverage = min(1.0, covered / area)
    visible_text = sum(1 for ch in chars if not ch.c.isspace())
    if visible_text == 0:
        layer = TextLayer.none if coverage > 0.3 else TextLayer.digital
    elif invisible > 0.5 * visible_text:
        layer = TextLayer.invisible
    else:
        layer = TextLayer.digital
    return PageContent(
        number=page.number + 1,
        width=page.rect.width,
        height=page.rect.height,
        chars=chars,
        segments=segments,
        text_layer=layer,
        image_coverage=coverage,
        image_boxes=boxes,
        warnings=mupdf_warnings(),
    )


def mupdf_warnings() -> list[str]:
    """MuPDF's warnings since the last reset, one per kind with its count ('x12')."""
    counts: dict[str, int] = {}
    last = ""
    for line in str(fitz.TOOLS.mupdf_warnings(reset=True) or "").splitlines():
        m = re.match(r"^\.\.\. repeated (\d+) times", line)
        if m:
            # MuPDF flushes a repeat count late: without its warning here it is an earlier page's
            if last:
                counts[last] += int(m.group(1))
            continue
        last = line.strip()
        if last and not last.startswith(_BENIGN):
            counts[last] = counts.get(last, 0) + 1
        elif last:
            last = ""
    return [f"{w} (x{n})" if n > 1 else w for w, n in counts.items()]


# Warnings about fonts' metrics, which office producers get wrong and MuPDF works around: no
# sign that the page's content is damaged.
_BENIGN = ("bogus font ascent/descent",)


def _ruling_segments(page: fitz.Page) -> list[Segment]:
    """Horizontal and vertical lines drawn on the page, from lines and thin or stroked rectangles."""
    out: list[Segment] = []
    for path in page.get_cdrawings():
        stroked = "s" in path.get("type", "")
        for item in path["items"]:
            kind = item[0]
            if kind == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
                if abs(y1 - y0) < 0.8 or abs(x1 - x0) < 0.8:
                    out.append(Segment(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
            elif kind == "re":
                x0, y0, x1, y1 = item[1]
                x0, x1 = min(x0, x1), max(x0, x1)
                y0, y1 = min(y0, y1), max(y0, y1)
                w, h = x1 - x0, y1 - y0
                if h <= _LINE_MAX_THICKNESS and w > h:
                    ym = (y0 + y1) / 2
                    out.append(Segment(x0, ym, x1, ym))
                elif w <= _LINE_MAX_THICKNESS and h > w:
                    xm = (x0 + x1) / 2
                    out.append(Segment(xm, y0, xm, y1))
                elif stroked:
                    out += [
                        Segment(x0, y0, x1, y0),
                        Segment(x0, y1, x1, y1),
                        Segment(x0, y0, x0, y1),
                        Segment(x1, y0, x1, y1),
                    ]
    return out


def read_pages(doc: fitz.Document) -> Iterator[PageContent]:
    """Every page of an open document, in order."""
    for page in doc:
        yield read_page(page)


def render_png(
    path: Path,
    page_number: int,
    dpi: int = 110,
    clip: tuple[float, float, float, float] | None = None,
) -> bytes:
    """PNG image of one page (1-based), or of the clip box (PDF points) on it; for review, OCR, LLM."""
    with open_pdf(path) as doc:
        page = doc[page_number - 1]
        rect = (fitz.Rect(clip) & page.rect) if clip is not None else None
        check_render_size(page, dpi, rect)
        png: bytes = page.get_pixmap(dpi=dpi, clip=rect).tobytes("png")
        return png


def render_gray(page: Page, dpi: int) -> np.ndarray:
    """The page rendered at `dpi` as a greyscale uint8 array (rows x columns), for OCR."""
    import numpy as np  # only scans need it: clean PDFs never render

    check_render_size(page, dpi)
    pix = page.get_pixmap(dpi=dpi, colorspace=fitz.csGRAY, alpha=False)
    img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)
    return img[:, : pix.width].copy()


def page_geometry(
    path: Path, page_number: int
) -> tuple[float, float, tuple[float, float, float, float, float, float]]:
    """(width, height) of one page (1-based) as displayed, in points, and its rotation matrix
    (a, b, c, d, e, f) from unrotated page space, where boxes live; for review."""
    with open_pdf(path) as doc:
        page = doc[page_number - 1]
        m = page.rotation_matrix
        return page.rect.width, page.rect.height, (m.a, m.b, m.c, m.d, m.e, m.f)


@lru_cache(maxsize=1)
def cjk_font_bytes() -> bytes:
    """A CJK font (PyMuPDF's Droid Sans Fallback), for browsers on machines without one."""
    return bytes(fitz.Font("cjk").buffer)
