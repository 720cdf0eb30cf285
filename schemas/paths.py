"""Field paths of a project: 'name', 'funds.total.executed', 'indicators[3].score'.

The one home of the path grammar and of everything derived from it: the walkers (a value by
path, every value of a project, a project from values), which paths hold numbers, the funds
rows and columns, the indicator columns, their Chinese labels and their reading order. The
lists are derived from the pydantic models in schemas/report.py, so a field added there is
known here without a second edit.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from schemas.report import FundsBlock, FundsLine, Indicator, Project

Value = str | float | None

# One step of a path: a field name, optionally indexed ('indicators[3]').
_STEP = re.compile(r"([a-z_0-9]+)(?:\[(\d+)\])?")
_INDICATOR = re.compile(r"indicators\[(\d+)\]\.([a-z_0-9]+)")


def _holds_number(model: type[BaseModel], name: str) -> bool:
    annotation = model.model_fields[name].annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return float in get_args(annotation)
    return annotation is float


FUNDS_LINES: tuple[str, ...] = tuple(FundsBlock.model_fields)
FUNDS_COLUMNS: tuple[str, ...] = tuple(FundsLine.model_fields)
INDICATOR_COLUMNS: tuple[str, ...] = tuple(Indicator.model_fields)
# Fields that hold the reader's conclusion about the document, not a printed value: they have
# no path, so they are never compared, reviewed or scored as a reading.
NOT_READ = frozenset({"form"})
# Top-level leaf fields in printed order, with the two containers in between.
_TOP: tuple[str, ...] = tuple(n for n in Project.model_fields if n not in NOT_READ)
HEADER_FIELDS: tuple[str, ...] = _TOP[: _TOP.index("funds")]
GOAL_FIELDS: tuple[str, ...] = _TOP[_TOP.index("funds") + 1 : _TOP.index("indicators")]
TAIL_FIELDS: tuple[str, ...] = _TOP[_TOP.index("indicators") + 1 :]

_NUMERIC_TOP = frozenset(n for n in _TOP if _holds_number(Project, n))
_NUMERIC_INDICATOR = frozenset(n for n in INDICATOR_COLUMNS if _holds_number(Indicator, n))

LINE_LABELS = {
    "total": "年度资金总额",
    "appropriation": "当年财政拨款",
    "carryover": "上年结转资金",
    "special_account": "财政专户管理资金",
    "unit_funds": "单位资金",
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
INDICATOR_LABELS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "target": "年度指标值",
    "actual": "实际完成值",
    "weight": "分值",
    "score": "得分",
    "deviation_reason": "偏差原因",
    "unit": "度量单位",
    "nature": "指标性质",
}
TOP_LABELS = {
    "name": "项目名称",
    "department": "主管部门",
    "implementing_unit": "实施单位",
    "amount_unit": "金额单位",
    "goal_expected": "预期目标",
    "goal_actual": "实际完成情况",
    "implementation": "项目实施内容及过程概述",
    "total_weight": "总分 · 分值",
    "total_score": "总分 · 得分",
    "grade": "评分等级",
    "conclusion": "评价结论",
    "problems": "存在问题",
    "improvements": "改进措施",
}


class BadPath(ValueError):
    """Text that is not a field path."""


def steps(path: str) -> list[tuple[str, int | None]]:
    """A path as (field name, index or None) steps: 'indicators[3].score' -> [(indicators, 3), (score, None)]."""
    out: list[tuple[str, int | None]] = []
    for part in path.split("."):
        m = _STEP.fullmatch(part)
        if m is None:
            raise BadPath(f"bad field path {path!r}")
        out.append((m.group(1), int(m.group(2)) if m.group(2) is not None else None))
    return out


def funds_path(line: str, column: str) -> str:
    """Path of one cell of the funds block."""
    return f"funds.{line}.{column}"


def indicator_path(index: int, column: str) -> str:
    """Path of one cell of the indicator table (0-based row)."""
    return f"indicators[{index}].{column}"


def funds_label(line: str, column: str) -> str:
    """Chinese label of one funds cell, e.g. '年度资金总额.全年预算数'."""
    return f"{LINE_LABELS[line]}.{COLUMN_LABELS[column]}"


def is_numeric(path: str) -> bool:
    """Whether a path holds a number (amount, weight, rate, score; null for a printed '-')."""
    if path.startswith("funds."):
        return True
    if path in _NUMERIC_TOP:
        return True
    m = _INDICATOR.fullmatch(path)
    return bool(m and m.group(2) in _NUMERIC_INDICATOR)


def label(path: str) -> str:
    """Chinese label of a path, e.g. '年度资金总额 · 全年执行数' or '指标 3 · 得分'."""
    if path in TOP_LABELS:
        return TOP_LABELS[path]
    if path.startswith("funds."):
        _, line, column = path.split(".")
        return f"{LINE_LABELS.get(line, line)} · {COLUMN_LABELS.get(column, column)}"
    m = _INDICATOR.fullmatch(path)
    if m:
        return f"指标 {int(m.group(1)) + 1} · {INDICATOR_LABELS.get(m.group(2), m.group(2))}"
    return path


def funds_lines(project: Project) -> tuple[str, ...]:
    """The funds rows this project's form prints (a row it does not print is null)."""
    return tuple(line for line in FUNDS_LINES if getattr(project.funds, line) is not None)


def all_paths(project: Project) -> list[str]:
    """Every leaf path of a project, in reading order (top to bottom of the table)."""
    paths = list(HEADER_FIELDS)
    paths += [funds_path(line, col) for line in funds_lines(project) for col in FUNDS_COLUMNS]
    paths += GOAL_FIELDS
    for i in range(len(project.indicators)):
        paths += [indicator_path(i, col) for col in INDICATOR_COLUMNS]
    paths += TAIL_FIELDS
    return paths


def order_key(path: str) -> int:
    """Position of a path in reading order, for sorting field lists."""
    m = _INDICATOR.fullmatch(path)
    if m:
        return 10_000 + int(m.group(1)) * 100 + INDICATOR_COLUMNS.index(m.group(2))
    if path in HEADER_FIELDS:
        return HEADER_FIELDS.index(path)
    if path.startswith("funds."):
        _, line, column = path.split(".")
        return 100 + FUNDS_LINES.index(line) * 100 + FUNDS_COLUMNS.index(column)
    if path in GOAL_FIELDS:
        return 5_000 + GOAL_FIELDS.index(path)
    return 10_000_000 + TAIL_FIELDS.index(path)


def value_at(obj: object, path: str) -> Any:
    """The value at a path of a model (attributes) or of its model_dump() (keys); None inside a
    funds row the form does not print."""
    for name, index in steps(path):
        if obj is None:
            return None
        obj = obj[name] if isinstance(obj, Mapping) else getattr(obj, name)
        if index is not None:
            obj = obj[index]  # type: ignore[index]
    return obj


def set_value(data: dict[str, Any], path: str, value: Value) -> None:
    """Set the value at a path of a project dump (model_dump()), in place."""
    *head, (name, index) = steps(path)
    obj: Any = data
    for step_name, step_index in head:
        obj = obj[step_name]
        if step_index is not None:
            obj = obj[step_index]
    if index is None:
        obj[name] = value
    else:
        obj[name][index] = value


def field_values(project: Project) -> dict[str, Value]:
    """Every leaf value of a project by path, in reading order."""
    return {path: value_at(project, path) for path in all_paths(project)}


def project_from_values(values: Mapping[str, Value]) -> Project:
    """The inverse of field_values: a Project from leaf values by path."""
    root: dict[str, Any] = {"funds": {}, "indicators": []}
    for path, value in values.items():
        node: dict[str, Any] = root
        parts = steps(path)
        for j, (name, index) in enumerate(parts):
            last = j == len(parts) - 1
            if index is not None:
                items = node.setdefault(name, [])
                while len(items) <= index:
                    items.append({})
                node = items[index]
            elif last:
                node[name] = value
            else:
                node = node.setdefault(name, {})
    return Project.model_validate(root)
