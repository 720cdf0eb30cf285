"""The exit code of `jixiao run`: one rule, so scripts can tell a failed file from a partial one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from schemas import DocumentResult, DocumentStatus

OK = 0
FAILED = 1  # a file could not be read at all, or a pattern matched nothing
USAGE = 2  # bad flags or no input (argparse's code too)
PARTIAL = 3  # a document is partial: a listed project not found, a damaged page
LLM_UNAVAILABLE = 4  # the LLM endpoint could not be reached: layout-only results
OUTPUT_ERROR = 5  # the outputs could not be written (disk full, read-only folder ...)


def run_exit_code(results: Iterable[DocumentResult], unmatched: Sequence[str] = ()) -> int:
    """The worst outcome of a run, in this order: failed file, partial document, LLM unavailable.

    One pass over `results`, so it can be fed from disk one result at a time."""
    code = OK
    for r in results:
        if r.status is DocumentStatus.failed:
            return FAILED
        if r.status is DocumentStatus.partial:
            code = PARTIAL
        elif code == OK and r.llm is not None and r.llm.unavailable:
            code = LLM_UNAVAILABLE
    return FAILED if unmatched else code
