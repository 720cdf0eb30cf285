"""Which layout family a project table is: read off the labels the form printed.

The reader never depends on this (it works from each table's own labels); the family is
recorded in the output (`form`) so users and the eval can tell the layouts apart, and is
'unknown' whenever the signs are not clear.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.extract import labels as L
from pipeline.extract.raw import RawProject

_CODE = re.compile(r"^\d{3,}-")


def _text(raw: RawProject, path: str) -> str:
    return "".join(c.text for c in raw.cells.get(path, []))


def _head(raw: RawProject, key: str) -> str:
    cell = raw.funds_heads.get(key)
    return L.key_text(cell.text) if cell is not None else ""


def _level_points(raw: RawProject) -> bool:
    return any(
        L.label_points("".join(c.text for c in cells)) is not None
        for cells, _ in raw.level_rows["level1"]
    )


def _sichuan(raw: RawProject) -> bool:
    return bool(
        {"special_account", "unit_funds"} & raw.funds_rows.keys()
        or {"nature", "unit"} <= raw.indicator_cols
        or _head(raw, "annual_budget").startswith("调整")
    )


def _national(raw: RawProject) -> bool:
    return bool(
        "本年" in raw.funds_rows.get("appropriation", "")
        or _level_points(raw)
        or _CODE.match(_text(raw, "department"))
    )


def _district(raw: RawProject) -> bool:
    unit = L.amount_unit("".join(c.text for c in raw.unit_cells))
    return unit == "元" and "grade" not in raw.cells


def _langfang(raw: RawProject) -> bool:
    rate = _text(raw, "funds.total.execution_rate").strip()
    return rate.endswith("%") and "." not in rate and "grade" not in raw.cells


def _municipal(raw: RawProject) -> bool:
    return (
        _head(raw, "annual_budget") == "全年预算数"
        and "当年" in raw.funds_rows.get("appropriation", "")
        and "grade" in raw.cells
    )


# First match wins: the most specific signs first.
_FAMILIES: tuple[tuple[str, Callable[[RawProject], bool]], ...] = (
    ("sichuan_0013zp", _sichuan),
    ("national_2020", _national),
    ("shanghai_district", _district),
    ("hebei_langfang", _langfang),
    ("shanghai_municipal", _municipal),
)


def recognise(raw: RawProject) -> str:
    """The family name, or 'unknown'."""
    return next((name for name, test in _FAMILIES if test(raw)), "unknown")
