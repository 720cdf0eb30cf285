"""Printed numbers: '185.01', '1,850.00', '99.58%', '-' (null)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_NULLS = {"-", "—", "–", "/", "－", "--"}


class NumberReading:
    """A parsed cell: value (None for '-' or blank), whether it was blank, whether it parsed."""

    __slots__ = ("blank", "ok", "text", "value")

    def __init__(self, text: str, value: Decimal | None, ok: bool, blank: bool) -> None:
        self.text = text
        self.value = value
        self.ok = ok
        self.blank = blank


def read_number(text: str) -> NumberReading:
    """Parse a printed amount; never guesses: anything but a clean number or a dash is not ok."""
    s = text.strip().replace(",", "").replace("，", "").replace(" ", "")
    if s.endswith("%"):
        s = s[:-1]
    if s == "":
        return NumberReading(text, None, True, True)
    if s in _NULLS:
        return NumberReading(text, None, True, False)
    if not _NUMBER.match(s):
        return NumberReading(text, None, False, False)
    try:
        return NumberReading(text, Decimal(s), True, False)
    except InvalidOperation:
        return NumberReading(text, None, False, False)


def to_float(value: Decimal | None) -> float | None:
    """JSON number for a Decimal (as printed, trailing zeros aside)."""
    return None if value is None else float(value)
