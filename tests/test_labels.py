"""The label vocabulary (pipeline/extract/labels.py): what a cell's text is matched as."""

from __future__ import annotations

from pipeline.extract import labels as L


def test_a_symbol_is_no_part_of_a_label() -> None:
    """A scan's speck beside 总分, read as '☑' (01_shegong_2025's scan), left the total row
    to be taken for an indicator; a form's ★ or □ before a label is decoration."""
    assert L.single_label("☑总分") == "total"
    assert L.single_label("★项目名称") == "project_name"
    assert L.funds_line("□年度资金总额：") == "total"
    assert L.single_label("总分") == "total"
    # operators are math symbols, not decoration: a target is never reduced to its digits
    assert L.key_text("≥90%") == "≥90%"
    assert L.single_label("☑") is None
