"""Source inconsistencies: a consistent derived project gets one printed mistake.

The truth holds the PRINTED (wrong) value, flags the project source_inconsistent and says in
truth_notes what the right value would be and which rule of pipeline.checks should fire.
"""

from __future__ import annotations

import random
from decimal import Decimal

from jixiao_eval.truth.funds import HUNDRED, Line

BAD_KINDS = ("bad_sum_initial", "bad_sum_executed", "bad_rate", "bad_total", "bad_grade")


def _band(total: Decimal) -> int:
    return sum(total >= edge for edge in (Decimal(60), Decimal(80), Decimal(90)))


def inject(
    rng: random.Random,
    kind: str,
    funds: dict[str, Line],
    total_score: Decimal,
    grade: str,
    scale: Decimal,
) -> tuple[Decimal, str, str]:
    """Apply one printed mistake in place; returns (printed total_score, printed grade, note)."""
    total = funds["total"]
    head = "SOURCE INCONSISTENT (printed value kept):"
    if kind == "bad_sum_initial":
        right = total.initial_budget
        total.initial_budget = right + Decimal(rng.choice((10, 20, 30))) * scale
        note = (
            f"{head} 年度资金总额 年初预算数 is printed {total.initial_budget} but "
            f"当年财政拨款 + 上年结转资金 + 其他资金 = {right}. Expected finding: R1."
        )
    elif kind == "bad_sum_executed":
        right = total.executed
        total.executed = right + Decimal(rng.choice((1, 2, 3))) * scale
        note = (
            f"{head} 年度资金总额 全年执行数 is printed {total.executed} but the parts sum to "
            f"{right}; the printed 执行率 {total.execution_rate} was computed from {right}. "
            "Expected findings: R1 and R2."
        )
    elif kind == "bad_rate":
        right_rate = total.execution_rate
        assert right_rate is not None
        delta = Decimal("0.90") if right_rate + Decimal("0.90") <= HUNDRED else Decimal("-0.90")
        total.execution_rate = right_rate + delta
        note = (
            f"{head} 年度资金总额 执行率 is printed {total.execution_rate} but "
            f"{total.executed} / {total.annual_budget} x 100 = {right_rate}; the 得分 "
            f"{total.score} was computed from {right_rate}. Expected findings: R2 and R3."
        )
    elif kind == "bad_total":
        deltas = [Decimal(d) for d in ("0.90", "-0.90", "1.80", "-1.80", "0.50", "-0.50")]
        rng.shuffle(deltas)
        printed = next(
            total_score + d
            for d in deltas
            if _band(total_score + d) == _band(total_score) and 0 <= total_score + d <= HUNDRED
        )
        note = (
            f"{head} 总分 得分 is printed {printed} but funds 得分 + indicator 得分 = "
            f"{total_score}; the grade matches both. Expected finding: R5."
        )
        return printed, grade, note
    elif kind == "bad_grade":
        printed_grade = "优" if grade != "优" else "良"
        note = (
            f"{head} 评分等级 is printed {printed_grade} but 总分 {total_score} is {grade}. "
            "Expected finding: R7."
        )
        return total_score, printed_grade, note
    else:
        raise ValueError(f"unknown inconsistency {kind!r}")
    return total_score, grade, note
