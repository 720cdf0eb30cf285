"""`jixiao run` under load and faults: bombs, dead workers, killed runs, output errors, odd names."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from pipeline.cli import main
from schemas import DocumentResult
from tests.batch_fixtures import (
    alive,
    copy_changed,
    flate_bomb_pdf,
    glyph_bomb_pdf,
    huge_page_pdf,
    run_cli_process,
    slow_pdf,
    start_cli,
    wait_for,
    workers_of,
)


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def _load(path: Path) -> DocumentResult:
    return DocumentResult.model_validate_json(path.read_text("utf-8"))


def _summary_files(out: Path) -> set[str]:
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        return {row["file"] for row in csv.DictReader(fh)}


# --- bombs: each fails alone as too_complex, the batch goes on -------------------------------


def test_bombs_fail_alone_as_too_complex(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    bombs = [
        huge_page_pdf(tmp_path / "huge_page.pdf"),
        glyph_bomb_pdf(tmp_path / "glyphs.pdf"),
        flate_bomb_pdf(tmp_path / "flate.pdf"),
    ]
    assert all(p.stat().st_size < 1_000_000 for p in bombs)  # small on disk
    good = shutil.copy(seed_pdfs["digital"], tmp_path / "good.pdf")
    out = tmp_path / "out"
    rc = main(["run", *map(str, bombs), str(good), "--out", str(out), "--jobs", "2", "--quiet"])
    stdout, stderr = capsys.readouterr()
    assert rc == 1
    assert "4 file(s), 10 project(s): 10 accepted" in stdout and "3 file(s) failed" in stdout
    lines = _errors(stderr)
    assert len(lines) == 3, stderr
    for bomb in bombs:
        (line,) = [ln for ln in lines if str(bomb) in ln]
        assert "too_complex" in line and "(limit" in line, line
        res = _load(out / f"{bomb.stem}.json")
        assert [e.kind for e in res.errors] == ["too_complex"]
    assert "pixels" in next(ln for ln in lines if "huge_page" in ln)
    assert len(_load(out / "good.json").projects) == 10


def test_memory_cap_turns_a_huge_render_into_too_complex(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With the pixel cap lifted, the worker's RLIMIT_AS stops the 1.6 G pixel render."""
    bomb = huge_page_pdf(tmp_path / "huge.pdf")
    out = tmp_path / "out"
    args = ["--max-pixels", "2000", "--memory-limit", "800", "--quiet"]
    rc = main(["run", str(bomb), "--out", str(out), *args])
    stderr = capsys.readouterr().err
    assert rc == 1
    (line,) = _errors(stderr)
    assert "too_complex: needs more memory than the limit (800 MiB" in line, line


def test_time_limit_stops_a_slow_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    slow = slow_pdf(tmp_path / "slow.pdf", pages=4)
    out = tmp_path / "out"
    rc = main(["run", str(slow), "--out", str(out), "--time-limit", "0.5", "--quiet"])
    stderr = capsys.readouterr().err
    assert rc == 1
    (line,) = _errors(stderr)
    assert "too_complex: still reading after 0.5 s (limit --time-limit 0.5)" in line
    assert _load(out / "slow.json").errors[0].kind == "too_complex"


# --- dead workers and killed runs ------------------------------------------------------------


def _slow_batch(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    return [slow_pdf(folder / f"slow{i}.pdf", salt=i) for i in range(n)]


def test_killed_worker_has_its_file_retried_and_the_batch_finishes(tmp_path: Path) -> None:
    files = _slow_batch(tmp_path / "in", 4)
    proc = start_cli(tmp_path, "run", "in", "--out", "out", "--jobs", "2", "--quiet")
    assert wait_for(lambda: len(workers_of(proc.pid)) == 2)
    victim = workers_of(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)  # what the OOM killer does
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1  # the slow files hold no table: one no_table line each
    assert "worker killed by SIGKILL" in stderr and "retrying it on a fresh worker" in stderr
    assert "Traceback" not in stderr
    assert f"{len(files)} file(s)" in stdout
    for f in files:
        assert _load(tmp_path / "out" / f"{f.stem}.json").errors[0].kind == "no_table"
    assert len(_errors(stderr)) == len(files)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_killed_run_leaves_no_worker_alive(tmp_path: Path, sig: signal.Signals) -> None:
    _slow_batch(tmp_path / "in", 4)
    proc = start_cli(tmp_path, "run", "in", "--out", "out", "--jobs", "2", "--quiet")
    assert wait_for(lambda: len(workers_of(proc.pid)) == 2)
    workers = workers_of(proc.pid)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert wait_for(lambda: not any(alive(w) for w in workers), timeout=10), workers
    if sig == signal.SIGTERM:
        assert proc.returncode == 128 + signal.SIGTERM
        assert "interrupted by SIGTERM" in stderr and "Traceback" not in stderr
        out = tmp_path / "out"
        done = {json.loads(p.read_text("utf-8"))["source_path"] for p in out.glob("*.json")}
        assert _summary_files(out) == {f"in/{Path(p).name}" for p in done}
    else:
        assert proc.returncode == -signal.SIGKILL


def test_worker_dying_twice_is_reported_failed(tmp_path: Path, seed_pdfs: dict[str, Path]) -> None:
    files = _slow_batch(tmp_path / "in", 1)  # in/slow0.pdf, first in name order
    good = shutil.copy(seed_pdfs["digital"], tmp_path / "in" / "zz_good.pdf")
    proc = start_cli(tmp_path, "run", "in", "--out", "out", "--quiet")
    killed: set[int] = set()

    def kill_slow_worker() -> bool:
        for w in workers_of(proc.pid):
            if w not in killed:
                killed.add(w)
                os.kill(w, signal.SIGKILL)
        return len(killed) >= 2

    assert wait_for(kill_slow_worker, timeout=60)
    stdout, stderr = proc.communicate(timeout=120)
    (line,) = [ln for ln in _errors(stderr) if str(files[0].name) in ln]
    assert "killed by SIGKILL" in line and "2 time(s)" in line, line
    assert _load(tmp_path / "out" / "slow0.json").errors[0].kind == "failed"
    assert len(_load(tmp_path / "out" / f"{Path(good).stem}.json").projects) == 10
    assert "2 file(s), 10 project(s)" in stdout


# --- output errors: one line, non-zero, what was written intact ------------------------------


def test_out_naming_a_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("keep me", encoding="utf-8")
    rc = main(["run", str(seed_pdfs["digital"]), "--out", str(target), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 5
    assert err == f"jixiao run: cannot write to {target}: a file is in the way (not a folder)"
    assert target.read_text("utf-8") == "keep me"


def test_out_below_a_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    rc = main(
        ["run", str(seed_pdfs["digital"]), "--out", str(tmp_path / "file" / "out"), "--quiet"]
    )
    err = capsys.readouterr().err.strip()
    assert rc == 5 and err.startswith("jixiao run: cannot write to ") and "\n" not in err, err
    assert "not a folder" in err


@pytest.fixture
def small_tmpfs(tmp_path: Path):
    """A 700 KB tmpfs (root only): room for the journal and two JSON files, not five."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(mnt)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_is_one_line_and_leaves_whole_files(
    small_tmpfs: Path, tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(5):
        copy_changed(seed_pdfs["digital"], src / f"r{i}.pdf", i + 1)
    out = small_tmpfs / "out"
    proc = run_cli_process(tmp_path, "run", "in", "--out", str(out), "--quiet")
    assert proc.returncode == 5, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == f"jixiao run: cannot write to {out}: disk full"
    assert "Traceback" not in proc.stderr
    written = list(out.glob("*.json"))
    assert 1 <= len(written) < 5
    for p in written:
        assert len(_load(p).projects) == 10  # whole, never half
    assert list(out.glob(".*.tmp")) == []


def test_read_only_output_folder_is_one_line(small_tmpfs: Path, seed_pdfs: dict[str, Path]) -> None:
    out = small_tmpfs / "out"
    out.mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    proc = run_cli_process(
        small_tmpfs.parent, "run", str(seed_pdfs["digital"]), "--out", str(out), "--quiet"
    )
    assert proc.returncode == 5
    assert proc.stderr.strip() == f"jixiao run: cannot write to {out}: read-only file system"


# --- odd inputs and options ------------------------------------------------------------------


def test_gbk_file_name_is_read_and_reported(tmp_path: Path, seed_pdfs: dict[str, Path]) -> None:
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    good = os.path.join(folder, "绩效自评表".encode("gbk") + b".pdf")
    bad = os.path.join(folder, "坏文件".encode("gbk") + b".pdf")
    shutil.copy(os.fsencode(seed_pdfs["digital"]), good)
    Path(os.fsdecode(bad)).write_text("not a pdf", encoding="utf-8")
    proc = run_cli_process(tmp_path, "run", "in", "--out", "out", "--quiet")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = _errors(proc.stderr)
    assert line.startswith("error: in/坏文件.pdf: not a PDF"), line
    out = tmp_path / "out"
    assert len(_load(out / "绩效自评表.json").projects) == 10
    assert _summary_files(out) == {"in/绩效自评表.pdf", "in/坏文件.pdf"}


def test_symlink_loop_argument_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    loop = tmp_path / "loop.pdf"
    loop.symlink_to(loop)
    out = tmp_path / "out"
    rc = main(["run", str(loop), str(seed_pdfs["digital"]), "--out", str(out), "--quiet"])
    stderr = capsys.readouterr().err
    assert rc == 1
    (line,) = _errors(stderr)
    assert line == f"error: {loop}: cannot read the file: symbolic link loop"
    assert _load(out / "loop.json").errors[0].kind == "unreadable"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--jobs", "1000"], "bad option --jobs 1000: Input should be less than or equal to 64"),
        (["--jobs", "0"], "bad option --jobs 0: Input should be greater than or equal to 1"),
        (["--dpi", "0"], "bad OCR option --dpi 0: Input should be greater than or equal to 50"),
        (["--ocr-threads", "-1"], "bad OCR option --ocr-threads -1: Input should be greater"),
        (["--time-limit", "0"], "bad option --time-limit 0.0: Input should be greater than 0"),
        (["--memory-limit", "10"], "bad option --memory-limit 10: Input should be greater"),
    ],
)
def test_bad_options_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flags: list[str], expected: str
) -> None:
    rc = main(["run", str(tmp_path / "x.pdf"), "--out", str(tmp_path / "o"), *flags])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith(f"jixiao run: {expected}"), err
    assert "\n" not in err
    assert not (tmp_path / "o").exists()


def test_gbk_file_name_reaches_the_review_app(tmp_path: Path, seed_pdfs: dict[str, Path]) -> None:
    from pipeline.review.pages import page_png
    from pipeline.review.workspace import Workspace

    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    good = os.path.join(folder, "绩效自评表".encode("gbk") + b".pdf")
    shutil.copy(os.fsencode(seed_pdfs["digital"]), good)
    proc = run_cli_process(tmp_path, "run", "in", "--out", "out", "--quiet")
    assert proc.returncode == 0, proc.stderr
    ws = Workspace(tmp_path / "out")
    doc = ws.docs["绩效自评表"]
    assert doc.recorded_pdf == str(tmp_path / "in" / "绩效自评表.pdf")  # shown as text
    pdf = ws.pdf("绩效自评表")
    assert pdf is not None and os.path.samefile(pdf, good)  # and the file itself is found
    assert page_png(pdf, doc.result.sha256, 1, tmp_path / "cache").stat().st_size > 0
