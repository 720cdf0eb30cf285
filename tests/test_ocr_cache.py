"""The eval's OCR cache: a scan read twice is OCR'd once, with the same result; a change reads afresh."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import fitz
import numpy as np
import pytest

from pipeline import ocr
from pipeline.imagelines import PageImage
from pipeline.ocr_cache import _key
from pipeline.options import ReadOptions, RunOptions
from pipeline.run import process_file


def _result(pdf: Path, cache: Path, dpi: int = 200) -> dict[str, object]:
    opts = RunOptions(read=ReadOptions(ocr_cache=str(cache), threads=1, dpi=dpi))
    data = json.loads(process_file(pdf, opts).model_dump_json())
    data.pop("seconds")
    return data


def test_a_scan_read_again_reuses_its_ocr(
    tmp_path: Path, seed_pdfs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = fitz.open(seed_pdfs["scan"])
    doc.select([0])  # one scanned page keeps the test short
    scan = tmp_path / "scan.pdf"
    doc.save(scan)
    cache = tmp_path / "ocr-cache"
    first = _result(scan, cache)
    assert list(cache.rglob("*.json"))  # the page left its readings
    # Without an OCR engine at all, only the cache can give the same reading again.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    monkeypatch.setattr(ocr, "_models", {})
    assert _result(scan, cache) == first
    # One pixel changed is another image: it would be read afresh.
    img = PageImage(np.zeros((40, 30), np.uint8), np.zeros((40, 30), np.uint8), 200, 0.0, 10, 14)
    box = [(0.0, 0.0, 5.0, 5.0)]
    key = _key("regions", img, box, 1)
    img.gray[3, 4] = 1
    assert _key("regions", img, box, 1) != key
    assert _key("regions", img, box, 2) != _key("regions", img, box, 1)
