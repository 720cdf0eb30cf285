"""The checker: deterministic rules over one project's printed numbers, in Decimal arithmetic.

RULES is the one list of rules; `jixiao rules`, the LLM repair prompt and the review app all
read it. A new rule is one function (in the module of its kind) and one line below. Each rule's
exact definition is in its module's docstring: funds.py (R1-R3), totals.py (R4-R6), grade.py
(R7), plausibility.py (R8-R10), levels.py (R11).
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.checks.funds import check_r1_funds_sum, check_r2_execution_rate, check_r3_funds_score
from pipeline.checks.grade import check_r7_grade
from pipeline.checks.levels import check_r11_level_points
from pipeline.checks.plausibility import (
    check_r8_target_vs_score,
    check_r9_deviation_reason,
    check_r10_weight_split,
)
from pipeline.checks.registry import Check, Rule
from pipeline.checks.totals import check_r4_weights, check_r5_total_score, check_r6_score_range
from schemas.output import Finding, Severity
from schemas.report import Project

E, W = Severity.error, Severity.warning

RULES: tuple[Rule, ...] = (
    Rule("R1", E, "funds total = 当年财政拨款 + 上年结转资金 + 其他资金 in each amount column", check_r1_funds_sum),
    Rule("R2", E, "执行率 = 全年执行数 / 全年预算数 (or a lone 年初预算数) x 100, rounded or truncated (0 if budget 0)", check_r2_execution_rate),
    Rule("R3", E, "funds 得分 = 分数 x 执行率 / 100 (capped at 分数), ±0.01", check_r3_funds_score),
    Rule("R4", E, "indicator 分值 + funds 分数 = 总分 分值 = 100", check_r4_weights),
    Rule("R5", E, "indicator 得分 + funds 得分 = 总分 得分, ±0.01", check_r5_total_score),
    Rule("R6", E, "0 <= 得分 <= 分值 on every indicator row and the funds total row", check_r6_score_range),
    Rule("R7", E, "评分等级 matches 总分 (优 >= 90, 良 >= 80, 中 >= 60, 差; 合格/不合格)", check_r7_grade),
    Rule("R8", W, "quantitative indicator: met target but not full marks, or the reverse", check_r8_target_vs_score),
    Rule("R9", W, "得分 < 分值 with no 偏差原因分析及改进措施", check_r9_deviation_reason),
    Rule("R10", W, "一级指标 weights far from 产出 50 / 效益 30 / 满意度 10 / funds 10", check_r10_weight_split),
    Rule("R11", E, "points printed in a 一级/二级 label (产出指标(50分)) = the sum of its rows' 分值", check_r11_level_points),
)  # fmt: skip


def rules() -> tuple[Rule, ...]:
    """Every rule, in run order."""
    return RULES


def rule(rule_id: str) -> Rule | None:
    """The rule with this id, or None (reading findings such as READ_MISSING are no rule)."""
    return next((r for r in RULES if r.id == rule_id), None)


def check_project(project: Project, printed: Mapping[str, str] | None = None) -> list[Finding]:
    """Every rule's findings for one project, in rule order."""
    return [finding for r in RULES for finding in r.check(project, printed)]


__all__ = [
    "RULES",
    "Check",
    "Rule",
    "check_project",
    "check_r1_funds_sum",
    "check_r2_execution_rate",
    "check_r3_funds_score",
    "check_r4_weights",
    "check_r5_total_score",
    "check_r6_score_range",
    "check_r7_grade",
    "check_r8_target_vs_score",
    "check_r9_deviation_reason",
    "check_r10_weight_split",
    "check_r11_level_points",
    "rule",
    "rules",
]
