"""Render + layout on small hand-drawn PDFs: grid, merged cells, fake bold, wraps, NFKC."""

from __future__ import annotations

from pathlib import Path

import fitz

from pipeline.layout import build_layout
from pipeline.models import DocumentLayout, TextLayer
from pipeline.render import open_pdf, read_pages
from pipeline.textnorm import clean, nfkc


def _grid_pdf(path: Path, fake_bold: bool = False, hidden: bool = False) -> Path:
    """A 3x3 ruled table; the left column's lower two cells merged; a narrow wrapped cell."""
    xs, ys = [50, 80, 250, 400], [50, 70, 110, 150]
    # no border between rows 1 and 2 in column 0: a merged cell
    doc2 = fitz.open()
    page2 = doc2.new_page()
    for y in ys:
        if y == 110:
            page2.draw_line((xs[1], y), (xs[-1], y), width=0.5)
        else:
            page2.draw_line((xs[0], y), (xs[-1], y), width=0.5)
    for x in xs:
        page2.draw_line((x, ys[0]), (x, ys[-1]), width=0.5)
    mode = 3 if hidden else 0
    copies = [(0, 0), (0.3, 0.2), (0.5, 0.0)] if fake_bold else [(0, 0)]
    for dx, dy in copies:
        page2.insert_text(
            (85 + dx, 64 + dy), "项目名称", fontname="china-s", fontsize=9, render_mode=mode
        )
    # narrow column, one character per line: 产/出/指/标
    for k, ch in enumerate("产出指标"):
        page2.insert_text((56, 82 + 11 * k), ch, fontname="china-s", fontsize=9, render_mode=mode)
    page2.insert_text((85, 84), "≥95.00（%）", fontname="china-s", fontsize=9, render_mode=mode)
    page2.insert_text((255, 84), "工作 经费", fontname="china-s", fontsize=9, render_mode=mode)
    page2.insert_text((255, 96), "185.01", fontname="china-s", fontsize=9, render_mode=mode)
    doc2.save(path)
    return path


def _layout(path: Path) -> DocumentLayout:
    with open_pdf(path) as doc:
        return build_layout(read_pages(doc))


def test_grid_with_merged_cell(tmp_path: Path) -> None:
    layout = _layout(_grid_pdf(tmp_path / "g.pdf"))
    assert len(layout.tables) == 1
    table = layout.tables[0]
    assert (table.n_rows, table.n_cols) == (3, 3)
    merged = [c for c in table.cells if c.rowspan == 2]
    assert len(merged) == 1 and (merged[0].row, merged[0].col) == (1, 0)
    assert merged[0].text == "产出指标"  # four one-character lines joined without spaces
    texts = {(c.row, c.col): c.text for c in table.cells}
    assert texts[(0, 1)] == "项目名称"
    assert texts[(1, 1)] == "≥95.00(%)"  # full-width brackets folded, ≥ kept
    assert texts[(1, 2)] == "工作经费185.01"  # wrapped lines joined, no space between CJK
    assert layout.text_layers[1] is TextLayer.digital


def test_fake_bold_glyphs_collapse(tmp_path: Path) -> None:
    table = _layout(_grid_pdf(tmp_path / "b.pdf", fake_bold=True)).tables[0]
    assert {c.text for c in table.cells if c.row == 0} >= {"项目名称"}
    assert not any(c.doubtful for c in table.cells)


def test_hidden_text_layer_is_recognised(tmp_path: Path) -> None:
    layout = _layout(_grid_pdf(tmp_path / "h.pdf", hidden=True))
    assert layout.text_layers[1] is TextLayer.invisible


def test_nfkc_keeps_operators_and_folds_radicals() -> None:
    assert nfkc("≥≤") == "≥≤"
    assert nfkc("⼯作") == "工作"  # Kangxi radical 工 (U+2F2F)
    assert clean("中组部 8 号文，") == "中组部8号文,"
    assert clean("IPTV  使用 fee  rate") == "IPTV使用fee rate"


def test_real_office_pdf_tables(tmp_path: Path) -> None:
    from tests.conftest import REAL_PDFS

    layout = _layout(REAL_PDFS / "sh_2024_final_template.pdf")
    assert layout.pages == 23
    assert len(layout.tables) >= 5
    heads = [c.text for t in layout.tables for c in t.cells if c.row == 0]
    assert "本年收入合计" in heads


def test_word_table_without_outer_side_borders_is_read() -> None:
    """Writer's open-sided tables draw no left/right border: the row ends are the table's edge."""
    from pipeline.run import process_file
    from schemas import TruthReport

    families = Path(__file__).resolve().parents[1] / "eval" / "families"
    doc = process_file(families / "hebei_langfang_02_guangyang_2022__writer.pdf")
    truth = TruthReport.model_validate_json(
        (families / "hebei_langfang_02_guangyang_2022.truth.json").read_text("utf-8")
    )
    assert doc.errors == []
    assert [p.name for p in doc.projects] == [p.name for p in truth.projects]
    for got, want in zip(doc.projects, truth.projects, strict=True):
        assert got.funds.total == want.funds.total
        assert [i.weight for i in got.indicators] == [i.weight for i in want.indicators]
        assert got.total_score == want.total_score
