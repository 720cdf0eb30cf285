"""Review-side handling of field values: display text, typed input, comparison.

Paths, labels and reading order are schemas/paths.py's; numbers follow pipeline/numbers.py.
"""

from __future__ import annotations

from typing import Any

from pipeline.numbers import parse_number, printed_places, read_number
from schemas.paths import (
    FUNDS_COLUMNS,
    INDICATOR_LABELS,
    TOP_LABELS,
    Value,
    all_paths,
    is_numeric,
    label,
    order_key,
    set_value,
    value_at,
)

__all__ = [
    "FUNDS_COLUMNS",
    "INDICATOR_LABELS",
    "TOP_LABELS",
    "BadValue",
    "Value",
    "all_paths",
    "coerce",
    "display",
    "get_value",
    "is_numeric",
    "label",
    "order_key",
    "parse_typed",
    "places",
    "printed_matches",
    "same",
    "set_value",
]


class BadValue(ValueError):
    """A typed value that does not fit the field."""


def get_value(data: dict[str, Any], path: str) -> Value:
    """The value at a field path of a project dumped with model_dump()."""
    value: Value = value_at(data, path)
    return value


def places(printed: str | None) -> int:
    """Decimals of a printed number ('184.25' -> 2); 2 when unknown."""
    return printed_places(printed)


def display(path: str, value: Value, printed: str | None = None) -> str:
    """A value as a reviewer reads it: numbers at printed precision, null as '-'."""
    if value is None:
        return "-" if is_numeric(path) else ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:.{places(printed)}f}"
    return str(value)


def parse_typed(path: str, text: str) -> tuple[Value, str]:
    """(value, printed text) of what a reviewer typed; raises BadValue if it cannot be."""
    raw = text.strip()
    if not is_numeric(path):
        if path == "amount_unit" and raw not in ("万元", "元"):
            raise BadValue("金额单位 must be 万元 or 元")
        return raw, raw
    reading = read_number(raw)
    if not reading.ok:
        raise BadValue(f"'{raw}' is not a number (use digits, or '-' for a blank cell)")
    if reading.value is None:
        return None, "-"
    return float(reading.value), raw.replace(",", "").replace("，", "").removesuffix("%").strip()


def same(a: Value, b: Value) -> bool:
    """Values equal as a reviewer sees them (floats to 1e-9, text exactly)."""
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def coerce(path: str, value: Value) -> Value:
    """A candidate's value in the field's type: numbers for numeric fields, text for the rest."""
    if is_numeric(path):
        if isinstance(value, str):
            return parse_typed(path, value)[0]
        return value
    if value is None:
        return ""
    return value if isinstance(value, str) else display(path, value)


def printed_matches(path: str, value: Value, printed: str) -> bool:
    """Whether printed text stands for the value (the checker then takes its precision from it).

    Not so when another source's reading was chosen over the printed text's.
    """
    if not is_numeric(path):
        return True
    number = parse_number(printed)
    if value is None or number is None:
        return value is None
    return same(float(number), value)
