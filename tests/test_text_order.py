"""Text in reading order, or flagged: line assembly by baseline, a second reading of narratives,
titles over two lines. On real PDFs drawn by another producer (reportlab)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jixiao_eval.pdfgen.reportlab_variant import PUNCTUATION, write_reportlab_pdf
from pipeline import confidence as C
from pipeline.extract.layout import extract_layout
from pipeline.layout import build_layout, pymupdf_text, text_lines
from pipeline.models import Char, DocumentLayout, TextLine
from pipeline.numbers import read_number
from pipeline.render import open_pdf, read_pages
from pipeline.run import process_file
from pipeline.textnorm import compact, fold_quotes
from schemas import DocumentResult, Source, Status, TruthReport
from schemas.paths import NOT_READ

_INDICATOR_TEXT = ("name", "deviation_reason")


def _narratives(truth: TruthReport, i: int) -> dict[str, str]:
    """Field path -> true text of every narrative of project i."""
    p = truth.projects[i]
    out = {"goal_expected": p.goal_expected, "goal_actual": p.goal_actual}
    for j, ind in enumerate(p.indicators):
        for key in _INDICATOR_TEXT:
            out[f"indicators[{j}].{key}"] = getattr(ind, key)
    return out


def _value(doc: DocumentResult, i: int, path: str) -> str:
    project = doc.projects[i]
    m = re.fullmatch(r"indicators\[(\d+)\]\.(\w+)", path)
    if m:
        return str(getattr(project.indicators[int(m.group(1))], m.group(2)))
    return str(getattr(project, path))


def _wrong_fields(doc: DocumentResult, truth: TruthReport, i: int) -> list[str]:
    keep = set(type(truth.projects[i]).model_fields) - {
        "source_inconsistent",
        "truth_notes",
        *NOT_READ,
    }
    got = doc.projects[i].model_dump(include=keep)
    want = truth.projects[i].model_dump(include=keep)
    return [k for k in sorted(keep) if got[k] != want[k]]


@pytest.fixture(scope="module")
def reportlab_pdfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reportlab")


def test_reportlab_variant_read_in_order_title_whole(
    reportlab_pdfs: Path, seed_truth: TruthReport
) -> None:
    pdf = write_reportlab_pdf(seed_truth, reportlab_pdfs / "seed__reportlab.pdf", seed=7)
    # The fixture is hostile: line-end marks whose box sits most of a line below their
    # baseline, where a box-centre rule puts them in the next line (`国。家展展台`).
    with open_pdf(pdf) as doc:
        pages = list(read_pages(doc))
    low = [
        ch
        for page in pages
        for ch in page.chars
        if ch.c in PUNCTUATION
        and ch.baseline is not None
        and (ch.y0 + ch.y1) / 2 - ch.baseline > 0.5 * ch.size
    ]
    assert len(low) >= 5
    result = process_file(pdf)
    assert result.errors == []
    assert result.title == seed_truth.title.replace(" ", "")
    assert result.year == 2024
    wrong = {i: _wrong_fields(result, seed_truth, i) for i in range(len(seed_truth.projects))}
    assert wrong == {i: [] for i in range(len(seed_truth.projects))}
    assert [p.status for p in result.projects] == [Status.accepted] * len(seed_truth.projects)
    # our clean reading and PyMuPDF's agree on every cell, so nothing carries a second candidate
    assert all(not p.candidates for p in result.projects)


def test_marks_off_their_baseline_flagged_never_accepted_wrong(
    reportlab_pdfs: Path, seed_truth: TruthReport
) -> None:
    # Lowered by a text rise, the marks' baselines sit in the next line: no baseline rule
    # can place them, PyMuPDF's pen-position lines still do; every such text is flagged.
    pdf = write_reportlab_pdf(
        seed_truth, reportlab_pdfs / "seed__reportlab_rise.pdf", seed=7, punct_rise=-0.9
    )
    result = process_file(pdf)
    flagged = 0
    for i, project in enumerate(result.projects):
        if project.status is Status.accepted:
            assert _wrong_fields(result, seed_truth, i) == [], project.name
            continue
        flagged += 1
        for path, true in _narratives(seed_truth, i).items():
            if _value(result, i, path) == true:
                continue
            assert project.field_confidence[path] < C.ACCEPT, path
            cands = {c.note: c for c in project.candidates[path]}
            assert cands["pymupdf lines"].source is Source.text_layer
            assert compact(fold_quotes(str(cands["pymupdf lines"].value))) == compact(
                fold_quotes(true)
            )
            assert any(f.rule == "READ_ORDER" and path in f.fields for f in project.findings)
    assert flagged >= 3
    assert result.title == seed_truth.title.replace(" ", "")


def test_our_own_pdfs_read_the_same_both_ways(seed_pdfs: dict[str, Path]) -> None:
    for variant in ("digital", "fakebold"):
        with open_pdf(seed_pdfs[variant]) as doc:
            layout = build_layout(read_pages(doc))
        cells = [c for t in layout.tables for c in t.cells]
        # every cell but a printed number (which arithmetic checks) is read twice
        assert cells and all((c.alt_text is None) == read_number(c.text).ok for c in cells), variant
        differ = [
            (c.text, c.alt_text)
            for c in cells
            if c.alt_text is not None
            and compact(fold_quotes(c.text)) != compact(fold_quotes(c.alt_text))
        ]
        assert differ == [], variant


def _ch(c: str, x: float, box_y: float, baseline: float | None, line: int = -1) -> Char:
    return Char(c, x, box_y, x + 9, box_y + 9, 9.0, line=line, baseline=baseline)


def test_lines_follow_baselines_not_boxes() -> None:
    # two lines 11 pt apart; the first line's final 。 has a box a whole line low
    top = [_ch(c, 10 + 9 * i, 93, 100) for i, c in enumerate("国家展")]
    mark = _ch("。", 37, 103.5, 100)
    below = [_ch(c, 10 + 9 * i, 104, 111) for i, c in enumerate("展台讲解")]
    lines = text_lines([*below, mark, *top])
    texts = ["".join(ch.c for ch in sorted(ln, key=lambda c: c.x0)) for ln in lines]
    assert texts == ["国家展。", "展台讲解"]
    # OCR glyphs have no baseline: their boxes decide
    ocr = [_ch("a", 10, 93, None), _ch("b", 10, 104, None)]
    assert [[ch.c for ch in ln] for ln in text_lines(ocr)] == [["a"], ["b"]]


def test_pymupdf_reading_keeps_its_line_order_and_drops_fake_bold() -> None:
    first = [_ch(c, 10 + 9 * i, 93, 100, line=0) for i, c in enumerate("组建")]
    copy = [_ch(c, 10.3 + 9 * i, 93, 100, line=1) for i, c in enumerate("组建")]
    second = [_ch(c, 10 + 9 * i, 104, 111, line=2) for i, c in enumerate("255人")]
    assert pymupdf_text([*second, *copy, *first]) == "组建255人"
    assert pymupdf_text([_ch("a", 10, 93, None)]) is None


def _line(text: str, size: float, top: float, centre: float = 297.6) -> TextLine:
    w = len(text) * size
    return TextLine(1, text, (centre - w / 2, top, centre + w / 2, top + size), size)


def test_title_over_two_lines_in_two_sizes_read_whole() -> None:
    lines = [
        _line("附件2", 12, 56, centre=60),
        _line("XX部门2024年度项目", 16, 70),
        _line("支出绩效自评表", 20, 90),
        _line("1.某某项目", 11, 130, centre=120),
    ]
    got = extract_layout(DocumentLayout(pages=1, tables=[], lines=lines, text_layers={}))
    assert (got.title, got.year) == ("XX部门2024年度项目支出绩效自评表", 2024)
    # one line in a larger font, alone
    one = [_line("2023年度项目支出绩效自评表", 22, 60), _line("1.某某项目", 11, 100, centre=120)]
    got = extract_layout(DocumentLayout(pages=1, tables=[], lines=one, text_layers={}))
    assert (got.title, got.year) == ("2023年度项目支出绩效自评表", 2023)
