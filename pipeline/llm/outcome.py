"""What the LLM made of one project: every attempt, the candidate it yields, or why none."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.models import ProjectCandidate

# Why a project has no LLM answer; recorded as llm.projects[].failure_kind.
FailureKind = Literal[
    "replay_miss", "budget", "transient", "validation", "form", "error", "unavailable"
]


@dataclass
class Attempt:
    """One round: the answer (schema JSON), the checker's errors on it, or why it failed."""

    round: int
    kind: str  # extract | repair
    answer: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    source_inconsistencies: list[str] = field(default_factory=list)
    failure: str = ""


@dataclass
class LLMOutcome:
    """The LLM's reading of one project, or why there is none."""

    index: int
    candidate: ProjectCandidate | None
    attempts: list[Attempt]
    notes: list[str] = field(default_factory=list)
    failure: str = ""
    failure_kind: FailureKind | Literal[""] = ""
    chosen_round: int | None = None

    def record(self) -> dict[str, Any]:
        """For DocumentResult.llm: every attempt, kept."""
        return {
            "index": self.index,
            "chosen_round": self.chosen_round,
            "failure": self.failure,
            "failure_kind": self.failure_kind,
            "source_inconsistencies": self.notes,
            "attempts": [a.__dict__ for a in self.attempts],
        }
