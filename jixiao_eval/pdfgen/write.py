"""Seeded, deterministic 绩效自评表 PDFs from a ground-truth report, in four variants.

digital   vector text and ruled tables; bold drawn with render_mode=2; a page per project.
fakebold  tables follow each other; bold drawn as 2-3 offset copies; rows split at page breaks.
scan      image-only pages: a digital or fakebold rendering, skewed, blurred, noisy, JPEG.
badlayer  milder scan images with an invisible (render_mode=3) OCR-like text layer with errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import fitz
import numpy as np

from jixiao_eval.pdfgen import degrade
from jixiao_eval.pdfgen.draw import draw_invisible, draw_vector, to_bytes
from jixiao_eval.pdfgen.layout import Layout, TextItem, layout_report
from jixiao_eval.pdfgen.style import PAGE_H, PAGE_W, Style, make_style
from schemas.report import Project, Report, TruthReport

VARIANTS = ("digital", "fakebold", "scan", "badlayer")
_VARIANT_CODE = {name: i for i, name in enumerate(VARIANTS)}


def _projects(report: Report | TruthReport) -> list[Project]:
    # A TruthProject is a Project; its truth-only fields are simply never printed.
    return list(report.projects)


def _rng(seed: int, variant: str, stream: int = 0) -> np.random.Generator:
    # Separate streams keep the choices independent of each other.
    return np.random.default_rng([seed, _VARIANT_CODE[variant], stream, 20240])


def _base_variant(seed: int, variant: str) -> str:
    """Which vector rendering a raster variant starts from (seeded)."""
    return "fakebold" if _rng(seed, variant, stream=1).random() < 0.5 else "digital"


def layout_pages(report: Report | TruthReport, variant: str, seed: int = 0) -> tuple[Layout, Style]:
    """Paginated layout (text lines with their fields, cell rectangles) behind a rendering."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    style = make_style(seed)
    vector = variant if variant in ("digital", "fakebold") else _base_variant(seed, variant)
    layout = layout_report(report.title, _projects(report), style, continuous=vector == "fakebold")
    return layout, style


def _raster(
    src: fitz.Document,
    rng: np.random.Generator,
    *,
    mild: bool,
    layers: list[list[TextItem]] | None = None,
    rate: float = degrade.DEFAULT_RATE,
) -> fitz.Document:
    """One JPEG per page (A4), plus an invisible corrupted text layer when `layers` is given."""
    out = fitz.open()
    for i, page in enumerate(src):
        jpeg, params = degrade.scan_page(page, rng, mild=mild)
        new = out.new_page(width=PAGE_W, height=PAGE_H)
        new.insert_image(new.rect, stream=jpeg)
        if layers is not None:
            texts = [
                TextItem(t.x, t.y, degrade.corrupt_text(t.text, rng, rate), t.size, t.bold, t.field)
                for t in layers[i]
            ]
            draw_invisible(new, texts, degrade.rotation_matrix(params.angle))
    return out


def render_report(report: Report | TruthReport, variant: str, seed: int = 0) -> bytes:
    """The PDF bytes of `report` in one of VARIANTS; same inputs give the same bytes."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    layout, style = layout_pages(report, variant, seed)
    vector = variant if variant in ("digital", "fakebold") else _base_variant(seed, variant)
    doc = draw_vector(layout.pages, style, "copies" if vector == "fakebold" else "stroke")
    if variant == "scan":
        doc = _raster(doc, _rng(seed, variant), mild=False)
    elif variant == "badlayer":
        rng = _rng(seed, variant)
        rate = float(rng.uniform(0.03, 0.05))  # share of eligible characters the "OCR" gets wrong
        doc = _raster(doc, rng, mild=True, layers=[p.texts for p in layout.pages], rate=rate)
    return to_bytes(doc, report.title)


def write_report_pdf(report: Report | TruthReport, variant: str, path: Path, seed: int = 0) -> Path:
    """Render and write atomically (temp file in the same folder, then os.replace)."""
    data = render_report(report, variant, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def main(argv: list[str] | None = None) -> int:
    """CLI: python -m jixiao_eval.pdfgen TRUTH.json VARIANT OUT.pdf [--seed N]."""
    ap = argparse.ArgumentParser(prog="python -m jixiao_eval.pdfgen", description=__doc__)
    ap.add_argument("truth", type=Path, help="TruthReport (or Report) JSON file")
    ap.add_argument("variant", choices=VARIANTS)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    raw = args.truth.read_text(encoding="utf-8")
    try:
        report: Report | TruthReport = TruthReport.model_validate_json(raw)
    except ValueError:
        report = Report.model_validate_json(raw)
    out = write_report_pdf(report, args.variant, args.out, seed=args.seed)
    print(f"{out} ({out.stat().st_size} bytes)", file=sys.stderr)
    return 0
