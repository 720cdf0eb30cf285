"""The jixiao command end to end: real PDFs and broken files made in tmp dirs, real output files."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import fitz
import pytest

from pipeline.cli import main
from pipeline.output import SUMMARY_COLUMNS
from schemas import DocumentResult, Project, TruthReport
from schemas.export import MODELS
from schemas.paths import NOT_READ

ROOT = Path(__file__).resolve().parent.parent
REAL_PDFS = sorted((ROOT / "tests" / "fixtures" / "real").glob("*.pdf"))
BOM = b"\xef\xbb\xbf"
RUN_FILES = ["journal.sqlite", "summary.csv", "summary.xlsx"]  # beside the JSON files
FUNDS_LINES = ("total", "appropriation", "carryover", "other")
FUNDS_COLUMNS = (
    "initial_budget",
    "annual_budget",
    "executed",
    "weight",
    "execution_rate",
    "score",
)


# --- helpers ---------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `jixiao ARGS` in-process; returns (exit code, stdout, stderr)."""
    capsys.readouterr()  # drop anything printed before
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def run_subprocess(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m pipeline.cli ARGS` as its own process, as a user's shell would."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def load_result(path: Path) -> DocumentResult:
    return DocumentResult.model_validate_json(path.read_text("utf-8"))


def read_summary(path: Path) -> list[dict[str, str]]:
    """summary.csv as Excel would read it: BOM-prefixed UTF-8, CRLF rows."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        assert header == SUMMARY_COLUMNS
        return [dict(zip(header, row, strict=True)) for row in reader]


def numbers(project: Project) -> dict[str, float | None]:
    """Every number of a project by field path."""
    out: dict[str, float | None] = {}
    for line in FUNDS_LINES:
        funds_line = getattr(project.funds, line)
        for column in FUNDS_COLUMNS:
            out[f"funds.{line}.{column}"] = getattr(funds_line, column, None)
    for i, ind in enumerate(project.indicators):
        out[f"indicators[{i}].weight"] = ind.weight
        out[f"indicators[{i}].score"] = ind.score
    out["total_weight"] = project.total_weight
    out["total_score"] = project.total_score
    return out


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".*.tmp"))


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(
    tmp_path_factory: pytest.TempPathFactory, seed_pdfs: dict[str, Path]
) -> dict[str, Path]:
    """One broken file per kind, made from the real generated seed PDF."""
    d = tmp_path_factory.mktemp("bad")
    digital = seed_pdfs["digital"].read_bytes()
    files = {
        "not_pdf": d / "x.pdf",
        "empty": d / "empty.pdf",
        "truncated": d / "half.pdf",
        "encrypted": d / "locked.pdf",
        "damaged": d / "garbage.pdf",
        "not_found": d / "gone.pdf",
    }
    files["not_pdf"].write_text("这不是 PDF, just a text file\n", encoding="utf-8")
    files["empty"].write_bytes(b"")
    files["truncated"].write_bytes(digital[: len(digital) // 2])
    with fitz.open(seed_pdfs["digital"]) as doc:
        doc.save(
            files["encrypted"],
            encryption=fitz.PDF_ENCRYPT_AES_256,
            user_pw="user-secret",
            owner_pw="owner-secret",
        )
    garbage = bytes((i * 37 + 11) % 256 for i in range(8000))
    files["damaged"].write_bytes(b"%PDF-1.7\n" + garbage + b"\n%%EOF\n")
    return files


# --- bad inputs, one each --------------------------------------------------------------------

BAD_CASES = [
    ("not_pdf", "not a PDF"),
    ("empty", "empty file"),
    ("truncated", "truncated"),
    ("encrypted", "encrypted"),
    ("damaged", "damaged PDF: MuPDF cannot open it (no objects found)"),
    ("not_found", "not found"),
]


@pytest.mark.parametrize(("kind", "reason"), BAD_CASES, ids=[k for k, _ in BAD_CASES])
def test_bad_input_is_one_error_line_and_its_kind_in_json(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    bad_files: dict[str, Path],
    kind: str,
    reason: str,
) -> None:
    path = bad_files[kind]
    out = tmp_path / "out"
    rc, stdout, stderr = run_cli(capsys, "run", str(path), "--out", str(out), "--quiet")
    assert rc == 1
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert str(path) in lines[0] and reason in lines[0], lines[0]
    assert "1 file(s) failed" in stdout
    res = load_result(out / f"{path.stem}.json")
    assert res.projects == []
    assert [e.kind for e in res.errors] == [kind]
    assert res.errors[0].source == str(path)
    assert lines[0] == f"error: {res.errors[0].message}"


def test_scanned_pdf_with_ocr_off_is_reported_as_scanned(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    path = seed_pdfs["scan"]
    rc, _, stderr = run_cli(
        capsys, "run", str(path), "--out", str(tmp_path), "--quiet", "--ocr", "off"
    )
    assert rc == 1
    lines = error_lines(stderr)
    assert len(lines) == 1 and str(path) in lines[0] and "scanned" in lines[0], stderr
    assert "--ocr off" in lines[0]
    res = load_result(tmp_path / f"{path.stem}.json")
    assert [e.kind for e in res.errors] == ["scanned"]
    assert res.projects == []


def test_blank_scan_without_a_table_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An image-only page holding no table: OCR runs and finds nothing; one clear line."""
    import fitz

    doc = fitz.open()
    page = doc.new_page()
    pix = fitz.Pixmap(fitz.csRGB, fitz.IRect(0, 0, 400, 560), False)
    pix.set_rect(pix.irect, (250, 250, 245))
    page.insert_image(page.rect, pixmap=pix)
    path = tmp_path / "blank_scan.pdf"
    doc.save(path)
    rc, _, stderr = run_cli(capsys, "run", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert rc == 1
    lines = error_lines(stderr)
    assert len(lines) == 1 and str(path) in lines[0] and "scanned" in lines[0], stderr
    assert load_result(tmp_path / "o" / "blank_scan.json").errors[0].kind == "scanned"


@pytest.mark.parametrize("path", REAL_PDFS, ids=[p.name for p in REAL_PDFS])
def test_real_office_pdf_without_table_is_no_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path
) -> None:
    rc, _, stderr = run_cli(capsys, "run", str(path), "--out", str(tmp_path), "--quiet")
    assert rc == 1
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    # the document says what it is: one line naming it, never a guess at projects
    assert str(path) in lines[0] and "not a 项目支出绩效自评表 (部门决算 found" in lines[0], lines[
        0
    ]
    res = load_result(tmp_path / f"{path.stem}.json")
    assert [e.kind for e in res.errors] == ["no_table"]
    assert res.pages == 0 and res.projects == []
    assert len(res.sha256) == 64  # the file was readable: its hash is recorded


# --- batches ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_batch(tmp_path_factory: pytest.TempPathFactory, seed_pdfs: dict[str, Path]) -> list[Path]:
    """One good report (Chinese file name) among bad files, in the order they are given."""
    d = tmp_path_factory.mktemp("mixed")
    good = d / "社工部绩效自评表.pdf"
    shutil.copy(seed_pdfs["digital"], good)
    text = d / "notes.pdf"
    text.write_text("not a pdf", encoding="utf-8")
    empty = d / "empty.pdf"
    empty.write_bytes(b"")
    office = d / "部门决算.pdf"
    shutil.copy(REAL_PDFS[0], office)
    return [text, good, empty, office, d / "missing.pdf"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_mixed_batch_writes_every_json_and_summary(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    mixed_batch: list[Path],
    seed_truth: TruthReport,
    jobs: int,
) -> None:
    out = tmp_path / "out"
    rc, stdout, stderr = run_cli(
        capsys, "run", *map(str, mixed_batch), "--out", str(out), "--jobs", str(jobs), "--quiet"
    )
    assert rc == 1
    assert "5 file(s), 10 project(s): 10 accepted" in stdout
    assert "4 file(s) failed" in stdout
    lines = error_lines(stderr)
    assert len(lines) == 4, stderr
    good = mixed_batch[1]
    for bad in (p for p in mixed_batch if p != good):
        assert sum(str(bad) in line for line in lines) == 1, (bad, lines)

    assert sorted(p.name for p in out.glob("*.json")) == sorted(
        f"{p.stem}.json" for p in mixed_batch
    )
    for p in mixed_batch:
        res = load_result(out / f"{p.stem}.json")
        if p == good:
            assert res.errors == [] and len(res.projects) == 10
            assert res.source == good.name
        else:
            assert res.projects == [] and len(res.errors) == 1
    assert temp_files(out) == []

    raw = (out / "summary.csv").read_bytes()
    assert raw.startswith(BOM)
    rows = read_summary(out / "summary.csv")
    assert len(rows) == 10 + 4
    # rows follow the input order, whatever order the workers finished in
    # the file column names each input as it was given, so same-named files stay apart
    order = [Path(r["file"]).name for r in rows]
    assert order == ["notes.pdf", *[good.name] * 10, "empty.pdf", "部门决算.pdf", "missing.pdf"]
    assert {r["file"] for r in rows} == {str(p) for p in mixed_batch}
    project_rows = [r for r in rows if r["status"] != "error"]
    assert [r["project"] for r in project_rows] == [p.name for p in seed_truth.projects]
    assert [r["department"] for r in project_rows] == [p.department for p in seed_truth.projects]
    for row, truth in zip(project_rows, seed_truth.projects, strict=True):
        assert row["status"] == "accepted"
        assert row["total_score"] == f"{truth.total_score:.2f}"
        assert row["grade"] == truth.grade
    error_rows = [r for r in rows if r["status"] == "error"]
    assert len(error_rows) == 4
    assert all(r["project"] == "" and r["reasons"] for r in error_rows)
    assert any(
        "部门决算.pdf" in r["reasons"] and "not a 项目支出绩效自评表" in r["reasons"]
        for r in error_rows
    )


def test_no_matching_input_is_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rc, _, stderr = run_cli(capsys, "run", str(tmp_path / "*.pdf"), "--out", str(tmp_path / "o"))
    assert rc == 2
    assert "no input files matched" in stderr


def test_folder_expands_to_its_pdfs_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(seed_pdfs["digital"], folder / "a.pdf")
    shutil.copy(seed_pdfs["digital"], folder / "sub" / "b.PDF")
    (folder / "readme.txt").write_text("不是 PDF", encoding="utf-8")
    out = tmp_path / "out"
    rc, stdout, _ = run_cli(capsys, "run", str(folder), "--out", str(out), "--quiet")
    assert rc == 0
    assert stdout.startswith("2 file(s), 20 project(s)")
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.json", *RUN_FILES]


def test_quoted_glob_in_subprocess(tmp_path: Path, seed_pdfs: dict[str, Path]) -> None:
    """The shell passes a quoted glob through; the CLI expands it (and prints Chinese paths)."""
    folder = tmp_path / "报告"
    folder.mkdir()
    shutil.copy(seed_pdfs["digital"], folder / "自评表.pdf")
    (folder / "坏文件.pdf").write_text("not a pdf", encoding="utf-8")
    (folder / "skip.txt").write_text("x", encoding="utf-8")
    proc = run_subprocess(tmp_path, "run", "报告/*.pdf", "--out", "out", "--quiet")
    assert proc.returncode == 1, proc.stderr
    lines = error_lines(proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: 报告/坏文件.pdf: ") and "not a PDF" in lines[0], lines[0]
    assert "2 file(s), 10 project(s): 10 accepted" in proc.stdout
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["坏文件.json", "自评表.json", *RUN_FILES]
    )
    assert load_result(out / "坏文件.json").errors[0].kind == "not_pdf"
    rows = read_summary(out / "summary.csv")
    assert {r["file"] for r in rows} == {"报告/自评表.pdf", "报告/坏文件.pdf"}


def test_duplicate_stems_get_distinct_outputs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    first, second = tmp_path / "a" / "report.pdf", tmp_path / "b" / "report.pdf"
    first.parent.mkdir()
    second.parent.mkdir()
    shutil.copy(seed_pdfs["digital"], first)
    second.write_text("not a pdf", encoding="utf-8")
    out = tmp_path / "out"
    rc, _, _ = run_cli(capsys, "run", str(first), str(second), "--out", str(out), "--quiet")
    assert rc == 1
    assert sorted(p.name for p in out.glob("*.json")) == ["report-2.json", "report.json"]
    assert len(load_result(out / "report.json").projects) == 10
    assert load_result(out / "report-2.json").errors[0].source == str(second)


def test_made_up_output_name_does_not_collide_with_real_stem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    paths = [
        tmp_path / "a" / "report.pdf",
        tmp_path / "b" / "report.pdf",
        tmp_path / "report-2.pdf",
    ]
    for p in paths:
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(b"")  # empty files: fast, and each still gets its JSON
    out = tmp_path / "out"
    run_cli(capsys, "run", *map(str, paths), "--out", str(out), "--quiet")
    assert len(list(out.glob("*.json"))) == 3


# --- the good path ---------------------------------------------------------------------------


def test_seed_digital_pdf_matches_truth(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    seed_pdfs: dict[str, Path],
    seed_truth: TruthReport,
) -> None:
    path = seed_pdfs["digital"]
    rc, stdout, stderr = run_cli(capsys, "run", str(path), "--out", str(tmp_path), "--quiet")
    assert rc == 0, stderr
    assert error_lines(stderr) == []
    assert "10 accepted, 0 need review, 0 file(s) failed" in stdout
    res = load_result(tmp_path / f"{path.stem}.json")
    assert res.errors == []
    assert res.year == seed_truth.year
    assert res.pages > 0 and len(res.sha256) == 64
    assert len(res.projects) == len(seed_truth.projects) == 10
    fields = set(Project.model_fields) - NOT_READ
    for got, want in zip(res.projects, seed_truth.projects, strict=True):
        assert got.status.value == "accepted", (got.name, got.reasons)
        assert numbers(got) == numbers(want), got.name
        assert got.model_dump(include=fields) == want.model_dump(include=fields), got.name


# --- atomic output ---------------------------------------------------------------------------


def test_existing_output_is_replaced_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    path = seed_pdfs["digital"]
    target = tmp_path / f"{path.stem}.json"
    stale = b"x" * 2_000_000  # far longer than the real JSON: a non-truncating write would show
    target.write_bytes(stale)
    (tmp_path / "summary.csv").write_bytes(b"old,summary\n" * 100_000)
    with target.open("rb") as reader:  # a reader that opened the old file keeps all of it
        rc, _, _ = run_cli(capsys, "run", str(path), "--out", str(tmp_path), "--quiet")
        assert reader.read() == stale
    assert rc == 0
    res = load_result(target)
    assert len(res.projects) == 10
    assert len(read_summary(tmp_path / "summary.csv")) == 10
    assert temp_files(tmp_path) == []


# --- schema, rules, eval ---------------------------------------------------------------------


def test_schema_export_writes_strict_schemas(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rc, stdout, _ = run_cli(capsys, "schema", "--out", str(tmp_path))
    assert rc == 0
    names = sorted(p.name for p in tmp_path.glob("*.schema.json"))
    assert names == sorted(f"{m}.schema.json" for m in MODELS) and len(names) == 3
    assert len(stdout.splitlines()) == 3
    for name in names:
        schema = json.loads((tmp_path / name).read_text("utf-8"))
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False, name
        for def_name, sub in schema.get("$defs", {}).items():
            if sub.get("type") == "object":
                assert sub.get("additionalProperties") is False, (name, def_name)
    report = json.loads((tmp_path / "report.schema.json").read_text("utf-8"))
    assert {"Project", "FundsBlock", "FundsLine", "Indicator"} <= set(report["$defs"])
    assert '"additionalProperties": false' in (tmp_path / "report.schema.json").read_text("utf-8")
    assert "项目名称" in (tmp_path / "report.schema.json").read_text("utf-8")  # Chinese kept


def test_committed_schemas_match_a_fresh_export(tmp_path: Path) -> None:
    from schemas.export import schema_files

    fresh = schema_files()
    committed_dir = ROOT / "schemas" / "json"
    committed = {p.name: p.read_text("utf-8") for p in committed_dir.glob("*.json")}
    hint = (
        "schemas/json is stale: regenerate with `jixiao schema --out schemas/json` in the repo root"
    )
    assert sorted(committed) == sorted(fresh), hint
    for name, text in fresh.items():
        assert committed[name] == text, f"{name}: {hint}"


def test_rules_lists_r1_to_r10(capsys: pytest.CaptureFixture[str]) -> None:
    rc, stdout, _ = run_cli(capsys, "rules")
    assert rc == 0
    arithmetic = [line.split() for line in stdout.splitlines() if re.match(r"R\d+ ", line)]
    assert [cells[0] for cells in arithmetic] == [f"R{i}" for i in range(1, 12)], stdout
    assert all(cells[1] in ("error", "warning") and len(cells) > 2 for cells in arithmetic)


def test_eval_on_one_document(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out, pdf_dir = tmp_path / "report", tmp_path / "pdfs"
    rc, stdout, _ = run_cli(
        capsys,
        "eval",
        "--limit",
        "1",
        "--variants",
        "digital",
        "--out",
        str(out),
        "--pdf-dir",
        str(pdf_dir),
    )
    assert rc == 0
    main_table = stdout.split("\n\n", 1)[0]  # the per-variant table (held-out one below)
    table = [line for line in main_table.splitlines() if line.startswith("digital")]
    assert len(table) == 1, stdout
    assert "100.0%" in table[0]  # the seed digital PDF reads perfectly
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert len(report["cases"]) == 1 and report["cases"][0]["variant"] == "digital"
    assert (out / "report.html").read_text("utf-8").lstrip().lower().startswith("<!doctype html")
    assert sorted(p.name for p in pdf_dir.glob("*.pdf")) == ["seed_2024__digital.pdf"]


def test_eval_generation_progress_ends_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["eval", "--limit", "1", "--variants", "digital"]
    rc, _, stderr = run_cli(capsys, *args, "--out", str(tmp_path / "r"), "--pdf-dir", str(tmp_path))
    assert rc == 0
    assert "generating eval PDFs 1/1" in stderr
    assert stderr.endswith("\n"), repr(stderr)


def test_glob_matching_nothing_is_reported_and_fails_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, seed_pdfs: dict[str, Path]
) -> None:
    pattern = str(tmp_path / "nothing-here" / "*.pdf")
    code = main(
        ["run", str(seed_pdfs["digital"]), pattern, "--out", str(tmp_path / "o"), "--quiet"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"error: {pattern}: no file matches this pattern" in err
    assert (tmp_path / "o" / f"{seed_pdfs['digital'].stem}.json").exists()
