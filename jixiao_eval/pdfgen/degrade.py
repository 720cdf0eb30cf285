"""Scan-like image degradation and OCR-like text-layer corruption for the eval set."""

from __future__ import annotations

import io
from dataclasses import dataclass

import fitz
import numpy as np
from PIL import Image, ImageFilter

# Look-alike swaps an OCR engine makes on these forms (工 read as 匚, 0 as O, ...).
CONFUSIONS: dict[str, str] = {
    "工": "匚",
    "0": "O",
    "O": "0",
    "己": "已",
    "已": "己",
    "日": "曰",
    "曰": "日",
    "人": "入",
    "入": "人",
    "未": "末",
    "末": "未",
    "土": "士",
    "士": "土",
    "干": "千",
    "千": "干",
    "天": "夭",
    "王": "玉",
    "力": "刀",
    "1": "l",
    "5": "S",
    "8": "B",
    "，": ",",
    "：": ":",
    "。": ".",
}
DEFAULT_RATE = 0.04


@dataclass(frozen=True)
class ScanParams:
    """How one page is scanned: resolution, skew, blur, noise, paper and ink, JPEG quality."""

    dpi: int
    angle: float  # degrees, counter-clockwise as seen on the page
    shift: tuple[int, int]  # pixels
    blur: float  # Gaussian radius, pixels
    noise: float  # Gaussian sigma, grey levels
    paper: float
    ink: float
    speckle: float  # dark specks per megapixel
    quality: int


def scan_params(rng: np.random.Generator, *, mild: bool = False) -> ScanParams:
    """Draw the scan parameters of one page; mild is the cleaner OCR-layer look."""
    sign = 1.0 if rng.random() < 0.5 else -1.0
    if mild:
        return ScanParams(
            dpi=int(rng.choice([150, 200])),
            angle=sign * float(rng.uniform(0.05, 0.3)),
            shift=(0, 0),
            blur=float(rng.uniform(0.2, 0.5)),
            noise=float(rng.uniform(1.5, 3.5)),
            paper=float(rng.uniform(242, 252)),
            ink=float(rng.uniform(10, 35)),
            speckle=float(rng.uniform(0, 3)),
            quality=int(rng.integers(62, 78)),
        )
    return ScanParams(
        dpi=int(rng.choice([150, 175, 200])),
        angle=sign * float(rng.uniform(0.2, 1.0)),
        shift=(int(rng.integers(-6, 7)), int(rng.integers(-6, 7))),
        blur=float(rng.uniform(0.45, 0.9)),
        noise=float(rng.uniform(3.5, 8.0)),
        paper=float(rng.uniform(228, 248)),
        ink=float(rng.uniform(20, 55)),
        speckle=float(rng.uniform(2, 15)),
        quality=int(rng.integers(50, 76)),
    )


def render_gray(page: fitz.Page, dpi: int) -> np.ndarray:
    """Render a page to a greyscale uint8 array."""
    pix = page.get_pixmap(dpi=dpi, colorspace=fitz.csGRAY, alpha=False)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).copy()


def degrade(img: np.ndarray, p: ScanParams, rng: np.random.Generator) -> np.ndarray:
    """Skew, blur, paper/ink levels, noise and specks, deterministically from rng."""
    # Map white/black to paper/ink first so the rotation fills with paper colour.
    levels = (p.ink + (p.paper - p.ink) * np.arange(256) / 255.0).astype(np.uint8)
    im = Image.fromarray(levels[img])
    im = im.rotate(
        p.angle,
        resample=Image.Resampling.BICUBIC,
        translate=p.shift,
        fillcolor=int(p.paper),
    )
    out = np.asarray(im, dtype=np.float32)
    # Sensor noise goes in before the optics blur: it softens the grain the way a scanner
    # does, and keeps the JPEGs a realistic size.
    out += rng.standard_normal(out.shape, dtype=np.float32) * p.noise
    n_speck = int(p.speckle * out.size / 1e6)
    if n_speck:
        idx = rng.integers(0, out.size, n_speck)
        out.reshape(-1)[idx] = p.ink + rng.uniform(0, 60, n_speck)
    im = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    if p.blur > 0:
        im = im.filter(ImageFilter.GaussianBlur(p.blur))
    return np.asarray(im)


def scan_page(
    page: fitz.Page, rng: np.random.Generator, *, mild: bool = False
) -> tuple[bytes, ScanParams]:
    """One page as a scanner would return it: (JPEG bytes, the parameters drawn for it)."""
    params = scan_params(rng, mild=mild)
    img = degrade(render_gray(page, params.dpi), params, rng)
    return to_jpeg(img, params.quality), params


def to_jpeg(img: np.ndarray, quality: int) -> bytes:
    """Encode a greyscale array as JPEG."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality, optimize=False)
    return buf.getvalue()


def rotation_matrix(angle: float) -> fitz.Matrix:
    """Page-space matrix of a counter-clockwise image rotation (PIL convention)."""
    # PyMuPDF's y axis points down, so a visual counter-clockwise turn is a negative angle.
    return fitz.Matrix(-angle)


def corrupt_text(text: str, rng: np.random.Generator, rate: float = DEFAULT_RATE) -> str:
    """OCR-like errors: look-alike swaps and dropped digits on a share `rate` of the
    eligible characters (those with a look-alike, and digits)."""
    out: list[str] = []
    for ch in text:
        eligible = ch in CONFUSIONS or ch.isdigit()
        if not eligible or rng.random() >= rate:
            out.append(ch)
            continue
        if ch.isdigit() and (ch not in CONFUSIONS or rng.random() < 0.5):
            continue  # the digit is lost
        out.append(CONFUSIONS[ch])
    return "".join(out)
