"""The committed families set (eval/families/): real LibreOffice PDFs of four regional layouts.

These tests check the set itself, not the reader's accuracy on it (that is `jixiao eval`'s job).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pymupdf
import pytest

from jixiao_eval.families.build import PRODUCERS, all_documents, truth_json
from jixiao_eval.families.truth import FORMS, NOT_PROJECT, family_of
from pipeline.cli import main
from schemas.report import TruthReport

SET = Path(__file__).resolve().parents[1] / "eval" / "families"
PDFS = sorted(SET.glob("*.pdf"))
TRUTHS = sorted(SET.glob("*.truth.json"))
# What LibreOffice writes in the PDF's creator field for each producer.
CREATOR = {"calc": "Calc", "writer": "Writer"}


def _doc_id(pdf: Path) -> tuple[str, str]:
    doc_id, _, producer = pdf.stem.rpartition("__")
    return doc_id, producer


def _truth(doc_id: str) -> TruthReport:
    return TruthReport.model_validate_json((SET / f"{doc_id}.truth.json").read_text("utf-8"))


def test_every_pdf_opens_and_has_its_truth() -> None:
    assert len(PDFS) >= 18
    for pdf in PDFS:
        doc_id, producer = _doc_id(pdf)
        assert producer in PRODUCERS, pdf.name
        assert (SET / f"{doc_id}.truth.json").is_file(), pdf.name
        with pymupdf.open(pdf) as doc:
            assert doc.page_count >= 1
            assert CREATOR[producer] in doc.metadata["creator"], (pdf.name, doc.metadata)
            assert "LibreOffice" in doc.metadata["producer"]
            text = doc[0].get_text()
        assert "绩效自评表" in text, pdf.name
        assert "-1-" in text, f"{pdf.name}: no -1- page number in the footer"
        # Each source the PDF was made from is committed beside it.
        assert (SET / f"{pdf.stem}.{PRODUCERS[producer][0]}").is_file()


def test_every_truth_passes_the_schema_and_names_its_form() -> None:
    for path in TRUTHS:
        report = TruthReport.model_validate_json(path.read_text("utf-8"))
        for project in report.projects:
            assert project.form in FORMS, (path.name, project.form)
            assert project.grade == ""  # none of these forms prints a 评分等级
            assert project.indicators, (path.name, project.name)
            placeholders = [
                i.name for i in project.indicators if i.name in ("……", "") or not i.target
            ]
            assert not placeholders, (path.name, project.name, placeholders)
            if project.source_inconsistent:
                assert project.truth_notes, (path.name, project.name)


def test_the_set_covers_four_families_in_both_producers() -> None:
    docs: Counter[tuple[str, str]] = Counter()
    for pdf in PDFS:
        doc_id, producer = _doc_id(pdf)
        docs[(family_of((SET / f"{doc_id}.truth.json").read_text("utf-8")), producer)] += 1
    for form in FORMS:
        for producer in PRODUCERS:
            assert docs[(form, producer)] >= 2, (form, producer, docs)
    assert docs[(NOT_PROJECT, "calc")] == docs[(NOT_PROJECT, "writer")] == 1
    for form in FORMS:
        projects = [
            p
            for t in TRUTHS
            for p in TruthReport.model_validate_json(t.read_text("utf-8")).projects
        ]
        inconsistent = [p for p in projects if p.form == form and p.source_inconsistent]
        assert 1 <= len(inconsistent) <= 2, form


def test_landscape_and_multi_page_tables_are_in_the_set() -> None:
    for pdf in SET.glob("sichuan_*.pdf"):
        with pymupdf.open(pdf) as doc:
            assert all(page.rect.width > page.rect.height for page in doc), pdf.name
    # A project over two pages repeats its indicator header at the top of the next page.
    with pymupdf.open(SET / "national_2020_02_dongliu_2023__writer.pdf") as doc:
        tops = [page.get_text()[:200] for page in doc]
    assert sum("三级指标" in top and "项目名称" not in top for top in tops) >= 1


def test_committed_truth_is_what_the_generator_makes() -> None:
    built = all_documents()
    assert {b.doc_id for b in built} == {t.name.removesuffix(".truth.json") for t in TRUTHS}
    for b in built:
        assert (SET / f"{b.doc_id}.truth.json").read_text("utf-8") == truth_json(b), b.doc_id
    index = json.loads((SET / "index.json").read_text("utf-8"))
    assert sorted(row["pdf"] for row in index) == [p.name for p in PDFS]


def test_rows_a_form_does_not_print_are_null_never_zero() -> None:
    sichuan = _truth("sichuan_0013zp_01_pengxi_2023").projects[1]
    assert sichuan.funds.carryover is None  # the form has no 上年结转 row
    assert sichuan.funds.unit_funds is not None and sichuan.funds.unit_funds.executed == 3.2
    assert sichuan.funds.appropriation is not None
    assert sichuan.funds.appropriation.weight is None  # '/'
    assert sichuan.indicators[0].unit == "人次" and sichuan.indicators[0].nature == "≥"
    assert (
        _truth("sichuan_0013zp_01_pengxi_2023").projects[2].total_score is None
    )  # 合计 left empty
    national = _truth("national_2020_01_qingxi_2022").projects[0]
    assert national.indicators[0].unit is None and national.indicators[0].target == "≥50个"
    assert national.indicators[0].level1 == "产出指标(50分)"


def test_jixiao_eval_reports_each_family_and_producer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rc = main(["eval", str(SET), "--out", str(tmp_path / "report")])
    out = capsys.readouterr().out
    assert rc == 0
    section = out.split("by family and producer:", 1)[1]
    labels = [line.split("  ")[0].strip() for line in section.splitlines()[3:]]
    for form in (*FORMS, NOT_PROJECT):
        for producer in PRODUCERS:
            assert f"{form} / {producer}" in labels, out
    report = json.loads((tmp_path / "report" / "report.json").read_text("utf-8"))
    assert report["groups"]["sichuan_0013zp / calc"]["docs"] == 2
    assert {c["family"] for c in report["cases"]} == {*FORMS, NOT_PROJECT}
