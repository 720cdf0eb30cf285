"""Deterministic checks of one project table: the arithmetic the printed numbers must obey.

All comparisons are in Decimal at the printed precision (see checks_values.Numbers); "unit"
below is one unit of the last printed decimal (0.01 for every known report). A null value
(printed "-") skips the part of a rule that needs it, unless the null is itself wrong.

R1  error    total = appropriation + carryover + other, per amount column. Each printed part
             and the total carry up to half a unit of rounding (or up to a unit of truncation),
             so the sum may differ from the total by at most unit x (number of non-null parts):
             ±0.03 with three parts. Null parts are left out; null total 全年预算数/全年执行数
             is an error, a null total 年初预算数 only when a part is printed.
R2  error    执行率 p agrees with e / b x 100 for some true amounts within half a unit of the
             printed b and e: floor((e-h)/(b+h)x100) <= p <= ceil((e+h)/(b-h)x100), floor and ceil
             at p's printed decimals, so both rounded and truncated rates pass. b = 0: p must be
             0 or null. Null b or e: skipped. Null p with b > 0: error on the total line only.
R3  error    funds score S = round_half_up(W x min(p, 100) / 100) ± 1 unit of S. The cap at 100
             means a score above W disagrees with the formula too. Any null: skipped (R4/R5
             report a null weight or score).
R4  error    sum of indicator 分值 + funds 分数 == total_weight == 100, exactly. Null weights or a
             null total_weight are errors.
R5  error    sum of indicator 得分 + funds 得分 == total_score ± 1 unit of total_score. Null scores
             or a null total_score are errors.
R6  error    0 <= score <= weight on every indicator row and on the funds total row, exactly.
             Rows with a null score or weight are skipped.
R7  error    grade matches total_score: 优 >= 90 > 良 >= 80 > 中 >= 60 > 差; 优秀 = 优, 良好 = 良,
             合格 for 60 <= s < 90, 不合格 for s < 60. A blank or unknown grade is an error; a null
             total_score skips the rule.
R8  warning  a quantitative indicator met its target but scored below its weight, or missed it
             and got full marks. Skipped for qualitative cells, differing units, null or zero
             weights, null scores. '=' targets need exact equality.
R9  warning  score < weight with a blank 偏差原因分析及改进措施. Null score or weight: skipped.
R10 warning  first-level weight split far from the usual 产出 50 / 效益 30 / 满意度 10 / funds 10:
             产出+成本 outside [30, 70], 效益 outside [10, 50], 满意度 outside [5, 20], funds 分数
             outside [5, 20] (bounds inclusive), and any 一级指标 that is none of the four.
             An empty group names every row's level1 field (those labels left it empty).

R8-R10 live in pipeline.checks_warnings, target parsing in pipeline.checks_targets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

from pipeline.checks_values import (
    FUNDS_LINES,
    LINE_LABELS,
    Numbers,
    Printed,
    error,
    fmt,
    funds_label,
    funds_path,
)
from pipeline.checks_warnings import (
    check_r8_target_vs_score,
    check_r9_deviation_reason,
    check_r10_weight_split,
)
from schemas.output import Finding
from schemas.report import Project

__all__ = [
    "CHECKS",
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
    "rules",
]

_RULES: list[tuple[str, str, str]] = [
    ("R1", "error", "funds total = 当年财政拨款 + 上年结转资金 + 其他资金 in each amount column"),
    ("R2", "error", "执行率 = 全年执行数 / 全年预算数 x 100, rounded or truncated (0 if budget 0)"),
    ("R3", "error", "funds 得分 = 分数 x 执行率 / 100 (capped at 分数), ±0.01"),
    ("R4", "error", "indicator 分值 + funds 分数 = 总分 分值 = 100"),
    ("R5", "error", "indicator 得分 + funds 得分 = 总分 得分, ±0.01"),
    ("R6", "error", "0 <= 得分 <= 分值 on every indicator row and the funds total row"),
    ("R7", "error", "评分等级 matches 总分 (优 >= 90, 良 >= 80, 中 >= 60, 差; 合格/不合格)"),
    ("R8", "warning", "quantitative indicator: met target but not full marks, or the reverse"),
    ("R9", "warning", "得分 < 分值 with no 偏差原因分析及改进措施"),
    ("R10", "warning", "一级指标 weights far from 产出 50 / 效益 30 / 满意度 10 / funds 10"),
]


def rules() -> list[tuple[str, str, str]]:
    """Every rule as (id, severity, one-line description)."""
    return list(_RULES)


def check_r1_funds_sum(project: Project, printed: Printed = None) -> list[Finding]:
    """R1: in each amount column the total equals the sum of its three parts."""
    n = Numbers(project, printed)
    findings: list[Finding] = []
    for column in ("initial_budget", "annual_budget", "executed"):
        total_path = funds_path("total", column)
        total = n.get(total_path)
        parts = [
            (funds_path(line, column), n.get(funds_path(line, column))) for line in FUNDS_LINES
        ]
        present = [(path, value) for path, value in parts[1:] if value is not None]
        label = funds_label("total", column)
        if total is None:
            if column != "initial_budget":
                findings.append(
                    error(
                        "R1",
                        [total_path],
                        f"{label} is '-' (null), but the total must be printed: the "
                        "execution rate and the funds score depend on it.",
                    )
                )
            elif present:
                findings.append(
                    error(
                        "R1",
                        [total_path, *(path for path, _ in present)],
                        f"{label} is '-' (null) while its parts are printed.",
                    )
                )
            continue
        if not present:
            continue
        parts_sum = sum((value for _, value in present), Decimal(0))
        unit = max(n.unit(path) for path in [total_path, *(path for path, _ in present)])
        tolerance = unit * len(present)
        if abs(parts_sum - total) > tolerance:
            terms = " + ".join(fmt(value) for _, value in present)
            findings.append(
                error(
                    "R1",
                    [total_path, *(path for path, _ in present)],
                    f"{label} is not the sum of 当年财政拨款 + 上年结转资金 + 其他资金 "
                    f"(tolerance ±{fmt(tolerance)}).",
                    f"{terms} = {fmt(parts_sum)} ≠ {fmt(total)} ({label})",
                )
            )
    return findings


def check_r2_execution_rate(project: Project, printed: Printed = None) -> list[Finding]:
    """R2: each printed 执行率 is 全年执行数 / 全年预算数 x 100, rounded or truncated."""
    n = Numbers(project, printed)
    findings: list[Finding] = []
    for line in FUNDS_LINES:
        b_path = funds_path(line, "annual_budget")
        e_path = funds_path(line, "executed")
        p_path = funds_path(line, "execution_rate")
        b, e, p = n.get(b_path), n.get(e_path), n.get(p_path)
        fields = [p_path, b_path, e_path]
        label = funds_label(line, "execution_rate")
        if b is None or e is None or b < 0 or e < 0:
            continue
        if b == 0:
            if p is not None and p != 0:
                findings.append(
                    error(
                        "R2",
                        fields,
                        f"{LINE_LABELS[line]} has a 全年预算数 of 0, so its 执行率 must be "
                        "0 or '-'.",
                        f"{fmt(e)} / {fmt(b)} × 100 is undefined, printed {fmt(p)} ≠ 0 ({label})",
                    )
                )
            continue
        if p is None:
            if line == "total":
                findings.append(
                    error(
                        "R2",
                        fields,
                        f"{label} is '-' (null) although 全年预算数 is {fmt(b)}.",
                    )
                )
            continue
        half_b, half_e = n.unit(b_path) / 2, n.unit(e_path) / 2
        step = n.unit(p_path)
        with localcontext() as ctx:
            ctx.prec = 40
            low = max(e - half_e, Decimal(0)) / (b + half_b) * 100
            high = (e + half_e) / (b - half_b) * 100 if b > half_b else None
            middle = (e / b * 100).quantize(step, rounding=ROUND_HALF_UP)
            low_q = low.quantize(step, rounding=ROUND_FLOOR)
            high_q = None if high is None else high.quantize(step, rounding=ROUND_CEILING)
        if p < low_q or (high_q is not None and p > high_q):
            allowed = f"{fmt(low_q)}–{fmt(high_q)}" if high_q is not None else f"≥ {fmt(low_q)}"
            findings.append(
                error(
                    "R2",
                    fields,
                    f"{label} is not 全年执行数 / 全年预算数 × 100, rounded or truncated.",
                    f"{fmt(e)} / {fmt(b)} × 100 = {fmt(middle)} (allowed {allowed}) "
                    f"≠ {fmt(p)} ({label})",
                )
            )
    return findings


def check_r3_funds_score(project: Project, printed: Printed = None) -> list[Finding]:
    """R3: the funds 得分 is 分数 x 执行率 / 100, capped at 分数, within one unit."""
    n = Numbers(project, printed)
    w_path, p_path, s_path = (funds_path("total", c) for c in ("weight", "execution_rate", "score"))
    weight, rate, score = n.get(w_path), n.get(p_path), n.get(s_path)
    if weight is None or rate is None or score is None:
        return []
    step = n.unit(s_path)
    with localcontext() as ctx:
        ctx.prec = 40
        capped = min(rate, Decimal(100))
        raw = weight * capped / 100
        expected = raw.quantize(step, rounding=ROUND_HALF_UP)
    if abs(score - expected) <= step:
        return []
    rate_text = fmt(rate) if rate <= 100 else f"min({fmt(rate)}, 100)"
    label = funds_label("total", "score")
    return [
        error(
            "R3",
            [s_path, w_path, p_path],
            f"{label} is not 分数 × 执行率 / 100 (capped at 分数), beyond ±{fmt(step)}.",
            f"{fmt(weight)} × {rate_text} / 100 = {fmt(raw.normalize())} → {fmt(expected)} "
            f"≠ {fmt(score)} ({label})",
        )
    ]


def _column_sum(
    n: Numbers,
    column: str,
    total_path: str,
    total_label: str,
    tolerance: Decimal,
    rule: str,
    fallback: Decimal | None = None,
) -> list[Finding]:
    """Shared body of R4/R5: indicator cells + funds total cell == the 总分 cell (or fallback)."""
    paths = [f"indicators[{i}].{column}" for i in range(len(n.project.indicators))]
    paths.append(funds_path("total", column))
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
    if total is None:
        findings.append(error(rule, [total_path], f"{total_label} is '-' (null)."))
    target = total if total is not None else fallback
    if missing or target is None:
        return findings
    column_sum = sum((value for _, value in values if value is not None), Decimal(0))
    if abs(column_sum - target) > tolerance:
        terms = " + ".join(fmt(value) for _, value in values if value is not None)
        terms += f" ({funds_label('total', column)})"
        right = f"{fmt(target)} ({total_label})" if total is not None else fmt(target)
        findings.append(
            error(
                rule,
                [*paths, total_path],
                f"The indicator {name} column plus {funds_label('total', column)} does not add "
                f"up to {total_label}" + (f" (tolerance ±{fmt(tolerance)})." if tolerance else "."),
                f"{terms} = {fmt(column_sum)} ≠ {right}",
            )
        )
    return findings


def check_r4_weights(project: Project, printed: Printed = None) -> list[Finding]:
    """R4: indicator 分值 + funds 分数 = total_weight = 100, exactly."""
    n = Numbers(project, printed)
    findings = _column_sum(n, "weight", "total_weight", "总分.分值", Decimal(0), "R4", Decimal(100))
    total = n.get("total_weight")
    if total is not None and total != 100:
        findings.append(
            error(
                "R4", ["total_weight"], "总分.分值 is not 100.", f"{fmt(total)} ≠ 100 (总分.分值)"
            )
        )
    return findings


def check_r5_total_score(project: Project, printed: Printed = None) -> list[Finding]:
    """R5: indicator 得分 + funds 得分 = total_score, within one unit of total_score."""
    n = Numbers(project, printed)
    return _column_sum(n, "score", "total_score", "总分.得分", n.unit("total_score"), "R5")


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


# Grade label -> the score bands it may stand for: (low inclusive, high exclusive).
_BANDS = {
    "优": (Decimal(90), None),
    "良": (Decimal(80), Decimal(90)),
    "中": (Decimal(60), Decimal(80)),
    "差": (None, Decimal(60)),
    "合格": (Decimal(60), Decimal(90)),
    "不合格": (None, Decimal(60)),
}
_SYNONYMS = {"优秀": "优", "良好": "良"}


def _band_text(low: Decimal | None, high: Decimal | None) -> str:
    if low is None:
        return f"< {fmt(high)}" if high is not None else "any"
    return f"≥ {fmt(low)}" if high is None else f"{fmt(low)} ≤ s < {fmt(high)}"


def check_r7_grade(project: Project, printed: Printed = None) -> list[Finding]:
    """R7: 评分等级 agrees with total_score."""
    n = Numbers(project, printed)
    score = n.get("total_score")
    grade = "".join(project.grade.split())
    if not grade:
        return [error("R7", ["grade"], "评分等级 is blank (grade missing).")]
    band = _BANDS.get(_SYNONYMS.get(grade, grade))
    if band is None:
        return [
            error(
                "R7",
                ["grade"],
                f"评分等级 '{grade}' is none of 优/良/中/差 (优秀/良好) or 合格/不合格.",
            )
        ]
    if score is None:
        return []
    low, high = band
    if (low is None or score >= low) and (high is None or score < high):
        return []
    return [
        error(
            "R7",
            ["grade", "total_score"],
            f"评分等级 '{grade}' does not match 总分 {fmt(score)}.",
            f"'{grade}' needs {_band_text(low, high)}, but 总分.得分 = {fmt(score)}",
        )
    ]


CHECKS: list[Callable[[Project, Printed], list[Finding]]] = [
    check_r1_funds_sum,
    check_r2_execution_rate,
    check_r3_funds_score,
    check_r4_weights,
    check_r5_total_score,
    check_r6_score_range,
    check_r7_grade,
    check_r8_target_vs_score,
    check_r9_deviation_reason,
    check_r10_weight_split,
]


def check_project(project: Project, printed: Mapping[str, str] | None = None) -> list[Finding]:
    """Every rule's findings for one project, in rule order."""
    return [finding for check in CHECKS for finding in check(project, printed)]
