"""Funds-block rules R1-R3: the arithmetic of the 项目资金 rows.

All comparisons are in Decimal at the printed precision (see values.Numbers); "unit"
below is one unit of the last printed decimal (0.01 for every known report). A null value
(printed "-") skips the part of a rule that needs it, unless the null is itself wrong.

R1  error    total = the sum of the printed parts (当年财政拨款, 上年结转, 财政专户, 单位资金, 其他),
             per amount column. Each printed part
             and the total carry up to half a unit of rounding (or up to a unit of truncation),
             so the sum may differ from the total by at most unit x (number of non-null parts):
             ±0.03 with three parts. Null parts are left out; null total 全年预算数/全年执行数
             is an error, a null total 年初预算数 only when a part is printed.
R2  error    执行率 p agrees with e / b x 100 for some true amounts within half a unit of the
             printed b and e: floor((e-h)/(b+h)x100) <= p <= ceil((e+h)/(b-h)x100), floor and ceil
             at p's printed decimals, so both rounded and truncated rates pass. b = 0: p must be
             0 or null. Null b or e: skipped. Null p with b > 0: error on the total line only.
             b is 全年预算数; a form that prints no 全年预算数 but a 年初预算数 (北京: 年初预算数（A）,
             执行率（B/A）) computes the rate on that, and R1 then needs no 全年预算数.
R3  error    funds score S = round_half_up(W x min(p, 100) / 100) ± 1 unit of S. The cap at 100
             means a score above W disagrees with the formula too. Any null: skipped (R4/R5
             report a null weight or score).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

from pipeline.checks.values import Numbers, Printed, error
from pipeline.numbers import fmt
from schemas.output import Finding
from schemas.paths import COLUMN_LABELS, FUNDS_LINES, LINE_LABELS, funds_label, funds_path
from schemas.report import Project


def _rate_budget(n: Numbers) -> str:
    """The budget column the 执行率 is computed on: 全年预算数, or the 年初预算数 where no line has
    a 全年预算数 and the total has a 年初预算数 (the form prints only that one)."""
    none = all(n.get(funds_path(line, "annual_budget")) is None for line in FUNDS_LINES)
    if none and n.get(funds_path("total", "initial_budget")) is not None:
        return "initial_budget"
    return "annual_budget"


def check_r1_funds_sum(project: Project, printed: Printed = None) -> list[Finding]:
    """R1: in each amount column the total equals the sum of its printed parts."""
    n = Numbers(project, printed)
    findings: list[Finding] = []
    # the total's budget must be printed: the one the rate is computed on
    needed = {_rate_budget(n), "executed"}
    for column in ("initial_budget", "annual_budget", "executed"):
        total_path = funds_path("total", column)
        total = n.get(total_path)
        parts = [
            (funds_path(line, column), n.get(funds_path(line, column))) for line in FUNDS_LINES
        ]
        present = [(path, value) for path, value in parts[1:] if value is not None]
        label = funds_label("total", column)
        if total is None:
            if column in needed:
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
                    f"{label} is not the sum of "
                    + " + ".join(LINE_LABELS[path.split(".")[1]] for path, _ in present)
                    + f" (tolerance ±{fmt(tolerance)}).",
                    f"{terms} = {fmt(parts_sum)} ≠ {fmt(total)} ({label})",
                )
            )
    return findings


def check_r2_execution_rate(project: Project, printed: Printed = None) -> list[Finding]:
    """R2: each printed 执行率 is 全年执行数 / 全年预算数 (or the 年初预算数 standing for it) x 100,
    rounded or truncated."""
    n = Numbers(project, printed)
    findings: list[Finding] = []
    budget = _rate_budget(n)
    b_label = COLUMN_LABELS[budget]
    for line in FUNDS_LINES:
        b_path = funds_path(line, budget)
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
                        f"{LINE_LABELS[line]} has a {b_label} of 0, so its 执行率 must be "
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
                        f"{label} is '-' (null) although {b_label} is {fmt(b)}.",
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
                    f"{label} is not 全年执行数 / {b_label} × 100, rounded or truncated.",
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
