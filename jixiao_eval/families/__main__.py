"""python -m jixiao_eval.families [--out DIR] [--only PREFIX]: rebuild the families set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jixiao_eval.families.build import build
from jixiao_eval.families.convert import NoLibreOffice
from pipeline.output import write_atomic


def main(argv: list[str] | None = None) -> int:
    """Command line entry."""
    parser = argparse.ArgumentParser(prog="python -m jixiao_eval.families")
    parser.add_argument("--out", default="eval/families", help="output folder")
    parser.add_argument("--only", default=None, help="only documents whose id starts with this")
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        rows = build(out, args.only)
    except NoLibreOffice as exc:
        print(f"jixiao_eval.families: {exc}", file=sys.stderr)
        return 2
    if not args.only:
        text = json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        write_atomic(out / "index.json", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
