"""Page -> greyscale image (numpy), for reading scans: the PyMuPDF side of OCR."""

from __future__ import annotations

import fitz
import numpy as np


def render_gray(page: fitz.Page, dpi: int) -> np.ndarray:
    """The page rendered at `dpi` as a greyscale uint8 array (rows x columns)."""
    pix = page.get_pixmap(dpi=dpi, colorspace=fitz.csGRAY, alpha=False)
    img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)
    return img[:, : pix.width].copy()
