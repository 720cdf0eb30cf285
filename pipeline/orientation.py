"""Which way up a scanned page is: the quarter turns that make its text upright.

Text lines run along the reading direction: smearing the ink along the lines joins each line's
glyphs into one blob, smearing across them does not (lines are further apart than glyphs). That
tells a page whose lines run across (upright or upside down) from one turned a quarter. The
recogniser then tells the two remaining ways apart by reading a few lines both ways: text upside
down reads as low-probability garbage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.imagelines import PageImage, binarize, prepare
from pipeline.models import BBox
from pipeline.ocr import OcrLine

# How much fewer blobs one smear direction must give than the other to call the lines' axis.
_AXIS_RATIO = 0.75
# Mean recogniser probability at which the first way read is taken without trying the other.
# Upright probe lines read 0.976-1.0 on the eval scans and the families; upside down, most
# read 0.73-0.89, but a Sichuan Writer page's 0.92: at 0.9 that page was taken as upright.
_SURE_READ = 0.97
# How much better the other way must read to be taken.
_MARGIN = 0.05
_PROBE_LINES = 4
_PROBE_EMS = 8
_INK = 128  # grey level below which a pixel is ink, where a probe line may be cut


@dataclass(frozen=True, slots=True)
class Orientation:
    """Clockwise quarter turns that make the page upright, and the evidence for them."""

    turns: int
    why: str


def turn(gray: np.ndarray, turns: int) -> np.ndarray:
    """The image turned clockwise by `turns` quarter turns."""
    return np.ascontiguousarray(np.rot90(gray, -turns)) if turns % 4 else gray


def _text_mask(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Ink without the ruling lines: what is left is text."""
    ink = binarize(gray, dpi)
    k = max(15, int(dpi * 0.3))
    across = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1))
    )
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, k)))
    rules = cv2.bitwise_or(across, down)
    rules = cv2.dilate(rules, np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(ink, cv2.bitwise_not(rules))


def _glyph_size(mask: np.ndarray, dpi: int) -> float | None:
    """Median glyph extent (pixels), from the mask's blobs of glyph size."""
    joined = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    lo, hi = dpi * 0.04, dpi * 0.4
    sizes = [
        max(int(w), int(h))
        for _, _, w, h, _ in stats[1:]
        if lo <= max(w, h) <= hi and min(w, h) >= lo / 3
    ]
    return float(np.median(sizes)) if len(sizes) >= 10 else None


def _blobs(mask: np.ndarray, size: tuple[int, int], dpi: int) -> np.ndarray:
    """Stats (x, y, w, h, area) of the blobs left after smearing the mask by `size`."""
    smeared = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, size)
    )
    _, _, stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
    small = dpi * 0.04
    keep = [s for s in stats[1:] if max(s[2], s[3]) >= small]
    return np.array(keep, dtype=np.int64).reshape(-1, 5)


def _lines_axis(mask: np.ndarray, dpi: int) -> tuple[str | None, float, np.ndarray]:
    """'across' (lines run left to right), 'down' (turned a quarter) or None; the em in pixels;
    the blobs of the smear along the lines (text lines, for the recogniser to probe)."""
    em = _glyph_size(mask, dpi)
    if em is None:
        return None, 0.0, np.zeros((0, 5), np.int64)
    k = max(2, int(0.3 * em))
    along_x = _blobs(mask, (k, 1), dpi)
    along_y = _blobs(mask, (1, k), dpi)
    nx, ny = len(along_x), len(along_y)
    if nx < _AXIS_RATIO * ny:
        return "across", em, along_x
    if ny < _AXIS_RATIO * nx:
        return "down", em, along_y
    return None, em, along_x


def _cut(gray: np.ndarray, blob: np.ndarray, em: float, turned: bool) -> int | None:
    """Where along a long line to stop reading it (pixels from its start): the gap between
    glyphs nearest _PROBE_EMS ems. A whole line costs its whole width to read and says no
    more; None for a line short enough, or with no gap near there."""
    x, y, bw, bh = (int(v) for v in blob[:4])
    if (bh if turned else bw) < 1.5 * _PROBE_EMS * em:
        return None
    ink = gray[y : y + bh, x : x + bw] < _INK
    blank = np.flatnonzero(~ink.any(axis=1 if turned else 0))
    want, slack = _PROBE_EMS * em, 2 * em
    if not len(blank):
        return None
    cut = int(blank[np.argmin(np.abs(blank - want))])
    return cut if abs(cut - want) <= slack else None


def _thickness(lines: np.ndarray, turned: bool) -> float | None:
    """The median thickness of the line-shaped blobs (three times as long as thick): the
    height of the page's text. The glyph size overstates it where the mask joins neighbouring
    glyphs into words (it came out twice the lines' height on the seed's scan), which left
    every line too thin to probe."""
    thick = [
        int(t)
        for x, y, bw, bh, _ in lines
        for length, t in [(bh, bw) if turned else (bw, bh)]
        if length >= 3 * t
    ]
    return float(np.median(thick)) if len(thick) >= 3 else None


def _probe_boxes(
    lines: np.ndarray,
    em: float,
    turned: bool,
    gray: np.ndarray,
) -> list[BBox]:
    """One-line blobs of about _PROBE_EMS characters (longer ones cut between glyphs), as
    pixel boxes of the image turned upright along the lines (`lines`: pixels of `gray`)."""
    h, w = gray.shape
    em = _thickness(lines, turned) or em
    out: list[tuple[float, BBox]] = []
    for blob in lines:
        x, y, bw, bh, _ = (int(v) for v in blob)
        length, thick = (bh, bw) if turned else (bw, bh)
        if not (0.6 * em <= thick <= 1.5 * em) or length < 3 * em:
            continue
        # a margin along the line; across it, the blob's own extent and the few pixels the
        # reader insets by: a wider one takes in slivers of the lines above and below, which
        # read as garbage (a low score for an upright page) and cost a read each
        along, across = int(0.3 * em), 2
        cut = _cut(gray, blob, em, turned)
        end = along
        if cut is not None:
            length, end = cut, across  # no margin into the next glyph
        if turned:
            x0, y0, x1, y1 = x - across, y - along, x + bw + across, y + length + end
        else:
            x0, y0, x1, y1 = x - along, y - across, x + length + end, y + bh + across
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        # a clockwise quarter turn maps pixel (x, y) of an h-row image to (h - 1 - y, x)
        box = (h - y1, x0, h - y0, x1) if turned else (x0, y0, x1, y1)
        # lines nearest _PROBE_EMS long: enough characters to judge, few to read
        fit = abs(length / em - _PROBE_EMS)
        out.append((fit, (float(box[0]), float(box[1]), float(box[2]), float(box[3]))))
    out.sort(key=lambda t: t[0])
    return [b for _, b in out[:_PROBE_LINES]]


# Reads the text lines of regions (points) of a page image: pipeline.ocr.read_regions, or the
# eval's cache of it.
Reader = Callable[[PageImage, list[BBox]], list[list[OcrLine]]]


def _read_score(gray: np.ndarray, dpi: int, boxes_px: list[BBox], read: Reader) -> float:
    """Mean recogniser probability over the characters read in the boxes (the line crops are
    stacked into one small image, so the page is not prepared twice)."""
    crops = [gray[int(y0) : int(y1), int(x0) : int(x1)] for x0, y0, x1, y1 in boxes_px]
    crops = [c for c in crops if c.size]
    if not crops:
        return 0.0
    gap = max(8, dpi // 10)
    width = max(c.shape[1] for c in crops) + 2 * gap
    strip = np.full((sum(c.shape[0] + gap for c in crops) + gap, width), 255, np.uint8)
    regions: list[BBox] = []
    scale = dpi / 72.0
    y = gap
    for c in crops:
        strip[y : y + c.shape[0], gap : gap + c.shape[1]] = c
        regions.append(
            (
                (gap - 2) / scale,
                (y - 2) / scale,
                (gap + c.shape[1] + 2) / scale,
                (y + c.shape[0] + 2) / scale,
            )
        )
        y += c.shape[0] + gap
    h, w = strip.shape
    img = prepare(strip, dpi, w / scale, h / scale, deskew=False)
    probs = [p for lines in read(img, regions) for ln in lines for p in ln.probs]
    return float(np.mean(probs)) if probs else 0.0


def _flip(boxes: list[BBox], shape: tuple[int, int]) -> list[BBox]:
    """Boxes of an image turned half a turn."""
    h, w = shape
    return [(w - x1, h - y1, w - x0, h - y0) for x0, y0, x1, y1 in boxes]


def upright(gray: np.ndarray, dpi: int, read: Reader) -> Orientation:
    """The clockwise quarter turns (0-3) that make a scanned page's text upright."""
    # the lines' axis is plain at half the resolution, for a quarter of the work
    shrink = 2 if dpi >= 150 else 1
    small = cv2.resize(gray, None, fx=1 / shrink, fy=1 / shrink, interpolation=cv2.INTER_AREA)
    axis, em, lines = _lines_axis(_text_mask(small, dpi // shrink), dpi // shrink)
    lines = lines * np.array([shrink, shrink, shrink, shrink, shrink * shrink], np.int64)
    em *= shrink
    if axis is None:
        return Orientation(0, "no clear text lines: read as it is")
    first = 1 if axis == "down" else 0
    base = turn(gray, first)
    boxes = _probe_boxes(lines, em, axis == "down", gray)
    if not boxes:
        return Orientation(first, "text lines run down the page" if first else "")
    score = _read_score(base, dpi, boxes, read)
    if score >= _SURE_READ:
        return Orientation(first, "text lines run down the page" if first else "")
    other = _read_score(turn(base, 2), dpi, _flip(boxes, base.shape), read)
    if other > score + _MARGIN:
        return Orientation(first + 2, f"reads {other:.2f} turned, {score:.2f} as it is")
    return Orientation(first, f"reads {score:.2f}, {other:.2f} the other way up")
