"""Arithmetic as evidence: a number read with doubt that the rules pin down is vouched for.

A value is pinned when the equations of the funds block and the columns (R1-R6, R11) that
involve it hold as printed and EVERY single misreading of it — a digit read as another, a
character dropped, a digit or decimal point added — would make one of them fail. A misread
value then cannot have passed unless two misreadings cancelled out (measured by `jixiao eval`:
how many values accepted this way were wrong). Nothing is ever changed here: a value that fails
a rule is not pinned, and no other value is tried in its place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pipeline.checks.registry import Rule
from pipeline.numbers import read_number
from schemas.output import Severity
from schemas.paths import field_values, steps
from schemas.report import Project

# The finding that names the values vouched for this way.
ARITHMETIC_EVIDENCE = "ARITHMETIC"
# The rules that are equations over printed numbers (R7-R10 are bands and plausibility).
EQUATIONS = frozenset({"R1", "R2", "R3", "R4", "R5", "R6", "R11"})
_DIGITS = "0123456789"


def misreadings(text: str) -> Iterator[str]:
    """Every text one misread character away: a digit replaced, a character dropped, a digit or
    a decimal point inserted."""
    seen = {text}
    for i, ch in enumerate(text):
        if ch in _DIGITS:
            for d in _DIGITS:
                if d != ch:
                    yield from _new(text[:i] + d + text[i + 1 :], seen)
        if ch in _DIGITS or ch == ".":
            yield from _new(text[:i] + text[i + 1 :], seen)
    for i in range(len(text) + 1):
        for d in (*_DIGITS, "."):
            yield from _new(text[:i] + d + text[i:], seen)


def _new(text: str, seen: set[str]) -> Iterator[str]:
    if text not in seen:
        seen.add(text)
        yield text


def _fails(
    rules: tuple[Rule, ...], project: Project, printed: Mapping[str, str], path: str
) -> bool:
    return any(
        f.severity is Severity.error and path in f.fields
        for r in rules
        for f in r.check(project, printed)
    )


def _with_value(obj: Any, parts: list[tuple[str, int | None]], value: float) -> Any:
    """A copy of a frozen model with the value at the path replaced (shallow copies only of
    the models on the way down: the rules read a project, they never change it)."""
    (name, index), rest = parts[0], parts[1:]
    child = getattr(obj, name)
    if index is not None:
        items = list(child)
        items[index] = _with_value(items[index], rest, value) if rest else value
        return obj.model_copy(update={name: items})
    return obj.model_copy(update={name: _with_value(child, rest, value) if rest else value})


def pinned(
    project: Project, printed: Mapping[str, str], paths: list[str], rules: tuple[Rule, ...]
) -> list[str]:
    """The paths (numeric fields) that the equations among `rules` pin down as printed."""
    equations = tuple(r for r in rules if r.id in EQUATIONS)
    values = field_values(project)
    out: list[str] = []
    for path in paths:
        text, value = printed.get(path), values.get(path)
        if text is None or not isinstance(value, int | float):
            continue
        parts = steps(path)
        # the rules that involve the value at all: those a far-off value makes fail
        far = _with_value(project, parts, value * 7 + 13)
        involved = tuple(r for r in equations if _fails((r,), far, {**printed, path: ""}, path))
        if not involved or _fails(involved, project, printed, path):
            continue
        tried = 0
        for variant in misreadings(text):
            reading = read_number(variant)
            if not reading.ok or reading.value is None:
                continue  # not a number: a misreading that would not pass as one
            if float(reading.value) == value:
                continue  # the same number written another way (05 for 5)
            trial = _with_value(project, parts, float(reading.value))
            tried += 1
            if not _fails(involved, trial, {**printed, path: variant}, path):
                break
        else:
            if tried:
                out.append(path)
    return out
