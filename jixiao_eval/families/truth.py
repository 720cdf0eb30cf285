"""The families set's truth: today's TruthReport plus the fields issue 10 adds to the contract.

Until schemas/report.py grows them, this module holds the extended models (same field names as
the issue: funds.special_account, funds.unit_funds, Indicator.unit/.nature,
Project.implementation/.conclusion/.problems/.improvements/.form). `as_truth_report` projects a
families truth onto today's TruthReport so the scorer can already read it.
"""

from __future__ import annotations

from pydantic import Field, ValidationError

from schemas.report import FundsBlock, FundsLine, Indicator, TruthProject, TruthReport

FORMS = ("national_2020", "sichuan_0013zp", "shanghai_district", "hebei_langfang")
_EMPTY = FundsLine(
    initial_budget=None,
    annual_budget=None,
    executed=None,
    weight=None,
    execution_rate=None,
    score=None,
)


class FamilyFunds(FundsBlock):
    """项目资金 with the rows a form may or may not print; a row not printed is null."""

    appropriation: FundsLine | None = Field(  # type: ignore[assignment]
        default=None, description="其中：财政资金 / 当年财政拨款 / 本年财政拨款."
    )
    carryover: FundsLine | None = Field(  # type: ignore[assignment]
        default=None, description="上年结转资金; null when the form has no such row."
    )
    other: FundsLine | None = Field(  # type: ignore[assignment]
        default=None, description="其他资金; null when the form has no such row."
    )
    special_account: FundsLine | None = Field(default=None, description="财政专户管理资金.")
    unit_funds: FundsLine | None = Field(default=None, description="单位资金.")


class FamilyIndicator(Indicator):
    """An indicator row with the 度量单位 and 指标性质 columns some forms print."""

    unit: str | None = Field(default=None, description="度量单位; null when no such column.")
    nature: str | None = Field(default=None, description="指标性质; null when no such column.")


class FamilyProject(TruthProject):
    """A project of the families set: today's fields plus the narratives and the form."""

    funds: FamilyFunds
    indicators: list[FamilyIndicator]  # type: ignore[assignment]
    implementation: str = Field(default="", description="项目实施内容及过程概述.")
    conclusion: str = Field(default="", description="评价结论.")
    problems: str = Field(default="", description="存在问题 / 偏差大或目标未完成原因分析.")
    improvements: str = Field(default="", description="改进措施.")
    form: str = Field(description="The layout family: one of FORMS, or unknown.")


class FamilyReport(TruthReport):
    """Ground truth of one families document."""

    projects: list[FamilyProject]  # type: ignore[assignment]


def as_truth_report(report: FamilyReport) -> TruthReport:
    """Today's TruthReport view: new fields dropped, rows not printed as all-null lines."""
    projects = []
    for p in report.projects:
        data = p.model_dump(
            exclude={"implementation", "conclusion", "problems", "improvements", "form"}
        )
        funds = data["funds"]
        for line in ("appropriation", "carryover", "other"):
            if funds[line] is None:
                funds[line] = _EMPTY.model_dump()
        funds.pop("special_account")
        funds.pop("unit_funds")
        for row in data["indicators"]:
            row.pop("unit")
            row.pop("nature")
        projects.append(TruthProject.model_validate(data))
    return TruthReport(title=report.title, year=report.year, projects=projects, _notes=report.notes)


NOT_PROJECT = "not_project"


def family_of(truth_text: str) -> str:
    """The family a truth file belongs to: its projects' form, not_project, or '' if unlabelled."""
    import json

    try:
        data = json.loads(truth_text)
    except ValueError:
        return ""
    projects = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(projects, list):
        return ""
    if not projects:
        return NOT_PROJECT
    forms = {p.get("form", "") for p in projects if isinstance(p, dict)}
    return forms.pop() if len(forms) == 1 else ""


def load_truth(text: str) -> TruthReport:
    """A truth file as today's TruthReport: read directly, or via the families model."""
    try:
        return TruthReport.model_validate_json(text)
    except ValidationError:
        return as_truth_report(FamilyReport.model_validate_json(text))
