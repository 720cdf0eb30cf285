"""Pages per second of `jixiao run` (full schema + checks) vs pdfplumber's extract_tables().

Run by hand or from CI (`scripts/dev.sh bench`); it prints figures, it asserts nothing.
Both run in this one process on one core, on the same digital PDFs generated from the eval set,
plus the real office-software PDFs bundled for robustness tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jixiao_eval.pdfgen.write import write_report_pdf  # noqa: E402
from pipeline.run import process_file  # noqa: E402
from schemas import TruthReport  # noqa: E402


def _pdfs(tmp: Path, docs: int) -> list[Path]:
    truths = sorted((ROOT / "eval" / "truth").glob("*.json"))
    truths = [t for t in truths if t.name != "index.json"][:docs] or [
        ROOT / "eval" / "seed_2024.truth.json"
    ]
    out = []
    for t in truths:
        report = TruthReport.model_validate_json(t.read_text("utf-8"))
        out.append(write_report_pdf(report, "digital", tmp / f"{t.stem}.pdf", seed=1))
    return out


def _pages(paths: list[Path]) -> int:
    import fitz

    return sum(fitz.open(p).page_count for p in paths)


def bench_jixiao(paths: list[Path], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for p in paths:
            process_file(p)
        best = min(best, time.perf_counter() - t)
    return best


def bench_pdfplumber(paths: list[Path], rounds: int) -> float:
    import pdfplumber

    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        for p in paths:
            with pdfplumber.open(p) as pdf:
                for page in pdf.pages:
                    page.extract_tables()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=8, help="eval documents to generate")
    ap.add_argument("--rounds", type=int, default=3, help="best of N rounds")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        generated = _pdfs(Path(d), args.docs)
        real = sorted((ROOT / "tests" / "fixtures" / "real").glob("*.pdf"))
        families = sorted((ROOT / "eval" / "families").glob("*.pdf"))
        corpora = (
            ("generated 自评表 (digital)", generated),
            ("families (Calc + Writer)", families),
            ("real office PDFs", real),
        )
        for label, paths in corpora:
            if not paths:
                continue
            pages = _pages(paths)
            tj = bench_jixiao(paths, args.rounds)
            tp = bench_pdfplumber(paths, args.rounds)
            rows.append(
                {
                    "corpus": label,
                    "files": len(paths),
                    "pages": pages,
                    "jixiao_pages_per_s": round(pages / tj, 1),
                    "pdfplumber_pages_per_s": round(pages / tp, 1),
                    "ratio": round(tp / tj, 2),
                }
            )
    print(
        f"{'corpus':28} {'files':>5} {'pages':>5} {'jixiao p/s':>11} {'pdfplumber p/s':>15} {'ratio':>6}"
    )
    for r in rows:
        print(
            f"{r['corpus']:28} {r['files']:5} {r['pages']:5} {r['jixiao_pages_per_s']:11} "
            f"{r['pdfplumber_pages_per_s']:15} {r['ratio']:5}x"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
