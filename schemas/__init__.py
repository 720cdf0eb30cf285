"""Pydantic models of a 财政项目支出绩效自评表 report and of the pipeline's output contract."""

from schemas.output import (
    DocumentResult,
    FieldSource,
    Finding,
    InputError,
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
    "DocumentResult",
    "FieldSource",
    "Finding",
    "FundsBlock",
    "FundsLine",
    "Indicator",
    "InputError",
    "Project",
    "ProjectResult",
    "Report",
    "Severity",
    "Status",
    "TruthProject",
    "TruthReport",
]
