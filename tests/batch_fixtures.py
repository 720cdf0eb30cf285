"""PDFs for the batch tests, made at test time (small on disk): bombs, slow files, copies."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import fitz

ROOT = Path(__file__).resolve().parent.parent


def huge_page_pdf(path: Path) -> Path:
    """One 14400 x 14400 pt page covered by an image: a scan that would render to 1.6 G pixels."""
    doc = fitz.open()
    page = doc.new_page(width=14400, height=14400)
    pix = fitz.Pixmap(fitz.csRGB, fitz.IRect(0, 0, 64, 64), False)
    pix.set_rect(pix.irect, (250, 250, 245))
    page.insert_image(page.rect, pixmap=pix)
    doc.save(path)
    return path


def _with_content(path: Path, chunks: list[bytes], repeat: int) -> Path:
    """A one-page PDF whose content stream is chunks[1] repeated, deflated as it is made."""
    doc = fitz.open()
    page = doc.new_page()
    page.insert_text((10, 10), "A", fontsize=1)  # gives the page a font resource (helv)
    xref = page.get_contents()[0]
    z = zlib.compressobj(6)
    data = z.compress(chunks[0])
    for _ in range(repeat):
        data += z.compress(chunks[1])
    data += z.compress(chunks[2]) + z.flush()
    doc.update_stream(xref, data, compress=False)
    doc.xref_set_key(xref, "Filter", "/FlateDecode")
    doc.save(path)
    return path


def glyph_bomb_pdf(path: Path, glyphs: int = 20_000_000) -> Path:
    """A page drawing `glyphs` characters (content stream repetition): tens of KB on disk."""
    run = b"(" + b"A" * 1000 + b") Tj "
    return _with_content(path, [b"BT /helv 1 Tf 10 10 Td ", run, b" ET"], glyphs // 1000)


def flate_bomb_pdf(path: Path, megabytes: int = 128) -> Path:
    """A content stream that inflates to `megabytes` of blanks from a few hundred KB."""
    return _with_content(path, [b"", b" " * (1 << 20), b""], megabytes)


def slow_pdf(path: Path, pages: int = 2, glyphs: int = 150_000, salt: int = 0) -> Path:
    """A valid PDF with many characters per page: a few seconds to read, within every limit."""
    doc = fitz.open()
    for _ in range(pages):
        page = doc.new_page()
        page.insert_text((10, 10), f"salt {salt}", fontsize=1)
        xref = page.get_contents()[0]
        line = b"(" + b"A" * 1000 + b") Tj 0 1 Td "
        doc.update_stream(xref, b"BT /helv 1 Tf 10 10 Td " + line * (glyphs // 1000) + b" ET")
    doc.save(path)
    return path


def copy_changed(src: Path, dst: Path, n: int) -> Path:
    """A copy of a PDF with one byte changed in a comment, so its sha256 differs."""
    data = src.read_bytes()
    dst.write_bytes(data.replace(b"%%EOF", f"%{n:08d}\n%%EOF".encode(), 1) if n else data)
    return dst


def cli_env() -> dict[str, str]:
    """Environment for `python -m pipeline.cli` in a subprocess: this checkout first."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), path) if p)}


def start_cli(cwd: Path, *args: str) -> subprocess.Popen[str]:
    """`jixiao ARGS` as its own process (to be killed by the test)."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=cwd,
        env={**cli_env(), "PYTHONIOENCODING": "utf-8"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def run_cli_process(
    cwd: Path, *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`jixiao ARGS` as its own process, to completion."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=cwd,
        env={**cli_env(), "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


def workers_of(pid: int) -> list[int]:
    """PIDs of the batch worker processes whose parent is `pid` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")), "")
        if ppid == str(pid) and b"pipeline.batch.worker" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Is there a (non-zombie) process with this PID?"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("State:")), "")
    return state != "Z"


def wait_for(predicate: object, timeout: float = 60.0) -> bool:
    """Poll `predicate()` until it is true or `timeout` seconds pass."""
    assert callable(predicate)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False
