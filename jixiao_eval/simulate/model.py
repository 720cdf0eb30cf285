"""The SIMULATED LLM's answers: a script for the fake OpenAI server (jixiao_eval.fake_llm).

The request's project is found by the truth project's name (and indicator names, to tell apart
same-named projects) in the first user message, and the answer is that project's prepared
(error-injected) JSON. Repair rounds get the same answer: a model that stands by its reading.
Evaluation only: it lets `jixiao eval --simulate-llm` measure the gate through the real path.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from jixiao_eval.fake_llm import Received, Reply, message_text
from schemas import Project


def find_project(text: str, truths: Sequence[Project]) -> int | None:
    """Index of the truth project the text shows: its name present, most indicator names next."""
    scored = [
        (len(p.name), sum(1 for ind in p.indicators if ind.name and ind.name in text), -i, i)
        for i, p in enumerate(truths)
        if p.name and p.name in text
    ]
    return max(scored)[3] if scored else None


class SimulatedModel:
    """`model.prepare(truths, answers)` per document; `ScriptedLLM(model)` serves it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.truths: list[Project] = []
        self.answers: list[dict[str, Any]] = []
        self.unmatched = 0  # requests that named no prepared project (answered 400)

    def prepare(self, truths: Sequence[Project], answers: Sequence[Project]) -> None:
        """The next document: its truth projects (to recognise requests) and the answers."""
        if len(truths) != len(answers):
            raise ValueError("one answer per truth project")
        data = [
            a.model_dump(mode="json", include=set(Project.model_fields))
            | {"source_inconsistencies": []}
            for a in answers
        ]
        with self._lock:
            self.truths = list(truths)
            self.answers = data

    def __call__(self, req: Received) -> Reply:
        """The prepared answer of the project the request shows; 400 if it shows none."""
        users = [m for m in req.messages if isinstance(m, dict) and m.get("role") == "user"]
        first = message_text(users[0]) if users else ""
        with self._lock:
            i = find_project(first, self.truths)
            if i is None:
                self.unmatched += 1
                return Reply.error(400, message="simulated LLM: no known project in the request")
            return Reply.answer(self.answers[i])
