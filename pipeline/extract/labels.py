"""The vocabulary of roles: what a table's own labels mean, with the variants regions print.

A label is matched after it is reduced (key_text): NFKC, no spaces or punctuation, fake-bold
pairs undone, and bracketed qualifiers dropped — '（A）', '（B/A）', '(万元)', '（20分）',
'（盖章）', '(%)' say how a column is computed or what it is worth, not what it holds.
Prefixes are enough where a page break can split a label ('一级' above, '指标' below).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline.textnorm import compact

_PUNCT = re.compile(r"[:：,，。.;；、*\s]")
# Bracketed qualifiers, after NFKC has folded full-width brackets to ASCII.
_QUALIFIER = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_POINTS = re.compile(r"\(\s*(\d+(?:\.\d+)?)\s*分\s*\)")
# List numbering before a label: '2.项目实施内容及过程概述', '一、', '（三）'.
_NUMBERING = re.compile(r"^(\d{1,2}|[一二三四五六七八九十]{1,3})[.、．)]")

# Header and narrative rows: a label cell with its value to the right.
_SINGLE = {
    "project_name": re.compile(r"^项目名称$"),
    # 主管部门及代码 (北京): the code, where printed, is part of the value (226-…)
    "department": re.compile(r"^(主管部门|主管单位|预算部门|主管部门单位)(及代码|及编码)?$"),
    "unit": re.compile(r"^(项目)?(实施单位|执行单位)(盖章)?$"),
    "funds_label": re.compile(r"^项目资金|^资金(情况|投入情况)$|^预算资金|^预算执行情况$"),
    "goal_label": re.compile(r"^(年度)?(总体|绩效)?目标$"),
    "total": re.compile(r"^(总分|合计|总计)$"),
    "grade": re.compile(r"^(评分等级|等级|绩效等级|自评等级|评价等级)$"),
    "self_score": re.compile(r"^自评(得)?分$"),
    "goal_expected": re.compile(r"^(预期目标|年初设定目标|项目年度目标|年度绩效目标)$"),
    "goal_actual": re.compile(
        r"^(实际完成情况|实际完成|年度(总体)?目标完成情况(综述)?|目标完成情况)$"
    ),
    "implementation": re.compile(r"^项目实施(内容及过程概述|内容|情况)$|^项目概况$"),
    "conclusion": re.compile(r"^(评价结论|自评结论|绩效评价结论|总体评价结论)$"),
    "problems": re.compile(r"^(存在(的)?问题|主要问题|偏差大或目标未完成原因分析)$"),
    "improvements": re.compile(r"^(下一步)?(改进措施|改进意见|整改措施)(及建议)?$"),
}
# Single labels whose value is a narrative text field of the project.
NARRATIVE_LABELS = ("goal_expected", "goal_actual", "implementation", "conclusion", "problems",
                    "improvements")  # fmt: skip

# Matched in this order: 财政专户管理资金 must not be taken for 财政(拨款).
_FUNDS_LINE = {
    "total": re.compile(r"^(年度)?(财政)?资金总额|^总额$|^年度资金总量$"),
    "special_account": re.compile(r"^(其中)?财政专户(管理)?(资金)?"),
    "unit_funds": re.compile(r"^(其中)?单位(自有)?资金"),
    "carryover": re.compile(r"^(其中)?上年结转(结余)?(资金)?"),
    # a row split by a page break may leave only "其中：当年财政" above the break
    "appropriation": re.compile(
        r"^(其中)?(当年|本年)?财政(拨款|资金)?$|^(其中)?(当年|本年)财政拨款|^其中财政"
        # 北京: 其中：本年一般公共预算拨款
        r"|^(其中)?(当年|本年)?一般公共预算(财政)?拨款"
    ),
    "other": re.compile(r"^(其中)?其他资金"),
}

_FUNDS_HEAD = {
    "initial_budget": re.compile(r"^年初预算数?$"),
    "annual_budget": re.compile(r"^(全年|调整后|调整)预算数?$|^预算数$|^全年预算$"),
    "executed": re.compile(r"^(全年|预算|实际|全年实际)执行数?$|^执行数$"),
    "weight": re.compile(r"^(分数|分值|权重)$"),
    "execution_rate": re.compile(r"^(预算)?执行率$"),
    "score": re.compile(r"^得分$"),
}

_GOAL_HEAD = {
    "goal_expected": re.compile(r"^(预期目标|年初设定目标|项目年度目标|年度绩效目标)$"),
    "goal_actual": re.compile(
        r"^(实际完成情况|实际完成|年度(总体)?目标完成情况(综述)?|全年实际完成情况|目标完成情况)$"
    ),
}

_INDICATOR_HEAD = {
    "level1": re.compile(r"^一级(指标)?$"),
    "level2": re.compile(r"^二级(指标)?$"),
    "name": re.compile(r"^三级(指标)?$"),
    "nature": re.compile(r"^指标性质$"),
    "target": re.compile(r"^(年度|年初|预期)?(指标|目标)值$|^年度指标|^指标值"),
    "unit": re.compile(r"^(度量|计量)单位$"),
    "actual": re.compile(r"^(全年)?实际(完成)?值$|^完成值$|^实际完成$|^全年完成值$"),
    "weight": re.compile(r"^(分值|权重)$"),
    "score": re.compile(r"^得分$"),
    "deviation_reason": re.compile(r"^偏差原因|^未完成原因|^原因分析"),
}

# What a printed grade cell holds.
GRADE_WORDS = frozenset({"优", "良", "中", "差", "优秀", "良好", "合格", "不合格", "较差"})
# An indicator row a form prints to be filled in: '指标1：', '指标2:', '……', '...'.
_PLACEHOLDER = re.compile(r"^(指标\d*[:：]?|[…\.。·]+|/|无)$")


@lru_cache(maxsize=8192)
def key_text(text: str) -> str:
    """Label text reduced for matching: NFKC, no spaces, punctuation, symbols or bracketed
    qualifiers, fake-bold pairs undone. No label is a symbol (☑ □ ★ ※): one is decoration, or
    a scan's speck the recogniser read as one (☑总分)."""
    s = "".join(c for c in compact(text) if unicodedata.category(c) != "So")
    s = _NUMBERING.sub("", s)
    s = _QUALIFIER.sub("", s)
    s = _PUNCT.sub("", s)
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
    """Which funds row a label names (total, appropriation, carryover, ...), or None."""
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
    k = compact(label)
    if "万元" in k:
        return "万元"
    if "元" in k:
        return "元"
    return None


def label_points(label: str) -> str | None:
    """The points a label prints in brackets ('项目资金（万元）（10分）' -> '10'), as printed."""
    m = _POINTS.search(compact(label))
    return m.group(1) if m else None


def is_placeholder(name: str) -> bool:
    """An indicator name the form prints for filling in: '指标2：', '……'."""
    return bool(_PLACEHOLDER.match(compact(name)))


def is_grade_word(text: str) -> bool:
    """Whether a cell holds nothing but a grade (优, 良好, 不合格 ...)."""
    return compact(text) in GRADE_WORDS


def glued_levels(label: str) -> bool:
    """A 一级/二级 label that holds several labels ('产出指标数量指标'): cells merged because a
    border is missing, not one printed label."""
    return key_text(label).count("指标") > 1


def complete_level(label: str) -> bool:
    """Whether a 一级/二级 label is whole ('产出指标', '产出指标(50分)'); a merged cell cut by a
    page break leaves a part ('产出') that continues on the next page."""
    return key_text(label).endswith("指标")


# Documents that share this vocabulary but are no project 自评表, by the words of their titles;
# the more specific first.
OTHER_DOCUMENTS = (
    "部门整体支出绩效自评表",
    "部门整体支出绩效评价",
    "整体支出绩效自评",
    "部门决算",
    "部门预算",
    "绩效评价报告",
    "绩效自评报告",
)


def other_document(texts: list[str]) -> str | None:
    """Which other kind of document these texts (titles, first cells) name, or None."""
    joined = compact("".join(texts))
    return next((kind for kind in OTHER_DOCUMENTS if kind in joined), None)


__all__ = ["NARRATIVE_LABELS", "key_text"]
