"""One document through the LLM: a request per project (bounded concurrency), every call kept.

The outcomes go back to run.py, which checks and reconciles them in one place for both the
layout-only and the LLM branch (pipeline.reconcile.reconcile_project).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pipeline.llm.cache import LLMCache
from pipeline.llm.client import LLMClient, describe_failure
from pipeline.llm.gridtext import project_grid
from pipeline.llm.ledger import Ledger
from pipeline.llm.messages import ProjectRequest, prompt_info, prompt_sha
from pipeline.llm.outcome import LLMOutcome
from pipeline.llm.reconstruct import reconstruct
from pipeline.llm.schema import schema_sha
from pipeline.models import DocumentLayout, ExtractionResult
from pipeline.options import LLMSettings
from schemas import DocumentResult, LLMRecord


def settings_record(settings: LLMSettings) -> dict[str, Any]:
    """What is recorded about the settings: never the key."""
    return {
        "model": settings.model,
        "base_url_host": settings.host,
        "mode": settings.mode,
        "vision": settings.vision,
        "prompts": prompt_info(),
        "schema_sha256": schema_sha(),
        "temperature": settings.temperature,
        "max_repair_rounds": settings.max_repair_rounds,
        "max_tokens_per_document": settings.max_tokens_per_document,
        "replay_only": settings.replay_only,
        "cache": settings.cache_dir if settings.cache else None,
        "currency": settings.currency,
        "price_per_mtok": (
            {"input": p.input, "output": p.output} if (p := settings.price()) else None
        ),
    }


def reconstruct_document(
    pdf: Path,
    layout: DocumentLayout,
    extraction: ExtractionResult,
    settings: LLMSettings,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[LLMOutcome | None], LLMRecord]:
    """Each project found by the layout reader, reconstructed by the LLM; and the `llm` record.

    When the endpoint cannot be reached (the preflight, or the first connection failure), the
    LLM is off for the run: those projects get no outcome (None), so the layout reader's
    results stand exactly as they would without an LLM.
    """
    cache = LLMCache(
        Path(settings.cache_dir) if settings.cache else None, replay_only=settings.replay_only
    )
    ledger = Ledger(settings.max_tokens_per_document, settings.price())
    client = LLMClient(settings, cache, ledger, prompt_sha=prompt_sha(), sleep=sleep)
    requests = [
        ProjectRequest(i, project_grid(layout, c), pdf, c)
        for i, c in enumerate(extraction.candidates)
    ]

    def run(req: ProjectRequest) -> LLMOutcome:
        try:
            return reconstruct(req, client, settings)
        except Exception as exc:  # e.g. a page that will not render: this project only
            failure, kind = describe_failure(exc)
            return LLMOutcome(req.index, None, [], failure=failure, failure_kind=kind)

    try:
        if settings.concurrency > 1 and len(requests) > 1:
            with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
                outcomes = list(pool.map(run, requests))
        else:
            outcomes = [run(r) for r in requests]
    finally:
        client.close()

    project_records = [
        {"name": cand.project.name, **outcome.record(), **ledger.project_summary(outcome.index)}
        for cand, outcome in zip(extraction.candidates, outcomes, strict=True)
    ]
    info = settings_record(settings) | ledger.summary()
    info["projects"] = project_records
    info["unavailable"] = client.unavailable
    kept: list[LLMOutcome | None] = [
        None if o.failure_kind == "unavailable" else o for o in outcomes
    ]
    return kept, LLMRecord.model_validate(info)


def summary_line(results: list[DocumentResult]) -> str:
    """One line for the end of a run: requests, cache hits, tokens, cost, token caps hit."""
    infos = [r.llm for r in results if r.llm is not None]
    model = infos[0].model if infos else ""
    sent = sum(i.requests_sent for i in infos)
    hits = sum(i.cache_hits for i in infos)
    prompt = sum(i.tokens.prompt for i in infos)
    completion = sum(i.tokens.completion for i in infos)
    costs = [i.cost for i in infos]
    currency = infos[0].currency if infos else ""
    if costs and all(c is not None for c in costs):
        cost = f"cost {sum(c for c in costs if c is not None):.4f} {currency}"
    else:
        cost = f"cost unknown (no price for {model!r} in [llm.prices])"
    capped = sum(1 for i in infos if i.budget_exhausted)
    line = (
        f"LLM {model}: {sent} request(s) sent, {hits} answered from the cache; "
        f"{prompt + completion} tokens ({prompt} prompt, {completion} completion); {cost}"
    )
    if capped:
        line += f"; {capped} document(s) hit the token cap"
    down = sorted({i.unavailable for i in infos if i.unavailable})
    if down:
        n = sum(1 for i in infos if i.unavailable)
        line += (
            f"\nLLM unavailable ({'; '.join(down)}): the LLM was turned off for the run, "
            f"the layout reader's results stand for {n} document(s)"
        )
    return line
