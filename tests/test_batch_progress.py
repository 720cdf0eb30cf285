"""Progress of `jixiao run`: a rich bar on a real pseudo-terminal, plain lines on a pipe."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import fitz

from tests.batch_fixtures import copy_changed

ROOT = Path(__file__).resolve().parent.parent
STATUS = re.compile(
    r"(\d+)/3 files  (\d+) pages  [\d.]+ pages/s  eta \S+  "
    r"(\d+) accepted, (\d+) need review, (\d+) failed"
)


def _inputs(tmp: Path, seed: Path) -> Path:
    """Two readable reports (distinct bytes) and a broken file."""
    folder = tmp / "in"
    folder.mkdir()
    for i in range(2):
        copy_changed(seed, folder / f"{i}_report.pdf", i + 1)
    (folder / "2_broken.pdf").write_bytes(b"not a pdf at all")
    return folder


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}


def test_plain_lines_when_stderr_is_not_a_terminal(
    tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    folder, out = _inputs(tmp_path, seed_pdfs["digital"]), tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", str(folder), "--out", str(out)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "\x1b[" not in proc.stderr  # no terminal codes in a log file
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("[")]
    assert [int(STATUS.search(ln).group(1)) for ln in lines] == [1, 2, 3]  # type: ignore[union-attr]
    last = STATUS.search(lines[-1])
    assert last is not None and last.group(5) == "1"  # the broken file
    assert int(last.group(2)) == 2 * fitz.open(seed_pdfs["digital"]).page_count
    assert int(last.group(3)) + int(last.group(4)) > 0  # the projects of the two reports
    assert any(ln.startswith("error: ") and "2_broken.pdf" in ln for ln in proc.stderr.splitlines())
    final = proc.stdout.strip().splitlines()[-1]
    assert final.startswith(f"outputs: {out}/summary.xlsx")
    if int(last.group(4)):
        assert final.endswith(f"next: jixiao review {out}")


def test_rich_bar_on_a_pseudo_terminal(tmp_path: Path, seed_pdfs: dict[str, Path]) -> None:
    folder, out = _inputs(tmp_path, seed_pdfs["digital"]), tmp_path / "out"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", str(folder), "--out", str(out)],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=follower,
        env=_env(),
    )
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.stdout is not None
    stdout = proc.stdout.read().decode()
    assert proc.wait(timeout=60) == 1  # a file failed
    text = screen.decode("utf-8", "replace")
    assert "\x1b[" in text and "━" in text  # drawn by rich, redrawn in place
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert not re.search(r"^\[\d+/3 files", plain, re.M)  # no plain lines on a terminal
    shown = [m.groups() for m in STATUS.finditer(plain)]
    assert shown and shown[-1][0] == "3" and shown[-1][4] == "1"
    assert "error: " in plain and "2_broken.pdf" in plain  # printed above the bar
    assert text.rstrip().endswith("\x1b[?25h")  # the cursor is given back
    assert f"outputs: {out}/summary.xlsx" in stdout
