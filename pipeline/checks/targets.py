"""Parsing 年度指标值 / 实际完成值 cells ('≥95.00(%)', '1.06(期/周)') and comparing them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from pipeline.numbers import parse_number
from pipeline.textnorm import nfkc

# NFKC already folds full-width ＞＝＜ to ASCII; ≧ ≦ and the two-character forms remain.
_OPERATORS = {
    "≥": "≥",
    "≧": "≥",
    ">=": "≥",
    "≤": "≤",
    "≦": "≤",
    "<=": "≤",
    "=": "=",
    "==": "=",
    ">": ">",
    "<": "<",
}
_CELL = re.compile(
    r"(?P<op>>=|<=|==|[≥≧≤≦=><])?\s*"
    # the printed-number grammar of pipeline/numbers.py, with its thousands separators
    r"(?P<num>[+-]?\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<unit>.*)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Quantity:
    """A parsed quantitative cell: operator ('=' when none is printed), number and unit."""

    op: str
    value: Decimal
    unit: str
    text: str

    def show(self) -> str:
        """The quantity as the checks print it in equations, e.g. '95.00(%)'."""
        number = format(self.value, "f")
        return f"{number}({self.unit})" if self.unit else number


def _normalise_unit(unit: str) -> str | None:
    unit = unit.strip()
    if unit.startswith("(") and unit.endswith(")"):
        unit = unit[1:-1].strip()
    # Anything with digits or stray brackets is a range or a sentence, not a unit.
    if re.search(r"[\d()]", unit):
        return None
    return "".join(unit.split())


def parse_quantity(text: str) -> Quantity | None:
    """A cell such as '≥95.00(%)', '=1.00(期)', '100%' or '1.06(期/周)'; None if qualitative."""
    cleaned = nfkc(text).strip()
    match = _CELL.fullmatch(cleaned)
    if match is None:
        return None
    unit = _normalise_unit(match.group("unit"))
    if unit is None:
        return None
    value = parse_number(match.group("num"))
    if value is None:
        return None
    op = _OPERATORS[match.group("op")] if match.group("op") else "="
    return Quantity(op, value, unit, text)


def parse_actual(text: str) -> Quantity | None:
    """An 实际完成值 cell: a plain number with a unit ('100.00(%)'); None otherwise."""
    quantity = parse_quantity(text)
    # An actual printed with an operator ('≥90%') is not a measured value.
    if quantity is None or quantity.op != "=" or re.match(r"\s*[=＝]", text):
        return None
    return quantity


def meets(actual: Quantity, target: Quantity) -> bool | None:
    """Whether actual satisfies target; None when the units differ and nothing can be said."""
    if actual.unit != target.unit:
        return None
    a, t = actual.value, target.value
    return {
        "≥": a >= t,
        "≤": a <= t,
        ">": a > t,
        "<": a < t,
        "=": a == t,
    }[target.op]
