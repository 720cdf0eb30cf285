"""`jixiao eval`: generate the bundled eval set's PDFs (cached), run the pipeline, score, report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from jixiao_eval.bundled import (
    DEFAULT_PDF_DIR,
    bundled_truths,
    families_cases,
    family_scan_cases,
    generate_pdfs,
)
from jixiao_eval.scoring import EvalCase, evaluate, load_cases, print_table, write_html, write_json
from pipeline.batch.driver import run_batch
from pipeline.batch.inputs import output_names
from pipeline.batch.summary import load_output
from pipeline.options import MAX_JOBS, BatchOptions, RunOptions
from pipeline.progress import Progress
from schemas import DocumentResult


def run_eval(args: argparse.Namespace, options: RunOptions) -> int:
    """Entry of `jixiao eval` (see pipeline/cli.py for the options)."""
    out = Path(args.out)
    pdf_dir = Path(args.pdf_dir) if args.pdf_dir else DEFAULT_PDF_DIR
    if args.dir:
        cases = load_cases(Path(args.dir))
        if not cases:
            print(f"jixiao eval: no PDF with a truth JSON beside it in {args.dir}", file=sys.stderr)
            return 2
        # A families set (its index.json lists producers) is scored on its scans too.
        cases += family_scan_cases(Path(args.dir), pdf_dir, force=args.generate)
    else:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        truths = bundled_truths()
        if args.limit:
            truths = truths[: args.limit]
        triples = generate_pdfs(truths, variants, pdf_dir, force=args.generate)
        cases = [EvalCase(id=d, variant=v, pdf=p, truth=t) for d, v, p, t in triples]
        if not args.limit:
            # A full bundled run includes the committed real-producer PDFs of eval/families/.
            cases += families_cases(pdf_dir if "scan" in variants else None)

    outputs = out / "outputs"
    if not getattr(args, "no_ocr_cache", False):
        # OCR readings of unchanged page images are reused across eval runs (pipeline/ocr_cache.py
        # keys them by pixels, boxes and OCR code, so a change anywhere reads afresh)
        cache_dir = (Path(args.pdf_dir) if args.pdf_dir else DEFAULT_PDF_DIR) / "ocr-cache"
        read = options.read.model_copy(update={"ocr_cache": str(cache_dir)})
        options = options.model_copy(update={"read": read})
    jobs = max(1, min(MAX_JOBS, getattr(args, "jobs", 0) or os.cpu_count() or 1))
    # Every case through the batch runner, in parallel, with progress and ETA; --force because
    # an eval measures the code as it is now, whatever an earlier run of it wrote.
    pdfs = [c.pdf for c in cases]
    batch = options.model_copy(update={"batch": BatchOptions(jobs=jobs, force=True)})
    ran = run_batch(pdfs, outputs, batch, progress=Progress(len(pdfs)))
    if ran.interrupted:  # a partial set would score as a regression: no report
        print(
            f"jixiao eval: interrupted; no report written (outputs in {outputs}/)", file=sys.stderr
        )
        return 128 + ran.interrupted
    json_of = dict(zip(pdfs, output_names(pdfs), strict=True))

    def load(pdf: Path) -> DocumentResult:
        res = load_output(outputs / json_of[pdf])
        if res is None:
            raise RuntimeError(f"no output for {pdf}")
        return res

    report = evaluate(cases, load)
    print_table(report)
    write_json(report, out / "report.json")
    write_html(report, out / "report.html")
    print(f"report: {out / 'report.html'} and {out / 'report.json'}; outputs in {outputs}/")
    return 0
