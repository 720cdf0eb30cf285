"""Page images for review: find the source PDF, render pages on demand (cached), place boxes."""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.batch.inputs import file_sha256
from pipeline.output import write_atomic
from pipeline.render import page_geometry, render_png

# 150 dpi: sharp enough to read 9 pt table text at laptop width, ~250 KB a page.
DPI = 150


@dataclass(frozen=True)
class PageSize:
    """A page as displayed (after its /Rotate): width and height in PDF points."""

    width: float
    height: float
    # rotation matrix (a, b, c, d, e, f) from unrotated page space, where bboxes live
    matrix: tuple[float, float, float, float, float, float]


@lru_cache(maxsize=256)
def _sha_cached(path: str, mtime_ns: int, size: int) -> str:
    return file_sha256(Path(path))


def _matches(path: Path, sha256: str) -> bool:
    if not path.is_file():
        return False
    if not sha256:
        return True
    st = path.stat()
    return _sha_cached(str(path.resolve()), st.st_mtime_ns, st.st_size) == sha256


def find_pdf(
    json_path: Path, source: str, sha256: str, recorded: str | None, pdf_dirs: list[Path]
) -> Path | None:
    """The PDF a result JSON was made from, checked by its sha256, or None.

    Looked for, in order: the path the run recorded, next to the JSON (by source name and by
    the JSON's stem), then in each --pdfs folder (directly, then anywhere below it).
    """
    name = Path(source).name
    tried: list[Path] = []
    if recorded:
        tried.append(Path(recorded))
        with contextlib.suppress(UnicodeEncodeError):  # a GBK name is recorded decoded
            tried.append(Path(os.fsdecode(recorded.encode("gb18030"))))
    tried += [json_path.parent / name, json_path.with_suffix(".pdf")]
    tried += [d / name for d in pdf_dirs]
    for path in tried:
        if _matches(path, sha256):
            return path
    for d in pdf_dirs:
        if d.is_dir():
            for path in sorted(d.rglob(name)):
                if _matches(path, sha256):
                    return path
    return None


def openable(pdf: Path, sha256: str, cache_dir: Path) -> Path:
    """The PDF, or a UTF-8-named link to it in cache_dir: MuPDF opens only UTF-8 file names."""
    try:
        str(pdf).encode("utf-8")
        return pdf
    except UnicodeEncodeError:
        pass
    link = cache_dir / f"source-{sha256[:16]}.pdf"
    cache_dir.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(os.path.abspath(pdf))
    return link


def page_png(pdf: Path, sha256: str, page: int, cache_dir: Path, dpi: int = DPI) -> Path:
    """PNG of one page (1-based), rendered once and kept in cache_dir."""
    key = sha256[:16] if sha256 else hashlib.sha256(str(pdf.resolve()).encode()).hexdigest()[:16]
    out = cache_dir / f"{key}-p{page}-{dpi}.png"
    if not out.is_file():
        write_atomic(out, render_png(pdf, page, dpi))
    return out


@lru_cache(maxsize=1024)
def _page_size(pdf: str, mtime_ns: int, page: int) -> PageSize:
    width, height, matrix = page_geometry(Path(pdf), page)
    return PageSize(width, height, matrix)


def page_size(pdf: Path, page: int) -> PageSize:
    """Displayed size and rotation of one page (1-based)."""
    return _page_size(str(pdf.resolve()), pdf.stat().st_mtime_ns, page)


def box_percent(
    bbox: tuple[float, float, float, float], size: PageSize
) -> tuple[float, float, float, float]:
    """A bbox in PDF points as (left, top, width, height) in percent of the displayed page."""
    a, b, c, d, e, f = size.matrix
    x0, y0, x1, y1 = bbox
    corners = [(x, y) for x in (x0, x1) for y in (y0, y1)]
    xs = [a * x + c * y + e for x, y in corners]
    ys = [b * x + d * y + f for x, y in corners]
    left, top = min(xs) / size.width * 100, min(ys) / size.height * 100
    width = (max(xs) - min(xs)) / size.width * 100
    height = (max(ys) - min(ys)) / size.height * 100
    return (round(left, 3), round(top, 3), round(width, 3), round(height, 3))
