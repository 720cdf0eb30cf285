"""Seconds per scanned page (OCR) and pages per second on clean PDFs, with OCR on and off.

Run by hand: `python benchmarks/bench_ocr.py [--docs N] [--threads T] [--dpi D]`. It prints
figures and asserts nothing. Wall time depends on what else the machine runs, so the CPU
time of this process is printed beside it (OCR uses `threads` cores: on an idle machine,
wall ~ CPU / threads), and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jixiao_eval.pdfgen.write import write_report_pdf  # noqa: E402
from pipeline.options import ReadOptions, RunOptions  # noqa: E402
from pipeline.run import process_file  # noqa: E402
from schemas import TruthReport  # noqa: E402


def _pdfs(tmp: Path, docs: int, variant: str) -> list[Path]:
    truths = sorted(t for t in (ROOT / "eval" / "truth").glob("*.json") if t.name != "index.json")
    out = []
    for t in truths[:docs]:
        report = TruthReport.model_validate_json(t.read_text("utf-8"))
        out.append(write_report_pdf(report, variant, tmp / f"{t.stem}__{variant}.pdf", seed=1))
    return out


def _pages(paths: list[Path]) -> int:
    import fitz

    return sum(fitz.open(p).page_count for p in paths)


def _run(paths: list[Path], opts: RunOptions, rounds: int) -> tuple[float, float]:
    """Best wall time and its CPU time over `rounds` passes."""
    best = (float("inf"), 0.0)
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        for p in paths:
            res = process_file(p, opts)
            if res.errors:
                raise SystemExit(f"{p.name}: {res.errors[0].message}")
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        best = min(best, (wall, cpu))
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=2, help="eval documents per variant")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3, help="best of N rounds (clean PDFs)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        clean = _pdfs(tmp, max(args.docs, 4), "digital")
        pages = _pages(clean)
        for mode in ("off", "auto"):
            wall, cpu = _run(clean, RunOptions(read=ReadOptions(ocr=mode)), args.rounds)
            figures[f"clean_pages_per_s_ocr_{mode}"] = pages / wall
            print(f"clean digital, ocr={mode:4}: {pages} pages, {pages / wall:6.1f} pages/s")
        opts = RunOptions(read=ReadOptions(ocr="auto", dpi=args.dpi, threads=args.threads))
        process_file(clean[0], RunOptions(read=ReadOptions(ocr="always")))  # load the models
        for variant in ("scan", "badlayer"):
            paths = _pdfs(tmp, args.docs, variant)
            n = _pages(paths)
            wall, cpu = _run(paths, opts, 1)
            figures[f"{variant}_s_per_page"] = wall / n
            figures[f"{variant}_cpu_s_per_page"] = cpu / n
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            figures[f"{variant}_peak_rss_mib"] = peak
            print(
                f"{variant:8} {n} pages: {wall / n:5.2f} s/page wall, {cpu / n:5.2f} s/page CPU "
                f"({args.threads} threads, {args.dpi} dpi), peak RSS so far {peak:.0f} MiB"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
