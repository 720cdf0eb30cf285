"""The LLM path's parts: settings, prompts, cache keys, Retry-After, text grid, reconciliation."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import openai
import pytest

from pipeline.extract.layout import extract_layout
from pipeline.layout import build_layout
from pipeline.llm import prompts
from pipeline.llm.cache import LLMCache, request_key
from pipeline.llm.client import retry_after_seconds
from pipeline.llm.gridtext import data_nonce, project_grid
from pipeline.render import open_pdf, read_pages
from schemas import Project, TruthReport


def _p(truth: TruthReport, i: int = 0) -> Project:
    return Project.model_validate(truth.projects[i].model_dump(include=set(Project.model_fields)))


# -- prompts --------------------------------------------------------------------------------
def test_templates_refuse_missing_and_unused_variables() -> None:
    t = prompts.parse("t.v1", "<!-- note -->\n=== user ===\nA {{x}} and {{ y }}.\n")
    assert t.render("user", x="1", y="2") == "A 1 and 2."
    with pytest.raises(prompts.TemplateError, match=r"missing.*'y'"):
        t.render("user", x="1")
    with pytest.raises(prompts.TemplateError, match=r"unused.*'z'"):
        t.render("user", x="1", y="2", z="3")
    assert "note" not in t.sections["user"]


def test_bundled_prompts_load_with_their_variables() -> None:
    extract = prompts.load("extract_project.v2")
    repair = prompts.load("repair_project.v1")
    assert extract.variables() == {"nonce", "grid", "pages", "images"}
    assert repair.variables() == {"violations", "suspects", "images"}
    assert len(extract.sha256) == 64 and extract.sha256 != repair.sha256


# -- cache and retries ----------------------------------------------------------------------
def test_cache_key_separates_attempts_and_inputs(tmp_path: Path) -> None:
    common = {
        "endpoint": "http://127.0.0.1:1/v1",
        "model": "m",
        "prompt_sha": "p",
        "schema_sha": "s",
        "input_sha": "i",
        "sampling": {"temperature": 0.0},
    }
    k0, parts = request_key(**common, attempt="round0/call0")  # type: ignore[arg-type]
    k1, _ = request_key(**common, attempt="round0/call1")  # type: ignore[arg-type]
    k2, _ = request_key(**(common | {"input_sha": "j"}), attempt="round0/call0")  # type: ignore[arg-type]
    assert len({k0, k1, k2}) == 3 and parts["attempt"] == "round0/call0"
    cache = LLMCache(tmp_path)
    assert cache.get(k0) is None
    cache.put(k0, {"response": {"x": 1}})
    assert cache.get(k0) == {"response": {"x": 1}}
    cache.path(k1).parent.mkdir(parents=True, exist_ok=True)
    cache.path(k1).write_text("{half", "utf-8")
    assert cache.get(k1) is None  # a corrupt record is a miss
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []


def _http() -> Any:
    """The HTTP library openai speaks (httpx for openai 2, httpx2 for openai 3)."""
    return importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__)


def _status_error(status: int, headers: dict[str, str]) -> openai.APIStatusError:
    http = _http()
    req = http.Request("POST", "http://127.0.0.1/v1/chat/completions")
    resp = http.Response(status, headers=headers, request=req)
    return openai.APIStatusError("x", response=resp, body=None)


def test_retry_after_seconds_date_and_ms() -> None:
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert retry_after_seconds(_status_error(429, {"Retry-After": "7"})) == 7.0
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(_status_error(503, {"Retry-After": date}), now=now) == 30.0
    assert retry_after_seconds(_status_error(429, {"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(_status_error(500, {})) is None
    assert retry_after_seconds(ValueError()) is None


# -- text grid ------------------------------------------------------------------------------
def test_grid_carves_each_project_out_of_shared_pages(
    tmp_path: Path, seed_truth: TruthReport
) -> None:
    from jixiao_eval.pdfgen.write import write_report_pdf

    report = seed_truth.model_copy(update={"projects": seed_truth.projects[:3]})
    pdf = write_report_pdf(report, "fakebold", tmp_path / "three.pdf", seed=5)
    with open_pdf(pdf) as doc:
        layout = build_layout(read_pages(doc))
    cands = extract_layout(layout).candidates
    assert len(cands) == 3
    names = [c.project.name for c in cands]
    shared = set(cands[0].pages) & set(cands[1].pages)
    assert shared  # the tables follow each other: the projects share a page
    for i, cand in enumerate(cands):
        text = project_grid(layout, cand).text()
        assert names[i] in text
        assert all(n not in text for j, n in enumerate(names) if j != i)
        assert "[r0," in text and "评分等级" in text and "项目名称" in text
        assert data_nonce(text) != data_nonce(text + " ")
