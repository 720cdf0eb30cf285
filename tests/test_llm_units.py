"""The LLM path's parts: settings, prompts, cache keys, Retry-After, text grid, reconciliation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import httpx
import openai
import pytest

from pipeline.extract.layout import extract_layout
from pipeline.extract.llm import retry_after_seconds, to_candidate
from pipeline.layout import build_layout
from pipeline.llm import prompts
from pipeline.llm.cache import LLMCache, request_key
from pipeline.llm.gridtext import data_nonce, project_grid
from pipeline.llm.settings import LLMSettings, SettingsError, load_settings
from pipeline.models import ProjectCandidate
from pipeline.reconcile import (
    field_values,
    printed_text,
    reconcile,
    reconcile_pair,
    same_value,
)
from pipeline.render import open_pdf, read_pages
from schemas import Project, TruthReport


def _p(truth: TruthReport, i: int = 0) -> Project:
    return Project.model_validate(truth.projects[i].model_dump(include=set(Project.model_fields)))


# -- settings -------------------------------------------------------------------------------
def test_llm_is_off_unless_a_model_is_named(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    s = load_settings({}, env, config=[tmp_path / "none.toml"])
    assert not s.enabled and s.api_key == "sk-x"
    assert load_settings({}, env | {"JIXIAO_LLM_MODEL": "m"}, config=[]).enabled


def test_settings_precedence_flags_env_config(tmp_path: Path) -> None:
    cfg = tmp_path / "jixiao.toml"
    cfg.write_text(
        '[llm]\nmodel = "from-file"\nbase_url = "http://file/v1"\nvision = true\n'
        'mode = "md_json"\napi_key_env = "MY_KEY"\nconcurrency = 2\n'
        '[llm.prices."from-file"]\ninput = 1.5\noutput = 6\n',
        "utf-8",
    )
    env = {"MY_KEY": "k-file", "OPENAI_BASE_URL": "http://openai-env/v1"}
    s = load_settings({}, env, config=cfg)
    assert (s.model, s.base_url, s.vision, s.mode, s.concurrency) == (
        "from-file",
        "http://openai-env/v1",  # environment beats the file
        True,
        "md_json",
        2,
    )
    assert s.api_key == "k-file" and s.price() is not None and s.price().output == 6.0  # type: ignore[union-attr]
    env |= {"JIXIAO_LLM_BASE_URL": "http://jixiao-env/v1", "JIXIAO_LLM_API_KEY": "k-env"}
    s = load_settings({"base_url": "http://flag/v1", "vision": False}, env, config=cfg)
    assert (s.base_url, s.api_key, s.vision) == ("http://flag/v1", "k-env", False)
    assert "k-env" not in repr(s)  # the key never shows
    assert s.host == "flag"


def test_settings_reject_typos_and_bad_values(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[llm]\nmodle = "x"\n', "utf-8")
    with pytest.raises(SettingsError, match="modle"):
        load_settings({}, {}, config=cfg)
    with pytest.raises(SettingsError, match="mode"):
        load_settings({"mode": "grammar"}, {}, config=[])
    with pytest.raises(SettingsError, match="JIXIAO_LLM_VISION"):
        load_settings({}, {"JIXIAO_LLM_VISION": "maybe"}, config=[])


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
    extract = prompts.load("extract_project.v1")
    repair = prompts.load("repair_project.v1")
    assert extract.variables() == {"nonce", "grid", "pages", "images"}
    assert repair.variables() == {"violations", "suspects", "images"}
    assert len(extract.sha256) == 64 and extract.sha256 != repair.sha256


# -- cache and retries ----------------------------------------------------------------------
def test_cache_key_separates_attempts_and_inputs(tmp_path: Path) -> None:
    common = {
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


def _status_error(status: int, headers: dict[str, str]) -> openai.APIStatusError:
    req = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    resp = httpx.Response(status, headers=headers, request=req)
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


# -- reconciliation -------------------------------------------------------------------------
def _layout_candidate(project: Project, conf: float = 1.0, **conf_at: float) -> ProjectCandidate:
    values = field_values(project)
    confidence = {p: conf for p in values} | conf_at
    printed = {p: printed_text(p, v) for p, v in values.items()}
    return ProjectCandidate(
        project=project, printed=printed, field_confidence=confidence, pages=[1]
    )


def test_same_value_compares_cents_and_normalised_text() -> None:
    assert same_value("total_score", 99.92, 99.920000001)
    assert not same_value("total_score", 99.92, 99.29)
    assert not same_value("funds.other.score", None, 0.0)
    assert same_value("name", "“两企三新” 党建经费", "“两企三新”党建经费")
    assert same_value("indicators[0].target", "≥95.00（%）", "≥95.00(%)")


def test_layout_only_reconcile_keeps_its_behaviour(seed_truth: TruthReport) -> None:
    p = _p(seed_truth)
    ok = reconcile(_layout_candidate(p), [])
    assert ok.status.value == "accepted" and ok.confidence == 1.0 and ok.reasons == []
    from pipeline.checks import check_project

    bad = p.model_copy(update={"total_score": 99.82})
    res = reconcile(_layout_candidate(bad), check_project(bad))
    assert res.status.value == "needs_review" and res.source_inconsistent


def test_checker_settles_a_disagreement_on_a_weak_layer(seed_truth: TruthReport) -> None:
    truth = _p(seed_truth)
    misread = truth.model_copy(update={"total_score": 99.29})
    layout = _layout_candidate(misread, conf=0.4)  # hidden OCR layer
    llm = to_candidate(truth, set())
    res = reconcile_pair(layout, llm, independent=True)
    assert res.total_score == 99.92  # R5 passes with the LLM's value, fails with the layer's
    assert res.status.value == "needs_review" and res.field_confidence["total_score"] < 0.9
    assert {c.source: c.value for c in res.candidates["total_score"]} == {
        "layout": 99.29,
        "llm": 99.92,
    }
    assert any("kept llm: checker passes with it" in r for r in res.reasons)
    # every agreeing field of an independent reading is lifted above the threshold
    assert res.field_confidence["name"] >= 0.9


def test_agreement_counts_only_from_an_independent_reading(seed_truth: TruthReport) -> None:
    truth = _p(seed_truth)
    layout = _layout_candidate(truth, conf=0.4)
    llm = to_candidate(truth, set())
    text_only = reconcile_pair(layout, llm, independent=False)
    assert text_only.status.value == "needs_review" and text_only.confidence == 0.4
    vision = reconcile_pair(layout, llm, independent=True)
    assert vision.status.value == "accepted" and vision.confidence >= 0.9


def test_llm_only_values_are_never_accepted(seed_truth: TruthReport) -> None:
    truth = _p(seed_truth)
    llm = to_candidate(truth, set())
    alone = reconcile_pair(None, llm)
    assert alone.status.value == "needs_review"
    assert alone.reasons[0].startswith("llm_only_project")
    assert alone.confidence <= 0.5
    missing = _layout_candidate(truth.model_copy(update={"total_weight": None}), total_weight=0.0)
    res = reconcile_pair(missing, llm)
    assert res.total_weight == 100.0 and res.field_confidence["total_weight"] == 0.5
    assert res.status.value == "needs_review"
    assert any(r.startswith("llm_only (no second source): total_weight") for r in res.reasons)


def test_healthy_text_layer_beats_the_llm(seed_truth: TruthReport) -> None:
    truth = _p(seed_truth)
    layout = _layout_candidate(truth)
    llm = to_candidate(truth.model_copy(update={"grade": "良"}), set())
    res = reconcile_pair(layout, llm, independent=True)
    assert res.grade == "优" and res.status.value == "needs_review"
    assert res.field_confidence["grade"] == 0.8
    assert any("kept layout: healthy text layer" in r for r in res.reasons)


def test_settings_are_picklable_for_worker_processes() -> None:
    import pickle

    s = LLMSettings(model="m", api_key="k")
    assert pickle.loads(pickle.dumps(s)) == s
