"""`jixiao review OUT_DIR` (serve the review app) and `jixiao review export OUT_DIR`."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.review.workspace import Workspace

USAGE = """jixiao review OUT_DIR [--host 127.0.0.1] [--port 0] [--token T] [--pdfs DIR] [--reviewer NAME]
       jixiao review export OUT_DIR [--to DIR] [--as-truth EVAL_DIR] [--pdfs DIR]"""


# A token a person could guess (or brute-force over HTTP) protects nothing.
MIN_TOKEN = 16


def default_reviewer() -> str:
    """$JIXIAO_REVIEWER, else the login name."""
    name = os.environ.get("JIXIAO_REVIEWER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


def add_review_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Register `review` (serve) and `review export` on a subparsers object."""
    rv = subparsers.add_parser(
        "review",
        help="review doubtful fields in a local web app; `review export` writes the corrections",
        usage=USAGE,
        description="Serve a local web app to check a run's doubtful fields against the page "
        "(every decision is stored in OUT_DIR/review.sqlite at once), or export the reviewed "
        "results.",
    )
    rv.add_argument("words", nargs="+", metavar="OUT_DIR", help="OUT_DIR, or: export OUT_DIR")
    rv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    rv.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    rv.add_argument(
        "--token",
        default=os.environ.get("JIXIAO_REVIEW_TOKEN", ""),
        help="access token, required when binding to anything but loopback "
        "(default $JIXIAO_REVIEW_TOKEN)",
    )
    rv.add_argument(
        "--pdfs", action="append", default=[], metavar="DIR", help="where the source PDFs are"
    )
    rv.add_argument("--reviewer", default="", help="name stored with each decision")
    rv.add_argument("--to", default="", help="export: output folder (default OUT_DIR/reviewed)")
    rv.add_argument(
        "--as-truth",
        default="",
        metavar="EVAL_DIR",
        help="export: also write fully approved documents as eval truth (<stem>.truth.json + PDF)",
    )
    rv.set_defaults(func=run_review)
    return rv


def run_review(args: argparse.Namespace) -> int:
    """Entry of `jixiao review`."""
    words: list[str] = args.words
    # A folder that happens to be called "export" is still served.
    exporting = words[0] == "export" and (len(words) == 2 or not Path(words[0]).is_dir())
    if len(words) != (2 if exporting else 1):
        print(f"usage: {USAGE}", file=sys.stderr)
        return 2
    out_dir = Path(words[-1])
    reviewer = args.reviewer or default_reviewer()
    from pipeline.review.store import DamagedStore
    from pipeline.review.workspace import Workspace

    try:
        ws = Workspace(out_dir, [Path(d) for d in args.pdfs])
        if exporting:
            return _export(ws, args)
    except (FileNotFoundError, DamagedStore) as exc:
        print(f"jixiao review: {exc}", file=sys.stderr)
        return 2
    if not ws.docs:
        print(f"jixiao review: no result JSON of `jixiao run` in {out_dir}", file=sys.stderr)
        return 2
    from pipeline.review.app import serve
    from pipeline.review.security import is_loopback

    token = args.token
    if token and len(token) < MIN_TOKEN:
        print(
            f"jixiao review: --token must have at least {MIN_TOKEN} characters (a guessable "
            "token protects nothing); leave it out to have one generated",
            file=sys.stderr,
        )
        return 2
    if not token and not is_loopback(args.host):
        token = secrets.token_urlsafe(24)  # printed in the URL below; never stored
        print(f"jixiao review: binding to {args.host}: generated access token {token}")
    missing = [stem for stem in ws.docs if ws.pdf(stem) is None]
    for stem in missing:
        print(
            f"warning: {stem}: source PDF {ws.docs[stem].result.source} not found "
            "(put it next to the JSON or pass --pdfs DIR); pages will not be shown",
            file=sys.stderr,
        )

    def ready(url: str) -> None:
        n = sum(len(d.result.projects) for d in ws.docs.values())
        print(f"jixiao review: {n} project(s) in {len(ws.docs)} file(s); reviewer {reviewer}")
        print(f"open {url}   (Ctrl+C stops; every decision is already saved)", flush=True)

    try:
        serve(ws, args.host, args.port, reviewer, token, on_ready=ready)
    except OSError as exc:
        print(f"jixiao review: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    return 0


def _export(ws: Workspace, args: argparse.Namespace) -> int:
    from pipeline.review.export import export_results, export_truth

    to = Path(args.to) if args.to else ws.out_dir / "reviewed"
    if to.resolve() == ws.out_dir.resolve():
        print(
            "jixiao review export: --to must not be OUT_DIR (the run's own output)", file=sys.stderr
        )
        return 2
    written = export_results(ws, to)
    states = ws.states()
    approved = sum(1 for s in states if s.approved)
    print(f"{len(written)} file(s), {approved} of {len(states)} project(s) reviewed -> {to}/")
    if args.as_truth:
        made, skipped = export_truth(ws, Path(args.as_truth))
        for line in skipped:
            print(f"not added as truth: {line}", file=sys.stderr)
        print(f"{len(made)} document(s) added as truth -> {args.as_truth}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m pipeline.review.cli review ...`, for use before the main CLI wires it in."""
    ap = argparse.ArgumentParser(prog="jixiao")
    add_review_parser(ap.add_subparsers(dest="command", required=True))
    args = ap.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
