"""The only module importing openai, instructor and tenacity: one ask() call per answer.

ask() sends chat-completions requests to an OpenAI-compatible endpoint and returns a validated
response model. Below it: tenacity retries transient failures (429, 408/409, 5xx, timeouts,
connection resets) with jittered backoff, honouring Retry-After; instructor re-asks on
schema/JSON errors; every call goes through the record/replay cache and the token ledger.
Every failure comes out as one exception of ours, LLMCallFailed(kind, message).
"""

from __future__ import annotations

import copy
import email.utils
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

import instructor
import openai
import pydantic
from instructor.core import InstructorRetryException, ResponseParsingError
from openai.types.chat import ChatCompletion
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
)

from pipeline.llm.cache import LLMCache, ReplayMiss, digest, request_key
from pipeline.llm.ledger import BudgetExceeded, Ledger
from pipeline.llm.outcome import FailureKind
from pipeline.options import LLMSettings
from schemas.llm_record import LLMCall

M = TypeVar("M", bound=pydantic.BaseModel)

Message = dict[str, Any]

_MODES = {
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}
_TRANSIENT_STATUS = frozenset({408, 409, 429})
# What instructor re-asks about: an answer that is not valid JSON or not valid for the schema.
# An answer in the wrong form (no tool call in TOOLS mode: ResponseParsingError) is not asked
# again: the same model would answer the same way, the user is told to try another mode.
_REASK_ON = (pydantic.ValidationError, json.JSONDecodeError)


class LLMCallFailed(RuntimeError):
    """No valid answer: kind says why (budget, replay miss, transient, validation, ...)."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind: FailureKind = kind
        self.message = message


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
    """429, 408/409, 5xx, read timeouts and connection resets: worth sending again."""
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError is one
        return not is_connect_failure(exc)  # nobody there: sending again will not help
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


def describe_failure(exc: BaseException) -> tuple[str, FailureKind]:
    """(what went wrong, in one line; its kind) for any exception on the way to an answer."""
    if isinstance(exc, LLMCallFailed):
        return exc.message, exc.kind
    if isinstance(exc, ReplayMiss):
        return str(exc), "replay_miss"
    if isinstance(exc, BudgetExceeded):
        return str(exc), "budget"
    if isinstance(exc, InstructorRetryException):
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, _REASK_ON):
            # instructor wraps whatever stopped it: the cache, the ledger, the endpoint, the form
            return describe_failure(cause)
        last = str(cause if cause is not None else exc).strip().splitlines()
        return (
            f"no valid answer after {exc.n_attempts} attempt(s): "
            f"{last[0][:200] if last else type(exc).__name__}",
            "validation",
        )
    if is_transient(exc):
        return f"endpoint kept failing ({_describe(exc)})", "transient"
    if isinstance(exc, openai.APIStatusError):
        return f"endpoint refused the request ({_describe(exc)}: {str(exc)[:200]})", "error"
    if isinstance(exc, ResponseParsingError | AssertionError):
        # the answer's form, e.g. no tool call in TOOLS mode (or a refusal, which asserts)
        return (
            f"the model's answer is not in the form the mode expects ({exc}); "
            "try another --llm-mode (tools, json, md_json)",
            "form",
        )
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}", "error"


# Endpoints found unreachable in this process: the LLM stays off for them for the rest of the run.
_UNREACHABLE: dict[str, str] = {}
_UNREACHABLE_LOCK = threading.Lock()


def unreachable(endpoint: str) -> str:
    """Why the endpoint was found unreachable earlier in this run; '' when it was not."""
    with _UNREACHABLE_LOCK:
        return _UNREACHABLE.get(endpoint, "")


def _mark_unreachable(endpoint: str, reason: str) -> str:
    with _UNREACHABLE_LOCK:
        return _UNREACHABLE.setdefault(endpoint, reason)


def is_connect_failure(exc: BaseException) -> bool:
    """No connection could be opened (refused, no route, connect timeout): not worth retrying."""
    cause: BaseException | None = exc
    while cause is not None:
        # by name: openai's HTTP library is httpx or, from openai 3, httpx2
        if type(cause).__name__ in ("ConnectError", "ConnectTimeout"):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


@dataclass
class _Call:
    """One ask(): the project and round it serves, and how many requests it made so far."""

    project: int
    round: int
    schema_sha: str
    calls: int = 0


class LLMClient:
    """An OpenAI-compatible endpoint behind ask(); thread-safe across projects."""

    def __init__(
        self,
        settings: LLMSettings,
        cache: LLMCache,
        ledger: Ledger,
        *,
        prompt_sha: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.ledger = ledger
        self.prompt_sha = prompt_sha  # part of every cache key: new prompts, new answers
        self.sleep = sleep
        self.mode = _MODES[settings.mode]
        self.endpoint = (settings.base_url or "https://api.openai.com/v1").rstrip("/")
        self.client = openai.OpenAI(
            base_url=self.endpoint,
            # local servers (vLLM, Ollama) take any key; the header must still be there
            api_key=settings.api_key or "EMPTY",
            max_retries=0,
            timeout=openai.Timeout(settings.timeout, connect=settings.connect_timeout),
        )
        self._checked = False
        self._check_lock = threading.Lock()

    @property
    def unavailable(self) -> str:
        """Why the endpoint cannot be reached ('' while it can): the LLM is off for the run."""
        return unreachable(self.endpoint)

    def preflight(self) -> str:
        """One cheap request (GET /models) before the first real one; '' when the endpoint answers.

        Any HTTP answer, even 404, shows the server is there. No connection, or no answer within
        connect_timeout, turns the LLM off for the rest of the run.
        """
        with self._check_lock:
            if self._checked or self.unavailable:
                return self.unavailable
            self._checked = True
            quick = self.client.with_options(
                timeout=openai.Timeout(self.settings.connect_timeout), max_retries=0
            )
            try:
                quick.models.list()
            except openai.APIStatusError:
                return ""  # it answered
            except openai.APIConnectionError as exc:
                what = (
                    f"no answer within {self.settings.connect_timeout:g} s"
                    if isinstance(exc, openai.APITimeoutError) and not is_connect_failure(exc)
                    else "cannot connect"
                )
                return _mark_unreachable(self.endpoint, f"LLM endpoint {self.endpoint}: {what}")
            return ""

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()

    def ask(
        self, messages: list[Message], response_model: type[M], *, project: int, round: int
    ) -> M:
        """The model's answer as a validated response_model, or LLMCallFailed."""
        call = _Call(project, round, digest(response_model.model_json_schema()))
        try:
            return self._ask(call, messages, response_model)
        except Exception as exc:  # the failure is the outcome: one typed exception of ours
            message, kind = describe_failure(exc)
            raise LLMCallFailed(kind, message) from exc

    # -- validation re-asks (instructor) ------------------------------------------------
    def _ask(self, call: _Call, messages: list[Message], response_model: type[M]) -> M:
        def create(**kwargs: Any) -> ChatCompletion:
            return self._create(call, kwargs)

        patched = instructor.patch(create=create, mode=self.mode)
        revalidate = Retrying(
            stop=stop_after_attempt(1 + self.settings.max_validation_retries),
            retry=retry_if_exception_type(_REASK_ON),
            reraise=True,
        )
        answer = patched(
            response_model=response_model,
            max_retries=revalidate,
            strict=False,
            messages=copy.deepcopy(messages),  # instructor appends its re-asks
            model=self.settings.model,
            temperature=self.settings.temperature,
            max_tokens=self.settings.max_output_tokens,
        )
        assert isinstance(answer, response_model)
        return answer

    # -- one request: cached, retried, counted ------------------------------------------
    def _create(self, call: _Call, kwargs: dict[str, Any]) -> ChatCompletion:
        n = call.calls
        call.calls += 1
        request = {
            k: kwargs.get(k) for k in ("messages", "tools", "tool_choice", "response_format")
        }
        sampling = {
            "temperature": kwargs.get("temperature"),
            "max_tokens": kwargs.get("max_tokens"),
        }
        key, parts = request_key(
            endpoint=self.endpoint,
            model=self.settings.model,
            prompt_sha=self.prompt_sha,
            schema_sha=call.schema_sha,
            input_sha=digest(request),
            sampling=sampling,
            attempt=f"round{call.round}/call{n}",
        )
        rec = LLMCall(project=call.project, round=call.round, attempt=n, cached=False, key=key[:16])
        # checked before the cache too, so a replay stops where the recorded run stopped
        self.ledger.check_budget()
        hit = self.cache.get(key)
        if hit is not None:
            completion = ChatCompletion.model_validate(hit["response"])
            rec.cached = True
        else:
            if self.cache.replay_only:
                raise ReplayMiss(
                    f"--replay-only: no recorded answer for project {call.project + 1}, "
                    f"round {call.round}, call {n} (key {key[:16]})"
                )
            down = self.preflight()
            if down:
                raise LLMCallFailed("unavailable", down)
            t0 = time.perf_counter()
            try:
                completion = self._send(dict(kwargs), rec)
            except Exception as exc:
                rec.errors.append(_describe(exc))
                rec.seconds = round(time.perf_counter() - t0, 3)
                self.ledger.add(rec)
                if is_connect_failure(exc):  # the first connection failure: off for the run
                    reason = f"LLM endpoint {self.endpoint}: cannot connect ({_describe(exc)})"
                    down = _mark_unreachable(self.endpoint, reason)
                    raise LLMCallFailed("unavailable", down) from exc
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

    # -- transient retries (tenacity) ---------------------------------------------------
    def _send(self, kwargs: dict[str, Any], rec: LLMCall) -> ChatCompletion:
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

    def _wait(self, rec: LLMCall) -> Callable[[RetryCallState], float]:
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
