"""Command line: jixiao run | eval | review | schema | rules. Thin: the work happens in run.py and friends."""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.llm import settings as llm_settings
from pipeline.options import OCR_MODES, ReadOptions

if TYPE_CHECKING:
    from pipeline.options import RunOptions


def expand_inputs(items: list[str], unmatched: list[str] | None = None) -> list[Path]:
    """Files, folders (every *.pdf below) and globs, in a stable order, without duplicates.

    Globs that match nothing are appended to `unmatched`, so the caller can report them.
    """
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".pdf")
        elif any(ch in item for ch in "*?[") and not p.exists():
            found = sorted(Path(m) for m in glob.glob(item, recursive=True) if Path(m).is_file())
            if not found and unmatched is not None:
                unmatched.append(item)
            out += found
        else:
            out.append(p)  # missing files are reported by the pipeline, one line each
    seen: set[Path] = set()
    unique = []
    for p in out:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def options_from_args(args: argparse.Namespace, command: str) -> RunOptions | None:
    """RunOptions from the OCR and LLM flags; None (after one line on stderr) if they are wrong."""
    from pipeline.llm.settings import SettingsError, from_args
    from pipeline.options import RunOptions

    try:
        llm = from_args(args)
    except SettingsError as exc:
        print(f"jixiao {command}: {exc}", file=sys.stderr)
        return None
    threads = args.ocr_threads or max(1, (os.cpu_count() or 2) // max(1, getattr(args, "jobs", 1)))
    given = {"ocr": args.ocr, "dpi": args.dpi, "threads": threads}
    try:
        read = ReadOptions(**{k: v for k, v in given.items() if v is not None})
    except ValueError as exc:
        print(f"jixiao {command}: bad OCR option: {exc}".splitlines()[0], file=sys.stderr)
        return None
    return RunOptions(read=read, llm=llm if llm.enabled else None)


def _cmd_run(args: argparse.Namespace) -> int:
    from pipeline.progress import Progress
    from pipeline.run import run_batch

    options = options_from_args(args, "run")
    if options is None:
        return 2

    unmatched: list[str] = []
    paths = expand_inputs(args.paths, unmatched)
    for pattern in unmatched:
        print(f"error: {pattern}: no file matches this pattern", file=sys.stderr)
    if not paths:
        print("jixiao run: no input files matched", file=sys.stderr)
        return 2
    out = Path(args.out)
    bar = Progress(len(paths), enabled=not args.quiet)
    failed = 0

    def on_done(path: Path, res: object) -> None:
        nonlocal failed
        from schemas import DocumentResult

        assert isinstance(res, DocumentResult)
        failed += res.status.value == "failed"  # a partial document's errors are not a failure
        for err in res.errors:
            if bar.tty and bar.enabled:
                sys.stderr.write("\n")
            print(f"error: {err.message}", file=sys.stderr)
        bar.step(path.name)

    results = run_batch(paths, out, options=options, jobs=args.jobs, on_done=on_done)
    projects = [p for r in results for p in r.projects]
    accepted = sum(1 for p in projects if p.status.value == "accepted")
    print(
        f"{len(results)} file(s), {len(projects)} project(s): {accepted} accepted, "
        f"{len(projects) - accepted} need review, {failed} file(s) failed -> {out}/"
    )
    if options.llm is not None:
        from pipeline.llm.document import summary_line

        print(summary_line(results))
    from pipeline.exit_codes import run_exit_code

    return run_exit_code(results, unmatched)


def _cmd_schema(args: argparse.Namespace) -> int:
    from pipeline.output import write_atomic
    from schemas.export import schema_files

    out = Path(args.out)
    for name, text in schema_files().items():
        write_atomic(out / name, text)
        print(out / name)
    return 0


def _cmd_rules(args: argparse.Namespace) -> int:
    from pipeline.checks import rules

    for r in rules():
        print(f"{r.id:4} {r.severity.value:8} {r.summary}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    # The eval tooling is imported here only: `pipeline` never needs it to run.
    if args.simulate_llm:
        from jixiao_eval.simulate.run import run_from_args

        return run_from_args(args)  # exit 0 on PASS, 1 on FAIL
    from jixiao_eval.cli import run_eval

    options = options_from_args(args, "eval")
    return 2 if options is None else run_eval(args, options)


def _add_ocr_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("OCR (scans and untrustworthy text layers)")
    defaults = ReadOptions()
    g.add_argument(
        "--ocr",
        choices=OCR_MODES,
        default=None,
        help=f"auto: OCR scanned pages and suspect cells only; off; always (default {defaults.ocr})",
    )
    g.add_argument(
        "--dpi", type=int, default=None, help=f"page rendering for OCR (default {defaults.dpi})"
    )
    g.add_argument(
        "--ocr-threads",
        type=int,
        default=None,
        help="OCR threads (default: the cores, shared among --jobs)",
    )


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="jixiao",
        description="Turn 财政项目支出绩效自评表 PDFs into checked, structured data.",
    )
    ap.add_argument("--version", action="version", version=f"jixiao {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="extract and check PDFs; one JSON per PDF plus summary.csv")
    run.add_argument("paths", nargs="+", help="PDF files, folders or globs")
    run.add_argument("--out", default="out", help="output folder (default: out)")
    run.add_argument("--jobs", type=int, default=1, help="files processed in parallel")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_ocr_arguments(run)
    llm_settings.add_arguments(run)
    run.set_defaults(func=_cmd_run)

    ev = sub.add_parser("eval", help="score the pipeline against an eval set")
    ev.add_argument("dir", nargs="?", help="folder of PDFs with <stem>.truth.json beside them")
    ev.add_argument("--out", default="eval-report", help="report folder (default: eval-report)")
    ev.add_argument(
        "--variants", default="digital,fakebold,scan,badlayer", help="bundled set: variants to run"
    )
    ev.add_argument("--limit", type=int, default=0, help="bundled set: first N documents only")
    ev.add_argument("--pdf-dir", default="", help="bundled set: where generated PDFs are kept")
    ev.add_argument("--generate", action="store_true", help="regenerate the bundled set's PDFs")
    _add_ocr_arguments(ev)
    llm_settings.add_arguments(ev)
    sim = ev.add_argument_group("SIMULATED LLM (measures the LLM gate; no model is run)")
    sim.add_argument(
        "--simulate-llm",
        action="store_true",
        help="answer every project with the truth plus one injected error; report how many the gate accepts",
    )
    sim.add_argument(
        "--sim-rounds", type=int, default=0, help="rounds (default: one per error type)"
    )
    sim.add_argument("--sim-seed", type=int, default=0, help="seed of the injected errors")
    sim.add_argument("--sim-variants", default="digital", help="variants to simulate on")
    sim.add_argument(
        "--sim-mode", default="tools", choices=("tools", "json", "md_json"), help="output mode"
    )
    ev.set_defaults(func=_cmd_eval)

    sch = sub.add_parser("schema", help="export the JSON Schemas of the report and output")
    sch.add_argument("--out", default="schemas/json", help="folder for the .schema.json files")
    sch.set_defaults(func=_cmd_schema)

    rl = sub.add_parser("rules", help="list the checker's rules")
    rl.set_defaults(func=_cmd_rules)

    from pipeline.review.cli import add_review_parser

    add_review_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point of the jixiao command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
