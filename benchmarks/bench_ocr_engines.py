"""The OCR recognisers compared on the eval scans: character accuracy per cell, s/page, memory.

Run by hand: `python benchmarks/bench_ocr_engines.py [--limit N] [--threads T] [--json F]`.
"A+B" is the pipeline's reading: A reads every line, B reads number and target lines again.
Each recogniser runs in its own child process over the same table cells (the pipeline's own
grid of each scanned page), so its peak memory is its own; the parent scores every cell's
reading against the text the generator printed there (eval/ truth, laid out again from the
same seed). It prints figures and asserts nothing. Wall time depends on what else the machine
runs, so the CPU seconds are printed beside it.

Cells: a cell's truth is the printed lines whose start lies inside it. Character accuracy is
1 - (edit distance / truth length), summed over all cells. "sure" is the confidence the
pipeline would give OCR alone (pipeline/arbitrate.ocr_confidence >= ACCEPT); "sure, wrong"
counts those cells whose text is not the truth: the figure that must stay at 0.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jixiao_eval.bundled import bundled_truths, generate_pdfs  # noqa: E402
from pipeline import confidence as C  # noqa: E402
from pipeline.arbitrate import compact_text, numeric_like, ocr_confidence, ocr_text  # noqa: E402
from pipeline.ocr import DEFAULT_MODEL, MODELS, SECOND_MODEL, OcrLine  # noqa: E402

OPERATORS = "≥≤=><"


def _cells_of_page(page: Any, dpi: int) -> tuple[Any, list[tuple[float, float, float, float]]]:
    """The scan's image and its table cells (points, deskewed frame), as the pipeline finds them."""
    from dataclasses import replace

    from pipeline.imagelines import prepare, ruling_segments
    from pipeline.layout import page_tables
    from pipeline.render import read_page, render_gray

    content = read_page(page)
    img = prepare(render_gray(page, dpi), dpi, content.width, content.height, deskew=True)
    tables, _ = page_tables(replace(content, chars=[], segments=ruling_segments(img)))
    return img, [c.bbox for t in tables for c in t.cells]


def _worker(args: argparse.Namespace) -> int:
    """Child: read every cell of every scan with one recogniser; print JSON lines."""
    import fitz

    from pipeline.ocr import read_regions, recogniser

    t0 = time.perf_counter()
    model, _, second = args.worker.partition("+")
    for name in (model, second):
        if name:
            recogniser(args.threads, name)  # loading is not per page
    load_s = time.perf_counter() - t0
    wall = cpu = 0.0
    pages = 0
    out: list[dict[str, Any]] = []
    for pdf in args.pdfs:
        with fitz.open(pdf) as doc:
            for n, page in enumerate(doc):
                img, boxes = _cells_of_page(page, args.dpi)
                w, c = time.perf_counter(), time.process_time()
                lines = read_regions(img, boxes, args.threads, model, second or None)
                wall += time.perf_counter() - w
                cpu += time.process_time() - c
                pages += 1
                for box, ls in zip(boxes, lines, strict=True):
                    out.append(
                        {
                            "pdf": Path(pdf).name,
                            "page": n,
                            "box": box,
                            "lines": [
                                [ln.text, ln.probs, ln.dropped, ln.lead_shape, ln.second]
                                for ln in ls
                            ],
                        }
                    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(
        {"cells": out, "pages": pages, "wall": wall, "cpu": cpu, "load": load_s, "peak": peak_mb},
        sys.stdout,
        ensure_ascii=False,
    )
    return 0


def _truth_cells(pdf: Path, truth: Path, boxes: list[tuple[int, tuple[float, ...]]]) -> list[str]:
    """The printed text of each (page, box) of one scan, from the generator's own layout."""
    from jixiao_eval.pdfgen.write import layout_pages
    from schemas import TruthReport

    doc_id, variant = pdf.stem.rsplit("__", 1)
    report = TruthReport.model_validate_json(truth.read_text("utf-8"))
    layout, _ = layout_pages(report, variant, zlib.crc32(f"{doc_id}/{variant}".encode()))
    out = []
    for page, (x0, y0, x1, y1) in boxes:
        items = [
            t
            for t in layout.pages[page].texts
            # a line's start, half a character in and at mid-height (scan shift <= 3 pt)
            if x0 <= t.x + 0.5 * t.size <= x1 and y0 <= t.y - 0.35 * t.size <= y1
        ]
        items.sort(key=lambda t: (t.y, t.x))
        out.append(compact_text("".join(t.text for t in items)))
    return out


def _lev(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _reading(cell: dict[str, Any]) -> Any:
    box = (0.0, 0.0, 0.0, 0.0)
    return ocr_text([OcrLine(t, tuple(p), box, d, s, s2) for t, p, d, s, s2 in cell["lines"]])


def score(truths: list[str], cells: list[dict[str, Any]]) -> dict[str, float]:
    """Accuracy figures of one recogniser's readings against the truth."""
    edits = chars = exact = sure = sure_wrong = 0
    ops = ops_right = nums = nums_right = 0
    for want, cell in zip(truths, cells, strict=True):
        got = _reading(cell)
        edits += _lev(want, got.text)
        chars += len(want)
        exact += got.text == want
        if ocr_confidence(got) >= C.ACCEPT:
            sure += 1
            sure_wrong += got.text != want
        if want[:1] in OPERATORS and len(want) > 1:
            ops += 1
            ops_right += got.text[:1] == want[0]
        elif want and numeric_like(want):
            nums += 1
            nums_right += got.text == want
    return {
        "cells": len(cells),
        "char_accuracy": 1 - edits / max(1, chars),
        "cell_exact": exact / max(1, len(cells)),
        "operator_right": ops_right / max(1, ops),
        "operators": ops,
        "numeric_exact": nums_right / max(1, nums),
        "numerics": nums,
        "sure": sure / max(1, len(cells)),
        "sure_wrong": sure_wrong,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=0, help="first N eval documents (0: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--pdf-dir", default=str(ROOT / ".jixiao-cache" / "evalset"))
    both = f"{DEFAULT_MODEL}+{SECOND_MODEL}"
    ap.add_argument("--engines", default=",".join([*MODELS, both]), help="NAME or NAME+SECOND")
    ap.add_argument("--json", help="also write the figures and every cell's readings here")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("pdfs", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return _worker(args)
    truths = bundled_truths()[: args.limit or None]
    cases = generate_pdfs(truths, ["scan"], Path(args.pdf_dir))
    pdfs = [str(pdf) for _, _, pdf, _ in cases]
    runs: dict[str, dict[str, Any]] = {}
    for name in args.engines.split(","):
        cmd = [sys.executable, __file__, "--worker", name, "--threads", str(args.threads)]
        cmd += ["--dpi", str(args.dpi), *pdfs]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        runs[name] = json.loads(res.stdout)
    first = next(iter(runs.values()))["cells"]
    truth_of = {Path(pdf).name: truth for _, _, pdf, truth in cases}
    want: list[str] = []
    for pdf in pdfs:
        mine = [(c["page"], tuple(c["box"])) for c in first if c["pdf"] == Path(pdf).name]
        want += _truth_cells(Path(pdf), truth_of[Path(pdf).name], mine)
    figures: dict[str, Any] = {}
    print(
        f"{len(pdfs)} scans, {first and len(first)} cells, {args.threads} threads, {args.dpi} dpi"
    )
    head = "engine            char acc  cell exact  ops right  nums exact  sure   sure wrong"
    print(head + "  s/page wall  s/page CPU  peak MB  load s")
    for name, run in runs.items():
        f = score(want, run["cells"])
        n = run["pages"]
        f |= {"s_per_page": run["wall"] / n, "cpu_s_per_page": run["cpu"] / n}
        f |= {"peak_mb": run["peak"], "load_s": run["load"], "pages": n}
        figures[name] = f
        print(
            f"{name:17} {f['char_accuracy']:8.4f}  {f['cell_exact']:10.4f}  "
            f"{f['operator_right']:9.4f}  {f['numeric_exact']:10.4f}  {f['sure']:.3f}  "
            f"{f['sure_wrong']:10d}  {f['s_per_page']:11.2f}  {f['cpu_s_per_page']:10.2f}  "
            f"{f['peak_mb']:7.0f}  {f['load_s']:6.1f}"
        )
    if args.json:
        data = {"figures": figures, "truth": want, "runs": runs}
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
