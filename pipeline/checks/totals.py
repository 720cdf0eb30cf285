"""Column rules R4-R6: weights and scores add up, and each score stays within its weight.

All comparisons are in Decimal at the printed precision (see values.Numbers); "unit"
below is one unit of the last printed decimal (0.01 for every known report). A null value
(printed "-") skips the part of a rule that needs it, unless the null is itself wrong.

R4  error    sum of indicator 分值 + funds 分数 == the printed total_weight (合计/总分), exactly, or
             == 100 where the form prints no total weight; a printed total other than 100 is a
             warning. Null indicator weights are errors; a null funds 分数 (the form gives the
             funds row no points) is left out of the sum.
R5  error    sum of indicator 得分 + funds 得分 == total_score ± 1 unit of total_score (exactly
             when the total is printed as an integer: whole points carry no rounding). Null
             indicator scores are errors; a null funds 得分 is left out; a null (empty)
             total_score is a warning and the sum goes unchecked.
R6  error    0 <= score <= weight on every indicator row and on the funds total row, exactly.
             Rows with a null score or weight are skipped.
"""

from __future__ import annotations

from decimal import Decimal

from pipeline.checks.values import Numbers, Printed, error, warning
from pipeline.numbers import fmt
from schemas.output import Finding
from schemas.paths import LINE_LABELS, funds_label, funds_path, indicator_path
from schemas.report import Project


def _column_sum(
    n: Numbers,
    column: str,
    total_path: str,
    total_label: str,
    tolerance: Decimal,
    rule: str,
    fallback: Decimal | None = None,
) -> list[Finding]:
    """Shared body of R4/R5: indicator cells + funds total cell == the 总分 cell (or fallback).

    A funds row that carries no points on this form (null 分值/得分) is left out of the sum; a
    null indicator cell cannot be summed and is an error.
    """
    paths = [indicator_path(i, column) for i in range(len(n.project.indicators))]
    funds_cell = funds_path("total", column)
    if n.get(funds_cell) is not None:
        paths.append(funds_cell)
    values = [(path, n.get(path)) for path in paths]
    missing = [path for path, value in values if value is None]
    total = n.get(total_path)
    name = "分值" if column == "weight" else "得分"
    findings: list[Finding] = []
    if missing:
        findings.append(
            error(
                rule,
                missing,
                f"{name} is '-' (null) on {len(missing)} row(s), so it cannot be summed.",
            )
        )
    target = total if total is not None else fallback
    if missing or target is None:
        return findings
    column_sum = sum((value for _, value in values if value is not None), Decimal(0))
    if abs(column_sum - target) > tolerance:
        terms = " + ".join(fmt(value) for _, value in values if value is not None)
        if funds_cell in paths:
            terms += f" ({funds_label('total', column)})"
        right = f"{fmt(target)} ({total_label})" if total is not None else fmt(target)
        findings.append(
            error(
                rule,
                [*paths, total_path],
                f"The indicator {name} column"
                + (f" plus {funds_label('total', column)}" if funds_cell in paths else "")
                + f" does not add up to {total_label if total is not None else fmt(target)}"
                + (f" (tolerance ±{fmt(tolerance)})." if tolerance else "."),
                f"{terms} = {fmt(column_sum)} ≠ {right}",
            )
        )
    return findings


def check_r4_weights(project: Project, printed: Printed = None) -> list[Finding]:
    """R4: indicator 分值 + funds 分数 = the printed 总分/合计 分值, or 100 where none is printed."""
    n = Numbers(project, printed)
    findings = _column_sum(n, "weight", "total_weight", "总分.分值", Decimal(0), "R4", Decimal(100))
    total = n.get("total_weight")
    if total is not None and total != 100:
        findings.append(
            warning(
                "R4", ["total_weight"], "总分.分值 is not 100.", f"{fmt(total)} ≠ 100 (总分.分值)"
            )
        )
    return findings


def check_r5_total_score(project: Project, printed: Printed = None) -> list[Finding]:
    """R5: indicator 得分 + funds 得分 = total_score, within one unit of total_score; a total
    score the form leaves empty is a warning, and the sum goes unchecked."""
    n = Numbers(project, printed)
    if n.get("total_score") is None:
        return [
            warning(
                "R5",
                ["total_score"],
                "总分/合计 得分 is not printed, so the scores' sum cannot be checked.",
            )
        ]
    unit = n.unit("total_score")
    # Decimal scores are rounded (分值 × 执行率 to 0.01) and the total is taken before rounding,
    # so one unit is rounding; integer scores are whole points given as such (a computed funds
    # score rounds the same way in the total), so an integer sum off by one is a discrepancy.
    tolerance = unit if unit < 1 else Decimal(0)
    return _column_sum(n, "score", "total_score", "总分.得分", tolerance, "R5")


def check_r6_score_range(project: Project, printed: Printed = None) -> list[Finding]:
    """R6: 0 <= score <= weight on every indicator row and on the funds total row."""
    n = Numbers(project, printed)
    rows = [(f"indicators[{i}]", f"indicators[{i}]") for i in range(len(project.indicators))]
    rows.append(("funds.total", LINE_LABELS["total"]))
    findings: list[Finding] = []
    for prefix, label in rows:
        s_path, w_path = f"{prefix}.score", f"{prefix}.weight"
        score, weight = n.get(s_path), n.get(w_path)
        if score is None or weight is None:
            continue
        if score < 0:
            equation = f"{fmt(score)} < 0 ({label}.得分)"
        elif score > weight:
            equation = f"{fmt(score)} > {fmt(weight)} ({label}.得分 > 分值)"
        else:
            continue
        findings.append(
            error("R6", [s_path, w_path], f"{label} 得分 is outside 0 to 分值.", equation)
        )
    return findings
