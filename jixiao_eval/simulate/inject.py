"""SIMULATED LLM answers: the truth with one realistic reading error injected, seeded.

For measuring the LLM gate (pipeline.reconcile) without a model: each error type is a function
that takes a true project and returns the wrong answer an LLM could give, with a record of
every field it changed (path, true value, injected value) and the checker rules the wrong
answer breaks that the truth does not. Nothing here is a model; evaluation use only.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pipeline.checks import check_project
from schemas import Finding, Indicator, Project, Severity
from schemas.paths import Value, field_values, is_numeric, project_from_values

# A value as recorded: a leaf field's value, or the list of indicator names for row errors.
Recorded = str | float | list[str] | None

ROWS = "indicators"  # the path recorded for errors that add or remove indicator rows

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_FUNDS_AMOUNTS = ("initial_budget", "annual_budget", "executed", "execution_rate")
_NARRATIVES = re.compile(r"^(goal_expected|goal_actual|indicators\[\d+\]\.deviation_reason)$")
_TEXT_NUMBERS = re.compile(r"^indicators\[\d+\]\.(target|actual)$")
_CENT = Decimal("0.01")

# Plausible indicator names a model might invent (none is in the eval set's truths).
_INVENTED = (
    "培训人次覆盖率",
    "资金拨付及时率",
    "项目验收合格率",
    "群众知晓率",
    "宣传活动场次",
    "档案资料完整率",
    "服务对象投诉率",
    "信息化平台运行率",
)


@dataclass(frozen=True)
class Change:
    """One field the injected answer gets wrong."""

    path: str
    truth: Recorded
    injected: Recorded


@dataclass(frozen=True)
class Injection:
    """One injected error: its type, the fields it changed, the rules it breaks, in words."""

    type: str
    changes: tuple[Change, ...]
    breaks: tuple[str, ...]  # checker error rules the answer breaks and the truth does not
    detail: str

    @property
    def path(self) -> str:
        """The (first) field path the error is on."""
        return self.changes[0].path


@dataclass
class SimulatedAnswer:
    """What the simulated LLM answers for one project, and what was injected into it."""

    project: Project
    injections: list[Injection] = field(default_factory=list)


Injector = Callable[[Project, random.Random], tuple[Project, list[Change], str] | None]


# -- helpers --------------------------------------------------------------------------------
def _plain(project: Project) -> Project:
    """A Project without the truth-only fields (TruthProject is a subclass)."""
    return Project.model_validate(project.model_dump(include=set(Project.model_fields)))


def _text2(value: float) -> str:
    return format(Decimal(repr(float(value))).quantize(_CENT, rounding=ROUND_HALF_UP), "f")


def _with(project: Project, changes: Mapping[str, Value]) -> Project:
    values = field_values(project)
    values.update(changes)
    return project_from_values(values)


def _rule_errors(project: Project) -> set[tuple[str, str]]:
    return {
        (f.rule, f.equation or f.message)
        for f in check_project(project)
        if f.severity is Severity.error
    }


def broken_rules(truth: Project, answer: Project) -> tuple[str, ...]:
    """Checker error rules the answer breaks that the truth does not (by rule and equation)."""
    new = _rule_errors(answer) - _rule_errors(truth)
    return tuple(sorted({rule for rule, _ in new}))


def _numeric_paths(project: Project) -> list[str]:
    """Numeric fields with a value (nulls print '-': nothing to misread)."""
    return [p for p, v in field_values(project).items() if is_numeric(p) and v is not None]


def _transpose(text: str, rng: random.Random) -> str | None:
    """Swap two adjacent, different digits of the text (never across the decimal point)."""
    spots = [
        i for i in range(len(text) - 1) if text[i : i + 2].isdigit() and text[i] != text[i + 1]
    ]
    if not spots:
        return None
    i = rng.choice(spots)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _shift(text: str, rng: random.Random) -> str | None:
    """Move the decimal point of a number one place left or right ('184.25' -> '1842.5')."""
    whole, _, frac = text.partition(".")
    if not whole.strip("0") and not frac.strip("0"):
        return None  # zero stays zero
    if rng.random() < 0.5 and frac:
        out = f"{whole}{frac[0]}.{frac[1:]}" if frac[1:] else f"{whole}{frac[0]}"
    else:
        out = f"{whole[:-1] or '0'}.{whole[-1]}{frac}"
    out = out.lstrip("0") or "0"
    return "0" + out if out.startswith(".") else out


def _in_text(
    text: str, edit: Callable[[str, random.Random], str | None], rng: random.Random
) -> str | None:
    """Apply a number edit to one of the numbers inside a text cell ('≥95.00(%)')."""
    spans = list(_DIGITS.finditer(text))
    rng.shuffle(spans)
    for m in spans:
        new = edit(m.group(0), rng)
        if new is not None and new != m.group(0):
            return text[: m.start()] + new + text[m.end() :]
    return None


def _number_error(
    project: Project, rng: random.Random, edit: Callable[[str, random.Random], str | None]
) -> tuple[Project, list[Change], str] | None:
    values = field_values(project)
    paths = _numeric_paths(project) + [
        p for p, v in values.items() if _TEXT_NUMBERS.match(p) and isinstance(v, str) and v
    ]
    rng.shuffle(paths)
    for path in paths:
        value = values[path]
        if isinstance(value, str):
            new_text = _in_text(value, edit, rng)
            if new_text is None:
                continue
            return _with(project, {path: new_text}), [Change(path, value, new_text)], new_text
        assert isinstance(value, float | int)
        edited = edit(_text2(value), rng)
        if edited is None or Decimal(edited) == Decimal(_text2(value)):
            continue
        new = float(edited)
        return _with(project, {path: new}), [Change(path, value, new)], edited
    return None


def _names(project: Project) -> list[str]:
    return [ind.name for ind in project.indicators]


def _rows(project: Project, rows: list[Indicator]) -> Project:
    return project.model_copy(update={"indicators": rows})


# -- the error types ------------------------------------------------------------------------
def digit_transposition(
    project: Project, rng: random.Random
) -> tuple[Project, list[Change], str] | None:
    """Two adjacent digits swapped in one number (an amount, a weight, a score, a target)."""
    return _number_error(project, rng, _transpose)


def decimal_shift(project: Project, rng: random.Random) -> tuple[Project, list[Change], str] | None:
    """A decimal point moved one place (x10 or /10) in one number."""
    return _number_error(project, rng, _shift)


def dropped_row(project: Project, rng: random.Random) -> tuple[Project, list[Change], str] | None:
    """One indicator row left out."""
    if len(project.indicators) < 2:
        return None
    i = rng.randrange(len(project.indicators))
    rows = [r for j, r in enumerate(project.indicators) if j != i]
    out = _rows(project, rows)
    return out, [Change(ROWS, _names(project), _names(out))], f"row {i} dropped"


def duplicated_row(
    project: Project, rng: random.Random
) -> tuple[Project, list[Change], str] | None:
    """One indicator row given twice (a row read again after a page break)."""
    if not project.indicators:
        return None
    i = rng.randrange(len(project.indicators))
    rows = list(project.indicators)
    rows.insert(i + 1, rows[i].model_copy())
    out = _rows(project, rows)
    return out, [Change(ROWS, _names(project), _names(out))], f"row {i} duplicated"


def columns_swapped(
    project: Project, rng: random.Random
) -> tuple[Project, list[Change], str] | None:
    """The 分值 (weight) and 得分 (score) columns swapped on one row (or on the funds total)."""
    values = field_values(project)
    rows = [f"indicators[{i}]" for i in range(len(project.indicators))] + ["funds.total"]
    rng.shuffle(rows)
    for row in rows:
        w, s = values[f"{row}.weight"], values[f"{row}.score"]
        if w is None or s is None or _text2(float(w)) == _text2(float(s)):
            continue
        changes = [Change(f"{row}.weight", w, s), Change(f"{row}.score", s, w)]
        out = _with(project, {f"{row}.weight": s, f"{row}.score": w})
        return out, changes, f"{row}: weight {s}, score {w}"
    return None


def _sum(values: Mapping[str, Value], paths: list[str]) -> float:
    return float(
        sum(Decimal(repr(float(v))) for p in paths if isinstance(v := values[p], int | float))
    )


def _grade(score: float) -> str:
    return "优" if score >= 90 else "良" if score >= 80 else "中" if score >= 60 else "差"


def total_fixed(project: Project, rng: random.Random) -> tuple[Project, list[Change], str] | None:
    """In a document that breaks a rule, the derived value "fixed" to fit (total = sum, ...)."""
    errors = [f for f in check_project(project) if f.severity is Severity.error]
    rng.shuffle(errors)
    values = field_values(project)
    for f in errors:
        target, new = _fixed_value(f, values)
        if target is None or new is None:
            continue
        old = values[target]
        if old == new or (
            is_numeric(target) and old is not None and _text2(float(old)) == _text2(float(new))
        ):
            continue
        return _with(project, {target: new}), [Change(target, old, new)], f"{f.rule} fixed"
    return None


def _fixed_value(f: Finding, values: Mapping[str, Value]) -> tuple[str | None, Value]:
    """Which field a model "fixes" for a broken rule, and the value that makes the rule pass."""
    if f.rule == "R1":
        total = next((p for p in f.fields if p.startswith("funds.total.")), None)
        if total is None:
            return None, None
        parts = [p for p in f.fields if p != total]
        return total, round(_sum(values, parts), 2)
    if f.rule in ("R4", "R5"):
        target = "total_weight" if f.rule == "R4" else "total_score"
        parts = [p for p in f.fields if p != target]
        return target, round(_sum(values, parts), 2)
    if f.rule == "R2":
        rate = next((p for p in f.fields if p.endswith(".execution_rate")), None)
        if rate is None:
            return None, None
        line = rate.rsplit(".", 1)[0]
        b, e = values.get(f"{line}.annual_budget"), values.get(f"{line}.executed")
        if not isinstance(b, int | float) or not isinstance(e, int | float) or not b:
            return None, None
        return rate, round(float(e) / float(b) * 100, 2)
    if f.rule == "R3":
        score = next((p for p in f.fields if p.endswith(".score")), None)
        if score is None:
            return None, None
        line = score.rsplit(".", 1)[0]
        w, p = values.get(f"{line}.weight"), values.get(f"{line}.execution_rate")
        if not isinstance(w, int | float) or not isinstance(p, int | float):
            return None, None
        return score, round(float(w) * min(float(p), 100.0) / 100, 2)
    if f.rule == "R7":
        s = values.get("total_score")
        return ("grade", _grade(float(s))) if isinstance(s, int | float) else (None, None)
    return None, None


def narrative_truncated(
    project: Project, rng: random.Random
) -> tuple[Project, list[Change], str] | None:
    """A narrative cell (goal, deviation reason) cut off part way (an answer that ran short)."""
    values = field_values(project)
    paths = [
        p for p, v in values.items() if _NARRATIVES.match(p) and isinstance(v, str) and len(v) >= 8
    ]
    if not paths:
        return None
    path = rng.choice(paths)
    text = str(values[path])
    cut = max(1, int(len(text) * rng.uniform(0.3, 0.85)))
    new = text[:cut].rstrip()
    if new == text.rstrip():
        return None
    return _with(project, {path: new}), [Change(path, text, new)], f"cut at {cut}/{len(text)}"


def hallucinated_row(
    project: Project, rng: random.Random
) -> tuple[Project, list[Change], str] | None:
    """An invented indicator row, shaped like its neighbour (same levels, weight and score)."""
    if not project.indicators:
        return None
    taken = set(_names(project))
    names = [n for n in _INVENTED if n not in taken]
    if not names:
        return None
    i = rng.randrange(len(project.indicators))
    model = project.indicators[i]
    row = model.model_copy(update={"name": rng.choice(names), "deviation_reason": ""})
    rows = list(project.indicators)
    rows.insert(i + 1, row)
    out = _rows(project, rows)
    return out, [Change(ROWS, _names(project), _names(out))], f"'{row.name}' after row {i}"


ERROR_TYPES: dict[str, Injector] = {
    "digit_transposition": digit_transposition,
    "decimal_shift": decimal_shift,
    "dropped_row": dropped_row,
    "duplicated_row": duplicated_row,
    "columns_swapped": columns_swapped,
    "total_fixed": total_fixed,
    "narrative_truncated": narrative_truncated,
    "hallucinated_row": hallucinated_row,
}


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator seeded by the run seed and the project's place (str seeds are stable)."""
    return random.Random("/".join(str(p) for p in (seed, *parts)))


def inject(truth: Project, error_type: str, rng: random.Random) -> SimulatedAnswer | None:
    """The truth with one error of the given type; None when the type does not apply."""
    base = _plain(truth)
    made = ERROR_TYPES[error_type](base, rng)
    if made is None:
        return None
    answer, changes, detail = made
    injection = Injection(error_type, tuple(changes), broken_rules(base, answer), detail)
    return SimulatedAnswer(answer, [injection])


def truthful(truth: Project) -> SimulatedAnswer:
    """The control answer: the truth, nothing injected."""
    return SimulatedAnswer(_plain(truth))


def type_for(round_: int, position: int, offset: int = 0) -> str:
    """Which error type a project gets in a round: each type once per len(ERROR_TYPES) rounds."""
    names = list(ERROR_TYPES)
    return names[(round_ + position + offset) % len(names)]
