"""The table's own labels, tolerant of spacing, colons, wraps and fake-bold doubling."""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.textnorm import compact

_PUNCT = re.compile(r"[:：,，。.;；、*\s]")

_SINGLE = {
    "project_name": re.compile(r"^项目名称$"),
    "department": re.compile(r"^(主管部门|主管单位)$"),
    "unit": re.compile(r"^(实施单位|执行单位)$"),
    "funds_label": re.compile(r"^项目资金"),
    "goal_label": re.compile(r"^年度总体目标$|^总体目标$"),
    "total": re.compile(r"^总分$|^合计$"),
    "grade": re.compile(r"^(评分等级|等级|绩效等级|自评等级)$"),
}

_FUNDS_LINE = {
    "total": re.compile(r"^年度资金总额"),
    # a row split by a page break may leave only "其中：当年财政" above the break
    "appropriation": re.compile(r"^(其中)?(当年)?财政(拨款)?$|^(其中)?当年财政拨款|^其中财政"),
    "carryover": re.compile(r"^上年结转(资金)?"),
    "other": re.compile(r"^其他资金"),
}

_FUNDS_HEAD = {
    "initial_budget": re.compile(r"^年初预算数?$"),
    "annual_budget": re.compile(r"^全年预算数?$"),
    "executed": re.compile(r"^全年执行数?$"),
    "weight": re.compile(r"^(分数|分值|权重)$"),
    "execution_rate": re.compile(r"^执行率(\(%\))?$"),
    "score": re.compile(r"^得分$"),
}

_GOAL_HEAD = {
    "goal_expected": re.compile(r"^预期目标$"),
    "goal_actual": re.compile(r"^实际完成情况$|^实际完成$"),
}

# Prefixes are enough: a header row split by a page break leaves "一级" above, "指标" below.
_INDICATOR_HEAD = {
    "level1": re.compile(r"^一级(指标)?$"),
    "level2": re.compile(r"^二级(指标)?$"),
    "name": re.compile(r"^三级(指标)?$"),
    "target": re.compile(r"^(年度)?指标值$|^年度指标"),
    "actual": re.compile(r"^实际完成值$|^实际完成$"),
    "weight": re.compile(r"^(分值|权重)$"),
    "score": re.compile(r"^得分$"),
    "deviation_reason": re.compile(r"^偏差原因"),
}


@lru_cache(maxsize=8192)
def key_text(text: str) -> str:
    """Label text reduced for matching: NFKC, no spaces or punctuation, fake-bold pairs undone."""
    s = _PUNCT.sub("", compact(text))
    # A label printed twice over sometimes survives as 项项目目名名称称.
    if len(s) >= 4 and len(s) % 2 == 0 and s[0::2] == s[1::2]:
        s = s[0::2]
    return s


def _match(patterns: dict[str, re.Pattern[str]], text: str) -> str | None:
    k = key_text(text)
    return next((name for name, pat in patterns.items() if pat.search(k)), None)


def single_label(text: str) -> str | None:
    """Which header label a cell holds (project_name, department, ...), or None."""
    return _match(_SINGLE, text)


def funds_line(text: str) -> str | None:
    """Which funds row a label names (total, appropriation, carryover, other), or None."""
    return _match(_FUNDS_LINE, text)


def funds_head(text: str) -> str | None:
    """Which funds column a header names (initial_budget ... score), or None."""
    return _match(_FUNDS_HEAD, text)


def goal_head(text: str) -> str | None:
    """goal_expected / goal_actual for the 预期目标 / 实际完成情况 headers, or None."""
    return _match(_GOAL_HEAD, text)


def indicator_head(text: str) -> str | None:
    """Which indicator column a header names (level1 ... deviation_reason), or None."""
    return _match(_INDICATOR_HEAD, text)


def amount_unit(label: str) -> str | None:
    """万元 or 元 from a 项目资金(万元) label."""
    k = key_text(label)
    if "万元" in k:
        return "万元"
    if "元" in k:
        return "元"
    return None
