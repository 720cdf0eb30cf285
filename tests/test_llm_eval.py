"""With a perfect scripted LLM, eval accuracy is at least the layout path's (and all accepted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jixiao_eval.fake_llm import ScriptedLLM, answer_by_name
from jixiao_eval.pdfgen.write import write_report_pdf
from jixiao_eval.scoring import aggregate, score_document
from pipeline.options import LLMSettings, RunOptions
from pipeline.run import process_file
from schemas import DocumentResult, TruthReport


def llm_of(res: DocumentResult) -> dict[str, Any]:
    """The `llm` section as written to the JSON."""
    data: dict[str, Any] = res.model_dump(mode="json")["llm"]
    return data


def test_perfect_llm_on_the_digital_seed(tmp_path: Path, seed_truth: TruthReport) -> None:
    pdf = write_report_pdf(seed_truth, "digital", tmp_path / "seed__digital.pdf", seed=7)
    layout_only = process_file(pdf)
    with ScriptedLLM(answer_by_name(seed_truth.projects)) as llm:
        settings = LLMSettings(
            model="perfect",
            base_url=llm.base_url,
            cache_dir=str(tmp_path / "cache"),
            concurrency=4,
            timeout=5.0,
        )
        with_llm = process_file(pdf, RunOptions(llm=settings))
        assert len(llm.requests) == len(seed_truth.projects)  # one request per project
        assert llm.script_errors == []
    base = aggregate([score_document(seed_truth, layout_only)])
    got = aggregate([score_document(seed_truth, with_llm)])
    assert base.field_accuracy is not None and got.field_accuracy is not None
    assert got.field_accuracy >= base.field_accuracy
    assert got.field_accuracy == 1.0 and got.projects_missing == 0
    assert [p.status.value for p in with_llm.projects] == ["accepted"] * len(seed_truth.projects)
    assert all(p.candidates == {} for p in with_llm.projects)
    assert llm_of(with_llm)["requests_sent"] == len(seed_truth.projects)
