"""Writing results: atomic JSON per document, summary.csv that opens cleanly in Excel."""

from __future__ import annotations

import csv
import errno
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pipeline.numbers import places_of, read_number
from schemas import DocumentResult, ProjectResult

SUMMARY_COLUMNS = [
    "file",
    "project",
    "department",
    "pages",
    "annual_budget",
    "executed",
    "execution_rate",
    "total_weight",
    "total_score",
    "grade",
    "status",
    "confidence",
    "source_inconsistent",
    "reasons",
]

# The numeric summary columns and the field path each one shows.
NUMBER_PATHS = {
    "annual_budget": "funds.total.annual_budget",
    "executed": "funds.total.executed",
    "execution_rate": "funds.total.execution_rate",
    "total_weight": "total_weight",
    "total_score": "total_score",
}

_REASONS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a file is in the way (not a folder)",
    errno.EEXIST: "a file is in the way (not a folder)",
    errno.EFBIG: "file too large for this file system",
    errno.EIO: "input/output error",
}


class OutputError(Exception):
    """The output folder cannot be written: one line, naming the folder and the reason."""

    def __init__(self, target: Path, exc: OSError) -> None:
        reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
        self.target = target
        super().__init__(f"cannot write to {target}: {reason}")


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows."""
    # /proc says it without changing it (os.umask can only be read by setting it)
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A file written under a temporary name and renamed when complete: readers never see half.

    It gets the permissions any new file gets (0666 less the umask), not mkstemp's 0600.
    OSErrors come out as OutputError.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(path.parent, exc) from exc
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(path.parent, exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a temp file in the same folder and rename, so a reader never sees half a file."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_file(path) as fh:
        fh.write(raw)


def document_json(result: DocumentResult) -> str:
    """The output contract as JSON text (UTF-8, Chinese kept readable)."""
    return result.model_dump_json(indent=1) + "\n"


def printed_number(
    project: ProjectResult, path: str, value: float | None
) -> tuple[str, int | None]:
    """A number as the report printed it ('89.974', '86.00'), and its decimals.

    The decimals come from the printed text in provenance when it holds this very value;
    otherwise (a value typed by a reviewer, an LLM-only value) the float is shown as it is,
    with no decimals added or dropped.
    """
    if value is None:
        return "", None
    src = project.provenance.get(path)
    number = read_number(src.text).value if src is not None else None
    if number is not None and float(number) == value:
        places = places_of(number)
        return f"{value:.{places}f}", places
    text = repr(value)
    return text.removesuffix(".0") if text.endswith(".0") else text, None


def project_row(name: str, p: ProjectResult) -> list[str]:
    """The summary row of one project."""
    t = p.funds.total
    values = {
        "annual_budget": t.annual_budget,
        "executed": t.executed,
        "execution_rate": t.execution_rate,
        "total_weight": p.total_weight,
        "total_score": p.total_score,
    }
    nums = {col: printed_number(p, path, values[col])[0] for col, path in NUMBER_PATHS.items()}
    return [
        name,
        p.name,
        p.department,
        " ".join(str(n) for n in p.pages),
        nums["annual_budget"],
        nums["executed"],
        nums["execution_rate"],
        nums["total_weight"],
        nums["total_score"],
        p.grade,
        p.status.value,
        f"{p.confidence:.2f}",
        "yes" if p.source_inconsistent else "",
        " | ".join(str(r) for r in p.reasons),
    ]


def document_rows(name: str, doc: DocumentResult) -> list[list[str]]:
    """One row per error of a document, then one per project."""
    rows = [
        [name, "", "", "", "", "", "", "", "", "", "error", "", "", e.message] for e in doc.errors
    ]
    return rows + [project_row(name, p) for p in doc.projects]


def summary_rows(results: list[DocumentResult], files: list[str] | None = None) -> list[list[str]]:
    """One row per project, and one per file that failed; `files` names each input as given."""
    rows: list[list[str]] = []
    for i, doc in enumerate(results):
        rows += document_rows(files[i] if files else doc.source, doc)
    return rows


@contextmanager
def summary_csv(path: Path) -> Iterator[Any]:  # a csv writer (its type is private)
    """A CSV writer for summary.csv (UTF-8 with a BOM, which Excel needs for Chinese), atomic."""
    with atomic_file(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        text.write("\ufeff")
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow(SUMMARY_COLUMNS)
        yield w
        text.flush()
        text.detach()  # the atomic writer closes the file itself


def write_summary(
    path: Path, results: Iterable[DocumentResult], files: list[str] | None = None
) -> None:
    """summary.csv of results held in memory (review export); run writes it from the JSON files."""
    with summary_csv(path) as w:
        for i, doc in enumerate(results):
            w.writerows(document_rows(files[i] if files else doc.source, doc))
