"""One file to process as the runners see it, a finished one as the driver sees it, and the
result the driver writes for a lost one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from schemas import DocumentResult, DocumentStatus, ErrorKind, InputError, ReadWith, Status


@dataclass(frozen=True)
class Task:
    """A file to read: where it is, how it is named in messages, and what it weighs."""

    path: Path
    label: str  # the path as given, as text (messages, summary)
    source_path: str  # the absolute path, as text (the review app opens it)
    sha256: str
    size: int
    group: str = ""  # the driver's key: inputs with the same bytes share one task
    attempts: int = field(default=0, compare=False)


def failure_result(task: Task, kind: ErrorKind, reason: str, seconds: float) -> DocumentResult:
    """The result of a file the worker could not bring back: killed, over time, worker died."""
    return DocumentResult(
        source=Path(task.label).name,
        sha256=task.sha256,
        source_path=task.source_path,
        errors=[InputError(source=task.label, kind=kind, message=f"{task.label}: {reason}")],
        tool_version=__version__,
        status=DocumentStatus.failed,
        seconds=round(seconds, 4),
    )


@dataclass(frozen=True)
class Finished:
    """A file's result as the driver needs it: the JSON text to write and the facts it records.

    The worker serialises the result once; the driver writes the text as it is and reads the
    facts, so it never parses or re-serialises a result (that was most of its CPU per file).
    """

    json: str  # document_json(result): the output file, byte for byte
    sha256: str
    status: DocumentStatus
    pages: int
    seconds: float
    rendered: bool  # read from a rendering somewhere: the result depends on --dpi
    limit_failure: bool  # failed on a limit or a dead worker: the result depends on the limits
    accepted: int
    needs_review: int
    errors: tuple[str, ...] = ()  # the one-line messages

    @classmethod
    def of(cls, res: DocumentResult) -> Finished:
        """The facts of a result, and its JSON text."""
        from pipeline.output import document_json

        return cls(
            json=document_json(res),
            sha256=res.sha256,
            status=res.status,
            pages=res.pages,
            seconds=res.seconds,
            rendered=any(h.read_with is not ReadWith.text_layer for h in res.page_health),
            # a dead worker counts too: with more memory it may well have lived
            limit_failure=any(
                e.kind in (ErrorKind.too_complex, ErrorKind.failed) for e in res.errors
            ),
            accepted=sum(1 for p in res.projects if p.status is Status.accepted),
            needs_review=sum(1 for p in res.projects if p.status is not Status.accepted),
            errors=tuple(e.message for e in res.errors),
        )

    def result(self) -> DocumentResult:
        """The full result, parsed (only for the rare input that needs it relabelled)."""
        return DocumentResult.model_validate_json(self.json)

    def encode(self) -> bytes:
        """Transport form: one ASCII JSON line of facts, then the JSON text's UTF-8 bytes."""
        body = self.json.encode("utf-8")
        facts = {k: v for k, v in self.__dict__.items() if k != "json"}
        facts["status"] = self.status.value
        facts["bytes"] = len(body)
        return json.dumps(facts, ensure_ascii=True).encode("ascii") + b"\n" + body

    @classmethod
    def decode(cls, head: bytes, read: Callable[[int], bytes]) -> Finished | None:
        """From the facts line and a reader of the body; None when the body is cut short."""
        facts = json.loads(head)
        size = facts.pop("bytes")
        body = read(size)
        if len(body) != size:
            return None
        facts["status"] = DocumentStatus(facts["status"])
        facts["errors"] = tuple(facts["errors"])
        return cls(json=body.decode("utf-8"), **facts)
