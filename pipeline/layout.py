"""Pages -> ruled tables: grid from ruling lines, merged cells, cell text in reading order.

Deterministic and geometric only; what the cells mean is the extractor's business.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from operator import attrgetter, itemgetter

from pipeline.batch.limits import current_limits
from pipeline.errors import InputFileError
from pipeline.models import (
    BBox,
    Cell,
    Char,
    DocumentLayout,
    PageContent,
    Reading,
    Segment,
    Table,
    TextLayer,
    TextLine,
)
from pipeline.numbers import read_number
from pipeline.textnorm import clean, is_cjk, nfkc, suspicious_glyphs
from schemas import ErrorKind

_SNAP = 1.5  # points: lines closer than this are the same line
_JOIN_GAP = 2.5  # points: collinear pieces closer than this are one line
_MIN_TABLE_LINES = 2


def _cluster(values: list[float], tol: float) -> list[float]:
    """Sorted values collapsed into cluster means."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _nearest(centres: list[float], v: float) -> int:
    """Index of the sorted centre nearest v (the lower one on a tie), by bisection: a page of
    thousands of lines must not cost lines x centres comparisons."""
    i = bisect_right(centres, v)
    if i == 0:
        return 0
    if i == len(centres) or v - centres[i - 1] <= centres[i] - v:
        return i - 1
    return i


def _merge_lines(segs: Iterable[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """(pos, start, end) pieces -> maximal collinear lines."""
    by_pos: dict[float, list[tuple[float, float]]] = {}
    items = sorted(segs)
    positions = _cluster([p for p, _, _ in items], _SNAP)
    for p, a, b in items:
        i = _nearest(positions, p)
        by_pos.setdefault(positions[i], []).append((a, b))
    out: list[tuple[float, float, float]] = []
    for pos, spans in by_pos.items():
        spans.sort()
        cur_a, cur_b = spans[0]
        for a, b in spans[1:]:
            if a <= cur_b + _JOIN_GAP:
                cur_b = max(cur_b, b)
            else:
                out.append((pos, cur_a, cur_b))
                cur_a, cur_b = a, b
        out.append((pos, cur_a, cur_b))
    return out


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _close_open_sides(
    hs: list[tuple[float, float, float]], vs: list[tuple[float, float, float]]
) -> list[tuple[float, float, float]]:
    """Word's open-sided tables draw no outer left/right border: where the rows run past the
    outermost vertical line, their ends are the table's edge."""
    left, right = min(x0 for _, x0, _ in hs), max(x1 for _, _, x1 in hs)
    top, bottom = min(y for y, _, _ in hs), max(y for y, _, _ in hs)
    out = list(vs)
    if min(x for x, _, _ in vs) > left + _SNAP:
        out.append((left, top, bottom))
    if max(x for x, _, _ in vs) < right - _SNAP:
        out.append((right, top, bottom))
    return out


def _components(
    hs: list[tuple[float, float, float]], vs: list[tuple[float, float, float]]
) -> list[tuple[list[int], list[int]]]:
    """Groups of crossing/touching horizontal and vertical lines: one group per table."""
    uf = _UnionFind(len(hs) + len(vs))
    t = _SNAP + 0.5
    for i, (y, x0, x1) in enumerate(hs):
        for j, (x, y0, y1) in enumerate(vs):
            if x0 - t <= x <= x1 + t and y0 - t <= y <= y1 + t:
                uf.union(i, len(hs) + j)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for i in range(len(hs)):
        groups.setdefault(uf.find(i), ([], []))[0].append(i)
    for j in range(len(vs)):
        groups.setdefault(uf.find(len(hs) + j), ([], []))[1].append(j)
    return [g for g in groups.values() if len(g[0]) >= _MIN_TABLE_LINES and len(g[1]) >= 2]


def _covered(lines: list[tuple[float, float]], a: float, b: float) -> bool:
    """Whether the pieces cover most of [a, b] (a drawn edge between two grid lines)."""
    need = (b - a) * 0.5
    got = 0.0
    for s, e in lines:
        got += max(0.0, min(e, b) - max(s, a))
    return got >= need


def _check_grid_size(
    page: int, hs: list[tuple[float, float, float]], vs: list[tuple[float, float, float]]
) -> None:
    """Refuse a page whose ruling lines would make a grid over the cell budget, before any grid
    is built: the page's rows x columns bound every table's on it."""
    cap = current_limits().max_grid_cells
    rows = len(_cluster([y for y, _, _ in hs], _SNAP)) - 1
    cols = len(_cluster([x for x, _, _ in vs], _SNAP)) - 1
    if rows * cols > cap:
        raise InputFileError(
            "",
            ErrorKind.too_complex,
            f"too_complex: page {page}: ruling lines making a grid of {rows} × {cols} cells "
            f"(limit {cap} cells per table)",
        )


def _build_grid(
    hs: list[tuple[float, float, float]],
    vs: list[tuple[float, float, float]],
    glyphs: Sequence[BBox] = (),
) -> tuple[list[float], list[float], list[list[int]]]:
    """Grid lines, and a merged-cell id per elementary cell."""
    ys = _cluster([y for y, _, _ in hs], _SNAP)
    xs = _cluster([x for x, _, _ in vs], _SNAP)
    h_at: dict[int, list[tuple[float, float]]] = {}
    for y, a, b in hs:
        h_at.setdefault(_nearest(ys, y), []).append((a, b))
    v_at: dict[int, list[tuple[float, float]]] = {}
    for x, a, b in vs:
        v_at.setdefault(_nearest(xs, x), []).append((a, b))
    nr, nc = len(ys) - 1, len(xs) - 1
    # v[i][j]: an edge between cells (i, j-1) and (i, j); h[i][j]: between (i-1, j) and (i, j).
    v = [[_covered(v_at.get(j, []), ys[i], ys[i + 1]) for j in range(nc + 1)] for i in range(nr)]
    h = [[_covered(h_at.get(i, []), xs[j], xs[j + 1]) for j in range(nc)] for i in range(nr + 1)]
    runs = _column_runs(v, h)
    uf = _UnionFind(nr * nc)
    for i in range(nr):
        for j in range(nc):
            if i + 1 < nr and not h[i + 1][j]:
                uf.union(i * nc + j, (i + 1) * nc + j)
            if j + 1 < nc and not v[i][j + 1]:
                top, bottom = runs[i][j]
                one_cell = runs[i][j + 1] == (top, bottom) and not any(
                    v[r][j + 1] for r in range(top, bottom + 1)
                )
                if one_cell or _straddled(glyphs, xs[j + 1], ys[i], ys[i + 1]):
                    uf.union(i * nc + j, i * nc + j + 1)
    ids: list[list[int]] = [[uf.find(i * nc + j) for j in range(nc)] for i in range(nr)]
    return ys, xs, ids


def _column_runs(v: list[list[bool]], h: list[list[bool]]) -> list[list[tuple[int, int]]]:
    """(first row, last row) of the stretch of each column that no drawn row line divides.

    Cells are rectangles, so two such stretches side by side are one cell only when they
    span the same rows and no edge between them is drawn anywhere. Writer draws the sides of a
    vertically merged cell on its first row only: without this, the 一级 cell running on past
    its 二级 neighbour's first row would fuse with it (labels glued: 产出指标数量指标).
    """
    nr, nc = len(v), len(h[0])
    out = [[(0, 0)] * nc for _ in range(nr)]
    for j in range(nc):
        top = 0
        for i in range(nr + 1):
            if i == nr or (i > 0 and h[i][j]):
                for r in range(top, i):
                    out[r][j] = (top, i - 1)
                top = i
    return out


def _straddled(glyphs: Sequence[BBox], x: float, y0: float, y1: float) -> bool:
    """Whether a glyph crosses the vertical x between y0 and y1 (its cell spans the line)."""
    return any(g[0] < x - 1 and g[2] > x + 1 and y0 < (g[1] + g[3]) / 2 < y1 for g in glyphs)


def dedupe_line(chars: list[Char]) -> tuple[list[Char], bool]:
    """Drop fake-bold copies (same glyph a fraction of a point away); report overprinted conflicts."""
    out: list[Char] = []
    conflict = False
    for ch in sorted(chars, key=lambda c: c.x0):
        if out:
            prev = out[-1]
            near = abs(ch.x0 - prev.x0) < 0.3 * ch.size and abs(ch.y0 - prev.y0) < 0.3 * ch.size
            if near and ch.c == prev.c:
                continue
            if (
                near
                and abs(ch.x0 - prev.x0) < 0.12 * ch.size
                and not (ch.c.isspace() or prev.c.isspace())
            ):
                conflict = True
        out.append(ch)
    return out, conflict


# Where the visual middle of a CJK glyph sits above its baseline, in ems: the point that
# decides which cell a glyph belongs to when its baseline is known.
_MID_ABOVE_BASELINE = 0.35
# Two glyphs are on one text line when their line positions differ by less than this (ems).
_SAME_LINE = 0.45


def _line_y(ch: Char) -> float:
    """Where a glyph sits vertically: its baseline's visual middle, else its box centre (OCR).

    Box centres are not reliable for text layers: the box comes from the font's declared
    ascent and descent, and the fallback fonts producers use for CJK punctuation declare
    boxes that sit low or high (a line-end 。 whose box reaches into the next line).
    """
    if ch.baseline is not None:
        return ch.baseline - _MID_ABOVE_BASELINE * ch.size
    return (ch.y0 + ch.y1) / 2


def text_lines(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into text lines, top to bottom, by their baselines."""
    lines: list[list[Char]] = []
    ref: list[float] = []
    for y, ch in sorted([(_line_y(ch), ch) for ch in chars], key=itemgetter(0)):
        if lines and abs(y - ref[-1]) < _SAME_LINE * ch.size:
            lines[-1].append(ch)
        else:
            lines.append([ch])
            ref.append(y)
    return lines


def join_text(chars: list[Char], keep_spaces: bool = False) -> tuple[str, list[str]]:
    """Text of a cell or line: reading order, fake-bold collapsed, wraps joined without spaces.

    Inside cells, spaces touching CJK are dropped: justified lines and wraps put them there.
    Free lines (titles) keep the spaces they print.
    """
    text, doubts, _ = _join(chars, keep_spaces)
    return text, doubts


def _join(chars: list[Char], keep_spaces: bool) -> tuple[str, list[str], int]:
    """join_text, plus the number of text lines it assembled."""
    doubts: list[str] = []
    parts: list[str] = []
    lines = text_lines(chars)
    for line in lines:
        kept, conflict = dedupe_line(line)
        if conflict:
            doubts.append("overprinted different glyphs")
        buf: list[str] = []
        prev: Char | None = None
        for ch in kept:
            if prev is not None and not ch.c.isspace() and not prev.c.isspace():
                gap = ch.x0 - prev.x1
                if gap > 1.0 * ch.size and not (is_cjk(ch.c) or is_cjk(prev.c)):
                    buf.append(" ")
            buf.append(ch.c)
            prev = ch
        parts.append("".join(buf).strip())
    text = _join_wrapped(parts)
    text = " ".join(nfkc(text).split()) if keep_spaces else clean(text)
    bad = suspicious_glyphs(text)
    if bad:
        doubts.append("suspicious glyphs " + "".join(bad))
    return text, doubts, len(lines)


def _join_wrapped(parts: list[str]) -> str:
    """Wrapped lines joined without a space; a space survives only between two Latin words."""
    text = ""
    for part in parts:
        if (
            text
            and part
            and text[-1].isascii()
            and part[0].isascii()
            and text[-1].isalpha()
            and part[0].isalpha()
        ):
            text += " "
        text += part
    return text


def pymupdf_text(chars: list[Char]) -> str | None:
    """A second, independent reading of a cell: PyMuPDF's own lines, in PyMuPDF's order.

    PyMuPDF builds its lines from the pen position in the content stream, not from where
    boxes sit, so it goes wrong in other places than text_lines does; where the two
    readings differ, the order of the text is in doubt. Fake-bold copies (the same glyph a
    fraction of a point away, in the same line or a repeated one) are dropped. None when a
    glyph has no PyMuPDF line (OCR).
    """
    if not chars:
        return ""
    # Stable: glyphs keep PyMuPDF's order within its line (page.chars is already in order).
    ordered = sorted(chars, key=attrgetter("line"))
    if ordered[0].line < 0:
        return None
    seen: dict[str, list[tuple[float, float]]] = {}
    parts: list[str] = []
    buf: list[str] = []
    cur = ordered[0].line
    for ch in ordered:
        if ch.line != cur:
            parts.append("".join(buf).strip())
            buf, cur = [], ch.line
        c = ch.c
        if not c.isspace():
            y = ch.baseline if ch.baseline is not None else ch.y0
            near = seen.get(c)
            if near is None:
                seen[c] = [(ch.x0, y)]
            else:
                tol = 0.3 * ch.size
                if any(abs(ch.x0 - x) < tol and abs(y - yy) < tol for x, yy in near):
                    continue
                near.append((ch.x0, y))
        buf.append(c)
    parts.append("".join(buf).strip())
    return clean(_join_wrapped(parts))


def _second_reading(text: str, chars: list[Char], n_lines: int) -> str | None:
    """A cell's alt_text: PyMuPDF's reading, where there is something to read twice.

    A printed number is checked by arithmetic instead (None). A cell on one line in both
    readings has no lines to assemble: its glyphs are the same (page.chars, and so each
    cell's list, is in PyMuPDF's order, so the first and last glyph name its first and last
    line), and its alt_text is its text.
    """
    if read_number(text).ok:
        return None
    if chars and n_lines == 1 and chars[0].line == chars[-1].line >= 0:
        return text
    return pymupdf_text(chars)


def page_tables(page: PageContent) -> tuple[list[Table], list[TextLine]]:
    """The ruled tables of one page, and the text lines outside them."""
    hs = _merge_lines((s.y0, s.x0, s.x1) for s in page.segments if s.horizontal and s.x1 - s.x0 > 2)
    vs = _merge_lines(
        (s.x0, s.y0, s.y1) for s in page.segments if not s.horizontal and s.y1 - s.y0 > 2
    )
    tables: list[Table] = []
    grids = []
    glyphs = [(ch.x0, ch.y0, ch.x1, ch.y1) for ch in page.chars if not ch.c.isspace()]
    _check_grid_size(page.number, hs, vs)  # before the pairwise search of crossing lines
    for h_idx, v_idx in _components(hs, vs):
        th = [hs[i] for i in h_idx]
        tv = _close_open_sides(th, [vs[j] for j in v_idx])
        ys, xs, ids = _build_grid(th, tv, glyphs)
        if len(ys) < 2 or len(xs) < 2:
            continue
        grids.append((ys, xs, ids))
    grids.sort(key=lambda g: g[0][0])

    buckets: list[dict[int, list[Char]]] = [{} for _ in grids]
    free: list[Char] = []
    for ch in page.chars:
        cx = (ch.x0 + ch.x1) / 2
        cy = (
            (ch.y0 + ch.y1) / 2
            if ch.baseline is None
            else ch.baseline - _MID_ABOVE_BASELINE * ch.size
        )
        for k, (ys, xs, ids) in enumerate(grids):
            if ys[0] <= cy <= ys[-1] and xs[0] <= cx <= xs[-1]:
                i = min(bisect_right(ys, cy) - 1, len(ys) - 2)
                j = min(bisect_right(xs, cx) - 1, len(xs) - 2)
                buckets[k].setdefault(ids[i][j], []).append(ch)
                break
        else:
            free.append(ch)

    for (ys, xs, ids), bucket in zip(grids, buckets, strict=True):
        spans: dict[int, list[int]] = {}
        for i, row in enumerate(ids):
            for j, cid in enumerate(row):
                s = spans.get(cid)
                if s is None:
                    spans[cid] = [i, j, i, j]
                else:
                    s[0], s[1] = min(s[0], i), min(s[1], j)
                    s[2], s[3] = max(s[2], i), max(s[3], j)
        cells: list[Cell] = []
        for cid, (r0, c0, r1, c1) in spans.items():
            chars = bucket.get(cid, [])
            text, doubts, n_lines = _join(chars, keep_spaces=False)
            bbox = (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])
            readings = _readings_in(page, bbox)
            # A chosen empty reading is a mark OCR did not read (pipeline/read.py): the cell
            # is not surely empty.
            missed = [r.confidence for r in readings if r.chosen and not r.text and not chars]
            cells.append(
                Cell(
                    row=r0,
                    col=c0,
                    rowspan=r1 - r0 + 1,
                    colspan=c1 - c0 + 1,
                    bbox=bbox,
                    text=text,
                    page=page.number,
                    doubtful=doubts,
                    confidence=min([*(ch.score for ch in chars), *missed], default=1.0),
                    read_with=page.read_with,
                    readings=readings,
                    alt_text=_second_reading(text, chars, n_lines),
                )
            )
        cells.sort(key=lambda c: (c.row, c.col))
        tables.append(
            Table(
                page=page.number,
                bbox=(xs[0], ys[0], xs[-1], ys[-1]),
                n_rows=len(ys) - 1,
                n_cols=len(xs) - 1,
                cells=cells,
                text_layer=page.text_layer,
            )
        )
    return tables, _free_lines(page.number, free)


def _readings_in(page: PageContent, bbox: BBox) -> list[Reading]:
    """The per-source readings recorded for the cell with this box (matched by centre)."""
    if not page.readings:
        return []
    return [
        r
        for r in page.readings
        if bbox[0] <= (r.bbox[0] + r.bbox[2]) / 2 <= bbox[2]
        and bbox[1] <= (r.bbox[1] + r.bbox[3]) / 2 <= bbox[3]
    ]


def _free_lines(page_no: int, chars: list[Char]) -> list[TextLine]:
    out: list[TextLine] = []
    for line in text_lines([c for c in chars if not c.c.isspace()] or []):
        text, _ = join_text(line, keep_spaces=True)
        if text:
            out.append(
                TextLine(
                    page=page_no,
                    text=text,
                    bbox=(
                        min(c.x0 for c in line),
                        min(c.y0 for c in line),
                        max(c.x1 for c in line),
                        max(c.y1 for c in line),
                    ),
                    size=max(c.size for c in line),
                )
            )
    return out


def build_layout(pages: Iterable[PageContent]) -> DocumentLayout:
    """Tables and free text of every page, in page order."""
    tables: list[Table] = []
    lines: list[TextLine] = []
    layers: dict[int, TextLayer] = {}
    n = 0
    for page in pages:
        n += 1
        layers[page.number] = page.text_layer
        t, ln = page_tables(page)
        tables += t
        lines += ln
    return DocumentLayout(pages=n, tables=tables, lines=lines, text_layers=layers)


__all__ = ["build_layout", "join_text", "page_tables", "pymupdf_text", "text_lines"]
_ = Segment  # re-exported type used in signatures of callers
