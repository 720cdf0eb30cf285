"""Arithmetic as evidence (pipeline/checks/evidence.py): numbers read with doubt that the
equations pin down are vouched for; values are never changed, and a loose equation pins nothing.
"""

from __future__ import annotations

from pipeline import confidence as C
from pipeline.checks import RULES, check_project
from pipeline.checks.evidence import ARITHMETIC_EVIDENCE, misreadings, pinned
from pipeline.models import ProjectCandidate
from pipeline.numbers import printed_text
from pipeline.reconcile import reconcile
from schemas import Project, TruthReport
from schemas.paths import field_values


def _candidate(project: Project, **conf_at: float) -> ProjectCandidate:
    values = field_values(project)
    return ProjectCandidate(
        project=project,
        printed={p: printed_text(p, v) for p, v in values.items()},
        field_confidence={p: 1.0 for p in values} | conf_at,
        pages=[1],
    )


def _project(truth: TruthReport) -> Project:
    return Project.model_validate(truth.projects[0].model_dump(include=set(Project.model_fields)))


def test_misreadings_are_one_character_away() -> None:
    got = set(misreadings("9.5"))
    assert {"8.5", "9.6", "95", "9.", "19.5", "9.50", "9..5"} <= got
    assert "9.5" not in got and "8.6" not in got


def test_a_weight_read_with_doubt_that_the_sum_pins_is_accepted(seed_truth: TruthReport) -> None:
    """R4 adds the 分值 column exactly: any one misread character of a weight breaks it."""
    project = _project(seed_truth)
    path = "indicators[2].weight"
    res = reconcile(_candidate(project, **{path: C.OCR_UNSURE}), check_project(project))
    assert res.status.value == "accepted", res.reasons
    assert res.field_confidence[path] == C.ARITHMETIC_PINNED
    (finding,) = [f for f in res.findings if f.rule == ARITHMETIC_EVIDENCE]
    assert finding.fields == [path] and finding.severity.value == "info"
    assert res.indicators[2].weight == project.indicators[2].weight  # vouched for, unchanged


def test_a_total_within_the_sums_rounding_is_not_pinned(seed_truth: TruthReport) -> None:
    """R5 allows one unit of rounding: 99.92 misread as 99.93 would pass, so R5 vouches for no
    two-decimal total."""
    project = _project(seed_truth)
    res = reconcile(_candidate(project, total_score=C.OCR_UNSURE), check_project(project))
    assert res.status.value == "needs_review"
    assert res.field_confidence["total_score"] == C.OCR_UNSURE


def test_a_value_a_misreading_would_keep_passing_is_not_pinned(seed_truth: TruthReport) -> None:
    """The rate R2 checks within half a unit of the amounts: the last digit of a large budget
    can be misread without breaking it, so the budget is not vouched for by R2 alone."""
    project = _project(seed_truth)
    printed = {p: printed_text(p, v) for p, v in field_values(project).items()}
    path = "funds.total.annual_budget"
    assert path not in pinned(project, printed, [path], RULES) or project.funds.appropriation
    # a text the form does not print a rule for (a name) is never pinned
    assert pinned(project, printed, ["name"], RULES) == []


def test_a_value_that_fails_a_rule_is_not_pinned_nor_changed(seed_truth: TruthReport) -> None:
    project = _project(seed_truth).model_copy(update={"total_score": 12.34})
    res = reconcile(_candidate(project, total_score=C.OCR_UNSURE), check_project(project))
    assert res.status.value == "needs_review"
    assert res.total_score == 12.34
    assert res.field_confidence["total_score"] == C.OCR_UNSURE
    assert not [f for f in res.findings if f.rule == ARITHMETIC_EVIDENCE]
