"""Indicator rows of a derived project: which seed rows, their weights, scores and cells."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from jixiao_eval.truth.funds import CENT, HUNDRED, cents
from jixiao_eval.truth.specs import (
    COST_REASONS,
    CUT_REASON,
    OVER_REASON,
    REASONS,
    SEED_COST_REASONS,
)
from schemas.report import Indicator

_QTY = re.compile(r"(?P<op>[≥≤=><]?)(?P<num>\d+(?:\.\d+)?)\((?P<unit>[^()]*)\)")
ACHIEVED, PARTLY, MISSED = "达成指标", "部分达成指标", "未达成指标"


@dataclass(frozen=True)
class Qty:
    """A quantitative cell: operator ('' for an actual), value, unit and printed decimals."""

    op: str
    value: Decimal
    unit: str
    places: int

    def text(self, value: Decimal | None = None) -> str:
        """The cell as printed, e.g. '≥95.00(%)'."""
        v = self.value if value is None else value
        step = Decimal(1).scaleb(-self.places)
        return f"{self.op}{v.quantize(step, rounding=ROUND_FLOOR)}({self.unit})"

    def meets(self, actual: Decimal) -> bool:
        """Whether actual satisfies this target."""
        v = self.value
        return {"≥": actual >= v, "≤": actual <= v, ">": actual > v, "<": actual < v}.get(
            self.op, actual == v
        )


def parse_qty(text: str) -> Qty | None:
    """'≥95.00(%)' -> Qty; None for qualitative text."""
    m = _QTY.fullmatch(text)
    if m is None:
        return None
    num = m.group("num")
    places = len(num.split(".")[1]) if "." in num else 0
    return Qty(m.group("op"), Decimal(num), m.group("unit"), places)


@dataclass
class Row:
    """An indicator row being derived, with what the seed said about it."""

    level1: str
    level2: str
    name: str
    target: str
    actual: str
    weight: Decimal
    score: Decimal
    reason: str
    seed_full: bool
    seed_reason: str

    @property
    def budget_linked(self) -> bool:
        """A cost row whose 实际完成值 is the execution rate (e.g. 在预算金额内完成 =100.00(%))."""
        target = parse_qty(self.target)
        return self.level2 == "经济成本指标" and target is not None and target.unit == "%"

    def indicator(self) -> Indicator:
        """The finished row as a schema Indicator."""
        return Indicator(
            level1=self.level1,
            level2=self.level2,
            name=self.name,
            target=self.target,
            actual=self.actual,
            weight=float(cents(self.weight)),
            score=float(cents(self.score)),
            deviation_reason=self.reason,
        )


def seed_rows(indicators: list[Indicator], f: Callable[[str], str]) -> list[Row]:
    """Rows of a seed project, every text passed through f (the year shifter)."""
    return [
        Row(
            i.level1,
            i.level2,
            f(i.name),
            f(i.target),
            f(i.actual),
            Decimal(repr(i.weight)),
            Decimal(repr(i.weight)),
            "",
            i.score == i.weight,
            f(i.deviation_reason),
        )
        for i in indicators
    ]


def select_rows(rng: random.Random, rows: list[Row], drop: bool) -> list[Row]:
    """Shuffle rows within their (一级, 二级) run, maybe drop a few; runs stay consecutive."""
    runs: list[list[Row]] = []
    for row in rows:
        if runs and (runs[-1][0].level1, runs[-1][0].level2) == (row.level1, row.level2):
            runs[-1].append(row)
        else:
            runs.append([row])
    out: list[Row] = []
    for run in runs:
        run = list(run)
        if len(run) > 1 and rng.random() < 0.4:
            rng.shuffle(run)
        out.extend(run)
    if drop and len(out) >= 7:
        dropped = set(rng.sample(range(len(out)), rng.randint(1, min(4, len(out) - 6))))
        out = [row for i, row in enumerate(out) if i not in dropped]
    return [replace(row) for row in out]


def rebalance(rng: random.Random, rows: list[Row], total: Decimal) -> None:
    """Integer 分值 summing to total, scaled from the seed's; zero-weight (cut) rows stay zero."""
    live = [row for row in rows if row.weight > 0]
    current = sum((row.weight for row in live), Decimal(0))
    # Seed weights are multiples of 5; keep them so when the new total allows it.
    grain = Decimal(5) if total % 5 == 0 and all(r.weight % 5 == 0 for r in live) else Decimal(1)
    for row in live:
        scaled = (row.weight * total / current / grain).to_integral_value(ROUND_HALF_UP) * grain
        row.weight = max(grain, scaled)
    diff = total - sum((row.weight for row in live), Decimal(0))
    while diff != 0:
        if diff > 0:
            row = min(live, key=lambda r: (r.weight, rng.random()))
            row.weight += grain
            diff -= grain
        else:
            row = max(live, key=lambda r: (r.weight, rng.random()))
            row.weight -= grain
            diff += grain
    for row in rows:
        row.score = row.weight


def vary_full(rng: random.Random, row: Row) -> None:
    """A row with full marks: keep its cells, sometimes move a '≥' target or its actual."""
    row.reason = row.seed_reason if row.seed_full else ""
    target, actual = parse_qty(row.target), parse_qty(row.actual)
    if target is None or actual is None:
        return
    if not target.meets(actual.value):
        # The seed row missed its target (e.g. =2.00(个), 0.00(个)); with full marks it meets it.
        row.actual = actual.text(target.value)
    if target.op != "≥":
        return
    if rng.random() < 0.15 and target.value >= 2:
        lower = target.value - 5 if target.unit == "%" else (target.value * 4 / 5)
        target = replace(target, value=lower.to_integral_value(rounding=ROUND_FLOOR))
        row.target = target.text()
    if rng.random() < 0.3:
        top = min(HUNDRED, target.value * 6 / 5) if target.unit == "%" else target.value * 6 / 5
        span = int((top - target.value) * 100) if target.unit == "%" else int(top - target.value)
        if span > 0:
            bump = Decimal(rng.randint(0, span))
            value = target.value + (bump / 100 if target.unit == "%" else bump)
            row.actual = actual.text(value)


def _count_like(q: Qty) -> bool:
    return q.unit != "%" and q.value == q.value.to_integral_value() and q.value >= 1


def missed_actual(target: Qty, actual_places: int, fraction: Decimal) -> str:
    """An 实际完成值 that misses target, further off the bigger the lost fraction of 分值."""
    unit_step = Decimal(1).scaleb(-actual_places)
    out = replace(target, op="", places=actual_places)
    if target.op in ("≤", "<"):
        value = target.value * (1 + fraction)
        value = value.quantize(Decimal(1) if _count_like(target) else unit_step, ROUND_CEILING)
        if value <= target.value:
            value = target.value + unit_step
    else:
        value = target.value * (1 - fraction)
        value = value.quantize(Decimal(1) if _count_like(target) else unit_step, ROUND_FLOOR)
        if value >= target.value:
            value = target.value - unit_step
    return out.text(max(value, Decimal(0)))


def miss(rng: random.Random, row: Row, loss: Decimal, year: int, silent: bool) -> None:
    """A row that lost `loss` points: lower score, an actual that misses, and a reason."""
    row.score = row.weight - loss
    target, actual = parse_qty(row.target), parse_qty(row.actual)
    if target is not None and actual is not None and target.value > 0:
        row.actual = missed_actual(target, actual.places, loss / row.weight)
    elif not silent:
        row.actual = PARTLY if row.score > 0 else MISSED
    if silent:
        row.reason = ""  # real reports leave some of these blank (R9 warnings)
    elif row.seed_reason and not row.seed_full:
        row.reason = row.seed_reason  # the seed's own explanation of this row's shortfall
    else:
        row.reason = rng.choice(REASONS).format(y=year, n=year + 1)


def budget_row(rng: random.Random, row: Row, rate: Decimal, zero_budget: bool) -> None:
    """A cost row whose actual is the execution rate; partial score when it misses the target."""
    target = parse_qty(row.target)
    assert target is not None
    row.actual = f"{rate}(%)"
    if target.meets(rate) and not zero_budget:
        row.score, row.reason = row.weight, ""
        return
    off = abs(rate - target.value) / target.value if target.value else Decimal(1)
    row.score = cents(row.weight * max(Decimal(0), 1 - off))
    if row.score >= row.weight:
        row.score = row.weight - CENT
    if zero_budget:
        row.reason = CUT_REASON
    elif rate > HUNDRED:
        row.reason = OVER_REASON
    else:
        row.reason = (
            row.seed_reason if row.seed_reason in SEED_COST_REASONS else rng.choice(COST_REASONS)
        )


def allocate(rng: random.Random, rows: list[Row], loss: Decimal) -> dict[int, Decimal]:
    """Spread `loss` points over rows (index -> points lost); each row loses at most its 分值."""
    taken: dict[int, Decimal] = {}
    order = list(range(len(rows)))
    rng.shuffle(order)
    remaining = loss
    for _ in range(100):
        for i in order:
            if remaining <= 0:
                return taken
            room = rows[i].weight - taken.get(i, Decimal(0))
            if room <= 0:
                continue
            if rng.random() < 0.2:
                chunk = room
            else:
                chunk = cents(rows[i].weight * Decimal(rng.choice((10, 20, 30, 40, 50))) / 100)
            chunk = min(chunk, room, remaining)
            taken[i] = taken.get(i, Decimal(0)) + chunk
            remaining -= chunk
    if remaining > 0:
        raise ValueError(f"cannot spread a loss of {loss}")  # pragma: no cover
    return taken
