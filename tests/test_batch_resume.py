"""Resume from the run journal: kill -9 then rerun, --force, changed options, duplicates, modes."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.output import document_rows
from schemas import DocumentResult
from tests.batch_fixtures import copy_changed, huge_page_pdf, start_cli, wait_for


def _load(path: Path) -> DocumentResult:
    return DocumentResult.model_validate_json(path.read_text("utf-8"))


def _summary(out: Path) -> list[list[str]]:
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["run", *args, "--quiet"])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def batch(tmp_path: Path, seed_pdfs: dict[str, Path]) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    return [copy_changed(seed_pdfs["digital"], folder / f"r{i:02d}.pdf", i + 1) for i in range(6)]


def test_kill_9_mid_batch_then_rerun_loses_nothing(tmp_path: Path, batch: list[Path]) -> None:
    out = tmp_path / "out"
    proc = start_cli(tmp_path, "run", "in", "--out", "out", "--jobs", "2", "--quiet")
    assert wait_for(lambda: len(list(out.glob("*.json"))) >= 2, timeout=120)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    first = len(list(out.glob("*.json")))
    assert first < len(batch)

    proc = start_cli(tmp_path, "run", "in", "--out", "out", "--jobs", "2", "--quiet")
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr
    (line,) = [ln for ln in stderr.splitlines() if "done earlier" in ln]
    done, todo = int(line.split()[0]), int(line.split(", ")[1].split()[0])
    assert done + todo == len(batch) and done >= 1, line
    assert "6 file(s), 60 project(s): 60 accepted" in stdout
    names = sorted(p.name for p in out.glob("*.json"))
    assert names == [f"{p.stem}.json" for p in batch]
    docs = [_load(out / n) for n in names]  # every JSON parses
    assert list(out.glob(".*.tmp")) == []
    expected = [
        row for p, d in zip(batch, docs, strict=True) for row in document_rows(f"in/{p.name}", d)
    ]
    assert _summary(out) == expected  # the summary is the JSON files, exactly
    rows = (
        sqlite3.connect(out / "journal.sqlite").execute("SELECT count(*) FROM outputs").fetchone()
    )
    assert rows == (6,)


def test_rerun_skips_force_redoes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: list[Path]
) -> None:
    out = str(tmp_path / "out")
    folder = str(tmp_path / "in")
    assert _run(capsys, folder, "--out", out)[0] == 0
    stamp = {p.name: p.stat().st_mtime_ns for p in Path(out).glob("*.json")}
    rc, stdout, stderr = _run(capsys, folder, "--out", out)
    assert rc == 0 and "6 done earlier, 0 to do" in stderr
    assert "6 file(s), 60 project(s): 60 accepted" in stdout  # totals cover the earlier work
    assert {p.name: p.stat().st_mtime_ns for p in Path(out).glob("*.json")} == stamp
    rc, _, stderr = _run(capsys, folder, "--out", out, "--force")
    assert rc == 0 and "done earlier" not in stderr
    assert all(p.stat().st_mtime_ns != stamp[p.name] for p in Path(out).glob("*.json"))


def test_missing_or_broken_json_is_redone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: list[Path]
) -> None:
    out = tmp_path / "out"
    assert _run(capsys, str(tmp_path / "in"), "--out", str(out))[0] == 0
    (out / "r00.json").unlink()
    (out / "r01.json").write_text('{"source": "r01.pdf", "sha', encoding="utf-8")  # cut short
    _, _, stderr = _run(capsys, str(tmp_path / "in"), "--out", str(out))
    assert "4 done earlier, 2 to do" in stderr
    assert len(_load(out / "r00.json").projects) == len(_load(out / "r01.json").projects) == 10


def test_changed_option_redoes_only_what_it_affects(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: list[Path]
) -> None:
    folder, out = str(tmp_path / "in"), str(tmp_path / "out")
    huge_page_pdf(tmp_path / "in" / "huge.pdf")  # fails on the pixel limit
    assert _run(capsys, folder, "--out", out)[0] == 1
    # speed only: nothing to redo
    assert (
        "7 done earlier, 0 to do"
        in _run(capsys, folder, "--out", out, "--ocr-threads", "1", "--jobs", "2")[2]
    )
    # the rendering resolution: the digital files were never rendered, so they stand
    assert "7 done earlier, 0 to do" in _run(capsys, folder, "--out", out, "--dpi", "150")[2]
    # a limit: only the file that failed on a limit is redone
    _, _, stderr = _run(capsys, folder, "--out", out, "--dpi", "150", "--max-pixels", "100")
    assert "6 done earlier, 1 to do" in stderr
    # the OCR mode changes every result
    _, _, stderr = _run(capsys, folder, "--out", out, "--ocr", "off")
    assert "done earlier" not in stderr


def test_same_pdf_under_two_names_is_read_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    a = shutil.copy(seed_pdfs["digital"], tmp_path / "甲.pdf")
    b = shutil.copy(seed_pdfs["digital"], tmp_path / "乙.pdf")
    out = tmp_path / "out"
    rc, stdout, _ = _run(capsys, str(a), str(b), "--out", str(out))
    assert rc == 0 and "2 file(s), 20 project(s)" in stdout
    ra, rb = _load(out / "甲.json"), _load(out / "乙.json")
    assert (ra.source, rb.source) == ("甲.pdf", "乙.pdf")
    assert rb.source_path == str(Path(b).resolve())
    assert ra.seconds == rb.seconds  # one reading, reported under both names
    assert ra.model_dump(exclude={"source", "source_path"}) == rb.model_dump(
        exclude={"source", "source_path"}
    )
    assert {r[0] for r in _summary(out)} == {str(a), str(b)}


def test_outputs_respect_the_umask(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    old = os.umask(0o027)
    try:
        _run(capsys, str(seed_pdfs["digital"]), "--out", str(tmp_path / "out"))
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "out").iterdir()}
    assert modes["seed__digital.json"] == modes["summary.csv"] == modes["summary.xlsx"] == 0o640


def test_a_renamed_pdf_is_not_read_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], batch: list[Path]
) -> None:
    folder, out = batch[0].parent, tmp_path / "out"
    for extra in batch[1:]:
        extra.unlink()
    assert _run(capsys, str(folder), "--out", str(out))[0] == 0
    first = _load(out / "r00.json")
    batch[0].rename(folder / "改名.pdf")
    rc, _, stderr = _run(capsys, str(folder), "--out", str(out))
    assert rc == 0 and "1 done earlier, 0 to do" in stderr  # no new reading
    renamed = _load(out / "改名.json")
    assert renamed.source == "改名.pdf" and renamed.sha256 == first.sha256
    assert renamed.source_path == str((folder / "改名.pdf").resolve())
    assert renamed.projects == first.projects
    rows = _summary(out)
    assert rows and {row[0] for row in rows} == {str(folder / "改名.pdf")}
    # and the journal now knows the new name: a third run skips it the ordinary way
    assert "1 done earlier, 0 to do" in _run(capsys, str(folder), "--out", str(out))[2]
