"""Render (pipeline/render.py): opening PDFs within limits, characters, ruling lines, images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import InputFileError
from pipeline.options import RenderOptions, RunOptions
from pipeline.render import open_pdf, read_page, render_gray, render_png
from pipeline.run import process_file
from schemas import ErrorKind, TextLayer


def test_digital_page_gives_chars_lines_and_a_digital_layer(seed_pdfs: dict[str, Path]) -> None:
    with open_pdf(seed_pdfs["digital"]) as doc:
        page = read_page(doc[0])
    assert page.number == 1 and page.text_layer is TextLayer.digital
    text = "".join(c.c for c in page.chars)
    assert "项目名称" in text
    assert sum(s.horizontal for s in page.segments) > 10
    assert sum(not s.horizontal for s in page.segments) > 5


def test_scan_has_no_text_layer_and_renders_grey(seed_pdfs: dict[str, Path]) -> None:
    with open_pdf(seed_pdfs["scan"]) as doc:
        page = read_page(doc[0])
        gray = render_gray(doc[0], 72)
    assert page.text_layer is TextLayer.none and page.image_coverage > 0.9
    assert gray.dtype == np.uint8
    assert abs(gray.shape[0] - page.height) <= 1 and abs(gray.shape[1] - page.width) <= 1
    assert 0 < float(gray.mean()) < 255


def test_png_of_a_clip(seed_pdfs: dict[str, Path]) -> None:
    png = render_png(seed_pdfs["digital"], 1, dpi=72, clip=(0, 0, 100, 50))
    assert png.startswith(b"\x89PNG")


def test_limits_raise_one_kind(seed_pdfs: dict[str, Path]) -> None:
    with (
        pytest.raises(InputFileError) as info,
        open_pdf(seed_pdfs["digital"], RenderOptions(max_pages=1)),
    ):
        pass
    assert info.value.kind is ErrorKind.too_large


def test_too_many_pages_is_too_large(seed_pdfs: dict[str, Path]) -> None:
    path = seed_pdfs["digital"]
    res = process_file(path, RunOptions(render=RenderOptions(max_pages=1)))
    assert res.projects == []
    assert [e.kind for e in res.errors] == ["too_large"]
    msg = res.errors[0].message
    assert str(path) in msg and "1-page limit" in msg, msg


def test_too_many_bytes_is_too_large(seed_pdfs: dict[str, Path]) -> None:
    path = seed_pdfs["digital"]
    res = process_file(path, RunOptions(render=RenderOptions(max_bytes=1024)))
    assert [e.kind for e in res.errors] == ["too_large"]
    assert str(path) in res.errors[0].message


def test_too_many_bytes_message_shows_distinct_sizes(seed_pdfs: dict[str, Path]) -> None:
    res = process_file(seed_pdfs["digital"], RunOptions(render=RenderOptions(max_bytes=1024)))
    msg = res.errors[0].message
    assert "0 MB, over the 0 MB" not in msg, msg
