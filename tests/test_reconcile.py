"""Reconciliation (pipeline/reconcile.py): the one place both branches decide a project's status."""

from __future__ import annotations

from pipeline.checks import check_project
from pipeline.llm.reconstruct import to_candidate
from pipeline.models import ProjectCandidate
from pipeline.numbers import printed_text
from pipeline.reconcile import reconcile, reconcile_pair, same_value
from schemas import Project, TruthReport
from schemas.paths import field_values


def _p(truth: TruthReport, i: int = 0) -> Project:
    return Project.model_validate(truth.projects[i].model_dump(include=set(Project.model_fields)))


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
    assert any("kept llm: checker passes with it" in str(r) for r in res.reasons)
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
    assert str(alone.reasons[0]).startswith("llm_only_project")
    assert alone.confidence <= 0.5
    missing = _layout_candidate(truth.model_copy(update={"total_weight": None}), total_weight=0.0)
    res = reconcile_pair(missing, llm)
    assert res.total_weight == 100.0 and res.field_confidence["total_weight"] == 0.5
    assert res.status.value == "needs_review"
    assert any(str(r).startswith("llm_only (no second source): total_weight") for r in res.reasons)


def test_healthy_text_layer_beats_the_llm(seed_truth: TruthReport) -> None:
    truth = _p(seed_truth)
    layout = _layout_candidate(truth)
    llm = to_candidate(truth.model_copy(update={"grade": "良"}), set())
    res = reconcile_pair(layout, llm, independent=True)
    assert res.grade == "优" and res.status.value == "needs_review"
    assert res.field_confidence["grade"] == 0.8
    assert any("kept layout: healthy text layer" in str(r) for r in res.reasons)


def test_llm_agreeing_with_the_second_reading_of_a_disputed_text_settles_it(
    seed_truth: TruthReport,
) -> None:
    """Our line assembly and PyMuPDF's lines read a goal text in two orders (READ_ORDER): an
    image-reading LLM that gives the second order is a second source for it; one that gives a
    third text settles nothing."""
    from pipeline import confidence as C
    from schemas import CandidateValue, Source

    truth = _p(seed_truth)
    right = truth.goal_expected
    swapped = right.replace("。", "", 1) + "。"
    misordered = truth.model_copy(update={"goal_expected": swapped})
    layout = _layout_candidate(misordered, goal_expected=C.READINGS_DISAGREE)
    layout = layout.model_copy(
        update={
            "candidates": {
                "goal_expected": [
                    CandidateValue(source=Source.text_layer, value=swapped, confidence=0.5),
                    CandidateValue(source=Source.text_layer, value=right, confidence=0.5),
                ]
            }
        }
    )
    res = reconcile_pair(layout, to_candidate(truth, set()), independent=True)
    assert res.goal_expected == right
    assert res.field_confidence["goal_expected"] >= C.ACCEPT
    assert res.status.value == "accepted", res.reasons
    # a text-only model (not independent) repeats the text it was given: no lift
    res = reconcile_pair(layout, to_candidate(truth, set()), independent=False)
    assert res.status.value == "needs_review"
    # a third reading agrees with neither
    other = truth.model_copy(update={"goal_expected": right + "另"})
    res = reconcile_pair(layout, to_candidate(other, set()), independent=True)
    assert res.status.value == "needs_review"
    assert res.field_confidence["goal_expected"] < C.ACCEPT
