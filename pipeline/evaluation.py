"""`jixiao eval`: generate the bundled eval set's PDFs (cached), run the pipeline, score, report."""

from __future__ import annotations

import argparse
import hashlib
import sys
import zlib
from pathlib import Path

from pipeline.output import document_json, write_atomic
from pipeline.resources import data_dir
from pipeline.run import RunOptions, process_file
from schemas import DocumentResult, TruthReport


def bundled_truths() -> list[Path]:
    """The seed transcription and the derived documents of eval/."""
    root = data_dir("eval")
    derived = sorted(p for p in (root / "truth").glob("*.json") if p.name != "index.json")
    return [root / "seed_2024.truth.json", *derived]


def _generator_key() -> str:
    """Hash of the generator's source: cached PDFs are remade when it changes."""
    import pipeline.evalset as pkg

    h = hashlib.sha256()
    for src in sorted(Path(pkg.__file__).parent.glob("pdfgen*.py")) + sorted(
        Path(pkg.__file__).parent.glob("degrade*.py")
    ):
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


def generate_pdfs(
    truths: list[Path], variants: list[str], pdf_dir: Path, force: bool = False
) -> list[tuple[str, str, Path, Path]]:
    """(doc id, variant, pdf, truth) for every pair; PDFs are made only when missing or stale."""
    from pipeline.evalset.pdfgen import write_report_pdf

    gen_key = _generator_key()
    pdf_dir.mkdir(parents=True, exist_ok=True)
    out = []
    made = 0
    todo = [(t, v) for t in truths for v in variants]
    for i, (truth, variant) in enumerate(todo, 1):
        doc_id = truth.name.removesuffix(".json").removesuffix(".truth")
        pdf = pdf_dir / f"{doc_id}__{variant}.pdf"
        stamp = pdf.with_suffix(".key")
        text = truth.read_bytes()
        key = f"{gen_key}:{hashlib.sha256(text).hexdigest()[:16]}"
        if force or not pdf.exists() or not stamp.exists() or stamp.read_text() != key:
            report = TruthReport.model_validate_json(text)
            seed = zlib.crc32(f"{doc_id}/{variant}".encode())
            write_report_pdf(report, variant, pdf, seed=seed)
            write_atomic(stamp, key)
            made += 1
            print(f"\rgenerating eval PDFs {i}/{len(todo)}", end="", file=sys.stderr)
        out.append((doc_id, variant, pdf, truth))
    if made:
        print("", file=sys.stderr)
    return out


def run_eval(args: argparse.Namespace, options: RunOptions) -> int:
    """Entry of `jixiao eval` (see cli.py for the options)."""
    from pipeline.progress import Progress
    from pipeline.scoring import EvalCase, evaluate, load_cases, print_table, write_html, write_json

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
        pdf_dir = Path(args.pdf_dir) if args.pdf_dir else Path(".jixiao-cache") / "evalset"
        triples = generate_pdfs(truths, variants, pdf_dir, force=args.generate)
        cases = [EvalCase(id=d, variant=v, pdf=p, truth=t) for d, v, p, t in triples]

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
