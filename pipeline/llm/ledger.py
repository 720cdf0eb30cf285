"""Token and cost ledger: every call (retries and re-asks included), per project and document.

Replayed calls count toward the per-document token cap (so a replay ends where the recorded
run ended) but cost nothing.
"""

from __future__ import annotations

import threading
from typing import Any

from pipeline.options import Price
from schemas.llm_record import LLMCall


class BudgetExceeded(RuntimeError):
    """The document's token cap is reached: no further request is sent."""


def _tokens(calls: list[LLMCall]) -> dict[str, int]:
    p = sum(c.prompt_tokens for c in calls)
    c_ = sum(c.completion_tokens for c in calls)
    return {"prompt": p, "completion": c_, "total": p + c_}


class Ledger:
    """Thread-safe record of one document's LLM calls, with the token cap."""

    def __init__(self, cap: int, price: Price | None) -> None:
        self.cap = cap
        self.price = price
        self.calls: list[LLMCall] = []
        self.budget_exhausted = False
        self._lock = threading.Lock()

    def used(self) -> int:
        """Tokens used so far by the document (fresh and replayed)."""
        with self._lock:
            return sum(c.prompt_tokens + c.completion_tokens for c in self.calls)

    def check_budget(self) -> None:
        """Raise BudgetExceeded instead of sending another request past the cap."""
        used = self.used()
        if used >= self.cap:
            self.budget_exhausted = True
            raise BudgetExceeded(
                f"token cap reached: {used} of {self.cap} tokens used by this document"
            )

    def add(self, record: LLMCall) -> None:
        """Record one call."""
        record.total_tokens = record.prompt_tokens + record.completion_tokens
        with self._lock:
            self.calls.append(record)

    def cost(self, calls: list[LLMCall]) -> float | None:
        """Cost of the fresh (not replayed) calls; None without a price for the model."""
        if self.price is None:
            return None
        fresh = [c for c in calls if not c.cached]
        p = sum(c.prompt_tokens for c in fresh)
        c_ = sum(c.completion_tokens for c in fresh)
        return round((p * self.price.input + c_ * self.price.output) / 1_000_000, 6)

    def project_summary(self, project: int) -> dict[str, Any]:
        """Tokens, calls, cost of one project."""
        with self._lock:
            calls = [c for c in self.calls if c.project == project]
        return {
            "calls": len(calls),
            "cache_hits": sum(c.cached for c in calls),
            "transient_retries": sum(c.transient_retries for c in calls),
            "tokens": _tokens(calls),
            "cost": self.cost(calls),
        }

    def summary(self) -> dict[str, Any]:
        """Document totals plus every call."""
        with self._lock:
            calls = list(self.calls)
        fresh = [c for c in calls if not c.cached]
        return {
            "calls": len(calls),
            # every HTTP request that left, transient retries included
            "requests_sent": sum(1 + c.transient_retries for c in fresh),
            "cache_hits": len(calls) - len(fresh),
            "transient_retries": sum(c.transient_retries for c in calls),
            "tokens": _tokens(calls),
            "tokens_fresh": _tokens(fresh),
            "cost": self.cost(calls),
            "budget_exhausted": self.budget_exhausted,
            "call_log": [c.model_dump() for c in calls],
        }
