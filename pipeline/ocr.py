"""OCR of page regions with PP-OCR recognisers: the only module that runs the OCR models.

The table grid is known from the image's ruling lines, so there is no need for a text
detector (the slow half of a whole-page run, and it returns lines, not cells: wrapped
cells split and side-by-side cells interleave). Each cell is cut into text lines by a
horizontal ink projection and only the recogniser runs, on the line crops. Text outside the
tables (the title) is found the same way on the rest of the page.

Two recognition models, trained apart, read the closed-set lines (numbers, targets with
their operator) and any line the first is unsure of: PP-OCRv6 reads every line, PP-OCRv4
reads those again (OcrLine.second), and pipeline/arbitrate.py trusts such a line on their
agreement, not on one model's score. Glyphs both misread when cut out alone are read by their
shape: '-', '—', '/', a row of dots, a wrapped 。, and an operator by its strokes (where the
recogniser read one of its kind).
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.confidence import OCR_CHAR_DOUBT, OCR_CHAR_SURE
from pipeline.imagelines import H_MIN_PT, V_MIN_PT, PageImage
from pipeline.models import BBox, Char
from pipeline.ocr_graph import logits_graph
from pipeline.textnorm import fold_quotes, is_cjk, nfkc

_models: dict[tuple[str, int], Recogniser] = {}
_DASH_PROB = 0.99
OPERATORS = "≥≤=><+-~±"  # what may lead a target, and what no one reader settles alone
_SOME_OPERATOR = "op"
_SHAPE_AGREES = 0.99  # the recogniser and the glyph's shape name the same operator
_lock = threading.Lock()
_TINY = np.finfo(np.float32).tiny


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One recognised text line: text, per-character probabilities and box (points)."""

    text: str
    probs: tuple[float, ...]  # one per character of text
    bbox: BBox  # ink extent, deskewed frame
    dropped: bool = False  # ink the recogniser emitted nothing for: it skipped a glyph
    lead_shape: str | None = None  # leading glyph read by its shape (≥ ≤ = op), if it stands apart
    second: str | None = None  # the second recogniser's text of the same crop (None: not read)

    @property
    def low(self) -> float:
        """The least certain character's probability (1.0 for an empty line)."""
        return min(self.probs, default=1.0)


@dataclass(frozen=True, slots=True)
class Model:
    """A text recognition model file that ships inside an installed wheel."""

    name: str
    package: str  # the distribution's import name: the file is found without importing it
    file: str  # path inside the package


# PP-OCRv4 (rapidocr-onnxruntime 1.4's wheel) and PP-OCRv6 small (rapidocr 3.x's wheel). Only
# the .onnx files are used, through onnxruntime: neither package's Python code runs, so no
# configuration or model download of theirs can happen.
MODELS = {
    m.name: m
    for m in (
        Model("ppocrv4", "rapidocr_onnxruntime", "models/ch_PP-OCRv4_rec_infer.onnx"),
        Model("ppocrv6", "rapidocr", "models/PP-OCRv6_rec_small.onnx"),
    )
}
# PP-OCRv6 reads these scans better and faster (benchmarks/bench_ocr_engines.py); PP-OCRv4,
# a model trained apart, reads the short lines of the closed set again (numbers, operators):
# two models rarely make the same mistake, so their agreement is the evidence.
DEFAULT_MODEL = "ppocrv6"
SECOND_MODEL = "ppocrv4"
_SECOND_UPTO = 24  # characters: number and target lines; longer lines are narrative


def model_path(name: str) -> Path:
    """The model's file inside its installed package (FileNotFoundError if not installed)."""
    model = MODELS[name]
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{model.package} is not installed (OCR model {name})")
    path = Path(next(iter(spec.submodule_search_locations))) / model.file
    if not path.is_file():
        raise FileNotFoundError(f"{path}: OCR model {name} is missing from its package")
    return path


@dataclass(frozen=True, slots=True)
class Recogniser:
    """One loaded recognition model: its onnxruntime session and its alphabet."""

    name: str
    session: Any  # onnxruntime.InferenceSession
    alphabet: list[str]  # CTC classes: blank, the model's characters, space
    folded: np.ndarray
    workers: int = 1  # crops recognised at once, one thread each
    height: int = 48
    logits: bool = False  # the session returns logits (pipeline/ocr_graph.py), not softmax

    def resize_norm(self, crop: np.ndarray, ratio: float) -> np.ndarray:
        """The crop at the model's height, scaled to [-1, 1], right-padded to `ratio` wide."""
        width = int(self.height * ratio)
        h, w = crop.shape[:2]
        resized_w = min(width, math.ceil(self.height * w / float(h)))
        img = cv2.resize(crop, (resized_w, self.height)).astype(np.float32)
        out = np.zeros((3, self.height, width), dtype=np.float32)
        out[:, :, :resized_w] = img.transpose((2, 0, 1)) / 127.5 - 1.0
        return out

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Per-step class scores of a batch (N, T, classes): logits, or the softmax where the
        graph kept it (`logits` says which)."""
        out = np.asarray(self.session.run(None, {self.session.get_inputs()[0].name: batch})[0])
        return out.reshape(batch.shape[0], -1, out.shape[-1]) if self.logits else out


def recogniser(threads: int, name: str = DEFAULT_MODEL) -> Recogniser:
    """The named recogniser, loaded once per thread count from its packaged file.

    `threads` crops are recognised at once, each on one thread: on these small inputs that is
    a fifth faster than one crop at a time on `threads` (benchmarks/bench_ocr.py)."""
    with _lock:
        rec = _models.get((name, threads))
        if rec is None:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.log_severity_level = 4
            # one crop per run keeps the arena small: with it, peak RSS is lower than without
            # (457 against 635 MiB, two workers; glibc's per-thread heaps grow instead)
            opts.enable_cpu_mem_arena = True
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            path = model_path(name)
            try:
                graph = logits_graph(path)
            except Exception:  # an onnx that reads the file differently: run it as it is
                graph = None
            session = ort.InferenceSession(
                graph if graph is not None else str(path),
                sess_options=opts,
                providers=["CPUExecutionProvider"],
            )
            chars = session.get_modelmeta().custom_metadata_map["character"].splitlines()
            alphabet = ["blank", *chars, " "]
            rec = Recogniser(
                name,
                session,
                alphabet,
                _folded(alphabet),
                max(1, threads),
                logits=graph is not None,
            )
            _models[(name, threads)] = rec
        return rec


def _text_ink(img: PageImage) -> np.ndarray:
    """Ink without the ruling lines and without isolated specks."""
    k_h = int(H_MIN_PT * img.scale)
    k_v = int(V_MIN_PT * img.scale)
    horizontal = cv2.getStructuringElement(cv2.MORPH_RECT, (k_h, 1))
    vertical = cv2.getStructuringElement(cv2.MORPH_RECT, (1, k_v))
    rules = cv2.bitwise_or(
        cv2.morphologyEx(img.ink, cv2.MORPH_OPEN, horizontal),
        cv2.morphologyEx(img.ink, cv2.MORPH_OPEN, vertical),
    )
    rules = cv2.dilate(rules, np.ones((3, 3), np.uint8))
    text = cv2.bitwise_and(img.ink, cv2.bitwise_not(rules))
    return cv2.morphologyEx(text, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))


def _spans(profile: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Runs of non-zero entries, joining runs separated by at most `gap` zeros."""
    on = np.flatnonzero(profile > 0)
    if on.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(on) > gap + 1)
    starts = np.concatenate(([on[0]], on[breaks + 1]))
    ends = np.concatenate((on[breaks], [on[-1]])) + 1
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


@dataclass(slots=True)
class _Band:
    region: int
    x0: int
    y0: int
    x1: int
    y1: int


def _bands(ink: np.ndarray, box: tuple[int, int, int, int], region: int, dpi: int) -> list[_Band]:
    """Text lines inside one pixel box: horizontal projection, then the ink's extent."""
    x0, y0, x1, y1 = box
    sub = ink[y0:y1, x0:x1]
    if sub.size == 0:
        return []
    min_ink = max(6, int(14 * (dpi / 200) ** 2))
    out: list[_Band] = []
    for a, b in _spans(sub.sum(axis=1), gap=max(1, dpi // 150)):
        row = sub[a:b]
        height = b - a
        # Pieces further apart than a few character heights are separate texts (or specks).
        pieces = [
            (c0, c1)
            for c0, c1 in _spans(row.sum(axis=0), gap=max(3 * height, int(dpi * 0.12)))
            if int(np.count_nonzero(row[:, c0:c1])) >= min_ink
        ]
        if pieces:
            out.append(_Band(region, x0 + pieces[0][0], y0 + a, x0 + pieces[-1][1], y0 + b))
    return out


def _line_height(bands: list[_Band], dpi: int) -> int:
    heights = sorted(b.y1 - b.y0 for b in bands if b.y1 - b.y0 > 4)
    return heights[len(heights) // 2] if heights else int(dpi * 0.13)


def _merge_short(bands: list[_Band], line_h: int) -> list[_Band]:
    """A line whose characters have a blank row across them (分值 in a faint scan) comes out
    as two short bands: join neighbours of one region that together are one line high."""
    out: list[_Band] = []
    for b in sorted(bands, key=lambda b: (b.region, b.y0)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.region == b.region
            and b.y0 - prev.y1 <= 0.3 * line_h
            and b.y1 - prev.y0 <= 1.25 * line_h
            and min(b.x1, prev.x1) > max(b.x0, prev.x0)
        ):
            out[-1] = _Band(b.region, min(b.x0, prev.x0), prev.y0, max(b.x1, prev.x1), b.y1)
        else:
            out.append(b)
    return out


def _split_tall(bands: list[_Band], ink: np.ndarray, line_h: int) -> list[_Band]:
    """Two lines whose ink touches form one tall band: cut it at its thinnest row."""
    out: list[_Band] = []
    todo = list(bands)
    while todo:
        b = todo.pop(0)
        h = b.y1 - b.y0
        if h < 1.7 * line_h:
            out.append(b)
            continue
        prof = np.count_nonzero(ink[b.y0 : b.y1, b.x0 : b.x1], axis=1)
        lo, hi = int(0.6 * line_h), h - int(0.6 * line_h)
        cut = b.y0 + lo + int(np.argmin(prof[lo:hi])) if hi > lo else b.y0 + h // 2
        todo[:0] = [_Band(b.region, b.x0, b.y0, b.x1, cut), _Band(b.region, b.x0, cut, b.x1, b.y1)]
    return out


def _is_dash(img: PageImage, b: _Band, line_h: int) -> bool:
    """A lone short bar at mid-height: the '-' these reports print for null. The recogniser
    reads a dash cut out alone poorly ('.', '·', '一'), its shape is unambiguous."""
    h, w = b.y1 - b.y0, b.x1 - b.x0
    if not (h <= 0.35 * line_h and 1.2 * h <= w <= 1.3 * line_h):
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(img.ink[b.y0 : b.y1, b.x0 : b.x1])
    if n != 2:
        return False
    _, _, cw, ch, area = (int(v) for v in stats[1])
    return cw >= 1.2 * ch and area >= 0.6 * cw * ch


def _dash(b: _Band, line_h: int) -> str:
    """Which dash a lone bar is, by its length: a hyphen is about a third of a line high long
    (0.3-0.4 on the eval scans), an em dash nearly a line (0.9); '?' between the two."""
    w = (b.x1 - b.x0) / line_h
    return "-" if w <= 0.55 else "—" if w >= 0.75 else "?"


def _is_slash(ink: np.ndarray, b: _Band, line_h: int) -> bool:
    """A lone stroke leaning right, a line high: the '/' these reports print for "not
    applicable". Both recognisers read a '/' cut out alone as '1', with full confidence; its
    shape tells them apart: a 1 stands upright, a slash's ink moves left row by row."""
    h, w = b.y1 - b.y0, b.x1 - b.x0
    if not (0.7 * line_h <= h <= 1.6 * line_h and 0.2 * h <= w <= 0.8 * h):
        return False
    glyph = ink[b.y0 : b.y1, b.x0 : b.x1] > 0
    n, _ = cv2.connectedComponents(glyph.astype(np.uint8))
    inked = [(y, np.flatnonzero(r)) for y, r in enumerate(glyph) if r.any()]
    if n > 3 or len(inked) < 0.85 * h:
        return False  # one stroke (a scan may break it once), inked nearly every row
    ys = np.array([y for y, _ in inked], dtype=np.float64)
    xs = np.array([r.mean() for _, r in inked])
    slope, offset = np.polyfit(ys, xs, 1)
    straight = float(np.abs(xs - (slope * ys + offset)).max()) <= 0.12 * h
    thin = max(int(r[-1] - r[0]) + 1 for _, r in inked) <= 0.5 * w + 1
    # from the top right to the bottom left across most of its width
    return bool(slope <= -0.2 and -slope * h >= 0.5 * w and straight and thin)


def _crop(img: PageImage, b: _Band, line_h: int) -> tuple[np.ndarray, int]:
    """The line's image with a margin (BGR, as the recogniser wants it) and its left edge."""
    h = b.y1 - b.y0
    # A short band (a dash, a row of dots) gets the height of a normal line around it.
    half = max(h, line_h) / 2 + max(3, int(0.25 * max(h, line_h)))
    cy = (b.y0 + b.y1) / 2
    ya, yb = max(0, int(cy - half)), min(img.gray.shape[0], int(cy + half + 1))
    m = max(3, int(0.25 * line_h))
    xa, xb = max(0, b.x0 - m), min(img.gray.shape[1], b.x1 + m)
    return cv2.cvtColor(img.gray[ya:yb, xa:xb], cv2.COLOR_GRAY2BGR), xa


@dataclass(frozen=True, slots=True)
class _Rec:
    text: str
    probs: tuple[float, ...]
    xs: tuple[float, ...]  # each character's position in the crop, pixels


# Width over height of the widest crop read: a text line a page wide at 200 dpi is ~55. The
# recogniser scales crops to its height, so a thin sliver (a damaged page's 11 x 1654 px strip)
# would become a 7,000 px wide input and a batch padded to it hundreds of MB: left unread (its
# cell is then unsettled), never recognised.
_MAX_RATIO = 90.0


def _recognize_one(crop: np.ndarray, rec: Recogniser) -> _Rec:
    ratio = crop.shape[1] / max(1, crop.shape[0])
    if ratio > _MAX_RATIO:
        return _Rec("", (), ())
    # Padded to its own width only: RapidOCR pads to 320 px at least, which makes a short
    # number cost as much as a line of text (~40% of the time).
    widest = max(1.0, ratio)
    pred = rec.run(rec.resize_norm(crop, widest)[np.newaxis])[0]
    text, probs, steps = _decode(pred, rec.alphabet, rec.folded, rec.logits)
    # Step t covers input columns [t, t+1) * padded / T; the crop fills `used` of them.
    padded = int(rec.height * widest)
    used = min(padded, math.ceil(rec.height * ratio))
    k = padded / len(pred) * crop.shape[1] / max(1, used)
    return _Rec(text, probs, tuple((t + 0.5) * k for t in steps))


class _Now:
    """An executor that runs each call as it is submitted (one worker: no threads)."""

    def submit(self, fn: Callable[..., _Rec], *args: Any) -> Future[_Rec]:
        done: Future[_Rec] = Future()
        done.set_result(fn(*args))
        return done

    def shutdown(self, cancel_futures: bool = False) -> None:
        """Nothing is ever queued."""


def _submit(pool: Executor | _Now, crops: list[np.ndarray], rec: Recogniser) -> list[Future[_Rec]]:
    """Each crop's recognition, queued longest first so that no worker is left alone with a
    long line at the end while the other waits; the futures are in the crops' order."""
    order = sorted(range(len(crops)), key=lambda i: -crops[i].shape[1] / max(1, crops[i].shape[0]))
    futures: dict[int, Future[_Rec]] = {
        i: pool.submit(_recognize_one, crops[i], rec) for i in order
    }
    return [futures[i] for i in range(len(crops))]


def _folded(alphabet: list[str]) -> np.ndarray:
    """Class index -> index of its representative under NFKC and quote folding (blank stays 0).

    Curly and straight quotes are one mark here, as in the scorer: printed reports mix them."""
    first: dict[str, int] = {}
    rep = np.arange(len(alphabet))
    for i, ch in enumerate(alphabet):
        if i == 0:
            continue
        key = fold_quotes(nfkc(ch))
        rep[i] = first.setdefault(key, i)
    return rep


def _decode(
    pred: np.ndarray, alphabet: list[str], folded: np.ndarray, logits: bool = True
) -> tuple[str, tuple[float, ...], tuple[int, ...]]:
    """Greedy CTC decoding of per-step scores (Recogniser.run: log scores such as logits, or
    softmax probabilities where not `logits`), with each character's probability against its
    strongest rival.

    The probability sums every candidate NFKC folds to the same text (the model often splits
    '(' and '（', which is no doubt here) and is taken relative to the best different
    character, not to the blank: the blank's share says where a glyph ends, not which it is.
    Both are ratios of softmax terms, so the softmax's sum cancels and the logits suffice.
    """
    best = pred.argmax(axis=1)
    text: list[str] = []
    probs: list[float] = []
    steps: list[int] = []
    prev = 0
    for t, k in enumerate(best):
        k = int(k)
        if k != 0 and k != prev:
            text.append(alphabet[k])
            # in log space (a constant apart per step, which the ratios below do not see);
            # only the steps that emit a character are taken there from probabilities
            row = pred[t] if logits else np.log(np.maximum(pred[t], _TINY))
            same = folded == folded[k]
            top = float(row[k])
            p = float(np.exp(row[same] - top).sum())
            # The strongest different character (blank aside: an emitted glyph is there).
            other = row.copy()
            other[same] = -np.inf
            other[0] = -np.inf
            q = math.exp(float(other.max()) - top)
            probs.append(p / (p + q))
            steps.append(t)
        prev = k
    return "".join(text), tuple(probs), tuple(steps)


def _ink_runs(ink: np.ndarray, b: _Band, line_h: int) -> list[tuple[int, int]]:
    """Column runs of the line's ink (band coordinates) that hold a glyph's worth of ink or part
    of one: specks of scanner noise, which the band may reach to, are left out."""
    row = ink[b.y0 : b.y1, b.x0 : b.x1]
    min_ink = max(6, line_h // 2)
    return [
        (c0, c1)
        for c0, c1 in _spans(row.sum(axis=0), gap=1)
        if int(np.count_nonzero(row[:, c0:c1])) >= min_ink
    ]


def _uncovered(c0: int, c1: int, reach: list[tuple[float, float]]) -> float:
    """The longest stretch of [c0, c1) that no interval of `reach` (sorted) covers."""
    longest, at = 0.0, float(c0)
    for a, z in reach:
        if z <= at:
            continue
        if a >= c1:
            break
        longest = max(longest, a - at)
        at = max(at, z)
    return max(longest, c1 - at)


def _full_width(c: str) -> bool:
    """A character set a full em wide: CJK, and the dashes, ellipses, quotes and dots Chinese
    text sets that wide."""
    return is_cjk(c) or c in "—…“”‘’·" or unicodedata.east_asian_width(c) in "WF"


def _reach(c: str, em: float, height: int) -> float:
    """How far from where the recogniser placed it a character's ink may lie."""
    if _full_width(c):
        return 0.6 * em
    # a point is narrow, but the recogniser may place it a step (~3 px) off its ink
    if c in ".,:;'`!":
        return 0.3 * height
    return (0.55 if c in "%@MWmw" else 0.4) * height


def _blots(ink: np.ndarray, b: _Band) -> list[tuple[int, int, int, int, int]]:
    """The band's connected pieces of ink (8-connected): x, y (band coordinates), width,
    height and ink pixels of each."""
    sub = (ink[b.y0 : b.y1, b.x0 : b.x1] > 0).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    return [(int(x), int(y), int(w), int(h), int(a)) for x, y, w, h, a in stats[1:n].tolist()]


def _line_em(text: str, xs: list[float], height: int) -> float:
    """The line's em: its height, or its CJK pitch where that is wider (a letter-spaced title).
    The pitch is the closest pair of ideographs: a skipped one doubles it, never halves it."""
    pairs = [
        b - a
        for (a, p), (b, q) in itertools.pairwise(zip(xs, text, strict=True))
        if unicodedata.category(p) == unicodedata.category(q) == "Lo"
    ]
    return max(float(height), min(pairs, default=0.0))


# How far past the last ideograph's position (ems) its own ink ends, at most: on the eval scans
# 0.4-0.7, the step the recogniser places it on being coarse. Further, a mark may be joined to it.
_LAST_GLYPH_REACH = 0.75


def _mark_after(ink: np.ndarray, b: _Band, last: float, em: float) -> bool:
    """A small blot of its own in the lower half of the line, past the middle of its last
    ideograph (at `last`, band coordinates): where a '。', '，' or '、' is set. A 。 sits so
    close to the glyph before it that their ink is one column run, and reaches no further
    past that glyph's position (0.6-0.7 em) than the glyph's own ink may: only its shape
    tells it is there."""
    half = 0.45 * (b.y1 - b.y0)
    return any(
        x >= last + 0.2 * em and 0.1 * em <= max(w, h) <= 0.5 * em and y >= half and area >= 5
        for x, y, w, h, area in _blots(ink, b)
    )


def _trailing_mark(
    img: PageImage,
    ink: np.ndarray,
    b: _Band,
    line_h: int,
    height: int,
    text: str,
    xs: list[float],
    runs: list[tuple[int, int]],
    model: Recogniser,
) -> bool:
    """A glyph after the line's last ideograph that the reading lacks: a '，' at a wrapped line's
    end, blurred into the 训 before it, is one ink run with it (no gap for _unread_ink to see),
    and the recogniser reads the whole line without it; a '。' is too small to tell by the
    run's length, but is a blot of its own (_mark_after). The line's end is then read again
    on its own, and a character after the last one read there is a glyph the line dropped.
    Only evidence of a drop: the line's text is never taken from it. `height`: the line's
    own, or the page's line height where that is larger."""
    if not text or not is_cjk(text[-1]) or not runs:
        return False
    em = _line_em(text, xs, height)
    far = runs[-1][1] - xs[-1] >= _LAST_GLYPH_REACH * em
    if not far and not _mark_after(ink, b, xs[-1], em):
        return False
    tail = replace(b, x0=b.x0 + int(max(0.0, xs[-1] - 2.5 * em)))
    crop, _ = _crop(img, tail, line_h)
    rec = _recognize_one(crop, model)
    again = "".join(rec.text[i] for i in _kept(rec.text))
    k = again.rfind(text[-1])
    return 0 <= k < len(again) - 1


def _unread_ink(runs: list[tuple[int, int]], text: str, xs: list[float], height: int) -> bool:
    """Ink in the line that no recognised character accounts for: a dropped glyph (a leading
    ≥ the recogniser skips with full confidence in the rest, the 三 of 三级指标 read as 级指标).

    Each character read accounts for the ink within its reach of where the recogniser placed
    it (PP-OCRv6 at its centre, PP-OCRv4 nearer its left part): a full-width character 0.6 em
    each way, wide enough for its detached parts (the 讠 of 训, the 丨 of 引) and short of the
    middle of a glyph skipped between two read ones; a digit, letter or operator 0.4 of the
    line's height, a point 0.3 (it may be placed a step off its ink). The em is the line's
    height, or its CJK pitch where that is wider (a letter-spaced title). Ink a glyph's width
    long outside every reach, or a narrow run (one glyph, or a part of one) whose middle lies
    outside, is a glyph nothing was read for."""
    em = _line_em(text, xs, height)
    reach = sorted(
        (x - _reach(c, em, height), x + _reach(c, em, height))
        for x, c in zip(xs, text, strict=True)
    )
    for c0, c1 in runs:
        if _uncovered(c0, c1, reach) >= 0.4 * height:
            return True
        mid = (c0 + c1) / 2
        if c1 - c0 < 0.6 * height and not any(a <= mid <= z for a, z in reach):
            return True
    return False


def _operator_shape(ink: np.ndarray, b: _Band, line_h: int) -> tuple[str | None, int]:
    """The line's leading glyph by shape when it stands apart: '≥', '≤', '=', 'op' (some
    operator) or None, and where it ends (pixels from the band's left edge).

    The recogniser reads this type's ≥ as '2' (alone, with full confidence) or skips it; the
    shape tells them apart: an operator is shorter than the digits after it, and its top
    stroke starts at the left (≥) or right (≤) edge, where a 2's top is a centred curve."""
    row = ink[b.y0 : b.y1, b.x0 : b.x1] > 0
    runs = _spans(row.sum(axis=0), gap=0)
    if len(runs) < 2 or runs[1][0] - runs[0][1] < 2:
        return None, 0
    c0, c1 = runs[0]
    glyph = row[:, c0:c1]
    ys = np.flatnonzero(glyph.any(axis=1))
    if ys.size == 0:
        return None, c1
    glyph = glyph[ys[0] : ys[-1] + 1]
    height, width = glyph.shape
    a, z = runs[1]
    next_ys = np.flatnonzero(row[:, a:z].any(axis=1))
    after = int(next_ys[-1] - next_ys[0]) + 1
    # Shorter than the next glyph (a digit: ≥ ≤ are 0.82-0.89 of it) and starting clearly
    # below its top (≥ ≤ by 0.16-0.19 of it; a '1', as short, by one pixel of the 0's
    # overshoot); a dash or a stroke of 一 is too flat to judge.
    low = ys[0] - next_ys[0]
    if after < 0.5 * line_h or width < 3:
        return None, c1
    if not (0.4 * after <= height < 0.92 * after) or low < max(2, 0.12 * after):
        return None, c1
    if float(glyph.mean()) > 0.75:
        # one solid blob (a blurred scan fills the gap of '=' and the slant of '≥'): an
        # operator by its size and place, which one the shape cannot tell
        return _SOME_OPERATOR, c1
    bars = _spans(glyph.sum(axis=1), gap=0)
    if len(bars) == 2 and all(z - a <= 0.3 * height for a, z in bars):
        return "=", c1
    # or two groups of rows solid across the glyph: a blurred scan thickens the bars and
    # joins them with specks; a ≥'s chevron is never solid across, only its bottom bar
    solid = (glyph.mean(axis=1) >= 0.85).astype(np.int64)
    if len(_spans(solid, gap=0)) == 2:
        return "=", c1
    top = np.flatnonzero(glyph[: max(1, height // 6)].any(axis=0))
    centre = float(top.mean()) / width
    if centre < 0.3:
        return "≥", c1
    if centre > 0.6:
        return "≤", c1
    return _SOME_OPERATOR, c1  # an operator by its size and place, which one is unclear


def _tall_operator(ink: np.ndarray, b: _Band, line_h: int) -> str | None:
    """The leading glyph's shape where it is as high as the digits after it (a font whose ≥
    spans them, which _operator_shape leaves alone): '≥' or '≤' by its strokes, or None.
    Asked only of a line the recogniser read as starting with an operator: a blurred 9, or
    the 冫 of 次, can count strokes like a ≥."""
    row = ink[b.y0 : b.y1, b.x0 : b.x1] > 0
    runs = _spans(row.sum(axis=0), gap=0)
    if len(runs) < 2 or runs[1][0] - runs[0][1] < 2:
        return None
    glyph = _glyph(row.astype(np.uint8), _Band(0, runs[0][0], 0, runs[0][1], row.shape[0]))
    if glyph.shape[0] < 0.5 * line_h:
        return None
    shape = _chevron(glyph)
    return shape if shape in ("≥", "≤") else None


def _strokes(col: np.ndarray) -> int:
    """How many strokes a column of a glyph crosses (runs of ink)."""
    return len(_spans(col.astype(np.int64), gap=0))


def _chevron(glyph: np.ndarray) -> str | None:
    """'≥', '≤' or '=' by the glyph's strokes (its ink, trimmed to its extent), or None.

    A vertical line through the open side of a ≥ crosses three strokes (both arms and the bar
    under them, flat or slanted as in ⩾), a >'s two: the recognisers read this type's ≥ as '>'
    or 'V', and which one is printed is the count. A blurred ≥ whose bar runs into its lower
    arm counts two and is not told from a '>': None, never '>'. '=' is two bars, each across
    the glyph, side by side more than one above the other."""
    h, w = glyph.shape
    if h < 5 or w < 5:
        return None
    if h <= 0.75 * w:
        bars = _spans(np.asarray(glyph.any(axis=1), dtype=np.int64), gap=0)
        across = len(bars) == 2 and all(glyph[a:z].any(axis=0).mean() >= 0.7 for a, z in bars)
        return "=" if across else None
    if not 0.75 * h <= w <= 1.4 * h:
        return None  # a chevron is about as wide as high, a digit narrower (5's strokes are 3)
    top = np.flatnonzero(glyph[: max(1, h // 6)].any(axis=0))
    if top.size == 0:
        return None
    centre = float(top.mean()) / w
    if centre < 0.35:  # the arms start at the left: the open side is there
        cols, shape = range(int(0.1 * w), int(0.35 * w) + 1), "≥"
    elif centre > 0.65:
        cols, shape = range(int(0.65 * w), int(0.9 * w) + 1), "≤"
    else:
        return None
    counts = [_strokes(glyph[:, x]) for x in cols]
    three = sum(1 for n in counts if n == 3)
    if three >= 0.6 * len(counts) and max(counts) <= 3:
        return shape
    # A blurred ≥ whose bar ran into its arm: at its point, the chevron's tip and the bar's
    # end (two strokes), or the tip alone well above the middle (it stands on a bar); a > or
    # < has its tip alone, at its middle.
    k = max(1, w // 8)
    for x in range(w - k, w) if shape == "≥" else range(k):
        runs = _spans(glyph[:, x].astype(np.int64), gap=0)
        if len(runs) == 2:
            (a0, a1), (b0, b1) = runs
            # the tip above the middle, the bar well below it (a >'s arms meet at its middle)
            if (a0 + a1) / 2 <= 0.42 * h and (b0 + b1) / 2 >= 0.6 * h:
                return shape
    rows = np.flatnonzero(glyph[:, -1 if shape == "≥" else 0])
    return shape if rows.size and float(rows.mean()) / (h - 1) <= 0.42 else None


def _glyph(ink: np.ndarray, b: _Band) -> np.ndarray:
    """The band's ink trimmed to its extent (boolean)."""
    g = ink[b.y0 : b.y1, b.x0 : b.x1] > 0
    ys, xs = np.flatnonzero(g.any(axis=1)), np.flatnonzero(g.any(axis=0))
    if ys.size == 0:
        return g[:0, :0]
    return g[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]


def _lone_glyph(ink: np.ndarray, b: _Band, line_h: int) -> np.ndarray | None:
    """The band's ink when the band is one glyph alone of an operator's size, else None."""
    glyph = _glyph(ink, b)
    h, w = glyph.shape
    if h == 0 or w > 1.4 * line_h or h > 1.4 * line_h or len(_spans(glyph.sum(axis=0), 0)) != 1:
        return None
    return glyph if h >= 0.5 * line_h or (h <= 0.75 * w and w >= 0.4 * line_h) else None


# What PP-OCRv6 reads a lone operator as, where the shape says which: its reading must be one of
# these for the shape to stand (a '>' read where the strokes are a ≥'s is this type's slip).
_LOOKS_LIKE = {"≥": "≥>V⩾≧", "≤": "≤<⩽≦", "=": "="}
# What both recognisers read a lone ≥ or ≤ as, agreeing, when its shape does not say which
# (china-s's ≥ alone reads 'M', a Sichuan ⩾ '>' or 'V'): unsure, never vouched for.
_LOOKALIKES = "><VvMNKW"


def _lone_reading(
    ink: np.ndarray, b: _Band, line_h: int, text: str, wrapped: bool
) -> tuple[str, float] | None:
    """A glyph alone in its band whose shape decides the reading: (text, probability), or
    None when the recognisers' reading stands (checked by the second one as any other).
    `wrapped`: the band's cell holds other lines (a text wrapped onto this one)."""
    if _small_round(b, line_h, text):
        # a 。 wrapped onto a line of its own; alone in its cell, a 。 or a small 0 (and the
        # recognisers agree on '0'): a person looks
        return ("。", _SHAPE_AGREES) if wrapped else (text, OCR_CHAR_DOUBT)
    glyph = _lone_glyph(ink, b, line_h)
    if glyph is None:
        return None
    shape = _chevron(glyph)
    if shape is not None and text in _LOOKS_LIKE[shape]:
        # the strokes say which operator, the recogniser that it is one of its kind
        return shape, _SHAPE_AGREES
    if len(text) == 1 and text in _LOOKALIKES:
        return text, OCR_CHAR_DOUBT
    return None


def _dots(ink: np.ndarray, b: _Band, line_h: int) -> int:
    """How many dots a band is when it is a row of them alone (the '……' a form prints for an
    indicator row to be filled in, read as 'oe' or '1'); 0 when it is not."""
    if b.y1 - b.y0 > 0.4 * line_h:
        return 0
    boxes = _blots(ink, b)
    if len(boxes) < 3 or any(bw > 0.35 * line_h or bh > 0.35 * line_h for _, _, bw, bh, _ in boxes):
        return 0
    centres = sorted(x + bw / 2 for x, _, bw, _, _ in boxes)
    gaps = np.diff(centres)
    # evenly spaced, each no further than a glyph from the next
    if gaps.max() > line_h or gaps.std() > 0.35 * gaps.mean():
        return 0
    return len(boxes)


def _small_round(b: _Band, line_h: int, text: str) -> bool:
    """A band that is a small round glyph alone, read as a 0 or an o: the 。 ending a text,
    wrapped onto a line of its own (a 0 is a digit high, a 。 under half a line)."""
    h, w = b.y1 - b.y0, b.x1 - b.x0
    return text in ("0", "o", "O", "°", "○", "。") and h <= 0.5 * line_h and w <= 0.5 * line_h


_PUNCT_LEAD = ";；:：,，、。"  # CJK punctuation that may begin a wrapped line


def _check_operator(
    shape: str | None, end: int, line_h: int, text: str, probs: list[float], xs: list[float]
) -> bool:
    """Compare the leading glyph's shape with what the recogniser read there. True when they
    disagree (the line must not be trusted); agreement makes the operator sure."""
    first = next((i for i, c in enumerate(text) if not c.isspace()), None)
    if first is None or shape is None:
        return False  # nothing stands apart to judge: the recogniser's word stands
    c = text[first]
    word = (is_cjk(c) or c in _PUNCT_LEAD) and is_cjk(text[first + 1 : first + 2])
    if word and ((c == "二" and shape == "=") or probs[first] >= OCR_CHAR_SURE):
        # a text line's first glyph standing apart (the 二 of 二级, 可 of 可持续, a wrapped
        # '；'), read as such before more CJK: an operator leads digits, not words
        return False
    if shape in ("≥", "≤") and text[first : first + 2] == {"≥": ">=", "≤": "<="}[shape]:
        return False  # '>=' printed as two glyphs: the shape saw the first, a chevron
    read = c if c in OPERATORS else None
    if read is None or xs[first] > end + 0.35 * line_h:
        return True  # an operator is printed there and the recogniser read none
    if shape == _SOME_OPERATOR:
        return False  # the recogniser's operator stands (with its own probability)
    if read != shape:
        return True
    probs[first] = max(probs[first], _SHAPE_AGREES)
    return False


def _printed_space(text: str, i: int) -> bool:
    """Whether a space the recogniser read is one these reports print: only between two Latin
    letters ('PM a'). Their digital pages print '≥95.00(%)' and '产出指标' without spaces, so a
    space OCR puts after an operator, between CJK characters or at either end is not kept."""
    if i == 0 or i == len(text) - 1:
        return False
    before, after = text[i - 1], text[i + 1]
    return before.isascii() and before.isalpha() and after.isascii() and after.isalpha()


def _kept(text: str) -> list[int]:
    """Indices of the characters kept: spaces only where these reports print them."""
    return [i for i, c in enumerate(text) if not (c.isspace() and not _printed_space(text, i))]


def _closed_set(text: str, shape: str | None) -> bool:
    """A short line with a digit or an operator: a number or a target, read twice."""
    if len(text) > _SECOND_UPTO:
        return False
    return shape is not None or any(c.isdigit() or c in OPERATORS for c in text)


def _mark(img: PageImage, ink: np.ndarray, b: _Band, line_h: int) -> str:
    """A lone glyph read by its shape, not by the recognisers, which misread it cut out alone:
    '-' or '—' (null), '/' (not applicable), a row of dots ('……', a row to fill in); ''
    for any other band."""
    if _is_dash(img, b, line_h):
        return _dash(b, line_h)
    if _is_slash(img.ink, b, line_h):
        return "/"
    dots = _dots(ink, b, line_h)
    return "…" * max(1, round(dots / 3)) if dots else ""


def _read_bands(
    img: PageImage,
    ink: np.ndarray,
    bands: list[_Band],
    line_h: int,
    model: Recogniser,
    second: Recogniser | None = None,
) -> list[tuple[_Band, OcrLine]]:
    """Each band's line: marks by their shape, the rest read by `model` and, for numbers,
    targets and lines it is unsure of, again by `second`.

    One crop per run (batches padded to their widest crop cost more than they saved), the
    model's workers running at once (onnxruntime releases the GIL while it runs). A line is
    checked as soon as its reading is in and its second reading queued then, so the workers
    are not idle while the lines are checked or between the two readings."""
    pool = ThreadPoolExecutor(model.workers) if model.workers > 1 else _Now()
    try:
        return _read_lines(img, ink, bands, line_h, model, second, pool)
    finally:
        # on the way out with an error, the crops still queued are not read
        pool.shutdown(cancel_futures=True)


def _read_lines(
    img: PageImage,
    ink: np.ndarray,
    bands: list[_Band],
    line_h: int,
    model: Recogniser,
    second: Recogniser | None,
    pool: Executor | _Now,
) -> list[tuple[_Band, OcrLine]]:
    shapes = [_mark(img, ink, b, line_h) for b in bands]
    todo = [b for b, mark in zip(bands, shapes, strict=True) if not mark]
    crops = [_crop(img, b, line_h) for b in todo]
    recognized = iter(zip(crops, _submit(pool, [c for c, _ in crops], model), strict=True))
    s = 1.0 / img.scale
    lines_in = Counter(b.region for b in bands)
    out: list[tuple[_Band, OcrLine]] = []
    again: dict[int, Future[_Rec]] = {}
    for b, mark in zip(bands, shapes, strict=True):
        box = (b.x0 * s, b.y0 * s, b.x1 * s, b.y1 * s)
        if mark:
            # a bar between a hyphen's width and an em dash's: which one is printed is unclear
            prob = _DASH_PROB if mark != "?" else OCR_CHAR_DOUBT
            out.append((b, OcrLine("-" if mark == "?" else mark, (prob,), box)))
            continue
        (crop, left), pending = next(recognized)
        rec = pending.result()
        keep = _kept(rec.text)
        text = "".join(rec.text[i] for i in keep)
        if not text.strip():
            continue
        # Positions relative to the band's own left edge.
        xs = [rec.xs[i] + left - b.x0 for i in keep]
        probs = [rec.probs[i] for i in keep]
        lone = _lone_reading(ink, b, line_h, text, lines_in[b.region] > 1)
        if lone is not None:
            lead = lone[0] if lone[0] in _LOOKS_LIKE else None
            out.append((b, OcrLine(lone[0], (lone[1],), box, lead_shape=lead)))
            continue
        shape, end = _operator_shape(ink, b, line_h)
        if shape is None and text[:1] in "≥≤><":
            shape = _tall_operator(ink, b, line_h)
        # the line's own height where it is larger than the page's (a title)
        height = max(line_h, b.y1 - b.y0)
        runs = _ink_runs(ink, b, line_h)
        dropped = _unread_ink(runs, text, xs, height)
        dropped |= _check_operator(shape, end, line_h, text, probs, xs)
        dropped = dropped or _trailing_mark(img, ink, b, line_h, height, text, xs, runs, model)
        # numbers and targets always; any other line where PP-OCRv6 is unsure of a character
        # (a name, a goal), so that agreement rather than its score can vouch for it: the
        # second recogniser reads the same crop, independently
        if second is not None and (_closed_set(text, shape) or min(probs) < OCR_CHAR_SURE):
            again[len(out)] = pool.submit(_recognize_one, crop, second)
        out.append((b, OcrLine(text, tuple(probs), box, dropped, shape)))
    for k, pending in again.items():
        band, line = out[k]
        rec = pending.result()
        out[k] = (band, replace(line, second="".join(rec.text[i] for i in _kept(rec.text))))
    return out


def _px(img: PageImage, bbox: BBox, inset: int = 0) -> tuple[int, int, int, int]:
    k = img.scale
    h, w = img.ink.shape
    return (
        max(0, int(bbox[0] * k) + inset),
        max(0, int(bbox[1] * k) + inset),
        min(w, int(bbox[2] * k) - inset),
        min(h, int(bbox[3] * k) - inset),
    )


def read_regions(
    img: PageImage,
    regions: list[BBox],
    threads: int = 2,
    model: str = DEFAULT_MODEL,
    second: str | None = SECOND_MODEL,
) -> list[list[OcrLine]]:
    """The text lines of each region (a table cell, in points), top to bottom; number and
    target lines also read by the `second` recogniser (OcrLine.second)."""
    ink = _text_ink(img)
    bands: list[_Band] = []
    for i, box in enumerate(regions):
        bands += _bands(ink, _px(img, box, inset=2), i, img.dpi)
    line_h = _line_height(bands, img.dpi)
    bands = _split_tall(_merge_short(bands, line_h), ink, line_h)
    out: list[list[OcrLine]] = [[] for _ in regions]
    rec = recogniser(threads, model)
    check = recogniser(threads, second) if second is not None else None
    for band, line in _read_bands(img, ink, bands, line_h, rec, check):
        out[band.region].append(line)
    for lines in out:
        lines.sort(key=lambda ln: ln.bbox[1])
    return out


def read_outside(
    img: PageImage, exclude: list[BBox], threads: int = 2, model: str = DEFAULT_MODEL
) -> list[OcrLine]:
    """Text lines of the page outside the given boxes (titles, headings, page numbers)."""
    ink = _text_ink(img).copy()
    for box in exclude:
        x0, y0, x1, y1 = _px(img, box, inset=-3)
        ink[y0:y1, x0:x1] = 0
    bands: list[_Band] = []
    h, w = ink.shape
    for band in _bands(ink, (0, 0, w, h), 0, img.dpi):
        # A full-width band may hold several texts side by side: split at wide gaps.
        row = ink[band.y0 : band.y1, band.x0 : band.x1]
        gap = max(3 * (band.y1 - band.y0), int(img.dpi * 0.12))
        for c0, c1 in _spans(row.sum(axis=0), gap=gap):
            bands.append(_Band(0, band.x0 + c0, band.y0, band.x0 + c1, band.y1))
    line_h = _line_height(bands, img.dpi)
    bands = _split_tall(bands, ink, line_h)
    rec = recogniser(threads, model)
    return [line for _, line in _read_bands(img, ink, bands, line_h, rec)]


def line_chars(line: OcrLine, score: float) -> list[Char]:
    """Characters of an OCR line, its box split evenly, each carrying `score`."""
    x0, y0, x1, y1 = line.bbox
    n = len(line.text)
    if n == 0:
        return []
    w = (x1 - x0) / n
    size = max(1.0, y1 - y0)
    return [
        Char(c, x0 + i * w, y0, x0 + (i + 1) * w, y1, size, False, score)
        for i, c in enumerate(line.text)
    ]
