"""The output contract: one JSON file per PDF. Other tools read it; keep the names."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from schemas.report import Project


class Status(str, Enum):
    accepted = "accepted"
    needs_review = "needs_review"
    reviewed = "reviewed"  # a person checked and corrected it (jixiao review export)


class Severity(str, Enum):
    error = "error"
    warning = "warning"


class Finding(BaseModel):
    """One result of a check: which rule, how bad, which fields, and the numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(
        description="Rule id: R1..R10 for arithmetic rules, READ_* for reading problems, "
        "LLM_* for what the LLM path reported (e.g. LLM_REPORTED: a source inconsistency)."
    )
    severity: Severity
    fields: list[str] = Field(description="Field paths involved, e.g. 'funds.total.executed'.")
    message: str = Field(description="What is wrong, in one sentence.")
    equation: str = Field(default="", description="The equation with its printed numbers.")


class FieldSource(BaseModel):
    """Where a value was read: page (1-based), box in PDF points, the printed text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    page: int
    bbox: tuple[float, float, float, float]
    text: str = Field(description="The text as read from the page, before parsing.")


class CandidateValue(BaseModel):
    """One source's reading of one field, kept when sources disagree or a field is doubtful."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="layout | llm | ocr | text_layer | reviewer")
    value: str | float | None
    confidence: float = Field(ge=0.0, le=1.0)
    note: str = ""


class PageHealth(BaseModel):
    """How far a page's text layer can be believed, and how it was read."""

    model_config = ConfigDict(extra="forbid")

    page: int
    text_layer: str = Field(description="digital | invisible | none")
    verdict: str = Field(description="ok | suspect | unusable")
    read_with: str = Field(default="text_layer", description="text_layer | ocr | text_layer+ocr")
    problems: list[str] = Field(default_factory=list)


class ProjectResult(Project):
    """A project as extracted, with its checks and review status."""

    status: Status
    confidence: float = Field(ge=0.0, le=1.0, description="Lowest field confidence.")
    source_inconsistent: bool = Field(
        default=False,
        description="Read with confidence, but the printed values break a rule: the "
        "document itself is inconsistent. Values are kept as printed.",
    )
    reasons: list[str] = Field(default_factory=list, description="Why it needs review.")
    findings: list[Finding] = Field(default_factory=list)
    pages: list[int] = Field(default_factory=list, description="Pages the project spans.")
    provenance: dict[str, FieldSource] = Field(default_factory=dict)
    field_confidence: dict[str, float] = Field(default_factory=dict)
    candidates: dict[str, list[CandidateValue]] = Field(
        default_factory=dict,
        description="Field path -> every source's reading, for fields where sources disagree.",
    )


class InputError(BaseModel):
    """A file that could not be processed, and why (one line)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    kind: str = Field(
        description="not_found | empty | not_pdf | truncated | corrupt | encrypted | too_large | "
        "scanned | no_table | failed"
    )
    message: str


class DocumentResult(BaseModel):
    """Everything extracted from one PDF: DIR/<pdf stem>.json."""

    model_config = ConfigDict(extra="forbid")

    source: str
    sha256: str
    source_path: str = Field(default="", description="Absolute path of the input PDF at run time.")
    title: str = ""
    year: int | None = None
    pages: int = 0
    projects: list[ProjectResult] = Field(default_factory=list)
    errors: list[InputError] = Field(default_factory=list)
    extractor: str = Field(default="layout", description="Which extractor produced the values.")
    page_health: list[PageHealth] = Field(default_factory=list)
    llm: dict[str, object] = Field(
        default_factory=dict,
        description="LLM settings and usage for this document (model, mode, prompt hash, tokens, cost).",
    )
    tool_version: str = ""
    seconds: float = Field(default=0.0, description="Wall time spent on this file.")
