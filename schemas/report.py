"""The extracted content of a 绩效自评表: what a careful human would transcribe.

Field descriptions (Chinese label + meaning) double as the LLM's documentation, so keep
them precise. Numbers are the values as printed; null stands for a printed "-".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Amount = float | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FundsLine(_Strict):
    """One row of the 项目资金 block (年度资金总额, 当年财政拨款, 上年结转资金 or 其他资金)."""

    initial_budget: Amount = Field(
        description="年初预算数: budget at the start of the year, as printed; null for '-'."
    )
    annual_budget: Amount = Field(
        description="全年预算数: budget after in-year adjustments, as printed; null for '-'."
    )
    executed: Amount = Field(
        description="全年执行数: amount actually spent in the year, as printed; null for '-'."
    )
    weight: Amount = Field(
        description="分数/分值: points this row carries (usually 10 on 年度资金总额, '-' on the "
        "sub-rows, which is null)."
    )
    execution_rate: Amount = Field(
        description="执行率(%): printed execution rate in percent (全年执行数 / 全年预算数 x 100, "
        "rounded or truncated to 2 decimals by the author)."
    )
    score: Amount = Field(
        description="得分: points scored for budget execution (分数 x 执行率); '-' on sub-rows is null."
    )


class FundsBlock(_Strict):
    """项目资金 block: the total and its parts. A row the form does not print is null."""

    total: FundsLine = Field(
        description="年度资金总额 / 总额 / 年度财政资金总额: total funds of the project."
    )
    appropriation: FundsLine | None = Field(
        default=None,
        description="其中：当年财政拨款 / 本年财政拨款 / 财政资金: this year's appropriation.",
    )
    carryover: FundsLine | None = Field(
        default=None, description="上年结转资金: funds carried over from last year."
    )
    special_account: FundsLine | None = Field(
        default=None, description="财政专户管理资金: funds managed in a special fiscal account."
    )
    unit_funds: FundsLine | None = Field(
        default=None, description="单位资金: the unit's own funds."
    )
    other: FundsLine | None = Field(default=None, description="其他资金: funds from other sources.")


class Indicator(_Strict):
    """One row of the three-level performance indicator table (绩效指标)."""

    level1: str = Field(
        description="一级指标: first-level indicator (产出指标, 效益指标, 满意度指标, 成本指标); "
        "a merged cell is repeated on every row it spans."
    )
    level2: str = Field(
        description="二级指标: second-level indicator (数量指标, 质量指标, 时效指标, 社会效益指标, "
        "可持续影响指标, 服务对象满意度指标, 经济成本指标...); repeated on every row it spans."
    )
    name: str = Field(description="三级指标: the indicator itself, text as printed, wraps removed.")
    target: str = Field(
        description="年度指标值: the year's target as printed, with operator and unit, e.g. "
        "'≥95.00(%)', '=1.00(期)', '≤200000.00(元)', or qualitative text such as '提高'."
    )
    actual: str = Field(
        description="实际完成值: the value achieved as printed, e.g. '100.00(%)' or '达成指标'."
    )
    weight: Amount = Field(description="分值 / 权重: points the indicator carries.")
    score: Amount = Field(description="得分: points scored.")
    deviation_reason: str = Field(
        default="",
        description="偏差原因分析及改进措施 / 未完成原因: reason for any shortfall; '' when blank.",
    )
    unit: str | None = Field(
        default=None,
        description="度量单位: the unit column, as printed; null where the form has no such column.",
    )
    nature: str | None = Field(
        default=None,
        description="指标性质 (定量/定性, ≥/≤/=...): null where the form has no such column.",
    )


class Project(_Strict):
    """One project's self-evaluation table (one 项目 of the report)."""

    name: str = Field(description="项目名称: project name as printed.")
    department: str = Field(description="主管部门: supervising department.")
    implementing_unit: str = Field(description="实施单位: implementing unit.")
    amount_unit: Literal["万元", "元"] = Field(
        default="万元",
        description="Unit of the funds amounts, from the block label 项目资金(万元) or (元).",
    )
    funds: FundsBlock = Field(description="项目资金: the funds block.")
    goal_expected: str = Field(
        description="年度总体目标 - 预期目标: the year's expected goals, narrative text as printed "
        "with line wraps removed."
    )
    goal_actual: str = Field(
        description="年度总体目标 - 实际完成情况: what was actually achieved, narrative text."
    )
    implementation: str = Field(
        default="",
        description="项目实施内容及过程概述: how the project was carried out; '' if absent.",
    )
    indicators: list[Indicator] = Field(description="绩效指标: indicator rows in printed order.")
    total_weight: Amount = Field(description="总分 row, 分值 column: normally 100.")
    total_score: Amount = Field(description="总分 row, 得分 column: the project's total score.")
    grade: str = Field(
        description="评分等级: grade as printed: 优, 良, 中, 差 (or 合格/不合格 in some regions); "
        "'' when blank or when the form prints none."
    )
    conclusion: str = Field(
        default="", description="评价结论: the evaluation's conclusion; '' if absent."
    )
    problems: str = Field(
        default="",
        description="存在问题 / 偏差大或目标未完成原因分析: problems found; '' if absent.",
    )
    improvements: str = Field(
        default="", description="改进措施 / 下一步改进措施: measures planned; '' if absent."
    )
    form: str = Field(
        default="unknown",
        description="The layout family the reader recognised (e.g. shanghai_municipal, "
        "national_2020, sichuan_0013zp, shanghai_district, hebei_langfang) or 'unknown'. The "
        "reader's conclusion, not a printed value.",
    )


class Report(_Strict):
    """A whole report: one department's 绩效自评表 for one year."""

    title: str = Field(description="Document title, e.g. 'XX部门 2024年度财政项目支出绩效自评表'.")
    year: int | None = Field(description="Budget year the report evaluates.")
    projects: list[Project] = Field(description="Every project table of the report, in order.")


class TruthProject(Project):
    """A project in the eval set's ground truth."""

    source_inconsistent: bool = Field(
        default=False,
        description="The printed document itself breaks a rule (e.g. a total that is not the "
        "sum); the right answer is the printed value plus a needs_review status.",
    )
    truth_notes: list[str] = Field(
        default_factory=list, description="Why this project is marked, what was changed."
    )


class TruthReport(_Strict):
    """Ground truth of one eval document."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: str
    year: int | None
    projects: list[TruthProject]
    notes: list[str] = Field(default_factory=list, alias="_notes")
