"""Batch throughput and driver memory of `jixiao run` (it prints figures, it asserts nothing).

  pages/s for --jobs 1, --jobs 2 and Ray local with 2 CPUs, on the same >= 1,000 pages of
  digital PDFs (copies of the generated eval PDFs, each with one byte changed: distinct sha256);
  peak RSS of the driver process (VmHWM; the workers are other processes) for 10, 100 and 1,000
  files.

    python benchmarks/bench_batch.py [--pages 1000] [--rss 10,100,1000] [--no-ray]

Each run is `python -m pipeline.cli run ... --force` in its own process, timed end to end
(worker start-up included). On a shared, loaded machine compare the ratios, not the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jixiao_eval.bundled import bundled_truths, generate_pdfs  # noqa: E402

_RSS_PROBE = """
import sys, pathlib
from pipeline.batch.driver import run_batch
from pipeline.options import BatchOptions, RunOptions
paths = sorted(pathlib.Path(sys.argv[1]).glob("*.pdf"))
run_batch(paths, pathlib.Path(sys.argv[2]), RunOptions(batch=BatchOptions(jobs=2, force=True)))
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(hwm)
"""


def _copies(sources: list[Path], folder: Path, min_pages: int = 0, files: int = 0) -> int:
    """Copies of `sources` (one byte changed each) until min_pages pages or `files` files."""
    import fitz

    folder.mkdir(parents=True, exist_ok=True)
    pages = {s: fitz.open(s).page_count for s in sources}
    total = n = 0
    while (min_pages and total < min_pages) or (files and n < files):
        src = sources[n % len(sources)]
        data = src.read_bytes().replace(b"%%EOF", f"%{n:08d}\n%%EOF".encode(), 1)
        (folder / f"{n:05d}_{src.stem}.pdf").write_bytes(data)
        total += pages[src]
        n += 1
    return total


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# `jixiao run` in a process that then reports its CPU seconds: its own (the driver) and its
# reaped children's (the worker processes; Ray's workers are not its children).
_CPU_PROBE = """
import json, resource, sys
from pipeline.cli import main
try:
    main(sys.argv[1:])
finally:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps([me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime]), file=sys.stderr)
"""


def _timed_run(folder: Path, out: Path, *flags: str) -> tuple[float, float, float]:
    """Wall seconds, driver CPU seconds and worker CPU seconds of one run."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _CPU_PROBE,
            "run",
            str(folder),
            "--out",
            str(out),
            "--force",
            "--quiet",
            *flags,
        ],
        env=_env(),
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - t0
    driver, workers = json.loads(proc.stderr.strip().splitlines()[-1])
    return wall, driver, workers


def main() -> None:
    """Generate the set, run it three ways, then measure driver memory."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--rss", default="10,100,1000")
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    sources = [
        p
        for _, _, p, _ in generate_pdfs(
            bundled_truths(), ["digital"], ROOT / ".jixiao-cache" / "evalset"
        )
    ]
    pages = _copies(sources, tmp / "set", min_pages=args.pages)
    files = len(list((tmp / "set").glob("*.pdf")))
    print(
        f"set: {files} files, {pages} pages (load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores)"
    )
    runs = [("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"])]
    if not args.no_ray:
        runs.append(("Ray local, 2 CPUs", ["--ray", "local"]))
    rates: dict[str, float] = {}
    work: dict[str, float] = {}
    for name, flags in runs:
        load = os.getloadavg()[0]
        seconds, driver, workers = _timed_run(tmp / "set", tmp / "out", *flags)
        rates[name] = pages / seconds
        work[name] = (driver + workers) / pages * 1000
        print(
            f"{name:18} {seconds:7.1f} s  {rates[name]:6.1f} pages/s  "
            f"x{rates[name] / rates['--jobs 1']:.2f}  |  CPU: driver {driver:5.1f} s "
            f"({driver / (driver + workers):4.0%}), workers {workers:6.1f} s, "
            f"{work[name]:5.2f} ms/page (x{work[name] / work['--jobs 1']:.2f})  "
            f"|  load average {load:.2f} before, {os.getloadavg()[0]:.2f} after"
        )
    print(
        "(CPU per page is load-independent: x1.00 means --jobs 2 wastes nothing; Ray's workers"
        " are not children of the driver, so its worker CPU is not counted)"
    )
    small = min(sources, key=lambda p: p.stat().st_size)
    rss = {}
    for n in (int(x) for x in args.rss.split(",")):
        folder = tmp / f"rss{n}"
        _copies([small], folder, files=n)
        proc = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, str(folder), str(tmp / f"rss-out{n}")],
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        rss[n] = int(proc.stdout.split()[-1]) / 1024
        print(f"driver peak RSS, {n:5} files: {rss[n]:6.1f} MiB")
    if len(rss) >= 2:
        ks = sorted(rss)
        print(f"RSS {ks[-1]} vs {ks[-2]} files: x{rss[ks[-1]] / rss[ks[-2]]:.2f}")
    print(f"(outputs in {tmp})")


if __name__ == "__main__":
    main()
