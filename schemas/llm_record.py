"""The `llm` section of a document's JSON: settings used, every attempt, tokens and cost.

Field order is the JSON's key order; the key itself is never recorded.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tokens(_Record):
    """Token counts."""

    prompt: int = 0
    completion: int = 0
    total: int = 0


class PricePerMTok(_Record):
    """Price per million tokens, in the record's currency."""

    input: float
    output: float


class LLMCall(_Record):
    """One chat-completions call as the ledger saw it (retries of it included)."""

    project: int
    round: int
    attempt: int
    cached: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    transient_retries: int = 0
    waits: list[float] = Field(default_factory=list)
    retry_after: list[float] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    key: str = ""
    total_tokens: int = 0


FailureKind = Literal[
    "", "replay_miss", "budget", "transient", "validation", "form", "error", "unavailable"
]


class LLMAttempt(_Record):
    """One round of one project: the answer, the checker's errors on it, or why it failed."""

    round: int
    kind: Literal["extract", "repair"]
    answer: dict[str, Any] | None = None
    errors: list[str] = Field(default_factory=list)
    source_inconsistencies: list[str] = Field(default_factory=list)
    failure: str = ""


class LLMProjectRecord(_Record):
    """Everything the LLM did for one project."""

    name: str
    index: int
    chosen_round: int | None = None
    failure: str = ""
    failure_kind: FailureKind = ""
    source_inconsistencies: list[str] = Field(default_factory=list)
    attempts: list[LLMAttempt] = Field(default_factory=list)
    calls: int = 0
    cache_hits: int = 0
    transient_retries: int = 0
    tokens: Tokens = Field(default_factory=Tokens)
    cost: float | None = None


class LLMRecord(_Record):
    """Settings, usage and every attempt of the LLM path for one document."""

    model: str
    base_url_host: str
    mode: str
    vision: bool
    prompts: dict[str, str] = Field(description="Prompt name -> sha256 of its file.")
    schema_sha256: str
    temperature: float
    max_repair_rounds: int
    max_tokens_per_document: int
    replay_only: bool
    cache: str | None
    currency: str
    price_per_mtok: PricePerMTok | None
    calls: int = 0
    requests_sent: int = 0
    cache_hits: int = 0
    transient_retries: int = 0
    tokens: Tokens = Field(default_factory=Tokens)
    tokens_fresh: Tokens = Field(default_factory=Tokens)
    cost: float | None = None
    budget_exhausted: bool = False
    unavailable: str = Field(
        default="",
        description="Why the endpoint could not be reached; the LLM was off for the run, the "
        "layout reader's results stand.",
    )
    call_log: list[LLMCall] = Field(default_factory=list)
    projects: list[LLMProjectRecord] = Field(default_factory=list)
