"""Memory bombs the fuzzing work found: refused as too_complex, quickly, in bounded memory.

A few KB of drawing instructions can draw thousands of ruling lines; before the budgets in
pipeline/options.py (max_ruling_lines, max_grid_cells) the layout reader built every cell of
their grid: a 7 KB file of 1000 × 1000 lines took 730 MB and 38 s, grid_1500_lines.pdf (11 KB)
~1.6 GB, and memory grows with the square of the lines (4000 × 4000 in 23 KB: ~10 GB). Each file is read by process_file, as a library, in a fresh process
with no memory cap of ours (RLIMIT_AS is set at 3 GiB only so that a regression fails this test
instead of the machine), and that process's own peak memory is measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import fitz
import pytest

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "tests" / "fixtures" / "fuzz"
PEAK_MIB = 1024  # a correctness bound (the reading itself takes ~150 MiB), not a speed goal

_CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.RLIM_INFINITY))
from pathlib import Path
from pipeline.batch.limits import peak_rss_mb
from pipeline.run import process_file
t0 = time.monotonic()
res = process_file(Path(sys.argv[1]))
print(json.dumps({"errors": [[e.kind.value, e.message] for e in res.errors],
                  "status": res.status.value, "seconds": time.monotonic() - t0,
                  "peak_mib": peak_rss_mb()}))
"""


def ruled_grid_pdf(n: int, path: Path, side: float = 14000.0) -> Path:
    """One page of n horizontal and n vertical thin filled rectangles (how the fixtures were made)."""
    doc = fitz.open()
    page = doc.new_page(width=side, height=side)
    page.insert_text((30, 30), "项目名称", fontname="china-s")
    ops = []
    for i in range(n):
        at = 20 + (side - 40) * i / n
        ops.append(f"20 {at:.4f} {side - 40} 0.3 re")
        ops.append(f"{at:.4f} 20 0.3 {side - 40} re")
    ops.append("f")
    doc.update_stream(page.get_contents()[0], "\n".join(ops).encode())
    doc.save(path, deflate=True)
    return path


def _read_in_child(pdf: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(pdf)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("grid_1500_lines.pdf", "ruling lines making a grid of 1499 × 1499 cells (limit"),
        ("grid_12000_lines.pdf", "12000 ruling lines drawn (limit"),
    ],
)
def test_line_grid_bomb_is_too_complex_in_bounded_memory(name: str, words: str) -> None:
    pdf = FUZZ / name
    got = _read_in_child(pdf)
    errors = got["errors"]
    assert isinstance(errors, list) and len(errors) == 1, got
    kind, message = str(errors[0][0]), str(errors[0][1])
    assert kind == "too_complex" and got["status"] == "failed"
    assert message.startswith(f"{pdf}: too_complex: page 1: ") and words in message
    assert "\n" not in message and "more memory than the limit" not in message
    assert isinstance(got["peak_mib"], int) and got["peak_mib"] < PEAK_MIB, got


def test_grid_budget_comes_from_the_options(tmp_path: Path) -> None:
    """A small grid passes the default budget; the same grid over a lowered one is refused."""
    from pipeline.options import LimitsOptions, ReadOptions, RunOptions
    from pipeline.run import process_file

    pdf = ruled_grid_pdf(60, tmp_path / "grid60.pdf", side=1000.0)
    off = ReadOptions(ocr="off")
    assert all(
        e.kind.value != "too_complex" for e in process_file(pdf, RunOptions(read=off)).errors
    )
    tight = RunOptions(read=off, limits=LimitsOptions(max_grid_cells=1000))
    [err] = process_file(pdf, tight).errors
    assert err.kind.value == "too_complex" and "(limit 1000 cells per table)" in err.message
