"""Printed numbers: '185.01', '1,850.00', '99.58%', '-' (null). One grammar for every reader.

The extractor, the checker, OCR arbitration and the review app's typed values all parse with
read_number: a clean number (thousands separators and a trailing % allowed) or a dash. Anything
else ('1.', '.5', '1e5', 'O.00') is not a number: the reader never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from schemas.paths import Value, is_numeric

# The number itself, once separators, spaces and % are gone.
NUMBER = r"[+-]?\d+(?:\.\d+)?"
_NUMBER = re.compile(rf"^{NUMBER}$")
# What reports print for "no value".
NULL_MARKS = frozenset({"-", "—", "–", "/", "－", "--"})


@dataclass(frozen=True, slots=True)
class NumberReading:
    """A parsed cell: value (None for '-' or blank), whether it parsed, whether it was blank."""

    text: str
    value: Decimal | None
    ok: bool
    blank: bool


def read_number(text: str) -> NumberReading:
    """Parse a printed amount; never guesses: anything but a clean number or a dash is not ok."""
    s = text.strip().replace(",", "").replace("，", "").replace(" ", "")
    if s.endswith("%"):
        s = s[:-1]
    if s == "":
        return NumberReading(text, None, True, True)
    if s in NULL_MARKS:
        return NumberReading(text, None, True, False)
    if not _NUMBER.match(s):
        return NumberReading(text, None, False, False)
    try:
        return NumberReading(text, Decimal(s), True, False)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return NumberReading(text, None, False, False)


def parse_number(text: str) -> Decimal | None:
    """The number a printed cell holds, or None for a dash, a blank or anything not a number."""
    return read_number(text).value


def places_of(number: Decimal) -> int:
    """Decimals a Decimal was written with (Decimal('10.00') -> 2)."""
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def printed_places(text: str | None, default: int = 2) -> int:
    """Decimals of a printed number ('184.25' -> 2); `default` when the text is no number."""
    number = parse_number(text) if text else None
    return default if number is None else places_of(number)


def fmt(number: Decimal) -> str:
    """A Decimal as plain text, never in exponent form."""
    return format(number, "f")


def to_float(value: Decimal | None) -> float | None:
    """JSON number for a Decimal (as printed, trailing zeros aside)."""
    return None if value is None else float(value)


_CENT = Decimal("0.01")


def cents(value: Value) -> Decimal | None:
    """A number as a Decimal at 2 decimals (the printed precision of every known report)."""
    if value is None or isinstance(value, str):
        return None
    try:
        return Decimal(repr(float(value))).quantize(_CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None


def printed_text(path: str, value: Value) -> str:
    """A value as printed text for the checker: numbers with 2 decimals, null as '-'."""
    if is_numeric(path):
        number = cents(value)
        return "-" if number is None else format(number, "f")
    return "" if value is None else str(value)
