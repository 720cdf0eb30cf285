"""Damaged and odd files: nothing lost without a word, one clear line, never "internal error"."""

from __future__ import annotations

from pathlib import Path

import fitz
import pytest

from pipeline.cli import main
from pipeline.exit_codes import PARTIAL
from pipeline.run import process_file
from schemas import DocumentStatus, ErrorKind, Status, Verdict

LOST = '"两企三新"党建经费'  # project 2 of the seed report, alone on page 2
LOST_TOTAL = 93.39  # its 总分 得分


def damage_page2(src: Path, dst: Path, stream: int, at: float) -> Path:
    """40 bytes of junk inside one of page 2's content streams, written back uncompressed."""
    doc = fitz.open(src)
    xref = doc[1].get_contents()[stream]
    data = bytearray(doc.xref_stream(xref))
    p = int(len(data) * at)
    data[p : p + 40] = (b"\x00\xff#@!" * 8)[:40]
    doc.update_stream(xref, bytes(data), compress=False)
    doc.save(dst)
    return dst


# stream 2: project 2 vanishes entirely; stream 0: project 1 absorbed project 2's 总分 (main)
@pytest.mark.parametrize("stream", [2, 0], ids=["vanishes", "absorbed"])
def test_lost_project_is_named_from_the_document_list(
    seed_pdfs: dict[str, Path], tmp_path: Path, stream: int, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = damage_page2(seed_pdfs["digital"], tmp_path / "damaged.pdf", stream, 0.05)
    res = process_file(pdf)
    assert [p.name for p in res.projects].count(LOST) == 0  # the damage really loses it
    assert res.status is DocumentStatus.partial
    missing = [e for e in res.errors if e.kind is ErrorKind.missing_project]
    assert (
        len(missing) == 1 and LOST in missing[0].message and "damaged page 2" in missing[0].message
    )
    page2 = res.page_health[1]
    assert page2.verdict is Verdict.suspect
    assert any("MuPDF" in p and "syntax error" in p for p in page2.problems)
    first = res.projects[0]
    assert first.status is Status.needs_review
    assert any(r.kind.value == "damaged_page" for r in first.reasons)
    assert first.total_score != LOST_TOTAL  # never shown as the neighbour's value
    if stream == 0:  # what it read on page 2 is kept for the reviewer, not as its value
        assert any(c.value == LOST_TOTAL for c in first.candidates["total_score"])
    far = res.projects[-1]
    assert far.status is Status.accepted  # pages far from the damage are unaffected
    rc = main(["run", str(pdf), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == PARTIAL and LOST in err and "internal error" not in err


def test_clean_seed_is_complete(seed_pdfs: dict[str, Path]) -> None:
    res = process_file(seed_pdfs["digital"])
    assert res.status is DocumentStatus.ok and res.errors == []
    assert all(h.verdict is Verdict.ok for h in res.page_health)


def test_junk_after_eof_and_before_header_follow_the_spec(
    seed_pdfs: dict[str, Path], tmp_path: Path
) -> None:
    data = seed_pdfs["digital"].read_bytes()
    tail = tmp_path / "tail.pdf"
    tail.write_bytes(data + b"\n% mail gateway footer\n" * 400)  # ~9 KB after %%EOF
    head = tmp_path / "head.pdf"
    head.write_bytes(b"X" * 1000 + data)
    for pdf in (tail, head):
        res = process_file(pdf)
        assert res.status is DocumentStatus.ok, res.errors
        assert len(res.projects) == 10
    far = tmp_path / "far.pdf"
    far.write_bytes(b"X" * 1100 + data)
    res = process_file(far)
    assert [e.kind for e in res.errors] == [ErrorKind.not_pdf]


def _cycle(src: Path, dst: Path) -> Path:
    doc = fitz.open(src)
    pages = int(doc.xref_get_key(doc.pdf_catalog(), "Pages")[1].split()[0])
    doc.xref_set_key(pages, "Kids", f"[{pages} 0 R]")
    doc.xref_set_key(pages, "Count", "1")
    doc.save(dst)
    return dst


def _deep(src: Path, dst: Path) -> Path:
    doc = fitz.open(src)
    doc.update_stream(doc[1].get_contents()[0], b"q " * 100000 + b"[" * 100000, compress=False)
    doc.save(dst)
    return dst


@pytest.mark.parametrize(
    ("make", "words"), [(_cycle, "cycle in page tree"), (_deep, "nested")], ids=["cycle", "deep"]
)
def test_malformed_pdf_is_one_damaged_line(
    seed_pdfs: dict[str, Path], tmp_path: Path, make: object, words: str
) -> None:
    assert callable(make)
    pdf = make(seed_pdfs["digital"], tmp_path / "bad.pdf")
    res = process_file(pdf)
    assert res.status is DocumentStatus.failed
    [err] = res.errors
    assert err.kind is ErrorKind.damaged
    assert err.message.startswith(f"{pdf}: damaged PDF: ") and words in err.message
    assert "internal error" not in err.message and "\n" not in err.message


FUZZ_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "fuzz").glob("*.pdf"))


@pytest.mark.parametrize("pdf", FUZZ_FIXTURES, ids=[p.name for p in FUZZ_FIXTURES])
def test_fuzz_findings_stay_fixed(pdf: Path) -> None:
    """Every input the fuzzing campaign (tests/fuzz/) found crashing: one clear line or a result."""
    from pipeline.options import ReadOptions, RunOptions

    res = process_file(pdf, RunOptions(read=ReadOptions(ocr="off")))
    assert all(e.kind is not ErrorKind.failed for e in res.errors), res.errors


@pytest.mark.parametrize(
    ("listed", "found", "unfound_"),
    [
        # a garbled list (badlayer eval documents): each entry still names its project
        (
            ["浦东新区社会匚作宣传推广经费", "机关服务经费"],
            ["浦东新区社会工作宣传推广经费", "机关服务经费"],
            [],
        ),
        (
            ["204年度志愿服务体系建设经费", "2O24年度机关服务经费"],
            ["2024年度志愿服务体系建设经费", "2024年度机关服务经费"],
            [],
        ),
        # a lost project is named even when a found one differs from it by one character:
        # that one answers its own entry first
        (["2023年度社会工作经费", "2024年度社会工作经费"], ["2024年度社会工作经费"], [0]),
        (["社会工作宣传推广经费", "志愿服务体系建设经费"], ["社会工作宣传推广经费"], [1]),
        # one found project answers one entry only
        (["社会匚作经费", "社会工作经費"], ["社会工作经费"], [1]),
        # a name inside another is a match only after the equal ones are taken
        (
            ["204年度志愿服务体系建设经费", "2024年度志愿服务体系建设经费(二期)"],
            ["2024年度志愿服务体系建设经费", "2024年度志愿服务体系建设经费(二期)"],
            [],
        ),
    ],
)
def test_list_entries_match_projects_one_to_one(
    listed: list[str], found: list[str], unfound_: list[int]
) -> None:
    from pipeline.completeness import unfound

    assert unfound(listed, found) == unfound_
