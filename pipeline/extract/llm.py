"""LLM reconstruction of one project: strict schema, targeted repair, every attempt kept.

The only module importing openai and instructor. One request reconstructs one project from
the layout reader's text grid of its cells (and page crops for vision models); instructor
re-asks on schema/JSON errors; tenacity retries transient failures (429, 5xx, timeouts,
connection resets) separately; the checker's errors trigger a bounded number of targeted
repair rounds. Every call goes through the record/replay cache and the token ledger.
"""

from __future__ import annotations

import copy
import email.utils
import importlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import instructor
import openai
from openai.types.chat import ChatCompletion
from pydantic import Field
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity import retry_if_exception_type as _retry_on

from pipeline.checks import check_project, rules
from pipeline.llm import prompts
from pipeline.llm.cache import LLMCache, ReplayMiss, digest, request_key
from pipeline.llm.gridtext import ProjectGrid, data_nonce
from pipeline.llm.images import Image, cell_images, page_images
from pipeline.llm.ledger import BudgetExceeded, CallRecord, Ledger
from pipeline.llm.settings import LLMSettings
from pipeline.models import ProjectCandidate
from pipeline.reconcile import field_values, printed_text
from schemas import Finding, Project, Severity


def _instructor_retry_exception() -> type[Exception]:
    # instructor 1.3 defines it in instructor.retry; later versions in instructor.exceptions
    for name in ("instructor.exceptions", "instructor.retry"):
        try:
            found = getattr(importlib.import_module(name), "InstructorRetryException", None)
        except ImportError:  # pragma: no cover - depends on the installed instructor
            continue
        if isinstance(found, type) and issubclass(found, Exception):
            return found
    raise ImportError("instructor has no InstructorRetryException")  # pragma: no cover


InstructorRetryException = _instructor_retry_exception()

EXTRACT_PROMPT = "extract_project.v1"
REPAIR_PROMPT = "repair_project.v1"

# What a value read by the LLM alone is worth; below the accept threshold on purpose.
CONF_LLM = 0.8
# A value the LLM changed during a repair round: it read it two ways.
CONF_LLM_REPAIRED = 0.7

_MODES = {
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}
_TRANSIENT_STATUS = frozenset({408, 409, 429})


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


def prompt_info() -> dict[str, str]:
    """Prompt name -> sha256 of its file."""
    return {name: prompts.load(name).sha256 for name in (EXTRACT_PROMPT, REPAIR_PROMPT)}


@dataclass
class ProjectRequest:
    """What the LLM gets for one project: its grid, its PDF, the layout reader's candidate."""

    index: int  # 0-based position in the document
    grid: ProjectGrid
    pdf: Path
    layout: ProjectCandidate | None = None


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
    failure_kind: str = ""  # replay_miss | budget | transient | validation | form | error
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


def retry_after_seconds(exc: BaseException, now: datetime | None = None) -> float | None:
    """Seconds the server asked to wait (Retry-After seconds or HTTP date, retry-after-ms)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def is_transient(exc: BaseException) -> bool:
    """429, 408/409, 5xx, timeouts and connection resets: worth sending again."""
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError is one
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _TRANSIENT_STATUS or exc.status_code >= 500
    return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APIConnectionError):
        return "connection error"
    return type(exc).__name__


@dataclass
class _CallContext:
    index: int
    round: int
    calls: int = 0


class LLMExtractor:
    """Reconstructs projects with an OpenAI-compatible model; thread-safe across projects."""

    def __init__(
        self,
        settings: LLMSettings,
        cache: LLMCache,
        ledger: Ledger,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.ledger = ledger
        self.sleep = sleep
        self.mode = _MODES[settings.mode]
        self.client = openai.OpenAI(
            base_url=settings.base_url or "https://api.openai.com/v1",
            # local servers (vLLM, Ollama) take any key; the header must still be there
            api_key=settings.api_key or "EMPTY",
            max_retries=0,
            timeout=settings.timeout,
        )
        self.extract_prompt = prompts.load(EXTRACT_PROMPT)
        self.repair_prompt = prompts.load(REPAIR_PROMPT)
        self.prompt_sha = digest([self.extract_prompt.sha256, self.repair_prompt.sha256])
        self.schema_sha = schema_sha()

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    # -- one HTTP call, cached, retried, counted ---------------------------------------
    def _wait(self, rec: CallRecord) -> Callable[[RetryCallState], float]:
        s = self.settings

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = retry_after_seconds(exc) if exc is not None else None
            if asked is not None:
                rec.retry_after.append(asked)
                seconds = min(asked, s.retry_max_wait)
            else:
                # full jitter: spreads clients that failed together
                ceiling = min(s.retry_max_wait, s.retry_base_wait * 2 ** (state.attempt_number - 1))
                seconds = random.uniform(ceiling / 2, ceiling)
            rec.waits.append(round(seconds, 4))
            return seconds

        return wait

    def _send(self, kwargs: dict[str, Any], rec: CallRecord) -> ChatCompletion:
        def note(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            rec.transient_retries += 1
            rec.errors.append(_describe(exc) if exc else "error")

        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(max(1, self.settings.retry_attempts)),
            wait=self._wait(rec),
            sleep=self.sleep,
            before_sleep=note,
            reraise=True,
        )
        result = retrying(self.client.chat.completions.create, **kwargs)
        assert isinstance(result, ChatCompletion)
        return result

    def _create(self, ctx: _CallContext, **kwargs: Any) -> ChatCompletion:
        n = ctx.calls
        ctx.calls += 1
        request = {
            k: kwargs.get(k) for k in ("messages", "tools", "tool_choice", "response_format")
        }
        sampling = {
            "temperature": kwargs.get("temperature"),
            "max_tokens": kwargs.get("max_tokens"),
        }
        key, parts = request_key(
            model=self.settings.model,
            prompt_sha=self.prompt_sha,
            schema_sha=self.schema_sha,
            input_sha=digest(request),
            sampling=sampling,
            attempt=f"round{ctx.round}/call{n}",
        )
        rec = CallRecord(project=ctx.index, round=ctx.round, attempt=n, cached=False, key=key[:16])
        # checked before the cache too, so a replay stops where the recorded run stopped
        self.ledger.check_budget()
        hit = self.cache.get(key)
        if hit is not None:
            completion = ChatCompletion.model_validate(hit["response"])
            rec.cached = True
        else:
            if self.cache.replay_only:
                raise ReplayMiss(
                    f"--replay-only: no recorded answer for project {ctx.index + 1}, "
                    f"round {ctx.round}, call {n} (key {key[:16]})"
                )
            t0 = time.perf_counter()
            try:
                completion = self._send(dict(kwargs), rec)
            except Exception as exc:
                rec.errors.append(_describe(exc))
                rec.seconds = round(time.perf_counter() - t0, 3)
                self.ledger.add(rec)
                raise
            rec.seconds = round(time.perf_counter() - t0, 3)
            self.cache.put(
                key,
                {
                    "key": parts,
                    "request_sha256": digest(request),
                    "messages": len(request["messages"] or []),
                    "response": completion.model_dump(mode="json"),
                },
            )
        usage = completion.usage
        if usage is not None:
            rec.prompt_tokens = int(usage.prompt_tokens or 0)
            rec.completion_tokens = int(usage.completion_tokens or 0)
        self.ledger.add(rec)
        return completion

    def _ask(self, index: int, round_: int, messages: list[dict[str, Any]]) -> ExtractedProject:
        ctx = _CallContext(index, round_)

        def create(**kwargs: Any) -> ChatCompletion:
            return self._create(ctx, **kwargs)

        messages = copy.deepcopy(messages)  # instructor appends re-asks to the list it gets
        if self.mode is instructor.Mode.MD_JSON and any(
            isinstance(m["content"], list) for m in messages
        ):
            # instructor 1.3 merges MD_JSON messages into part lists, then appends its schema
            # to a system message with `+=`, which splits a str into characters on a list;
            # so the system text travels as the user message's first part instead
            system = [m for m in messages if m["role"] == "system"]
            messages = [m for m in messages if m["role"] != "system"]
            first = next(m for m in messages if m["role"] == "user")
            first["content"] = [
                *({"type": "text", "text": m["content"]} for m in system),
                *first["content"],
            ]
        patched = instructor.patch(create=create, mode=self.mode)
        revalidate = Retrying(
            stop=stop_after_attempt(1 + self.settings.max_validation_retries),
            retry=_retry_on(InstructorRetryException),
            reraise=True,
        )
        answer = patched(
            response_model=ExtractedProject,
            max_retries=revalidate,
            strict=False,
            messages=messages,
            model=self.settings.model,
            temperature=self.settings.temperature,
            max_tokens=self.settings.max_output_tokens,
        )
        assert isinstance(answer, ExtractedProject)
        return answer

    # -- messages -----------------------------------------------------------------------
    def _content(self, text: str, images: list[Image]) -> str | list[dict[str, Any]]:
        if not images:
            return text
        parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
        for img in images:
            parts.append({"type": "text", "text": f"Image: {img.label}"})
            parts.append({"type": "image_url", "image_url": {"url": img.data_url()}})
        return parts

    def initial_messages(self, req: ProjectRequest) -> list[dict[str, Any]]:
        """System prompt and the project's text grid (plus page crops for vision models)."""
        grid = req.grid.text()
        images = (
            page_images(req.pdf, req.grid, self.settings.image_dpi) if self.settings.vision else []
        )
        pages = sorted({part.table.page for part in req.grid.parts})
        user = self.extract_prompt.render(
            "user",
            nonce=data_nonce(grid),
            grid=grid,
            pages="page " + ", ".join(str(p) for p in pages) if pages else "no page",
            images=(
                f"{len(images)} image(s) of the table follow, cropped from the rendered pages."
                if images
                else "No images: work from the text grid."
            ),
        )
        return [
            {"role": "system", "content": self.extract_prompt.render("system")},
            {"role": "user", "content": self._content(user, images)},
        ]

    def repair_messages(
        self,
        base: list[dict[str, Any]],
        answer: ExtractedProject,
        errors: list[Finding],
        req: ProjectRequest,
    ) -> list[dict[str, Any]]:
        """The conversation so far, the previous answer, and the violated rules with their numbers."""
        described = {rid: text for rid, _, text in rules()}
        violations = "\n".join(
            f"- {f.rule} ({described.get(f.rule, '')}): {f.message}"
            + (f"\n  equation: {f.equation}" if f.equation else "")
            for f in errors
        )
        values = field_values(answer)
        suspect = list(dict.fromkeys(p for f in errors for p in f.fields))
        suspects = "\n".join(
            f"- {p} = {json.dumps(values.get(p), ensure_ascii=False)}" for p in suspect
        )
        images: list[Image] = []
        if self.settings.vision and req.layout is not None:
            sources = {p: req.layout.provenance[p] for p in suspect if p in req.layout.provenance}
            images = cell_images(req.pdf, sources, req.grid, self.settings.crop_dpi)
        user = self.repair_prompt.render(
            "user",
            violations=violations,
            suspects=suspects or "- (none named)",
            images=(
                f"{len(images)} close-up(s) of the rows holding these cells follow."
                if images
                else "No close-ups."
            ),
        )
        previous = answer.model_dump_json()
        return [
            *base,
            {"role": "assistant", "content": previous},
            {"role": "user", "content": self._content(user, images)},
        ]

    # -- one project --------------------------------------------------------------------
    def _errors(self, answer: ExtractedProject) -> tuple[ProjectCandidate, list[Finding]]:
        cand = to_candidate(answer, set())
        errs = [
            f for f in check_project(cand.project, cand.printed) if f.severity is Severity.error
        ]
        return cand, errs

    def reconstruct(self, req: ProjectRequest) -> LLMOutcome:
        """Ask, check, repair (bounded); never raises for the model's or the network's failures."""
        attempts: list[Attempt] = []
        answers: dict[int, tuple[ExtractedProject, list[Finding]]] = {}
        out = LLMOutcome(req.index, None, attempts)
        base = self.initial_messages(req)
        messages = base
        round_ = 0
        previous: ExtractedProject | None = None
        while True:
            kind = "extract" if round_ == 0 else "repair"
            try:
                answer = self._ask(req.index, round_, messages)
            except Exception as exc:  # the failure is the outcome; the batch goes on
                out.failure, out.failure_kind = describe_failure(exc)
                attempts.append(Attempt(round_, kind, failure=out.failure))
                break
            _, errs = self._errors(answer)
            answers[round_] = (answer, errs)
            attempts.append(
                Attempt(
                    round_,
                    kind,
                    answer=answer.model_dump(exclude={"source_inconsistencies"}),
                    errors=[f"{f.rule}: {f.equation or f.message}" for f in errs],
                    source_inconsistencies=list(answer.source_inconsistencies),
                )
            )
            if not errs or round_ >= self.settings.max_repair_rounds:
                break
            if previous is not None and _values(previous) == _values(answer):
                break  # the model stands by its reading: asking again would cost, not help
            previous = answer
            messages = self.repair_messages(base, answer, errs, req)
            round_ += 1
        if not answers:
            return out
        # the round with the fewest errors; the later one on a tie (it was looked at again)
        best = min(answers, key=lambda r: (len(answers[r][1]), -r))
        chosen = answers[best][0]
        first = answers[min(answers)][0]
        changed = {
            p for p, v in field_values(chosen).items() if field_values(first).get(p, object()) != v
        }
        out.candidate = to_candidate(chosen, changed, req.layout)
        out.notes = list(chosen.source_inconsistencies)
        out.chosen_round = best
        if out.failure:
            out.failure = f"round {len(answers)} failed ({out.failure}); kept round {best}"
        return out


def _values(answer: ExtractedProject) -> dict[str, Any]:
    return answer.model_dump(exclude={"source_inconsistencies"})


def describe_failure(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, ReplayMiss):
        return str(exc), "replay_miss"
    if isinstance(exc, BudgetExceeded):
        return str(exc), "budget"
    if isinstance(exc, InstructorRetryException):
        last = str(exc).strip().splitlines()
        return (
            f"no valid answer after {getattr(exc, 'n_attempts', '?')} attempt(s): "
            f"{last[0][:200] if last else type(exc).__name__}",
            "validation",
        )
    if is_transient(exc):
        return f"endpoint kept failing ({_describe(exc)})", "transient"
    if isinstance(exc, openai.APIStatusError):
        return f"endpoint refused the request ({_describe(exc)}: {str(exc)[:200]})", "error"
    if isinstance(exc, AssertionError):
        # instructor asserts on the answer's form, e.g. no tool call in TOOLS mode
        return (
            f"the model's answer is not in the form the mode expects ({exc}); "
            "try another --llm-mode (tools, json, md_json)",
            "form",
        )
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}", "error"


def to_candidate(
    answer: Project, changed: set[str], layout: ProjectCandidate | None = None
) -> ProjectCandidate:
    """The LLM's answer as a candidate: printed text with 2 decimals, per-field confidence."""
    project = Project.model_validate(answer.model_dump(include=set(Project.model_fields)))
    values = field_values(project)
    return ProjectCandidate(
        project=project,
        printed={p: printed_text(p, v) for p, v in values.items()},
        field_confidence={p: CONF_LLM_REPAIRED if p in changed else CONF_LLM for p in values},
        pages=layout.pages if layout else [],
        extractor="llm",
    )
