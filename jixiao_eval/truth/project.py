"""One derived project: a seed project's rows and text with new funds, scores and grade."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import cast

from jixiao_eval.truth.funds import CENT, HUNDRED, FundsPlan, Line, make_funds
from jixiao_eval.truth.inconsistent import BAD_KINDS, inject
from jixiao_eval.truth.indicators import (
    Row,
    allocate,
    budget_row,
    miss,
    rebalance,
    seed_rows,
    select_rows,
    vary_full,
)
from jixiao_eval.truth.specs import Band, Department, DocSpec, Labels
from jixiao_eval.truth.text import project_name, year_shifter
from schemas.report import FundsBlock, FundsLine, Project, TruthProject

# (low inclusive, high inclusive) of 总分 for each band, at 2 decimals.
_BAND_TOTAL: dict[str, tuple[Decimal, Decimal]] = {
    "A": (Decimal(90), HUNDRED),
    "B": (Decimal(80), Decimal("89.99")),
    "C": (Decimal(60), Decimal("79.99")),
    "D": (Decimal(25), Decimal("59.99")),
}
_EXACT = {"t90": Decimal(90), "t80": Decimal(80), "t60": Decimal(60)}
# At most this share of the adjustable 分值 is lost: a project never scores 0 everywhere.
_MAX_LOSS_SHARE = Decimal("0.85")


def grade_of(total: Decimal, labels: Labels) -> str:
    """评分等级 for a 总分 under the document's label set."""
    if total >= 90:
        return "优"
    if labels == "优合格不合格":
        return "合格" if total >= 60 else "不合格"
    if total >= 80:
        return "良"
    return "中" if total >= 60 else "差"


@dataclass(frozen=True)
class Derived:
    """A finished project and what the document notes and index need to know about it."""

    project: TruthProject
    kind: str  # inconsistency kind, '' when consistent
    silent_rows: tuple[int, ...]  # rows that lost points with a blank 偏差原因


def _draw_loss(
    rng: random.Random, band: Band, edges: tuple[str, ...], top: Decimal, capacity: Decimal
) -> Decimal | None:
    """Points the indicators lose so the total lands in the band; None if it cannot."""
    most = capacity * _MAX_LOSS_SHARE
    exact = [_EXACT[e] for e in edges if e in _EXACT]
    if exact:
        loss = top - exact[0]
        return loss if 0 <= loss <= most else None
    low, high = _BAND_TOTAL[band]
    loss_lo, loss_hi = max(Decimal(0), top - high), min(top - low, most)
    if loss_lo > loss_hi:
        return None
    if band == "A" and loss_lo == 0 and rng.random() < 0.45:
        return Decimal(0)
    halves = (
        int((loss_lo * 2).to_integral_value(ROUND_CEILING)),
        int((loss_hi * 2).to_integral_value(ROUND_FLOOR)),
    )
    if rng.random() < 0.5 and halves[0] <= halves[1]:
        return Decimal(rng.randint(*halves)) / 2
    return Decimal(rng.randint(int(loss_lo * 100), int(loss_hi * 100))) / 100


def _score_rows(
    rng: random.Random, rows: list[Row], plan: FundsPlan, edges: tuple[str, ...], year: int
) -> tuple[dict[str, Line], list[Row], tuple[int, ...]] | None:
    """Draw funds, score every row; None when this draw cannot reach the band."""
    funds = make_funds(rng, plan)
    rate = funds["total"].execution_rate
    fs = funds["total"].score
    assert rate is not None and fs is not None
    work = [replace(row) for row in rows]
    for row in work:
        if row.budget_linked:
            budget_row(rng, row, rate, plan.zero_budget)
        else:
            vary_full(rng, row)
    adjustable = [row for row in work if not row.budget_linked and row.weight > 0]
    capacity = sum((row.weight for row in adjustable), Decimal(0))
    top = fs + sum((row.score for row in work), Decimal(0))
    loss = _draw_loss(rng, plan.band, edges, top, capacity)
    if loss is None:
        return None
    silent: list[int] = []
    for i, lost in sorted(allocate(rng, adjustable, loss).items()):
        quiet = rng.random() < 0.05
        miss(rng, adjustable[i], lost, year, quiet)
        if quiet:
            silent.append(work.index(adjustable[i]))
    return funds, work, tuple(sorted(silent))


def _line(line: Line) -> FundsLine:
    return FundsLine.model_validate(line.as_dict())


def derive_project(
    rng: random.Random,
    spec: DocSpec,
    dept: Department,
    index: int,
    template: int,
    seed: Project,
    used_names: set[str],
    force_split: bool,
) -> Derived:
    """Derive project `index` of a document from seed project `template`."""
    edges = spec.edges.get(index, ())
    band = cast(Band, spec.bands[index])
    weight = Decimal(5) if "w5" in edges else Decimal(20) if "w20" in edges else Decimal(10)
    shift = year_shifter(spec.year)
    rows = select_rows(rng, seed_rows(seed.indicators, shift), drop=rng.random() < 0.4)
    rebalance(rng, rows, HUNDRED - weight)
    kind = next((e for e in edges if e in BAD_KINDS), "")
    plan = FundsPlan(
        band=band,
        weight=weight,
        yuan=spec.unit == "元",
        rounding=spec.rounding,
        dash_rates=spec.dash_rates,
        zero_budget="zero_budget" in edges,
        over_exec="over_exec" in edges,
        carry="carry" in edges or rng.random() < 0.15,
        other="other" in edges or rng.random() < 0.1,
        force_split=force_split,
        force_initial=kind == "bad_sum_initial",
    )
    for _ in range(200):
        drawn = _score_rows(rng, rows, plan, edges, spec.year)
        if drawn is not None:
            break
    else:  # pragma: no cover - the specs are chosen so this never happens
        raise ValueError(f"{spec.dept} {spec.year} project {index}: band {band} unreachable")
    funds, work, silent = drawn
    fs = funds["total"].score
    assert fs is not None
    total = fs + sum((row.score for row in work), Decimal(0))
    grade = grade_of(total, spec.labels)
    subordinate = dept.units[index % len(dept.units)] if dept.units else dept.name
    implementing = subordinate if spec.mixed_units and rng.random() < 0.45 else dept.name
    notes = [
        f"Derived from seed P{template + 1} ({seed.name}): {len(work)} of "
        f"{len(seed.indicators)} indicator rows, funds 分数 {weight}, indicator 分值 "
        f"rebalanced to {HUNDRED - weight}; amounts, rates and scores are new."
    ]
    if not seed.goal_expected:
        notes.append("年度总体目标 cells are blank: the seed's P4 goal text is missing.")
    if plan.zero_budget:
        notes.append("Edge: 全年预算数 0.00 on every line (project cut), 执行率 0.00, 得分 0.00.")
    if plan.over_exec:
        notes.append("Edge: 全年执行数 > 全年预算数, 执行率 > 100, funds 得分 capped at 分数.")
    printed_total, printed_grade = total, grade
    if kind:
        scale = Decimal(10000) if plan.yuan else Decimal(1)
        printed_total, printed_grade, note = inject(rng, kind, funds, total, grade, scale)
        notes.append(note)
    project = TruthProject(
        name=project_name(
            rng, shift(seed.name), template, spec.year, dept, "long_name" in edges, used_names
        ),
        department=dept.name,
        implementing_unit=implementing,
        amount_unit=spec.unit,
        funds=FundsBlock(**{name: _line(line) for name, line in funds.items()}),
        goal_expected=shift(seed.goal_expected),
        goal_actual=shift(seed.goal_actual),
        indicators=[row.indicator() for row in work],
        total_weight=float(HUNDRED),
        total_score=float(printed_total.quantize(CENT)),
        grade=printed_grade,
        source_inconsistent=bool(kind),
        truth_notes=notes,
    )
    return Derived(project, kind, silent)
