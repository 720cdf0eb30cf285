"""The deterministic checker on the hand-transcribed seed report and on one-value mutations of it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline.checks import (
    check_project,
    check_r2_execution_rate,
    check_r3_funds_score,
    check_r6_score_range,
    check_r7_grade,
    check_r8_target_vs_score,
    rules,
)
from schemas.output import Finding, Severity
from schemas.paths import value_at
from schemas.report import Project, TruthReport

SEED = Path(__file__).resolve().parents[1] / "eval" / "seed_2024.truth.json"
PROJECTS = TruthReport.model_validate_json(SEED.read_text(encoding="utf-8")).projects
SEVERITY = {r.id: r.severity for r in rules()}


def seed(number: int) -> Project:
    """A deep copy of seed project P<number> (1-based, as in the truth file's notes)."""
    return PROJECTS[number - 1].model_copy(deep=True)


def mutate(project: Project, changes: dict[str, object]) -> Project:
    """A deep copy of project with the values at the given field paths replaced."""
    copy = project.model_copy(deep=True)
    for path, value in changes.items():
        parent, _, name = path.rpartition(".")
        setattr(value_at(copy, parent) if parent else copy, name, value)
    return copy


def key(finding: Finding) -> tuple[str, tuple[str, ...]]:
    return finding.rule, tuple(finding.fields)


def new_findings(changed: Project, original: Project) -> list[Finding]:
    """Findings of changed that original does not already have (same rule and fields)."""
    before = {key(f) for f in check_project(original)}
    return [f for f in check_project(changed) if key(f) not in before]


def test_rules_table_lists_r1_to_r10() -> None:
    assert [r.id for r in rules()] == [f"R{i}" for i in range(1, 12)]
    assert {r.id for r in rules() if r.severity is Severity.error} == {
        *(f"R{i}" for i in range(1, 8)),
        "R11",
    }


@pytest.mark.parametrize("number", range(1, 11))
def test_seed_projects_have_no_errors(number: int) -> None:
    errors = [f for f in check_project(seed(number)) if f.severity is Severity.error]
    assert errors == []


def test_seed_warnings_are_the_known_ones() -> None:
    found = Counter((f.rule, f.severity) for p in PROJECTS for f in check_project(p))
    # P4/P6/P8 met targets with partial scores, P8 gives no reasons, P5/P8 have no 满意度 rows.
    assert found == {
        ("R8", Severity.warning): 4,
        ("R9", Severity.warning): 5,
        ("R10", Severity.warning): 2,
    }


# (project, changes, rule expected to fire alone, fields it must name, text of its equation)
MUTATIONS = [
    (
        1,
        {"funds.total.initial_budget": 1.0},
        "R1",
        ["funds.total.initial_budget", "funds.appropriation.initial_budget"],
        "0.00 + 0.00 + 0.00 = 0.00 ≠ 1.00 (年度资金总额.年初预算数)",
    ),
    (
        3,
        {"funds.carryover.initial_budget": 5.0},
        "R1",
        ["funds.total.initial_budget", "funds.carryover.initial_budget"],
        "0.00 + 5.00 + 0.00 = 5.00 ≠ 0.00 (年度资金总额.年初预算数)",
    ),
    (1, {"funds.total.executed": None}, "R1", ["funds.total.executed"], ""),
    (
        1,
        {"funds.appropriation.execution_rate": 99.56},
        "R2",
        ["funds.appropriation.execution_rate", "funds.appropriation.annual_budget"],
        "184.25 / 185.01 × 100 = 99.59 (allowed 99.58–99.60) ≠ 99.56 (当年财政拨款.执行率)",
    ),
    (
        1,
        {"funds.total.score": 9.90, "total_score": 99.86},
        "R3",
        ["funds.total.score", "funds.total.weight", "funds.total.execution_rate"],
        "10.00 × 99.58 / 100 = 9.958 → 9.96 ≠ 9.90 (年度资金总额.得分)",
    ),
    (
        1,
        {"indicators[0].weight": 21.0},
        "R4",
        ["total_weight", "funds.total.weight"],
        "= 111.00 ≠ 100.00 (总分.分值)",
    ),
    (2, {"indicators[0].weight": None}, "R4", ["indicators[0].weight"], ""),
    (
        1,
        {"total_score": 99.90},
        "R5",
        ["total_score", "funds.total.score"],
        "20.00 + 9.96 (年度资金总额.得分) = 99.92 ≠ 99.90 (总分.得分)",
    ),
    (
        4,
        {"indicators[3].score": 21.0, "indicators[5].score": 17.0},
        "R6",
        ["indicators[3].score", "indicators[3].weight"],
        "21.00 > 20.00 (indicators[3].得分 > 分值)",
    ),
    (
        1,
        {"grade": "良"},
        "R7",
        ["grade", "total_score"],
        "'良' needs 80 ≤ s < 90, but 总分.得分 = 99.92",
    ),
    (
        1,
        {"indicators[1].actual": "90.00(%)"},
        "R8",
        ["indicators[1].target", "indicators[1].actual"],
        "90.00(%) ≥ 95.00(%) fails, but 得分 10.00 = 分值 10.00",
    ),
    (
        4,
        {"indicators[5].deviation_reason": ""},
        "R9",
        ["indicators[5].deviation_reason"],
        "得分 18.00 < 分值 20.00",
    ),
    (
        1,
        {"indicators[7].level1": "效益指标"},
        "R10",
        ["indicators[7].weight"],
        "Σ 分值(效益) = 60.00 ∉ [10, 50]",
    ),
    (2, {"indicators[0].level1": "其他指标"}, "R10", ["indicators[0].level1"], ""),
    (
        1,
        {"indicators[0].level1": "产出指标(40分)", "indicators[1].level1": "产出指标(40分)"},
        "R11",
        ["indicators[0].weight", "indicators[1].weight"],
        "≠ 40 ('产出指标(40分)')",
    ),
]


@pytest.mark.parametrize(("number", "changes", "rule", "fields", "equation"), MUTATIONS)
def test_one_mutation_fires_one_rule(
    number: int, changes: dict[str, object], rule: str, fields: list[str], equation: str
) -> None:
    original = seed(number)
    found = new_findings(mutate(original, changes), original)
    assert {f.rule for f in found} == {rule}
    assert {f.severity for f in found} == {SEVERITY[rule]}
    assert set(fields) <= {field for f in found for field in f.fields}
    assert any(equation in f.equation for f in found), [f.equation for f in found]


@pytest.mark.parametrize(
    ("total", "fires"), [(0.03, False), (0.04, True)], ids=["within-0.03", "beyond"]
)
def test_r1_tolerance_is_one_unit_per_part(total: float, fires: bool) -> None:
    project = mutate(seed(1), {"funds.total.initial_budget": total})
    assert any(f.rule == "R1" for f in check_project(project)) is fires


# (line, 全年预算数, 全年执行数, printed 执行率, printed texts, fires)
R2_CASES = [
    ("carryover", 3.0, 2.0, 66.66, {}, False),  # truncated
    ("carryover", 3.0, 2.0, 66.67, {}, False),  # rounded
    ("carryover", 3000000.0, 2000000.0, 66.66, {}, False),  # large amounts: truncated
    ("carryover", 3000000.0, 2000000.0, 66.67, {}, False),  # and rounded
    ("carryover", 3000000.0, 2000000.0, 66.65, {}, True),
    ("carryover", 3000000.0, 2000000.0, 66.68, {}, True),
    ("carryover", 300.0, 200.0, 66.66, {}, False),
    ("carryover", 300.0, 200.0, 66.67, {}, False),
    ("carryover", 300.0, 200.0, 66.64, {}, True),  # 0.02 below the truncated rate
    ("carryover", 300.0, 200.0, 66.69, {}, True),  # 0.02 above the rounded rate
    ("total", 185.01, 184.25, 99.58, {}, False),
    ("total", 185.01, 184.25, 99.59, {}, False),
    ("total", 185.01, 184.25, 99.56, {}, True),
    ("total", 185.01, 184.25, 99.61, {}, True),
    ("carryover", 0.0, 0.0, 0.0, {}, False),
    ("carryover", 0.0, 0.0, None, {}, False),
    ("carryover", 0.0, 3.0, 0.0, {}, False),
    ("carryover", 0.0, 0.0, 5.0, {}, True),
    ("total", 100.0, 120.0, 120.0, {}, False),  # overspent: a rate above 100 is fine
    ("total", 100.0, 120.0, 100.0, {}, True),
    ("total", 100.0, 50.0, None, {}, True),  # the total line needs its rate
    ("carryover", 100.0, 50.0, None, {}, False),
    ("total", 185.01, 184.25, 99.5, {}, True),
    ("total", 185.01, 184.25, 99.5, {"funds.total.execution_rate": "99.5"}, False),
    ("total", 185.0, 184.0, 99.9, {}, True),
    (
        "total",
        185.0,
        184.0,
        99.9,
        {"funds.total.annual_budget": "185", "funds.total.executed": "184"},
        False,
    ),
    ("total", 185.01, 184.25, 99.58, {"funds.total.execution_rate": "99.56"}, True),
]


@pytest.mark.parametrize(("line", "budget", "executed", "rate", "printed", "fires"), R2_CASES)
def test_r2_interval(
    line: str,
    budget: float,
    executed: float,
    rate: float | None,
    printed: dict[str, str],
    fires: bool,
) -> None:
    project = mutate(
        seed(1),
        {
            f"funds.{line}.annual_budget": budget,
            f"funds.{line}.executed": executed,
            f"funds.{line}.execution_rate": rate,
        },
    )
    found = [f for f in check_r2_execution_rate(project, printed) if line in f.fields[0]]
    assert bool(found) is fires, [f.equation for f in found]


# (分数, 执行率, 得分, fires)
R3_CASES = [
    (10.0, 99.58, 9.96, False),
    (10.0, 99.58, 9.95, False),
    (10.0, 99.58, 9.94, True),
    (10.0, 33.91, 3.39, False),
    (20.0, 50.0, 10.0, False),
    (10.0, 105.0, 10.0, False),
    (10.0, 105.0, 10.5, True),  # the score is capped at 分数
    (10.0, 99.58, None, False),  # a null score is R5's business
]


@pytest.mark.parametrize(("weight", "rate", "score", "fires"), R3_CASES)
def test_r3_funds_score(weight: float, rate: float, score: float | None, fires: bool) -> None:
    project = mutate(
        seed(1),
        {
            "funds.total.weight": weight,
            "funds.total.execution_rate": rate,
            "funds.total.score": score,
        },
    )
    assert bool(check_r3_funds_score(project)) is fires


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"funds.total.score": 10.5}, ["funds.total.score", "funds.total.weight"]),
        ({"indicators[0].score": -1.0}, ["indicators[0].score", "indicators[0].weight"]),
        ({"indicators[0].score": 10.0}, None),
    ],
)
def test_r6_score_range(changes: dict[str, object], fields: list[str] | None) -> None:
    found = check_r6_score_range(mutate(seed(1), changes))
    assert [f.fields for f in found] == ([fields] if fields else [])


# (总分, 评分等级, fires)
R7_CASES = [
    (95.0, "优", False),
    (90.0, "优", False),
    (95.0, "优秀", False),
    (89.99, "优", True),
    (90.0, "良", True),
    (89.99, "良", False),
    (80.0, "良好", False),
    (79.99, "良", True),
    (79.99, "中", False),
    (60.0, "中", False),
    (59.99, "差", False),
    (60.0, "差", True),
    (89.99, "合格", False),
    (60.0, "合格", False),
    (90.0, "合格", True),
    (59.99, "合格", True),
    (59.99, "不合格", False),
    (60.0, "不合格", True),
    (95.0, "", False),  # a form without a grade row
    (95.0, "A", True),
]


@pytest.mark.parametrize(("total", "grade", "fires"), R7_CASES)
def test_r7_grade(total: float, grade: str, fires: bool) -> None:
    project = mutate(seed(1), {"total_score": total, "grade": grade})
    assert bool(check_r7_grade(project)) is fires


def test_r7_blank_printed_grade_cell_is_a_warning() -> None:
    project = mutate(seed(1), {"grade": ""})
    found = check_r7_grade(project, {"grade": ""})
    assert [f.severity for f in found] == [Severity.warning]


def test_checks_follow_what_the_form_prints() -> None:
    # integer percents and scores pass at integer precision (廊坊: 10 x 86.2% printed as 9)
    project = mutate(seed(1), {"funds.total.execution_rate": 86.0, "funds.total.score": 9.0})
    printed = {"funds.total.execution_rate": "86%", "funds.total.score": "9"}
    assert not [f for f in check_r3_funds_score(project, printed)]
    # a printed total weight other than 100 is checked against the rows, and only warned
    found = check_project(mutate(seed(1), {"total_weight": 90.0, "funds.total.weight": 0.0}))
    assert {(f.rule, f.severity) for f in found if f.rule == "R4"} == {("R4", Severity.warning)}


# (年度指标值, 实际完成值, 分值, 得分, fires)
R8_CASES = [
    ("≥95.00(%)", "100.00(%)", 10.0, 10.0, False),
    ("≥95.00(%)", "100.00(%)", 10.0, 9.0, True),  # met, not full marks
    ("≥95.00(%)", "90.00(%)", 10.0, 10.0, True),  # missed, full marks
    ("≥95.00(%)", "90.00(%)", 10.0, 8.0, False),
    ("=1.00(期)", "1.00(期)", 10.0, 10.0, False),
    ("=2(辆)", "2.00(辆)", 10.0, 10.0, False),
    ("≤200000.00(元)", "250000.00(元)", 10.0, 10.0, True),
    (">0", "0", 10.0, 10.0, True),
    (">0", "3", 10.0, 10.0, False),
    ("≥1.00(期/周)", "1.06(期/周)", 10.0, 9.0, True),
    ("100%", "100.00(%)", 10.0, 10.0, False),
    ("100%", "99.00(%)", 10.0, 10.0, True),
    ("＞＝95.00（％）", "100.00（％）", 10.0, 9.0, True),
    ("≥95.00(%)", "达成指标", 10.0, 8.0, False),  # qualitative actual
    ("提高", "达成指标", 10.0, 8.0, False),
    ("≥95.00(%)", "100.00(个)", 10.0, 9.0, False),  # units differ
    ("≥95.00(%)", "90.00(%)", 0.0, 0.0, False),  # a zero-weight row has nothing to lose
]


@pytest.mark.parametrize(("target", "actual", "weight", "score", "fires"), R8_CASES)
def test_r8_target_vs_score(
    target: str, actual: str, weight: float, score: float, fires: bool
) -> None:
    changes = {
        "indicators[1].target": target,
        "indicators[1].actual": actual,
        "indicators[1].weight": weight,
        "indicators[1].score": score,
    }
    assert bool(check_r8_target_vs_score(mutate(seed(1), changes))) is fires


def test_a_table_of_nulls_is_reported_not_raised() -> None:
    blank_line = dict.fromkeys(
        ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
    )
    project = seed(1).model_copy(
        update={
            "funds": seed(1).funds.model_validate(
                {line: blank_line for line in ("total", "appropriation", "carryover", "other")}
            ),
            "indicators": [],
            "total_weight": None,
            "total_score": None,
            "grade": "",
        }
    )
    found = check_project(project)
    # no weights at all cannot make 100; no total score printed is a warning; no grade: no R7
    assert {f.rule for f in found if f.severity is Severity.error} == {"R1", "R4"}
    assert {f.rule for f in found if f.severity is Severity.warning} == {"R5"}


def _initial_only(project: Project) -> Project:
    """The project as a form with no 全年预算数 column prints it (北京: 年初预算数（A）,
    执行率（B/A）): each line's budget in 年初预算数, 全年预算数 null everywhere."""
    changes: dict[str, object] = {}
    for line in ("total", "appropriation", "carryover", "other"):
        changes[f"funds.{line}.initial_budget"] = value_at(project, f"funds.{line}.annual_budget")
        changes[f"funds.{line}.annual_budget"] = None
    return mutate(project, changes)


def test_a_lone_initial_budget_is_the_rates_budget() -> None:
    """With no 全年预算数 printed, the 执行率 is checked against the 年初预算数 (no R1 for the
    missing column), and a wrong rate is still an R2 error naming that budget."""
    project = _initial_only(seed(1))
    assert [f for f in check_project(project) if f.severity is Severity.error] == []
    wrong = mutate(project, {"funds.total.execution_rate": 99.56})
    (r2,) = [f for f in check_project(wrong) if f.rule == "R2"]
    assert "funds.total.initial_budget" in r2.fields
    assert "184.25 / 185.01 × 100 = 99.59" in r2.equation
    assert "年初预算数" in r2.message


def test_a_null_total_budget_beside_printed_ones_is_still_r1() -> None:
    """Only a form with no 全年预算数 anywhere falls back to the 年初预算数: a total printed '-'
    while its parts have one is R1, as before."""
    project = mutate(_initial_only(seed(1)), {"funds.appropriation.annual_budget": 185.01})
    assert any(
        f.rule == "R1" and f.fields == ["funds.total.annual_budget"] for f in check_project(project)
    )
