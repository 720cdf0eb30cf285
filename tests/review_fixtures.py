"""A small `jixiao run` output folder to review: real PDFs, real pipeline output, one misread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jixiao_eval.pdfgen.write import write_report_pdf
from pipeline.checks import check_project
from pipeline.output import document_json, write_atomic, write_summary
from pipeline.run import process_file
from schemas import CandidateValue, DocumentResult, Finding, Severity, Source, Status, TruthReport

SEED = Path(__file__).resolve().parent.parent / "eval" / "seed_2024.truth.json"
MISREAD_FIELD = "funds.total.executed"
XSS_NAME = "<script>alert(1)</script>宣传项目"
XSS_INDICATOR = '<img src=x onerror="alert(2)"><b>粗体</b>'


@dataclass
class ReviewRun:
    out: Path
    pdfs: Path
    truth: TruthReport  # what doc "shegong" really prints
    misread_true: float
    misread_wrong: float


def _inject_misread(result: DocumentResult, wrong: float, truth_value: float) -> DocumentResult:
    """Make project 0 look misread: the layout reader's value is wrong, the LLM's right."""
    p = result.projects[0]
    data = p.model_dump()
    data["funds"]["total"]["executed"] = wrong
    conf = {**p.field_confidence, MISREAD_FIELD: 0.3}
    prov = dict(p.provenance)
    prov[MISREAD_FIELD] = prov[MISREAD_FIELD].model_copy(update={"text": f"{wrong:.2f}"})
    printed = {k: v.text for k, v in prov.items()}
    project = type(p).model_validate(data)
    checks = check_project(project, printed)
    reading = Finding(
        rule="READ_DISAGREE",
        severity=Severity.warning,
        fields=[MISREAD_FIELD],
        message=f"{MISREAD_FIELD}: the layout reader and the LLM disagree",
    )
    fixed = p.model_copy(
        update={
            "funds": project.funds,
            "field_confidence": conf,
            "provenance": prov,
            "candidates": {
                MISREAD_FIELD: [
                    CandidateValue(source=Source.layout, value=wrong, confidence=0.3),
                    CandidateValue(source=Source.llm, value=truth_value, confidence=0.88),
                ]
            },
            "findings": [reading, *checks],
            "status": Status.needs_review,
            "confidence": 0.3,
            "reasons": [f"low_confidence: {MISREAD_FIELD} (0.30)"],
        }
    )
    return result.model_copy(update={"projects": [fixed, *result.projects[1:]]})


def make_review_run(root: Path) -> ReviewRun:
    """out/ with shegong.json (misread + inconsistent projects) and xss.json; PDFs in pdfs/."""
    seed = TruthReport.model_validate_json(SEED.read_text(encoding="utf-8"))
    p0, p1, p2 = seed.projects[0], seed.projects[1], seed.projects[2]
    assert p1.total_score is not None
    # P1 prints a total that is not the sum of its scores: the document itself is inconsistent.
    p1 = p1.model_copy(update={"total_score": round(p1.total_score - 1.0, 2)})
    truth = seed.model_copy(update={"projects": [p0, p1]})
    first = p2.indicators[0].model_copy(update={"name": XSS_INDICATOR})
    p2 = p2.model_copy(update={"name": XSS_NAME, "indicators": [first, *p2.indicators[1:]]})
    xss = seed.model_copy(update={"title": "<b>标题</b>", "projects": [p2]})
    pdfs, out = root / "pdfs", root / "out"
    results = []
    for stem, report in (("shegong", truth), ("xss", xss)):
        pdf = write_report_pdf(report, "digital", pdfs / f"{stem}.pdf", seed=11)
        result = process_file(pdf)
        assert not result.errors, result.errors
        if stem == "shegong":
            true_value = p0.funds.total.executed
            assert true_value is not None
            result = _inject_misread(result, 148.25, true_value)
        write_atomic(out / f"{stem}.json", document_json(result))
        results.append(result)
    write_summary(out / "summary.csv", results)
    executed = p0.funds.total.executed
    assert executed is not None
    return ReviewRun(out, pdfs, truth, executed, 148.25)
