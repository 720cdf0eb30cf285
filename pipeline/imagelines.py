"""Ruling lines from a page image: binarise, measure and undo the skew, find the table's lines.

Everything downstream (layout.page_tables, OCR crops, a hidden text layer) works in the
deskewed frame, so the grid is axis-aligned; `PageImage.deskew_point` maps original page
coordinates into it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.models import Segment

# Ruling lines are at least this long (points). Horizontal: longer than any stroke of an
# 18 pt title, shorter than the narrowest column (~30 pt). Vertical: shorter than the lowest
# one-line row (~16 pt) yet longer than a cell character's stroke; a title's vertical
# strokes are then told apart by meeting no horizontal rule.
H_MIN_PT = 20.0
V_MIN_PT = 11.0
_TOUCH_PT = 3.0  # a vertical line meets a horizontal rule within this distance
_MAX_SKEW = 5.0  # degrees; beyond this the page is rotated, not skewed


@dataclass(slots=True)
class PageImage:
    """A deskewed page image: grey levels, binary ink mask (255 = ink) and the geometry."""

    gray: np.ndarray
    ink: np.ndarray
    dpi: int
    angle: float  # degrees the scan was turned (cv2 sense, counter-clockwise) to deskew it
    width: float  # page size in points
    height: float

    @property
    def scale(self) -> float:
        """Pixels per point."""
        return self.dpi / 72.0

    def deskew_point(self, x: float, y: float) -> tuple[float, float]:
        """A point of the original page (points) in the deskewed frame (points)."""
        if not self.angle:
            return x, y
        m = cv2.getRotationMatrix2D((self.width / 2, self.height / 2), self.angle, 1.0)
        return (
            float(m[0, 0] * x + m[0, 1] * y + m[0, 2]),
            float(m[1, 0] * x + m[1, 1] * y + m[1, 2]),
        )


def binarize(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Ink mask (255 = ink): a local-mean threshold copes with uneven paper and JPEG noise."""
    block = max(15, int(dpi * 0.155)) | 1
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15
    )


def estimate_skew(ink: np.ndarray, dpi: int) -> float:
    """Skew in degrees (cv2 sense) from the long horizontal strokes: the table's rules."""
    k = max(15, int(dpi * 0.2))
    runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    angles: list[float] = []
    weights: list[float] = []
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if w < dpi:  # only long rules give a precise slope
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == i)
        if len(xs) < 20:
            continue
        slope = float(np.polyfit(xs.astype(np.float64), ys.astype(np.float64), 1)[0])
        angles.append(math.degrees(math.atan(slope)))
        weights.append(float(w))
    if not angles:
        return 0.0
    # Length-weighted median: robust to a stray slanted stroke.
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights)[order])
    angle = float(np.asarray(angles)[order][int(np.searchsorted(cum, cum[-1] / 2))])
    return angle if abs(angle) <= _MAX_SKEW else 0.0


def prepare(
    gray: np.ndarray, dpi: int, width: float, height: float, deskew: bool = True
) -> PageImage:
    """Binarise, measure the skew and, where there is one (and `deskew`), rotate it away."""
    ink = binarize(gray, dpi)
    angle = estimate_skew(ink, dpi) if deskew else 0.0
    if abs(angle) >= 0.02:
        h, w = gray.shape
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        gray = cv2.warpAffine(
            gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        ink = binarize(gray, dpi)
    else:
        angle = 0.0
    return PageImage(gray=gray, ink=ink, dpi=dpi, angle=angle, width=width, height=height)


def _runs(ink: np.ndarray, length: int, horizontal: bool) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of straight ink runs at least `length` pixels long."""
    size = (length, 1) if horizontal else (1, length)
    mask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
    # Close pinholes the JPEG or the threshold left in a line.
    bridge = (7, 1) if horizontal else (1, 7)
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge)
    )
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if (w if horizontal else h) >= length:
            out.append((x, y, w, h))
    return out


def ruling_segments(img: PageImage) -> list[Segment]:
    """The table's ruling lines as Segments in points (deskewed frame)."""
    s = 1.0 / img.scale
    hs = [
        Segment(x * s, (y + h / 2) * s, (x + w) * s, (y + h / 2) * s)
        for x, y, w, h in _runs(img.ink, int(H_MIN_PT * img.scale), horizontal=True)
    ]
    vs = [
        Segment((x + w / 2) * s, y * s, (x + w / 2) * s, (y + h) * s)
        for x, y, w, h in _runs(img.ink, int(V_MIN_PT * img.scale), horizontal=False)
    ]
    vs = [v for v in vs if _is_rule(v, hs)]
    hs = [h for h in hs if any(_crosses(h, v) for v in vs)]
    return hs + vs


def _is_rule(v: Segment, hs: list[Segment]) -> bool:
    """Whether a vertical run is a table's line rather than a character's stroke.

    A title's stroke meets no horizontal rule. Not "both ends on a rule": Writer draws the
    sides of a vertically merged cell on its first row only, so a line can end in the middle
    of the merged cell, at the height of its neighbour's row line. A line meets two rules, or
    meets one and ends, at both ends, at the height of a row line.
    """
    met = sum(1 for h in hs if _crosses(h, v))
    if met >= 2:
        return True
    t = _TOUCH_PT
    return met == 1 and all(any(abs(h.y0 - y) <= t for h in hs) for y in (v.y0, v.y1))


def _crosses(h: Segment, v: Segment) -> bool:
    t = _TOUCH_PT
    return h.x0 - t <= v.x0 <= h.x1 + t and v.y0 - t <= h.y0 <= v.y1 + t


# An empty cell is looked at this far inside its ruling lines (points): clear of the lines
# and their blur, yet wide of any glyph, which sits in the cell's padding-free middle.
_INK_MARGIN_PT = 3.0
_INK_MIN_PT = 1.5  # a mark at least this tall or wide is print, not a speck or JPEG noise


def has_ink(img: PageImage, bbox: tuple[float, float, float, float]) -> bool:
    """Whether a cell (points, deskewed frame) holds a printed mark: a cell OCR read as empty
    but with ink in it is a reading missed (a lone ≥ or 0), not an empty cell."""
    s, m = img.scale, _INK_MARGIN_PT
    x0, y0 = int((bbox[0] + m) * s), int((bbox[1] + m) * s)
    x1, y1 = int((bbox[2] - m) * s), int((bbox[3] - m) * s)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return False
    crop = img.ink[y0:y1, x0:x1]
    # An opening removes the specks and single-pixel noise a scan leaves on blank paper.
    crop = cv2.morphologyEx(crop, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    least = _INK_MIN_PT * s
    return any(max(stats[i][2], stats[i][3]) >= least for i in range(1, n))
