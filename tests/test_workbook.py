"""summary.xlsx and summary.csv built from real JSON outputs, opened as Excel would (openpyxl)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from pipeline.batch.summary import write_summaries
from pipeline.output import document_json, printed_number, write_atomic
from pipeline.run import process_file
from schemas import DocumentResult, FieldSource, Status


@pytest.fixture(scope="module")
def outputs(
    tmp_path_factory: pytest.TempPathFactory, seed_pdfs: dict[str, Path]
) -> tuple[Path, list[DocumentResult]]:
    """A read report (one project turned needs_review, one score printed as 89.974), a failure."""
    out = tmp_path_factory.mktemp("wb")
    good = process_file(seed_pdfs["digital"])
    p0 = good.projects[0]
    src = p0.provenance["total_score"]
    p0 = p0.model_copy(
        update={
            "status": Status.needs_review,
            "total_score": 89.974,
            "provenance": {
                **p0.provenance,
                "total_score": FieldSource(page=src.page, bbox=src.bbox, text="89.974"),
            },
        }
    )
    good = good.model_copy(update={"projects": [p0, *good.projects[1:]]})
    bad = process_file(out / "missing.pdf")
    write_atomic(out / "good.json", document_json(good))
    write_atomic(out / "bad.json", document_json(bad))
    write_summaries(out, [("in/good.pdf", "good.json"), ("in/missing.pdf", "bad.json")])
    return out, [good, bad]


def test_workbook_sheets_rows_and_formats(outputs: tuple[Path, list[DocumentResult]]) -> None:
    out, (good, _bad) = outputs
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    assert wb.sheetnames == ["项目", "指标", "问题", "文件"]
    projects, indicators, findings, files = (wb[n] for n in wb.sheetnames)
    assert projects.max_row == 1 + len(good.projects)
    assert indicators.max_row == 1 + sum(len(p.indicators) for p in good.projects)
    assert findings.max_row == 1 + sum(len(p.findings) for p in good.projects)
    assert files.max_row == 1 + 2
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    header = [c.value for c in projects[1]]
    score = projects.cell(2, header.index("总得分") + 1)
    assert score.value == 89.974 and score.number_format == "0.000"  # printed decimals
    other = projects.cell(3, header.index("总得分") + 1)
    assert isinstance(other.value, float) and other.number_format == "0.00"
    assert projects.cell(2, 1).fill.fgColor.rgb.endswith("FFF2CC")  # needs_review highlighted
    assert projects.cell(3, 1).fill.fgColor.rgb in ("00000000", None)
    name_col = projects.column_dimensions["B"].width
    assert name_col >= 2 * max(len(p.name) for p in good.projects) * 0.9  # CJK is two wide
    ind_header = [c.value for c in indicators[1]]
    weight = indicators.cell(2, ind_header.index("分值") + 1)
    assert isinstance(weight.value, (int, float)) and weight.number_format.startswith("0")
    file_rows = [[c.value for c in row] for row in files.iter_rows(min_row=2)]
    assert file_rows[0][:5] == ["in/good.pdf", "good.json", good.pages, "ok", len(good.projects)]
    assert file_rows[1][6] == "not_found" and "not found" in file_rows[1][7]


def test_csv_keeps_printed_precision(outputs: tuple[Path, list[DocumentResult]]) -> None:
    out, (good, _) = outputs
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["total_score"] == "89.974"
    for row, p in zip(rows[1:], good.projects[1:], strict=False):
        assert row["total_score"] == p.provenance["total_score"].text  # as printed
    assert rows[-1]["status"] == "error"


def test_printed_number_without_provenance_is_not_padded(seed_pdfs: dict[str, Path]) -> None:
    p = process_file(seed_pdfs["digital"]).projects[0].model_copy(update={"provenance": {}})
    assert printed_number(p, "total_score", 86.0) == ("86", None)
    assert printed_number(p, "total_score", 89.974) == ("89.974", None)
    assert printed_number(p, "total_score", None) == ("", None)
