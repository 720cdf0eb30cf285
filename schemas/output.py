"""The output contract: one JSON file per PDF. Other tools read it; keep the names.

Every kind that is a fixed set of words is an enum here, so the JSON Schema lists the allowed
values; enums print as their value.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_serializer,
    field_validator,
)

from schemas.llm_record import LLMRecord
from schemas.report import Project


class StrEnum(str, Enum):
    """A str enum that formats as its value (what enum.StrEnum does from Python 3.11 on)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Status(StrEnum):
    """A project's status."""

    accepted = "accepted"
    needs_review = "needs_review"
    reviewed = "reviewed"  # a person checked and corrected it (jixiao review export)


class DocumentStatus(StrEnum):
    """A document's status, as docling's ConversionStatus: did the whole file go through?"""

    ok = "ok"  # every project table found was read (each has its own status)
    partial = "partial"  # projects were read, but errors were recorded beside them
    failed = "failed"  # nothing could be read: see errors


class Severity(StrEnum):
    """How bad a finding is: errors block acceptance, warnings are shown, info is evidence
    (a note on how a value was vouched for)."""

    error = "error"
    warning = "warning"
    info = "info"


class TextLayer(StrEnum):
    """How far a page's text layer can be trusted."""

    digital = "digital"  # visible text drawn by the producing software
    invisible = "invisible"  # hidden text over a page image: an OCR layer of unknown quality
    none = "none"  # no text at all: a scan


class ReadWith(StrEnum):
    """Where a page's (or a cell's) text was taken from."""

    text_layer = "text_layer"
    ocr = "ocr"
    text_layer_ocr = "text_layer+ocr"  # the text layer, checked cell by cell against OCR


class Verdict(StrEnum):
    """What a page's own text layer is worth."""

    ok = "ok"
    suspect = "suspect"
    unusable = "unusable"


class Source(StrEnum):
    """Who read a value: a reader of the page, the LLM, or a person."""

    layout = "layout"
    llm = "llm"
    layout_llm = "layout+llm"  # the value the layout/LLM reconciliation chose
    ocr = "ocr"
    text_layer = "text_layer"
    reviewer = "reviewer"


class ErrorKind(StrEnum):
    """Why a file, or a part of it (a listed project), could not be processed."""

    not_found = "not_found"
    empty = "empty"
    not_pdf = "not_pdf"
    truncated = "truncated"
    corrupt = "corrupt"  # older outputs; damaged files are `damaged` now
    damaged = "damaged"  # MuPDF cannot open or parse it: "damaged PDF: ..."
    missing_project = "missing_project"  # listed in the document's own list, or a gap, not found
    encrypted = "encrypted"
    too_large = "too_large"
    too_complex = "too_complex"  # over a per-file limit: time, memory, pixels, drawing size
    unreadable = "unreadable"  # the path cannot be read: permission, symbolic link loop
    scanned = "scanned"
    no_table = "no_table"
    failed = "failed"


class ReasonKind(StrEnum):
    """Why a project is not accepted (or, for reviewed, what the reviewer did)."""

    reading = "reading"  # a READ_* finding of the layout reader: rule holds its id
    low_confidence = "low_confidence"
    check_failed = "check_failed"  # a rule fails where a value is doubtful: may be a misreading
    source_inconsistent = "source_inconsistent"  # a rule fails on confident readings
    sources_disagree = "sources_disagree"
    llm_only = "llm_only"  # values only the LLM gave
    llm_only_project = "llm_only_project"
    llm_failed = "llm_failed"
    damaged_page = "damaged_page"  # on or next to a page MuPDF reported damage on
    reviewed = "reviewed"
    review_in_progress = "review in progress"
    other = "other"  # text from an older or foreign file that fits no kind


_RULE_ID = re.compile(r"^[A-Z][A-Z0-9_]*$")
_HEAD = re.compile(r"^(?P<kind>[a-z_]+)(?: (?P<rule>[A-Z][A-Z0-9_]*))?(?: \((?P<note>[^)]*)\))?$")


class Reason(BaseModel):
    """One reason, written in the JSON as one line: '<kind>[ <rule>][ (<note>)]: <detail>'."""

    model_config = ConfigDict(frozen=True)

    kind: ReasonKind
    detail: str
    rule: str = ""  # the rule or finding id, where the reason is about one
    note: str = ""  # a qualifier printed in brackets after the kind

    def __str__(self) -> str:
        if self.kind is ReasonKind.other:
            return self.detail
        if self.kind is ReasonKind.reading:
            return f"{self.rule}: {self.detail}"
        head = self.kind.value + (f" {self.rule}" if self.rule else "")
        head += f" ({self.note})" if self.note else ""
        return f"{head}: {self.detail}"

    @classmethod
    def parse(cls, text: str) -> Reason:
        """The reason a line of text stands for; text that fits no kind is kept whole."""
        head, sep, detail = text.partition(": ")
        if sep:
            if head in ReasonKind._value2member_map_:
                return cls(kind=ReasonKind(head), detail=detail)
            if _RULE_ID.match(head):
                return cls(kind=ReasonKind.reading, rule=head, detail=detail)
            m = _HEAD.match(head)
            if m and m.group("kind") in ReasonKind._value2member_map_:
                return cls(
                    kind=ReasonKind(m.group("kind")),
                    rule=m.group("rule") or "",
                    note=m.group("note") or "",
                    detail=detail,
                )
        return cls(kind=ReasonKind.other, detail=text)


def _reason_in(value: Any) -> Any:
    return Reason.parse(value) if isinstance(value, str) else value


ReasonLine = Annotated[
    Reason,
    BeforeValidator(_reason_in),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "'<kind>[ <rule>][ (<note>)]: <detail>', kind one of "
            + ", ".join(k.value for k in ReasonKind if k is not ReasonKind.other),
        }
    ),
]


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

    source: Source = Field(description="Who read this value.")
    value: str | float | None
    confidence: float = Field(ge=0.0, le=1.0)
    note: str = ""


class PageHealth(BaseModel):
    """How far a page's text layer can be believed, and how it was read."""

    model_config = ConfigDict(extra="forbid")

    page: int
    text_layer: TextLayer
    verdict: Verdict
    read_with: ReadWith = ReadWith.text_layer
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
    reasons: list[ReasonLine] = Field(default_factory=list, description="Why it needs review.")
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
    kind: ErrorKind
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
    llm: LLMRecord | None = Field(
        default=None,
        description="LLM settings and usage for this document; {} when no LLM ran.",
    )
    tool_version: str = ""
    seconds: float = Field(default=0.0, description="Wall time spent on this file.")
    status: DocumentStatus = Field(
        default=DocumentStatus.ok, description="ok, partial (errors beside results) or failed."
    )

    @field_validator("llm", mode="before")
    @classmethod
    def _no_llm(cls, value: Any) -> Any:
        return None if value == {} else value

    @field_serializer("llm")
    def _llm_out(self, value: LLMRecord | None) -> dict[str, Any]:
        # {} rather than null: the contract had a plain object here before it was typed
        return {} if value is None else value.model_dump(mode="json")
