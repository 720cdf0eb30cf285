"""Scans of the families set: the first project of one document per family, scanned from its
committed LibreOffice PDF (jixiao_eval/families/scans.py), read by the real pipeline (OCR)
and scored against its truth. Every field is right or flagged: no project is accepted with a
wrong field. The Writer renderings check the grid taken from pixels: the sides of merged
一级/二级 cells drawn on their first row only, and an outer border ending mid-cell.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import fitz
import pytest

from jixiao_eval.families.scans import derive_scans, scan_pdf
from jixiao_eval.scoring.metrics import score_document
from pipeline.run import process_file
from schemas.output import ErrorKind, Status
from schemas.report import TruthReport

SET = Path(__file__).resolve().parents[1] / "eval" / "families"

# (committed PDF, the 0-based pages of its first project): one document per family, two of
# them Writer renderings (merged-cell sides drawn on the first row only).
FIRST_PROJECTS = [
    ("national_2020_01_qingxi_2022__calc.pdf", [0]),
    ("sichuan_0013zp_01_pengxi_2023__writer.pdf", [0, 1]),
    ("shanghai_district_01_putuo_tiyu_2022__writer.pdf", [0]),
    ("hebei_langfang_01_shipin_2021__calc.pdf", [0]),
]


def _first_project_truth(pdf: Path) -> TruthReport:
    doc_id = pdf.stem.rpartition("__")[0]
    truth = TruthReport.model_validate_json((SET / f"{doc_id}.truth.json").read_text("utf-8"))
    return truth.model_copy(update={"projects": truth.projects[:1]})


@pytest.mark.parametrize(("name", "pages"), FIRST_PROJECTS, ids=lambda v: str(v)[:24])
def test_a_scanned_family_project_is_right_or_flagged(
    name: str, pages: list[int], tmp_path: Path
) -> None:
    src = SET / name
    scan = tmp_path / f"{src.stem}-scan.pdf"
    scan.write_bytes(scan_pdf(src, zlib.crc32(scan.stem.encode()), pages))
    doc = process_file(scan)
    case = score_document(_first_project_truth(src), doc)
    assert len(case.projects) == 1 and not case.extra_projects
    project = case.projects[0]
    assert project.output_index is not None, "the scanned project was not found"
    wrong = [(w.path, w.expected, w.got) for w in project.wrong]
    if wrong:
        assert project.status != Status.accepted, f"accepted with wrong fields: {wrong}"
    # The grid from pixels is right: the 一级/二级 labels, held by merged cells, are read.
    levels = [w for w in wrong if w[0].endswith((".level1", ".level2"))]
    assert levels == []
    # Sichuan's "/" cells read as "1" (flagged) are the worst case of the set today.
    assert project.correct >= 0.85 * project.fields, wrong


def test_scans_are_derived_once_deterministically_as_images(tmp_path: Path) -> None:
    src = SET / "hebei_langfang_01_shipin_2021__calc.pdf"
    one, two = scan_pdf(src, 7, [0]), scan_pdf(src, 7, [0])
    assert one == two
    with fitz.open(stream=one) as doc, fitz.open(src) as orig:
        assert len(doc) == 1 and doc[0].get_text().strip() == ""
        assert doc[0].get_images() and doc[0].rect == orig[0].rect


def test_a_families_folder_derives_its_scans_into_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    src = SET / "hebei_langfang_01_shipin_2021__calc.pdf"
    # a one-page copy keeps the derivation fast; the index names what to scan
    with fitz.open(src) as doc:
        doc.select([0])
        doc.save(folder / src.name)
    (folder / "index.json").write_text(f'[{{"pdf": "{src.name}", "producer": "calc"}}]')
    cache = tmp_path / "cache"
    [(pdf, scan)] = derive_scans(folder, cache)
    assert pdf == folder / src.name
    assert scan == cache / "hebei_langfang_01_shipin_2021__calc-scan.pdf"
    made = scan.stat().st_mtime_ns
    derive_scans(folder, cache)  # fresh: not made again
    assert scan.stat().st_mtime_ns == made
    assert derive_scans(tmp_path / "cache", tmp_path / "other") == []  # no index: no scans


def test_a_scanned_other_document_is_named_not_guessed(tmp_path: Path) -> None:
    src = SET / "not_project_01_bumen_zhengti_2022__writer.pdf"
    scan = tmp_path / "bumen-scan.pdf"
    scan.write_bytes(scan_pdf(src, 11))
    doc = process_file(scan)
    assert not doc.projects and len(doc.errors) == 1
    assert doc.errors[0].kind == ErrorKind.no_table
    assert "not a 项目支出绩效自评表 (部门整体支出绩效自评表 found by OCR" in doc.errors[0].message
