"""The one-line reasons a file cannot be processed."""

from __future__ import annotations

from schemas import ErrorKind


class InputFileError(Exception):
    """A file the pipeline cannot read; `kind` is stable, the message names file and reason."""

    def __init__(self, source: str, kind: ErrorKind | str, reason: str) -> None:
        self.source = source
        self.kind = ErrorKind(kind)
        self.reason = reason
        super().__init__(f"{source}: {reason}")
