"""Field paths (schemas/paths.py) on the seed transcription: one grammar, derived from the models."""

from __future__ import annotations

import pytest

from schemas import FundsLine, Indicator, Project, TruthReport
from schemas.paths import (
    FUNDS_COLUMNS,
    FUNDS_LINES,
    INDICATOR_COLUMNS,
    BadPath,
    all_paths,
    field_values,
    is_numeric,
    label,
    order_key,
    project_from_values,
    set_value,
    steps,
    value_at,
)


def _project(seed_truth: TruthReport) -> Project:
    return Project.model_validate(
        seed_truth.projects[0].model_dump(include=set(Project.model_fields))
    )


def test_lists_come_from_the_models() -> None:
    assert FUNDS_LINES == (
        "total",
        "appropriation",
        "carryover",
        "special_account",
        "unit_funds",
        "other",
    )
    assert tuple(FundsLine.model_fields) == FUNDS_COLUMNS
    assert tuple(Indicator.model_fields) == INDICATOR_COLUMNS


def test_grammar() -> None:
    assert steps("indicators[3].score") == [("indicators", 3), ("score", None)]
    assert steps("funds.total.executed") == [("funds", None), ("total", None), ("executed", None)]
    for bad in ("indicators[x].score", "funds..total", "Name", "indicators[-1].name"):
        with pytest.raises(BadPath):
            steps(bad)


def test_numeric_paths() -> None:
    assert is_numeric("funds.other.execution_rate")
    assert is_numeric("indicators[12].weight") and is_numeric("total_score")
    assert not is_numeric("indicators[0].target") and not is_numeric("grade")
    assert not is_numeric("name") and not is_numeric("amount_unit")


def test_values_round_trip(seed_truth: TruthReport) -> None:
    project = _project(seed_truth)
    values = field_values(project)
    assert list(values) == all_paths(project)
    # rows the form does not print have no paths
    assert not any(p.startswith("funds.special_account.") for p in values)
    assert values["funds.total.executed"] == project.funds.total.executed
    assert values["indicators[2].name"] == project.indicators[2].name
    assert project_from_values(values) == project
    assert sorted(values, key=order_key) == list(values)  # reading order is the path order


def test_value_at_reads_models_and_dumps(seed_truth: TruthReport) -> None:
    project = _project(seed_truth)
    dump = project.model_dump()
    for path in ("grade", "funds.carryover.annual_budget", "indicators[1].actual"):
        assert value_at(project, path) == value_at(dump, path)
    set_value(dump, "indicators[1].score", 1.5)
    assert Project.model_validate(dump).indicators[1].score == 1.5


def test_labels() -> None:
    assert label("funds.total.executed") == "年度资金总额 · 全年执行数"
    assert label("indicators[0].score") == "指标 1 · 得分"
    assert label("grade") == "评分等级"
