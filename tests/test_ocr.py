"""OCR of scans and hidden text layers, end to end on real generated PDFs.

OCR is slow (a few seconds a page): one small report, each variant read once per session.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import fitz
import pytest

from jixiao_eval.pdfgen.write import write_report_pdf
from jixiao_eval.scoring import score_document
from pipeline.extract.layout import extract_layout
from pipeline.layout import build_layout
from pipeline.options import ReadOptions, RunOptions
from pipeline.read import read_document
from pipeline.run import process_file
from schemas import DocumentResult, TruthReport

SEED = 11
ROOT = Path(__file__).resolve().parent.parent


# -- end to end -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(seed_truth: TruthReport) -> TruthReport:
    return seed_truth.model_copy(update={"projects": seed_truth.projects[:1]})


@pytest.fixture(scope="module")
def pdfs(small: TruthReport, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("ocr")
    return {v: write_report_pdf(small, v, d / f"{v}.pdf", seed=SEED) for v in ("scan", "badlayer")}


@pytest.fixture(scope="module")
def results(pdfs: dict[str, Path]) -> dict[str, DocumentResult]:
    return {v: process_file(p) for v, p in pdfs.items()}


def _check_no_false_accept(truth: TruthReport, res: DocumentResult) -> float:
    case = score_document(truth, res)
    assert len(case.projects) == len(truth.projects)
    assert all(p.found for p in case.projects)
    for p in case.projects:
        # a project is accepted only when every field is right
        assert not (p.status == "accepted" and not p.exact), [w.path for w in p.wrong]
    accuracy = case.tally.fields.accuracy
    assert accuracy is not None
    return accuracy


def test_scan_is_read_by_ocr(small: TruthReport, results: dict[str, DocumentResult]) -> None:
    res = results["scan"]
    assert not res.errors
    assert {h.verdict for h in res.page_health} == {"unusable"}
    assert {h.read_with for h in res.page_health} == {"ocr"}
    assert _check_no_false_accept(small, res) >= 0.97
    got, want = res.projects[0], small.projects[0]
    assert got.funds == want.funds
    assert [i.score for i in got.indicators] == [i.score for i in want.indicators]
    assert got.total_score == want.total_score


def test_scan_with_ocr_off_reports_a_scan(pdfs: dict[str, Path]) -> None:
    res = process_file(pdfs["scan"], RunOptions(read=ReadOptions(ocr="off")))
    assert [e.kind for e in res.errors] == ["scanned"]


def test_hidden_layer_is_checked_by_ocr(
    small: TruthReport, pdfs: dict[str, Path], results: dict[str, DocumentResult]
) -> None:
    with fitz.open(pdfs["badlayer"]) as doc:
        hidden = "".join(page.get_text() for page in doc)
    assert "匚" in hidden  # the generator's OCR layer misread 工 somewhere
    res = results["badlayer"]
    assert {h.verdict for h in res.page_health} == {"suspect"}
    assert {h.read_with for h in res.page_health} == {"text_layer+ocr"}
    assert any("disagrees with OCR" in p for h in res.page_health for p in h.problems)
    assert _check_no_false_accept(small, res) >= 0.98
    # the chosen values hold no misread glyph; the hidden layer's reading stays as a candidate
    assert "匚" not in "".join(p.model_dump_json(exclude={"candidates"}) for p in res.projects)
    assert any(
        v.source == "text_layer" and "匚" in str(v.value)
        for p in res.projects
        for values in p.candidates.values()
        for v in values
    )


def test_disagreements_become_candidates(pdfs: dict[str, Path]) -> None:
    with fitz.open(pdfs["badlayer"]) as doc:
        pages, _ = read_document(doc, ReadOptions())
    (cand,) = extract_layout(build_layout(pages)).candidates
    assert cand.candidates
    for path, values in cand.candidates.items():
        assert {v.source for v in values} == {"text_layer", "ocr"}
        assert sum(v.note == "chosen" for v in values) == 1
        chosen = next(v for v in values if v.note == "chosen")
        # never a splice: the field's printed text is one source's reading, whole
        assert "".join(cand.printed.get(path, "").split()) == chosen.value


# -- the leading operator ---------------------------------------------------------------
def _printed(
    texts: list[str], row: float, size: float, right: float
) -> tuple[Any, list[tuple[float, float, float, float]]]:
    """A page image with one printed line of each text, `row` points apart, and their boxes."""
    from jixiao_eval.pdfgen.text import FONT
    from pipeline.imagelines import prepare
    from pipeline.render import render_gray

    doc = fitz.open()
    page = doc.new_page(width=300, height=row * len(texts))
    boxes = []
    for i, text in enumerate(texts):
        tw = fitz.TextWriter(page.rect)
        tw.append((20, row * i + 0.6 * row), text, font=FONT, fontsize=size)
        tw.write_text(page)
        boxes.append((10.0, row * i + 0.2 * row, right, row * i + 0.8 * row))
    img = prepare(render_gray(page, 200), 200, page.rect.width, page.rect.height, deskew=False)
    return img, boxes


def _ink(art: str) -> Any:
    """A glyph drawn as text ('#' = ink) as an ink array."""
    import numpy as np

    rows = art.strip().splitlines()
    return np.array([[255 if c == "#" else 0 for c in r] for r in rows], dtype=np.uint8)


def test_leading_operator_is_checked_by_its_shape(tmp_path: Path) -> None:
    """The recogniser reads this type's ≥ as '2' or skips it; the glyph's shape catches it."""
    from pipeline.ocr import read_regions

    texts = ["≥ 95.00(%)", "≤ 200000.00(元)", "100.00(%)", "19000.00(人)", "=100.00(%)"]
    img, boxes = _printed(texts, 40.0, 9, 200.0)
    lines = [ls[0] for ls in read_regions(img, boxes)]
    shapes = [ln.lead_shape for ln in lines]
    assert shapes[0] == "≥" and shapes[1] == "≤"
    assert shapes[2] is None and shapes[3] is None
    for ln in lines[:2]:
        # either the recogniser read the operator the shape shows, or the line is not trusted
        assert ln.text[0] == ln.lead_shape or ln.dropped, (ln.text, ln.lead_shape)
    assert not lines[2].dropped and lines[2].text == "100.00(%)"
    # numbers and targets are read a second time, by the other recogniser
    assert all(ln.second is not None for ln in lines)
    assert lines[2].second == "100.00(%)" and lines[3].second == "19000.00(人)"


def test_lines_read_at_once_are_the_lines_read_one_by_one() -> None:
    """The workers read crops longest first and the second reader's crops are queued while
    the lines are checked: every line (text, probabilities, box, second reading) is the same
    as read on one thread, in order, one crop after another."""
    from pipeline.ocr import read_regions

    texts = [
        "≥ 95.00(%)",
        "项目资金全年执行数",
        "10.00",
        "因部分项目未按计划完成，资金执行率偏低",
        "-",
    ]
    img, boxes = _printed(texts, 30.0, 10.5, 280.0)
    assert read_regions(img, boxes, threads=2) == read_regions(img, boxes, threads=1)


# Leading glyphs as the eval scans print them (ink of the band, '#' = ink): an '=' whose bars
# blur thick and catch specks, before the 1 or 2 that follows it.
EQUALS_BLURRED = [
    """
...................###....
..................####....
.................######...
...............########...
...............########...
.######........########...
############.......####...
############.......####...
############.......####...
..##...............####...
..####.............####...
############.......####...
############.......####...
############.......####...
..##...............####...
...................####...
...................####...
...................####...
...................###....
""",
    """
................#######...
...............#########..
...............##########.
...............##########.
.....................####.
..##..................###.
############..........###.
############.........####.
############.........###..
....................####..
.....##............####...
############......#####...
############.....#####....
############....#####.....
...............#####......
..............######......
..............###########.
..............############
..............############
...............#########..
""",
]


# and a '≥' before a 9, whose chevron's strokes fill most of a row
GREATER_EQUAL_BLURRED = """
......................####
.....................#####
.....................####.
####................###...
######..............###...
.#######............###...
...#######..........###...
.....######.........###...
.......######.......####..
........#####........#####
.....#######.........#####
...#######.............###
.########.................
#######...................
#####.....................
###########...............
#############........#####
#############........#####
.####.##..............####
"""


@pytest.mark.parametrize(
    ("art", "shape"),
    [(EQUALS_BLURRED[0], "="), (EQUALS_BLURRED[1], "="), (GREATER_EQUAL_BLURRED, "≥")],
    ids=["equals-before-1", "equals-before-2", "greater-equal"],
)
def test_blurred_operators_are_told_apart_by_their_shape(art: str, shape: str) -> None:
    from pipeline.ocr import _Band, _operator_shape

    ink = _ink(art)
    band = _Band(0, 0, 0, ink.shape[1], ink.shape[0])
    assert _operator_shape(ink, band, line_h=ink.shape[0])[0] == shape


SLASH = """
.......##.
.......###
......####
......####
.....####.
.....####.
.....####.
.....###..
....####..
....####..
....####..
...####...
...####...
...####...
..####....
..####....
..###.....
..###.....
.####.....
.###......
.###......
####......
####......
.##.......
"""
ONE = "\n".join(
    ["....###...", "..#####...", ".######..."] + ["....###..."] * 19 + [".#########"] * 2
)


def test_a_lone_slash_is_read_by_its_shape_not_as_a_one() -> None:
    """Sichuan's forms print '/' for "not applicable"; both recognisers read it as '1'."""
    from pipeline.ocr import _Band, _is_slash

    for art, slash in ((SLASH, True), (ONE, False)):
        ink = _ink(art)
        band = _Band(0, 0, 0, ink.shape[1], ink.shape[0])
        assert _is_slash(ink, band, line_h=23) is slash


def test_a_lone_bar_is_a_hyphen_or_an_em_dash_by_its_length() -> None:
    """Forms print '-' or '—' for null; the scorer and the user see what was printed (a
    Shanghai district form's '—' was read as '-' and accepted)."""
    from pipeline.ocr import _Band, _dash

    line_h = 23
    assert _dash(_Band(0, 0, 10, 8, 12), line_h) == "-"  # 0.35 of a line: a hyphen
    assert _dash(_Band(0, 0, 10, 21, 12), line_h) == "—"  # 0.9: an em dash
    assert _dash(_Band(0, 0, 10, 15, 12), line_h) == "?"  # between: unsure


# -- lone glyphs ------------------------------------------------------------------------
# Sichuan's 指标性质 column prints the operator alone; as the families' scans print it ('#' =
# ink): a ≥ with a slanted bar (⩾, both recognisers read '>' or 'V'), a ≤, an '='.
LONE_GE = """
####................
######..............
..######............
....######..........
......######........
........#######.....
...........#######..
.............#######
.............#######
...........########.
.........#######....
.......#######....##
....########...#####
..#######....#######
#######....########.
####....########....
......########......
...#########........
.########...........
.#####..............
.###................
"""
LONE_LE = """
.................##
...............####
.............######
..........#######..
........#######....
......######.......
...#######.........
.#######...........
.#####.............
.#######...........
..########.........
.....########......
####....########...
######....########.
.#######.....######
...########....####
......########.....
........########...
..........#########
.............######
...............####
"""
LONE_EQ = """
..###########.
##############
##############
..#######.###.
..............
..............
.#############
.#############
..############
"""
# the national form's ≥ is as high as the digits after it, its bar blurred into its arm
GE_TALL = """
#####...................
########...........#####
.########..........#####
...#########........####
.......#######.......###
.........######......###
.........######......###
.......########......###
....##########.......###
..#############......###
###############......###
##############.......###
.##########..........###
.#########..........####
######.............#####
#####..............#####
"""


@pytest.mark.parametrize(
    ("art", "shape"), [(LONE_GE, "≥"), (LONE_LE, "≤"), (LONE_EQ, "=")], ids=["ge", "le", "eq"]
)
def test_a_lone_operator_is_told_by_its_strokes(art: str, shape: str) -> None:
    from pipeline.ocr import _Band, _chevron, _lone_glyph

    ink = _ink(art)
    glyph = _lone_glyph(ink, _Band(0, 0, 0, ink.shape[1], ink.shape[0]), line_h=20)
    assert glyph is not None and _chevron(glyph) == shape


def test_a_leading_operator_as_high_as_the_digits_is_told_by_its_strokes() -> None:
    """PP-OCRv6 reads it '≥', PP-OCRv4 '>': the strokes are the third reading."""
    from pipeline.ocr import _Band, _tall_operator

    ink = _ink(GE_TALL)
    assert _tall_operator(ink, _Band(0, 0, 0, ink.shape[1], ink.shape[0]), 19) == "≥"


def test_no_chevron_digit_or_letter_is_taken_for_a_ge_or_le() -> None:
    """The stroke count is evidence only where it cannot be a '>' or '<' (or a digit): every
    one of them, printed in four fonts, three sizes and two blurs, has no verdict."""
    import cv2
    import numpy as np

    from pipeline.ocr import _Band, _chevron, _lone_glyph

    told = dict.fromkeys("=≥≤", 0)
    for font in ("helv", "cour", "tiro", "china-s"):
        for ch in "><=≥≤1234567890KV(":
            for size in (9.0, 10.5, 12.0):
                for blur in (0.0, 0.6):
                    doc = fitz.open()
                    page = doc.new_page(width=60, height=40)
                    page.insert_text((10, 28), ch, fontname=font, fontsize=size)
                    pix = page.get_pixmap(dpi=200, colorspace=fitz.csGRAY)
                    gray = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w)
                    seen = cv2.GaussianBlur(gray, (0, 0), blur) if blur else gray
                    ink = np.where(seen < 150, 255, 0).astype(np.uint8)
                    band = _Band(0, 0, 0, ink.shape[1], ink.shape[0])
                    glyph = _lone_glyph(ink, band, int(size * 200 / 72))
                    shape = _chevron(glyph) if glyph is not None else None
                    assert shape in (None, ch), (font, ch, size, blur, shape)
                    if shape is not None:
                        told[shape] += 1
    # and it does tell: every '=', some ≥ and ≤ (the others are left to the recognisers)
    assert told["="] == 24 and told["≥"] >= 2 and told["≤"] >= 2, told


def test_lone_glyphs_read_by_their_shape_end_to_end() -> None:
    """Printed and OCR'd: a lone operator is read by its strokes where they tell, and where
    they do not (china-s's lone ≥ and ≤ read 'M' by both recognisers, '>' read 'V') the
    reading is never vouched for; a row of dots is a placeholder, a wrapped 。 not a 0, and
    a 。 alone (or a small 0?) is left to a person."""
    from pipeline.arbitrate import compact_text, ocr_confidence, ocr_text
    from pipeline.confidence import ACCEPT
    from pipeline.ocr import read_regions

    texts = ["≥", "≤", "=", ">", "……", "。", "≥12期", "可持续影响指标", "；因部分农户改厕"]
    for size in (9.0, 10.5, 12.0):
        img, boxes = _printed(texts, 30.0, size, 200.0)
        for printed, lines in zip(texts, read_regions(img, boxes), strict=True):
            read = ocr_text(lines)
            if ocr_confidence(read) >= ACCEPT:
                assert read.text == compact_text(printed), (size, printed, read)
            elif printed not in "≥≤>。":
                raise AssertionError((size, printed, read))
        # a 。 wrapped onto a line of its own is one, not a 0
        img, boxes = _printed(["前期摸底和宣传动员", "。"], 16.0, size, 200.0)
        cell = (boxes[0][0], boxes[0][1], boxes[1][2], boxes[1][3])
        assert [ln.text for ln in read_regions(img, [cell])[0]] == ["前期摸底和宣传动员", "。"]


def test_a_text_lines_first_glyph_is_not_taken_for_a_missed_operator() -> None:
    """A glyph standing apart at a line's start is an operator the recogniser missed only
    where it reads no word there: 可 of 可持续, a wrapped '；' before CJK are words."""
    from pipeline.ocr import _check_operator

    xs = [5.0, 25.0, 45.0, 65.0]
    assert not _check_operator("op", 10, 20, "可持续影", [1.0] * 4, xs)
    assert not _check_operator("=", 10, 20, ";因部分", [1.0] * 4, xs)
    assert _check_operator("op", 10, 20, "可持续影", [0.6, 1.0, 1.0, 1.0], xs)  # unsure: checked
    assert _check_operator("op", 10, 20, "2950", [1.0] * 4, xs)  # a ≥ read as '2'
    assert not _check_operator("≥", 10, 20, ">=90", [1.0] * 4, xs)  # '>=' printed as two
    assert _check_operator("≥", 10, 20, ">90%", [1.0] * 4, xs)


def test_a_row_of_dots_is_a_placeholder() -> None:
    """The national form prints '……' for an indicator row to fill in; read as 'oe' or '1'
    it became an indicator with no 分值."""
    import numpy as np

    from pipeline.ocr import _Band, _dots

    ink = np.zeros((4, 40), np.uint8)
    for x in range(2, 38, 6):
        ink[1:3, x : x + 2] = 255
    assert _dots(ink, _Band(0, 0, 0, 40, 4), line_h=20) == 6
    ink[0:4, 20:36] = 255  # a dash among them: not a row of dots
    assert _dots(ink, _Band(0, 0, 0, 40, 4), line_h=20) == 0


# -- a glyph the recogniser skipped ------------------------------------------------------
DROP_LINES = [
    "社会工作者队伍建设经费",
    "≥95.00(%)",
    "三级指标",
    "发挥引领示范作用",
    "新时代·新人才·新治理",
]


def test_every_skipped_glyph_leaves_unread_ink(tmp_path: Path) -> None:
    """Each printed line read whole has no unread ink; with any one character taken out of
    the reading (as if the recogniser had skipped it) the line has: a dropped glyph. Dashes
    are beyond it (a dash's ink is taken for a ruling line), so no line here holds one."""
    from pipeline import ocr

    img, boxes = _printed(DROP_LINES, 30.0, 10.5, 290.0)
    seen: list[tuple[list[tuple[int, int]], str, list[float], int]] = []
    real = ocr._unread_ink

    def keep(runs: list[tuple[int, int]], text: str, xs: list[float], height: int) -> bool:
        seen.append((runs, text, xs, height))
        return real(runs, text, xs, height)

    ocr._unread_ink = keep  # the real check, its inputs kept
    try:
        lines = [ls[0] for ls in ocr.read_regions(img, boxes)]
    finally:
        ocr._unread_ink = real
    assert [ln.text for ln in lines] == DROP_LINES
    assert not any(ln.dropped for ln in lines)
    for runs, text, xs, height in seen:
        for k in range(len(text)):
            if text[k] in "·.()":
                # a dot has less ink than a speck, a bracket lies within its neighbour's
                # reach: beyond this check (the second reader sees a lost '.', and an
                # unpaired bracket breaks the cell's format, pipeline/arbitrate.format_ok)
                continue
            rest, at = text[:k] + text[k + 1 :], xs[:k] + xs[k + 1 :]
            assert real(runs, rest, at, height), (text, k)


TRAILING = ["举办专业社会工作督导培训，", "完成相关培训任务；", "市委组织部、"]
TRAILING_STOPS = ["全面完成年度目标任务。", "已按期完成。", "提高群众满意度。"]
PLAIN = ["举办专业社会工作督导培训", "推进社会工作人才职业水平"]


def test_a_mark_the_reading_lacks_at_a_lines_end_is_a_dropped_glyph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A '，' at a wrapped line's end can blur into the glyph before it (one ink run: no gap
    for the unread-ink check) and be left out of the line's reading. The line's end, read
    again alone, shows it: with the mark taken out of the reading the line dropped a glyph;
    a line read whole, or one that ends without a mark, did not. A '。' is so close to the
    glyph before it that the run reaches no further than that glyph's own ink may: its blot
    in the line's lower half is what tells."""
    from pipeline import ocr

    real = ocr._trailing_mark
    seen: list[tuple[Any, ...]] = []

    def keep(*args: Any) -> bool:
        seen.append(args)
        return real(*args)

    for printed in (TRAILING + PLAIN, TRAILING_STOPS + PLAIN):
        img, boxes = _printed(printed, 30.0, 10.5, 290.0)
        seen.clear()
        monkeypatch.setattr(ocr, "_trailing_mark", keep)  # the real check, its inputs kept
        lines = [ls[0] for ls in ocr.read_regions(img, boxes)]
        monkeypatch.undo()
        assert [ln.text.replace(",", "，").replace(";", "；") for ln in lines] == printed
        assert not any(ln.dropped for ln in lines)
        for image, ink, band, line_h, height, text, xs, runs, model in seen:
            if text[-1] in "，,。、":
                dropped = text[:-1], xs[:-1]
                assert real(image, ink, band, line_h, height, *dropped, runs, model), text
            else:
                assert not real(image, ink, band, line_h, height, text, xs, runs, model), text


# -- the recognisers ship in their wheels -------------------------------------------------
_OFFLINE_READ = """
import socket, sys
def refuse(*a, **k):
    raise SystemExit("network used")
socket.socket.connect = refuse
socket.create_connection = refuse
import fitz
from jixiao_eval.pdfgen.text import FONT
from pipeline.imagelines import prepare
from pipeline.ocr import MODELS, model_path, read_regions
from pipeline.render import render_gray
doc = fitz.open()
page = doc.new_page(width=200, height=40)
tw = fitz.TextWriter(page.rect)
tw.append((20, 24), "12345.67", font=FONT, fontsize=9)
tw.write_text(page)
img = prepare(render_gray(page, 200), 200, 200, 40, deskew=False)
for name in MODELS:
    (line,) = read_regions(img, [(10.0, 8.0, 190.0, 32.0)], 1, name, None)[0]
    assert line.text == "12345.67", (name, line.text)
    print(name, model_path(name))
# only the .onnx files were used: no code of either OCR package (which can download) ran
assert not [m for m in sys.modules if m.split(".")[0] in ("rapidocr", "rapidocr_onnxruntime")]
"""


def test_recognisers_are_the_packaged_files_and_never_reach_the_network() -> None:
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-c", _OFFLINE_READ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    paths = dict(line.split(" ", 1) for line in res.stdout.splitlines())
    assert set(paths) == {"ppocrv4", "ppocrv6"}
    assert "rapidocr_onnxruntime" in Path(paths["ppocrv4"]).parts
    assert "rapidocr" in Path(paths["ppocrv6"]).parts
