"""Writing results: atomic JSON per document, summary.csv that opens cleanly in Excel."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from schemas import DocumentResult

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


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a temp file in the same folder and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def document_json(result: DocumentResult) -> str:
    """The output contract as JSON text (UTF-8, Chinese kept readable)."""
    return result.model_dump_json(indent=1) + "\n"


def summary_rows(results: list[DocumentResult], files: list[str] | None = None) -> list[list[str]]:
    """One row per project, and one per file that failed; `files` names each input as given."""
    rows: list[list[str]] = []
    for i, doc in enumerate(results):
        name = files[i] if files else doc.source
        for err in doc.errors:
            rows.append([name, "", "", "", "", "", "", "", "", "", "error", "", "", err.message])
        for p in doc.projects:
            t = p.funds.total
            rows.append(
                [
                    name,
                    p.name,
                    p.department,
                    " ".join(str(n) for n in p.pages),
                    _num(t.annual_budget),
                    _num(t.executed),
                    _num(t.execution_rate),
                    _num(p.total_weight),
                    _num(p.total_score),
                    p.grade,
                    p.status.value,
                    f"{p.confidence:.2f}",
                    "yes" if p.source_inconsistent else "",
                    " | ".join(str(r) for r in p.reasons),
                ]
            )
    return rows


def write_summary(
    path: Path, results: list[DocumentResult], files: list[str] | None = None
) -> None:
    """summary.csv in UTF-8 with a BOM, which Excel needs to show Chinese text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(SUMMARY_COLUMNS)
    w.writerows(summary_rows(results, files))
    write_atomic(path, "\ufeff" + buf.getvalue())


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.2f}"
