"""OCR readings kept on disk, keyed by exactly what determines them (used by `jixiao eval`).

A reading is a pure function of the page image's pixels, the boxes read, the thread count and
the OCR code and models; the key is a sha256 of all of them (the source of pipeline/ocr.py,
pipeline/ocr_graph.py and pipeline/imagelines.py, and the versions of the OCR packages). An
unchanged scan is then not OCR'd again by the next eval run, while any change to the image,
the boxes or the OCR code reads afresh. Off unless ReadOptions.ocr_cache names a folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from pipeline.imagelines import PageImage
from pipeline.models import BBox
from pipeline.ocr import SECOND_MODEL, OcrLine, read_outside, read_regions
from pipeline.options import ReadOptions
from pipeline.output import write_atomic

T = TypeVar("T")
_PACKAGES = ("rapidocr", "rapidocr-onnxruntime", "onnxruntime", "onnx", "opencv-python", "numpy")


@cache
def _code_key() -> str:
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in ("ocr.py", "ocr_graph.py", "imagelines.py", "ocr_cache.py"):
        h.update((here / name).read_bytes())
    for package in _PACKAGES:
        try:
            h.update(f"{package}={metadata.version(package)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{package}=none;".encode())
    return h.hexdigest()


def _key(kind: str, img: PageImage, boxes: list[BBox], threads: int) -> str:
    h = hashlib.sha256(_code_key().encode())
    geometry = [kind, img.dpi, img.angle, img.width, img.height, threads, boxes]
    h.update(json.dumps(geometry).encode())
    for pixels in (img.gray, img.ink):
        h.update(f"{pixels.shape}{pixels.dtype}".encode())
        h.update(pixels.tobytes())
    return h.hexdigest()


def _line(data: dict[str, Any]) -> OcrLine:
    # every field of the line, so a field added to OcrLine is kept (tuples come back as lists)
    return OcrLine(**{**data, "probs": tuple(data["probs"]), "bbox": tuple(data["bbox"])})


def _plain(line: OcrLine) -> dict[str, Any]:
    return dataclasses.asdict(line)


def _cached(
    folder: str,
    key: str,
    compute: Callable[[], T],
    dump: Callable[[T], Any],
    load: Callable[[Any], T],
) -> T:
    path = Path(folder) / key[:2] / f"{key}.json"
    try:
        return load(json.loads(path.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError):  # missing or damaged: read afresh
        pass
    value = compute()
    try:
        os.makedirs(path.parent, exist_ok=True)
        write_atomic(path, json.dumps(dump(value), ensure_ascii=False))
    except Exception:
        pass
    return value


def regions(
    img: PageImage, boxes: list[BBox], opts: ReadOptions, second: str | None = SECOND_MODEL
) -> list[list[OcrLine]]:
    """read_regions (numbers and targets read again by `second`), through the cache when one
    is configured."""
    if not opts.ocr_cache:
        return read_regions(img, boxes, opts.threads, second=second)
    return _cached(
        opts.ocr_cache,
        _key(f"regions/{second}", img, boxes, opts.threads),
        lambda: read_regions(img, boxes, opts.threads, second=second),
        lambda value: [[_plain(ln) for ln in lines] for lines in value],
        lambda data: [[_line(ln) for ln in lines] for lines in data],
    )


def outside(img: PageImage, exclude: list[BBox], opts: ReadOptions) -> list[OcrLine]:
    """read_outside, through the cache when one is configured."""
    if not opts.ocr_cache:
        return read_outside(img, exclude, opts.threads)
    return _cached(
        opts.ocr_cache,
        _key("outside", img, exclude, opts.threads),
        lambda: read_outside(img, exclude, opts.threads),
        lambda value: [_plain(ln) for ln in value],
        lambda data: [_line(ln) for ln in data],
    )
