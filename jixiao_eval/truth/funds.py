"""The 项目资金 block of a derived project, computed in Decimal the way real reports do."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from jixiao_eval.truth.specs import Band, Rounding

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
LINES = ("total", "appropriation", "carryover", "other")
PARTS = LINES[1:]

# Range of the execution rate (in per mille) drawn for each grade band.
_RATE_RANGE: dict[str, tuple[int, int]] = {
    "A": (880, 1000),
    "B": (700, 1000),
    "C": (500, 980),
    "D": (200, 900),
}


def cents(value: Decimal) -> Decimal:
    """Round half-up to 2 decimals, as printed."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def execution_rate(executed: Decimal, budget: Decimal, rounding: Rounding) -> Decimal:
    """执行率 = executed / budget x 100 at 2 decimals, truncated or rounded; 0.00 if budget is 0."""
    if budget == 0:
        return Decimal("0.00")
    mode = ROUND_DOWN if rounding == "truncate" else ROUND_HALF_UP
    return (executed * HUNDRED / budget).quantize(CENT, rounding=mode)


def funds_score(weight: Decimal, rate: Decimal) -> Decimal:
    """Funds 得分 = round_half_up(分数 x min(执行率, 100) / 100, 2)."""
    return cents(weight * min(rate, HUNDRED) / HUNDRED)


def rates_split(executed: Decimal, budget: Decimal) -> bool:
    """True when truncating and rounding the rate give different 2-decimal values."""
    if budget == 0:
        return False
    return execution_rate(executed, budget, "truncate") != execution_rate(
        executed, budget, "round_half_up"
    )


@dataclass
class Line:
    """One row of the funds block, in the document's unit; None prints as '-'."""

    initial_budget: Decimal
    annual_budget: Decimal
    executed: Decimal
    execution_rate: Decimal | None = None
    weight: Decimal | None = None
    score: Decimal | None = None

    def as_dict(self) -> dict[str, float | None]:
        """The row as FundsLine fields, floats at 2 decimals."""
        return {
            name: None if value is None else float(cents(value))
            for name, value in (
                ("initial_budget", self.initial_budget),
                ("annual_budget", self.annual_budget),
                ("executed", self.executed),
                ("weight", self.weight),
                ("execution_rate", self.execution_rate),
                ("score", self.score),
            )
        }


@dataclass(frozen=True)
class FundsPlan:
    """What to draw for one project's funds."""

    band: Band
    weight: Decimal
    yuan: bool
    rounding: Rounding
    dash_rates: bool
    zero_budget: bool = False
    over_exec: bool = False
    carry: bool = False
    other: bool = False
    force_split: bool = False  # make truncation and rounding differ on the total line
    force_initial: bool = False  # non-zero 年初预算数


def _draw_budget(rng: random.Random) -> Decimal:
    """A 全年预算数 in 万元: round thousands of 元 half the time, like real budgets."""
    magnitude = rng.choice((30, 100, 200, 500, 1000))
    value = Decimal(rng.randint(1000, magnitude * 100)) / HUNDRED
    if rng.random() < 0.5:
        value = value.quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return cents(value)


def _draw_rate(rng: random.Random, plan: FundsPlan) -> Decimal:
    if plan.over_exec:
        return Decimal(rng.randint(1010, 1080)) / 1000
    low, high = _RATE_RANGE[plan.band]
    if plan.band == "A" and rng.random() < 0.25:
        return Decimal(1)
    return Decimal(rng.randint(low, high)) / 1000


def _parts(rng: random.Random, plan: FundsPlan) -> dict[str, list[Decimal]]:
    """Initial budget, annual budget and executed of each part, in 万元 or 元."""
    scale = Decimal(10000) if plan.yuan else Decimal(1)
    if plan.zero_budget:
        return {line: [Decimal(0), Decimal(0), Decimal(0)] for line in PARTS}
    total = _draw_budget(rng)
    carry = cents(total * Decimal(rng.randint(5, 40)) / HUNDRED) if plan.carry else Decimal(0)
    other = cents(total * Decimal(rng.randint(3, 25)) / HUNDRED) if plan.other else Decimal(0)
    budgets = {"appropriation": total - carry - other, "carryover": carry, "other": other}
    has_initial = rng.random() < 0.65 or plan.force_initial
    rate = _draw_rate(rng, plan)
    out: dict[str, list[Decimal]] = {}
    for line in PARTS:
        budget = cents(budgets[line] * scale)
        initial = Decimal(0)
        if has_initial and budget > 0:
            if line == "appropriation":
                factor = Decimal(rng.choice((100, 100, 80, 90, 110, 120))) / HUNDRED
                initial = cents(budget * factor)
            elif rng.random() < 0.5:
                initial = budget
        part_rate = rate
        if line != "appropriation" and budget > 0:
            # Carry-over and other money are often spent in full.
            part_rate = Decimal(1) if rng.random() < 0.6 else min(rate, Decimal(1))
        elif not plan.over_exec and rate < 1 and rng.random() < 0.5:
            part_rate = min(Decimal(1), rate + Decimal(rng.randint(-20, 20)) / 1000)
        out[line] = [initial, budget, cents(budget * part_rate)]
    return out


def _force_split(parts: dict[str, list[Decimal]], over_exec: bool) -> None:
    """Nudge the appropriation so the total rate truncates and rounds differently."""
    app = parts["appropriation"]
    for budget_step in range(0, 40):
        budget = sum(p[1] for p in parts.values()) + CENT * budget_step
        executed = sum(p[2] for p in parts.values())
        for k in sorted(range(-60, 61), key=lambda x: (abs(x), x)):
            candidate = executed + CENT * k
            if rates_split(candidate, budget) and (over_exec or candidate <= budget):
                app[1] += CENT * budget_step
                app[2] += CENT * k
                return
    raise ValueError("could not make the execution rate split")  # pragma: no cover


def make_funds(rng: random.Random, plan: FundsPlan) -> dict[str, Line]:
    """Draw a consistent funds block: total = sum of parts, rates and score from the amounts."""
    parts = _parts(rng, plan)
    if plan.force_split and not plan.zero_budget:
        _force_split(parts, plan.over_exec)
    lines: dict[str, Line] = {}
    for line in PARTS:
        initial, budget, executed = parts[line]
        rate: Decimal | None = execution_rate(executed, budget, plan.rounding)
        if budget == 0 and plan.dash_rates:
            rate = None
        lines[line] = Line(initial, budget, executed, rate)
    total = Line(
        sum((lines[p].initial_budget for p in PARTS), Decimal(0)),
        sum((lines[p].annual_budget for p in PARTS), Decimal(0)),
        sum((lines[p].executed for p in PARTS), Decimal(0)),
    )
    total.execution_rate = execution_rate(total.executed, total.annual_budget, plan.rounding)
    total.weight = plan.weight
    total.score = funds_score(plan.weight, total.execution_rate)
    return {"total": total, **lines}
