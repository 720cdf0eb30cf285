"""Command line: jixiao run | eval | review | schema | rules. Thin: the work happens in run.py and friends."""

from __future__ import annotations

import argparse
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
    """Files, folders (every *.pdf below) and globs, in a stable order, without duplicates."""
    from pipeline.batch.inputs import expand_inputs as expand

    return expand(items, unmatched)


def _option_error(exc: ValueError, flags: dict[str, str]) -> str:
    """'--dpi 0: Input should be greater than or equal to 50' from a pydantic error."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc).splitlines()[0]
    first = exc.errors()[0]
    field = str(first["loc"][-1]) if first["loc"] else ""
    flag = flags.get(field, field)
    return f"{flag} {first.get('input')!s}: {first['msg']}"


def options_from_args(args: argparse.Namespace, command: str) -> RunOptions | None:
    """RunOptions from the OCR and LLM flags; None (after one line on stderr) if they are wrong."""
    from pipeline.llm.settings import SettingsError, from_args
    from pipeline.options import RunOptions

    try:
        llm = from_args(args)
    except SettingsError as exc:
        print(f"jixiao {command}: {exc}", file=sys.stderr)
        return None
    threads = args.ocr_threads
    if threads is None:
        threads = max(1, (os.cpu_count() or 2) // max(1, getattr(args, "jobs", 1)))
    given = {"ocr": args.ocr, "dpi": args.dpi, "threads": threads}
    try:
        read = ReadOptions(**{k: v for k, v in given.items() if v is not None})
    except ValueError as exc:
        flags = {"dpi": "--dpi", "threads": "--ocr-threads", "ocr": "--ocr"}
        print(f"jixiao {command}: bad OCR option {_option_error(exc, flags)}", file=sys.stderr)
        return None
    return RunOptions(read=read, llm=llm if llm.enabled else None)


def _run_options(args: argparse.Namespace) -> RunOptions | None:
    """RunOptions of `jixiao run`: OCR, LLM, limits and batch flags, validated."""
    from pipeline.options import BatchOptions, LimitsOptions

    options = options_from_args(args, "run")
    if options is None:
        return None
    flags = {
        "jobs": "--jobs",
        "seconds": "--time-limit",
        "memory_mb": "--memory-limit",
        "max_pixels": "--max-pixels",
        "ray": "--ray",
    }
    limits = {
        "seconds": args.time_limit,
        "memory_mb": args.memory_limit,
        "max_pixels": None if args.max_pixels is None else int(args.max_pixels * 1e6),
    }
    try:
        lim = LimitsOptions(**{k: v for k, v in limits.items() if v is not None})
        batch = BatchOptions(jobs=args.jobs, force=args.force, ray=args.ray or "")
    except ValueError as exc:
        print(f"jixiao run: bad option {_option_error(exc, flags)}", file=sys.stderr)
        return None
    return options.model_copy(update={"limits": lim, "batch": batch})


def _cmd_run(args: argparse.Namespace) -> int:
    from pipeline.batch.driver import done_results, run_batch
    from pipeline.output import OutputError
    from pipeline.progress import Progress

    options = _run_options(args)
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
    runner = None
    if options.batch.ray:
        from pipeline.batch.ray_runner import RayPool, RayUnavailable

        try:
            runner = RayPool(options, warn=bar.warn)
        except RayUnavailable as exc:
            print(f"jixiao run: {exc}", file=sys.stderr)
            return 2
    try:
        report = run_batch(paths, out, options=options, progress=bar, runner=runner)
    except OutputError as exc:
        from pipeline.exit_codes import OUTPUT_ERROR

        print(f"jixiao run: {exc}", file=sys.stderr)
        return OUTPUT_ERROR
    need = report.projects - report.accepted
    print(
        f"{report.results} file(s), {report.projects} project(s): {report.accepted} accepted, "
        f"{need} need review, {report.failed_files} file(s) failed -> {out}/"
    )
    if report.interrupted:
        name = signal_name(report.interrupted)
        print(
            f"interrupted by {name}: {report.done_earlier + report.processed} of {report.files} "
            "file(s) done; run the same command again to finish",
            file=sys.stderr,
        )
        return 128 + report.interrupted
    print(f"outputs: {out}/summary.xlsx, {out}/summary.csv, one JSON per PDF", end="")
    print(f"; next: jixiao review {out}" if need else "")
    if options.llm is not None:
        from pipeline.llm.document import summary_line

        print(summary_line([r for r in done_results(report) if r.llm is not None]))
    from pipeline.exit_codes import run_exit_code

    return run_exit_code(report.outcomes.values(), unmatched)


def signal_name(signum: int) -> str:
    """'SIGTERM' for 15."""
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


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


def _add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    from pipeline.options import LimitsOptions

    d = LimitsOptions()
    g = parser.add_argument_group("limits (a file over one fails alone as too_complex)")
    g.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"wall time per file (default {d.seconds:g})",
    )
    g.add_argument(
        "--memory-limit",
        type=int,
        default=None,
        metavar="MB",
        help=f"memory of a worker process, MiB (default {d.memory_mb})",
    )
    g.add_argument(
        "--max-pixels",
        type=float,
        default=None,
        metavar="MILLIONS",
        help=f"pixels of one page render, in millions (default {d.max_pixels / 1e6:g})",
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
    run.add_argument(
        "--jobs", type=int, default=1, help="files processed in parallel (1 to 64; default 1)"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--force", action="store_true", help="redo every file, even those done by an earlier run"
    )
    run.add_argument(
        "--ray",
        metavar="auto|ADDRESS",
        default="",
        help="run each file as a Ray task on a cluster (pip install jixiao[ray])",
    )
    _add_limit_arguments(run)
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
    ev.add_argument(
        "--no-ocr-cache",
        action="store_true",
        help="OCR every scan afresh (default: reuse readings of unchanged images, in PDF-DIR/ocr-cache)",
    )
    ev.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="cases run in parallel (default: one per core)",
    )
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
