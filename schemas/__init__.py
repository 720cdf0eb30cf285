"""Pydantic models of a 财政项目支出绩效自评表 report and of the pipeline's output contract."""

from schemas.output import (
    CandidateValue,
    DocumentResult,
    FieldSource,
    Finding,
    InputError,
    PageHealth,
    ProjectResult,
    Severity,
    Status,
)
from schemas.report import (
    FundsBlock,
    FundsLine,
    Indicator,
    Project,
    Report,
    TruthProject,
    TruthReport,
)

__all__ = [
    "CandidateValue",
    "DocumentResult",
    "FieldSource",
    "Finding",
    "FundsBlock",
    "FundsLine",
    "Indicator",
    "InputError",
    "PageHealth",
    "Project",
    "ProjectResult",
    "Report",
    "Severity",
    "Status",
    "TruthProject",
    "TruthReport",
]
