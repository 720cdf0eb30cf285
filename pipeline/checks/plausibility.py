"""Warning rules R8-R10: plausibility, not arithmetic (target parsing is in targets.py).

R8  warning  a quantitative indicator met its target but scored below its weight, or missed it
             and got full marks. Skipped for qualitative cells, differing units, null or zero
             weights, null scores. '=' targets need exact equality.
R9  warning  score < weight with a blank 偏差原因分析及改进措施. Null score or weight: skipped.
R10 warning  first-level weight split far from the usual 产出 50 / 效益 30 / 满意度 10 / funds 10:
             产出+成本 outside [30, 70], 效益 outside [10, 50], 满意度 outside [5, 20], funds 分数
             outside [5, 20] (bounds inclusive), and any 一级指标 that is none of the four.
             An empty group names every row's level1 field (those labels left it empty).
"""

from __future__ import annotations

from decimal import Decimal

from pipeline.checks.targets import meets, parse_actual, parse_quantity
from pipeline.checks.values import Numbers, Printed, warning
from pipeline.numbers import fmt
from schemas.output import Finding
from schemas.paths import funds_label, funds_path
from schemas.report import Indicator, Project


def _name(indicator: Indicator) -> str:
    name = indicator.name if len(indicator.name) <= 30 else indicator.name[:29] + "…"
    return f"'{name}'"


def check_r8_target_vs_score(project: Project, printed: Printed = None) -> list[Finding]:
    """R8: a quantitative indicator's score agrees with whether it met its target."""
    n = Numbers(project, printed)
    findings: list[Finding] = []
    for i, indicator in enumerate(project.indicators):
        prefix = f"indicators[{i}]"
        weight, score = n.get(f"{prefix}.weight"), n.get(f"{prefix}.score")
        target, actual = parse_quantity(indicator.target), parse_actual(indicator.actual)
        if weight is None or score is None or weight <= 0 or target is None or actual is None:
            continue
        met = meets(actual, target)
        full = score >= weight
        if met is None or met == full:
            continue
        fields = [f"{prefix}.{f}" for f in ("target", "actual", "score", "weight")]
        comparison = f"{actual.show()} {target.op} {target.show()}"
        if met:
            message = f"{prefix} {_name(indicator)} met its target but scored below its 分值."
            equation = f"{comparison} holds, but 得分 {fmt(score)} < 分值 {fmt(weight)}"
        else:
            message = f"{prefix} {_name(indicator)} missed its target but got full marks."
            equation = f"{comparison} fails, but 得分 {fmt(score)} = 分值 {fmt(weight)}"
        findings.append(warning("R8", fields, message, equation))
    return findings


def check_r9_deviation_reason(project: Project, printed: Printed = None) -> list[Finding]:
    """R9: an indicator that lost points explains why in 偏差原因分析及改进措施."""
    n = Numbers(project, printed)
    findings: list[Finding] = []
    for i, indicator in enumerate(project.indicators):
        prefix = f"indicators[{i}]"
        weight, score = n.get(f"{prefix}.weight"), n.get(f"{prefix}.score")
        if weight is None or score is None or score >= weight or indicator.deviation_reason.strip():
            continue
        findings.append(
            warning(
                "R9",
                [f"{prefix}.score", f"{prefix}.weight", f"{prefix}.deviation_reason"],
                f"{prefix} {_name(indicator)} lost points but 偏差原因分析及改进措施 is blank.",
                f"得分 {fmt(score)} < 分值 {fmt(weight)}",
            )
        )
    return findings


# Group -> (labels whose 一级指标 contains any of these, inclusive bounds on the group's weight).
_GROUPS: dict[str, tuple[tuple[str, ...], Decimal, Decimal]] = {
    "产出+成本": (("产出", "成本"), Decimal(30), Decimal(70)),
    "效益": (("效益",), Decimal(10), Decimal(50)),
    "满意度": (("满意",), Decimal(5), Decimal(20)),
}
_FUNDS_BOUNDS = (Decimal(5), Decimal(20))


def _group_of(level1: str) -> str | None:
    for group, (keys, _, _) in _GROUPS.items():
        if any(key in level1 for key in keys):
            return group
    return None


def check_r10_weight_split(project: Project, printed: Printed = None) -> list[Finding]:
    """R10: first-level weights stay near 产出 50 / 效益 30 / 满意度 10 / funds 10."""
    if not project.indicators:
        return []  # R4 already reports a table without indicators
    n = Numbers(project, printed)
    findings: list[Finding] = []
    sums = {group: Decimal("0.00") for group in _GROUPS}
    members: dict[str, list[str]] = {group: [] for group in _GROUPS}
    for i, indicator in enumerate(project.indicators):
        group = _group_of(indicator.level1)
        if group is None:
            findings.append(
                warning(
                    "R10",
                    [f"indicators[{i}].level1"],
                    f"一级指标 '{indicator.level1}' is none of 产出/成本/效益/满意度指标.",
                )
            )
            continue
        members[group].append(f"indicators[{i}].weight")
        sums[group] += n.get(f"indicators[{i}].weight") or Decimal(0)
    for group, (_, low, high) in _GROUPS.items():
        if low <= sums[group] <= high:
            continue
        fields = members[group] or [
            f"indicators[{i}].level1" for i in range(len(project.indicators))
        ]
        findings.append(
            warning(
                "R10",
                fields,
                f"The {group} indicators carry {fmt(sums[group])} points, outside the usual "
                f"{fmt(low)}–{fmt(high)}.",
                f"Σ 分值({group}) = {fmt(sums[group])} ∉ [{fmt(low)}, {fmt(high)}]",
            )
        )
    funds_weight = n.get(funds_path("total", "weight"))
    low, high = _FUNDS_BOUNDS
    if funds_weight is not None and not low <= funds_weight <= high:
        findings.append(
            warning(
                "R10",
                [funds_path("total", "weight")],
                f"The funds row carries {fmt(funds_weight)} points, outside the usual "
                f"{fmt(low)}–{fmt(high)}.",
                f"{fmt(funds_weight)} ∉ [{fmt(low)}, {fmt(high)}] "
                f"({funds_label('total', 'weight')})",
            )
        )
    return findings
