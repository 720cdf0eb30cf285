"""Field paths of a project: labels, kinds, reading and writing values, display text."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pipeline.checks_values import COLUMN_LABELS, FUNDS_LINES, LINE_LABELS, parse_number
from schemas.report import Project

Value = str | float | None

_PATH_STEP = re.compile(r"([a-z_0-9]+)(?:\[(\d+)\])?")
_INDICATOR = re.compile(r"indicators\[(\d+)\]\.([a-z_0-9]+)")

TOP_LABELS = {
    "name": "项目名称",
    "department": "主管部门",
    "implementing_unit": "实施单位",
    "amount_unit": "金额单位",
    "goal_expected": "预期目标",
    "goal_actual": "实际完成情况",
    "total_weight": "总分 · 分值",
    "total_score": "总分 · 得分",
    "grade": "评分等级",
}
INDICATOR_LABELS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "target": "年度指标值",
    "actual": "实际完成值",
    "weight": "分值",
    "score": "得分",
    "deviation_reason": "偏差原因",
}
FUNDS_COLUMNS = tuple(COLUMN_LABELS)
_NUMERIC_TOP = {"total_weight", "total_score"}
_NUMERIC_INDICATOR = {"weight", "score"}


class BadValue(ValueError):
    """A typed value that does not fit the field."""


def label(path: str) -> str:
    """Chinese label of a field path, e.g. '年度资金总额 · 全年执行数' or '指标 3 · 得分'."""
    if path in TOP_LABELS:
        return TOP_LABELS[path]
    if path.startswith("funds."):
        _, line, column = path.split(".")
        return f"{LINE_LABELS.get(line, line)} · {COLUMN_LABELS.get(column, column)}"
    m = _INDICATOR.fullmatch(path)
    if m:
        return f"指标 {int(m.group(1)) + 1} · {INDICATOR_LABELS.get(m.group(2), m.group(2))}"
    return path


def is_numeric(path: str) -> bool:
    """True for amounts, weights, rates and scores (float or null); False for text."""
    if path.startswith("funds."):
        return True
    if path in _NUMERIC_TOP:
        return True
    m = _INDICATOR.fullmatch(path)
    return bool(m and m.group(2) in _NUMERIC_INDICATOR)


def all_paths(project: Project) -> list[str]:
    """Every field path of a project, in reading order (top to bottom of the table)."""
    paths = ["name", "department", "implementing_unit", "amount_unit"]
    paths += [f"funds.{line}.{col}" for line in FUNDS_LINES for col in FUNDS_COLUMNS]
    paths += ["goal_expected", "goal_actual"]
    for i in range(len(project.indicators)):
        paths += [f"indicators[{i}].{key}" for key in INDICATOR_LABELS]
    paths += ["total_weight", "total_score", "grade"]
    return paths


def order_key(path: str) -> int:
    """Position of a path in reading order, for sorting field lists."""
    m = _INDICATOR.fullmatch(path)
    if m:
        return 1000 + int(m.group(1)) * 10 + list(INDICATOR_LABELS).index(m.group(2))
    base = ["name", "department", "implementing_unit", "amount_unit"]
    if path in base:
        return base.index(path)
    if path.startswith("funds."):
        _, line, column = path.split(".")
        return 10 + FUNDS_LINES.index(line) * 10 + FUNDS_COLUMNS.index(column)
    if path in ("goal_expected", "goal_actual"):
        return 60 + int(path == "goal_actual")
    return 100000 + ["total_weight", "total_score", "grade"].index(path)


def _walk(data: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding the last step of path, and that step's key or index."""
    parts = path.split(".")
    obj: Any = data
    for part in parts[:-1]:
        step = _PATH_STEP.fullmatch(part)
        if step is None:
            raise KeyError(path)
        obj = obj[step.group(1)]
        if step.group(2) is not None:
            obj = obj[int(step.group(2))]
    last = _PATH_STEP.fullmatch(parts[-1])
    if last is None:
        raise KeyError(path)
    if last.group(2) is not None:
        return obj[last.group(1)], int(last.group(2))
    return obj, last.group(1)


def get_value(data: dict[str, Any], path: str) -> Value:
    """The value at a field path of a project dumped with model_dump()."""
    container, key = _walk(data, path)
    return container[key]


def set_value(data: dict[str, Any], path: str, value: Value) -> None:
    """Set the value at a field path of a project dump, in place."""
    container, key = _walk(data, path)
    container[key] = value


def places(printed: str | None) -> int:
    """Decimals of a printed number ('184.25' -> 2); 2 when unknown."""
    if printed:
        number = parse_number(printed)
        if number is not None:
            exponent = number.as_tuple().exponent
            if isinstance(exponent, int):
                return max(0, -exponent)
    return 2


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
    cleaned = raw.replace(",", "").replace("，", "").removesuffix("%").strip()
    if cleaned in ("", "-", "—", "－"):
        return None, "-"
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise BadValue(f"'{raw}' is not a number (use digits, or '-' for a blank cell)") from None
    if not number.is_finite():
        raise BadValue(f"'{raw}' is not a number")
    return float(number), cleaned


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
