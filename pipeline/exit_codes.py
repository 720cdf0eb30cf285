"""The exit code of `jixiao run`: one rule, so scripts can tell a failed file from a partial one."""

from __future__ import annotations

from collections.abc import Sequence

from schemas import DocumentResult, DocumentStatus

OK = 0
FAILED = 1  # a file could not be read at all, or a pattern matched nothing
USAGE = 2  # bad flags or no input (argparse's code too)
PARTIAL = 3  # a document is partial: a listed project not found, a damaged page
LLM_UNAVAILABLE = 4  # the LLM endpoint could not be reached: layout-only results


def run_exit_code(results: Sequence[DocumentResult], unmatched: Sequence[str] = ()) -> int:
    """The worst outcome of a run, in this order: failed file, partial document, LLM unavailable."""
    if unmatched or any(r.status is DocumentStatus.failed for r in results):
        return FAILED
    if any(r.status is DocumentStatus.partial for r in results):
        return PARTIAL
    if any(r.llm is not None and r.llm.unavailable for r in results):
        return LLM_UNAVAILABLE
    return OK
