"""What the model fills: the project schema plus the inconsistencies it finds in the source."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeline.llm.cache import digest
from schemas import Project


class ExtractedProject(Project):
    """One project table as the LLM transcribes it, plus what it finds wrong in the source."""

    source_inconsistencies: list[str] = Field(
        default_factory=list,
        description="Rules the PRINTED values themselves break (rule, equation, printed "
        "numbers); the values above stay as printed. Empty when the table is consistent.",
    )


def schema_sha() -> str:
    """Hash of the JSON Schema the model fills."""
    return digest(ExtractedProject.model_json_schema())


def answer_values(answer: ExtractedProject) -> dict[str, Any]:
    """The answer's project fields (what a repair round may change), without its notes."""
    return answer.model_dump(exclude={"source_inconsistencies"})
