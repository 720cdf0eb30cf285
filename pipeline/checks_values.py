"""A project's numbers as Decimals at their printed precision, for the checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from schemas.output import Finding, Severity
from schemas.report import Project

# The printed text of fields, by field path (see Numbers).
Printed = Mapping[str, str] | None

# Every known report prints amounts, weights, rates and scores with 2 decimals.
DEFAULT_PLACES = 2

FUNDS_LINES = ("total", "appropriation", "carryover", "other")
LINE_LABELS = {
    "total": "年度资金总额",
    "appropriation": "当年财政拨款",
    "carryover": "上年结转资金",
    "other": "其他资金",
}
COLUMN_LABELS = {
    "initial_budget": "年初预算数",
    "annual_budget": "全年预算数",
    "executed": "全年执行数",
    "weight": "分数",
    "execution_rate": "执行率",
    "score": "得分",
}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_STEP = re.compile(r"([a-z_0-9]+)(?:\[(\d+)\])?")


def parse_number(text: str) -> Decimal | None:
    """The number a printed cell holds ('1,234.50', '99.58%', ' 10.00 '), or None if it is none."""
    cleaned = text.strip().replace(",", "").replace("，", "").removesuffix("%").strip()
    if not _NUMBER.fullmatch(cleaned):
        return None
    return Decimal(cleaned)


def places_of(number: Decimal) -> int:
    """Number of decimals a Decimal was written with (Decimal('10.00') -> 2)."""
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fmt(number: Decimal) -> str:
    """A Decimal as plain text, never in exponent form."""
    return format(number, "f")


def field_value(project: Project, path: str) -> object:
    """The model value at a field path such as 'funds.total.executed' or 'indicators[3].weight'."""
    obj: object = project
    for part in path.split("."):
        step = _STEP.fullmatch(part)
        if step is None:
            raise ValueError(f"bad field path {path!r}")
        obj = getattr(obj, step.group(1))
        if step.group(2) is not None:
            obj = obj[int(step.group(2))]  # type: ignore[index]
    return obj


def funds_path(line: str, column: str) -> str:
    """Field path of one cell of the funds block."""
    return f"funds.{line}.{column}"


def funds_label(line: str, column: str) -> str:
    """Chinese label of one cell of the funds block, e.g. '年度资金总额.全年预算数'."""
    return f"{LINE_LABELS[line]}.{COLUMN_LABELS[column]}"


class Numbers:
    """Reads a project's numeric fields as Decimals, taking precision from the printed text."""

    def __init__(self, project: Project, printed: Mapping[str, str] | None = None) -> None:
        self.project = project
        self.printed: Mapping[str, str] = printed or {}

    def _printed_number(self, path: str) -> Decimal | None:
        text = self.printed.get(path)
        return None if text is None else parse_number(text)

    def places(self, path: str) -> int:
        """Decimals the value at path was printed with; 2 when the printed text is unknown."""
        number = self._printed_number(path)
        return DEFAULT_PLACES if number is None else places_of(number)

    def unit(self, path: str) -> Decimal:
        """One unit of the last printed decimal of the value at path (0.01 for '99.58')."""
        return Decimal(1).scaleb(-self.places(path))

    def get(self, path: str) -> Decimal | None:
        """The value at path as a Decimal at its printed precision; None for a null ('-')."""
        value = field_value(self.project, path)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        number = self._printed_number(path)
        if number is not None:
            return number
        # repr gives the shortest text that round-trips, i.e. what was printed, not 185.0099...
        exact = Decimal(repr(float(value)))
        if not exact.is_finite():
            return None
        return exact.quantize(self.unit(path), rounding=ROUND_HALF_UP)


def error(rule: str, fields: list[str], message: str, equation: str = "") -> Finding:
    """An error finding."""
    return Finding(
        rule=rule, severity=Severity.error, fields=fields, message=message, equation=equation
    )


def warning(rule: str, fields: list[str], message: str, equation: str = "") -> Finding:
    """A warning finding."""
    return Finding(
        rule=rule, severity=Severity.warning, fields=fields, message=message, equation=equation
    )
