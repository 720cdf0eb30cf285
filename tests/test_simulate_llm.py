"""SIMULATED LLM: the error injector, its server, and the gate measured through the real LLM path."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import pipeline.reconcile as reconciling
from jixiao_eval.fake_llm import ScriptedLLM
from jixiao_eval.simulate import inject as sim
from jixiao_eval.simulate.model import SimulatedModel, find_project
from jixiao_eval.simulate.run import LABEL, answers_for, run_from_args, run_simulation, table
from pipeline.checks import check_project
from pipeline.cli import build_parser
from pipeline.models import ProjectCandidate
from pipeline.reconcile import reconcile
from schemas import Project, ProjectResult, Severity, TruthProject, TruthReport
from schemas.paths import field_values

ROOT = Path(__file__).resolve().parent.parent
INCONSISTENT = ROOT / "eval" / "truth" / "14_tuanshiwei_2024.json"  # project 0 breaks R5


@pytest.fixture(scope="module")
def inconsistent() -> TruthProject:
    report = TruthReport.model_validate_json(INCONSISTENT.read_text("utf-8"))
    project = report.projects[0]
    assert project.source_inconsistent
    return project


def _applied(truth: Project, kind: str, seed: int = 0) -> sim.SimulatedAnswer:
    made = sim.inject(truth, kind, sim.rng_for(seed, "test", kind))
    assert made is not None, kind
    return made


def _rule_errors(project: Project) -> set[str]:
    return {f.rule for f in check_project(project) if f.severity is Severity.error}


@pytest.mark.parametrize("kind", [k for k in sim.ERROR_TYPES if k != "total_fixed"])
def test_each_error_type_changes_exactly_what_it_records(
    seed_truth: TruthReport, kind: str
) -> None:
    truth = seed_truth.projects[1]
    made = _applied(truth, kind)
    (inj,) = made.injections
    assert inj.type == kind and inj.changes
    before, after = field_values(truth), field_values(made.project)
    if inj.path == sim.ROWS:
        (change,) = inj.changes
        assert change.truth == [r.name for r in truth.indicators]
        assert change.injected == [r.name for r in made.project.indicators]
        assert change.injected != change.truth
    else:
        changed = {p for p in before if before[p] != after.get(p)}
        assert changed == {c.path for c in inj.changes}
        for c in inj.changes:
            assert before[c.path] == c.truth and after[c.path] == c.injected
            assert c.truth != c.injected


def test_the_answer_is_a_plain_project(seed_truth: TruthReport) -> None:
    made = _applied(seed_truth.projects[0], "digit_transposition")
    assert type(made.project) is Project  # no truth-only fields reach the server


def test_injection_is_deterministic_by_seed(seed_truth: TruthReport) -> None:
    a = answers_for("seed_2024", seed_truth, round_=0, seed=1)
    b = answers_for("seed_2024", seed_truth, round_=0, seed=1)
    c = answers_for("seed_2024", seed_truth, round_=0, seed=2)
    assert [x.injections for x in a] == [x.injections for x in b]
    assert [x.project for x in a] == [x.project for x in b]
    assert [x.injections for x in a] != [x.injections for x in c]


def test_rounds_give_every_project_every_type_once() -> None:
    n = len(sim.ERROR_TYPES)
    for position in range(3):
        assert {sim.type_for(r, position, offset=5) for r in range(n)} == set(sim.ERROR_TYPES)


def test_number_edits() -> None:
    rng = sim.rng_for(0, "edits")
    assert sim._transpose("184.25", rng) in {"814.25", "148.25", "184.52"}
    assert sim._transpose("100.00", rng) == "010.00"
    assert sim._transpose("0.00", rng) is None
    assert {sim._shift("184.25", sim.rng_for(s)) for s in range(20)} == {"1842.5", "18.425"}
    assert sim._shift("0.00", rng) is None
    text = sim._in_text("≥95.00(%)", sim._transpose, rng)
    assert text in {"≥59.00(%)"}


def test_rule_breaking_is_recorded(seed_truth: TruthReport) -> None:
    truth = seed_truth.projects[1]
    dropped = _applied(truth, "dropped_row").injections[0]
    assert "R4" in dropped.breaks  # the weights no longer add up to 100
    swapped = _applied(truth, "columns_swapped").injections[0]
    assert swapped.breaks
    cut = _applied(truth, "narrative_truncated").injections[0]
    assert cut.breaks == ()  # no rule reads narratives: only a second source can catch it


def test_total_fixed_makes_an_inconsistent_source_look_consistent(
    inconsistent: TruthProject,
) -> None:
    assert "R5" in _rule_errors(inconsistent)
    made = _applied(inconsistent, "total_fixed")
    (change,) = made.injections[0].changes
    assert change.path == "total_score"
    assert "R5" not in _rule_errors(made.project)
    assert made.injections[0].breaks == ()


def test_total_fixed_does_not_apply_to_a_consistent_project(seed_truth: TruthReport) -> None:
    assert sim.inject(seed_truth.projects[0], "total_fixed", sim.rng_for(0)) is None


def test_server_recognises_the_longest_matching_name(inconsistent: TruthProject) -> None:
    short = inconsistent.model_copy(update={"name": "机关服务经费"})
    truths = [inconsistent, short]
    assert find_project("项目名称 2024年度机关服务经费", truths) == 0
    assert find_project("项目名称 机关服务经费", truths) == 1
    assert find_project("something else", truths) is None


def _post(base_url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_server_answers_in_the_requested_form(seed_truth: TruthReport) -> None:
    truth = seed_truth.projects[0]
    model = SimulatedModel()
    with ScriptedLLM(model) as server:
        model.prepare([truth], [truth])
        user = {"role": "user", "content": f"[r0,c1] {truth.name}"}
        status, tool = _post(
            server.base_url,
            {"messages": [user], "tools": [{"type": "function", "function": {"name": "P"}}]},
        )
        assert status == 200
        call = tool["choices"][0]["message"]["tool_calls"][0]["function"]
        assert call["name"] == "P" and json.loads(call["arguments"])["name"] == truth.name
        _, md = _post(server.base_url, {"messages": [user, {"role": "user", "content": "```json"}]})
        assert md["choices"][0]["message"]["content"].startswith("```json\n")
        status, _ = _post(
            server.base_url, {"messages": [{"role": "user", "content": "no project"}]}
        )
        assert status == 400 and model.unmatched == 1
        assert server.count == 3


def _mini_doc(tmp_path: Path, seed_truth: TruthReport, inconsistent: TruthProject) -> Path:
    doc = seed_truth.model_copy(
        update={"projects": [seed_truth.projects[0], seed_truth.projects[3], inconsistent]}
    )
    truth_path = tmp_path / "mini.json"
    truth_path.write_text(doc.model_dump_json(by_alias=True), encoding="utf-8")
    return truth_path


def test_gate_accepts_no_injected_error(
    tmp_path: Path, seed_truth: TruthReport, inconsistent: TruthProject
) -> None:
    """End to end: 3 projects x one round per error type, through HTTP, instructor, reconcile."""
    truth_path = _mini_doc(tmp_path, seed_truth, inconsistent)
    report = run_simulation(
        tmp_path / "out", truths=[truth_path], pdf_dir=tmp_path / "pdf", quiet=True
    )
    total = report.total
    assert report.document_errors == [] and report.unmatched_requests == 0
    assert report.llm_failures == []
    assert set(report.by_type) == set(sim.ERROR_TYPES)
    assert all(f.injected >= 1 for f in report.by_type.values())  # total_fixed on project 3
    assert total.injected >= 20 and total.breaking_rule >= 1
    assert report.requests >= total.injected  # every answer went over HTTP
    assert total.accepted_breaking_rule == 0
    assert total.accepted <= 0.005 * total.injected
    assert report.passed
    # the gate is not simply refusing everything: truthful answers to consistent projects pass
    assert report.controls["consistent"] >= 1
    assert report.controls["accepted"] == report.controls["consistent"]
    written = json.loads((tmp_path / "out" / "simulation.json").read_text("utf-8"))
    assert written["label"] == LABEL and written["passed"] is True
    assert len(written["outcomes"]) == total.injected
    assert (tmp_path / "out" / "simulation.txt").read_text("utf-8").startswith(LABEL)
    assert LABEL in table(report)


def test_the_measurement_catches_a_gate_that_trusts_the_llm(
    tmp_path: Path,
    seed_truth: TruthReport,
    inconsistent: TruthProject,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The gate replaced by one that believes the LLM (checker only): errors get through."""

    def believe_the_llm(
        layout: ProjectCandidate | None, llm: ProjectCandidate, **_: object
    ) -> ProjectResult:
        sure = llm.model_copy(update={"field_confidence": dict.fromkeys(llm.field_confidence, 1.0)})
        return reconcile(sure, check_project(sure.project, sure.printed))

    monkeypatch.setattr(reconciling, "reconcile_pair", believe_the_llm)
    truth_path = _mini_doc(tmp_path, seed_truth, inconsistent)
    report = run_simulation(
        tmp_path / "out", truths=[truth_path], pdf_dir=tmp_path / "pdf", quiet=True
    )
    assert not report.passed
    assert report.by_type["narrative_truncated"].accepted >= 1  # no rule reads narratives
    accepted = [o for o in report.outcomes if o.accepted]
    assert all(o.status == "accepted" for o in accepted)
    assert all(c["final"] == c["injected"] for o in accepted for c in o.changes)
    assert "FAIL" in table(report) and "accepted: " in table(report)


def test_command_line_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What `jixiao eval --simulate-llm --limit 1 --sim-rounds 1` runs."""
    flags = ["eval", "--simulate-llm", "--limit", "1", "--sim-rounds", "1", "--sim-seed", "3"]
    args = build_parser().parse_args(
        [*flags, "--out", str(tmp_path / "out"), "--pdf-dir", str(tmp_path / "pdf")]
    )
    assert run_from_args(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(LABEL) and "seed 3" in out and "PASS" in out
    written = json.loads((tmp_path / "out" / "simulation.json").read_text("utf-8"))
    assert (
        written["documents"] == 1 and written["rounds"] == 1 and written["variants"] == ["digital"]
    )
