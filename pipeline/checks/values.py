"""A project's numbers as Decimals at their printed precision, and the findings the rules make."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from pipeline.numbers import parse_number, places_of
from schemas.output import Finding, Severity
from schemas.paths import value_at
from schemas.report import Project

# The printed text of fields, by field path (see Numbers).
Printed = Mapping[str, str] | None

# Every known report prints amounts, weights, rates and scores with 2 decimals.
DEFAULT_PLACES = 2


class Numbers:
    """Reads a project's numeric fields as Decimals, taking precision from the printed text."""

    def __init__(self, project: Project, printed: Printed = None) -> None:
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
        value = value_at(self.project, path)
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
