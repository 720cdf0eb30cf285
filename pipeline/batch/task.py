"""One file to process, as the runners see it, and the result the driver writes for a lost one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from schemas import DocumentResult, DocumentStatus, ErrorKind, InputError


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
