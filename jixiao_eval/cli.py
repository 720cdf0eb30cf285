"""`jixiao eval`: generate the bundled eval set's PDFs (cached), run the pipeline, score, report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jixiao_eval.bundled import DEFAULT_PDF_DIR, bundled_truths, families_cases, generate_pdfs
from jixiao_eval.scoring import EvalCase, evaluate, load_cases, print_table, write_html, write_json
from pipeline.options import RunOptions
from pipeline.output import document_json, write_atomic
from pipeline.progress import Progress
from pipeline.run import process_file
from schemas import DocumentResult


def run_eval(args: argparse.Namespace, options: RunOptions) -> int:
    """Entry of `jixiao eval` (see pipeline/cli.py for the options)."""
    out = Path(args.out)
    if args.dir:
        cases = load_cases(Path(args.dir))
        if not cases:
            print(f"jixiao eval: no PDF with a truth JSON beside it in {args.dir}", file=sys.stderr)
            return 2
    else:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        truths = bundled_truths()
        if args.limit:
            truths = truths[: args.limit]
        pdf_dir = Path(args.pdf_dir) if args.pdf_dir else DEFAULT_PDF_DIR
        triples = generate_pdfs(truths, variants, pdf_dir, force=args.generate)
        cases = [EvalCase(id=d, variant=v, pdf=p, truth=t) for d, v, p, t in triples]
        if not args.limit:
            # A full bundled run includes the committed real-producer PDFs of eval/families/.
            cases += families_cases()

    bar = Progress(len(cases))
    outputs = out / "outputs"

    def run(pdf: Path) -> DocumentResult:
        res = process_file(pdf, options)
        write_atomic(outputs / f"{pdf.stem}.json", document_json(res))
        return res

    report = evaluate(cases, run, on_case=lambda c: bar.step(f"{c.id} [{c.variant}]"))
    print_table(report)
    write_json(report, out / "report.json")
    write_html(report, out / "report.html")
    print(f"report: {out / 'report.html'} and {out / 'report.json'}; outputs in {outputs}/")
    return 0
