"""summary.csv and summary.xlsx, rebuilt from the JSON files on disk, one document at a time."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import ValidationError

from pipeline.batch.workbook import Workbook
from pipeline.output import OutputError, current_umask, document_rows, summary_csv
from schemas import DocumentResult


def load_output(path: Path) -> DocumentResult | None:
    """A JSON output file, or None when it is missing or does not parse."""
    try:
        return DocumentResult.model_validate_json(path.read_bytes())
    except (OSError, ValueError, ValidationError):
        return None


def write_summaries(
    out_dir: Path,
    inputs: Iterable[tuple[str, str]],
    on_doc: Callable[[DocumentResult], None] | None = None,
) -> int:
    """summary.csv and summary.xlsx for (input label, JSON name) pairs, in that order.

    Each JSON is read, turned into rows and dropped, so memory does not grow with the batch.
    Inputs whose JSON is missing (an interrupted run) are left out. Returns the rows written.
    """
    fd, tmp = _temp(out_dir, "summary.xlsx")
    os.close(fd)
    book = Workbook(Path(tmp))
    rows = 0
    try:
        with summary_csv(out_dir / "summary.csv") as csv_out:
            for label, json_name in inputs:
                doc = load_output(out_dir / json_name)
                if doc is None:
                    continue
                lines = document_rows(label, doc)
                csv_out.writerows(lines)
                rows += len(lines)
                book.add(label, json_name, doc)
                if on_doc is not None:
                    on_doc(doc)
        book.close()
        with open(tmp, "rb") as fh:  # on disk before the rename, as every other output
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, out_dir / "summary.xlsx")
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(out_dir, exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


def _temp(out_dir: Path, name: str) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
    except OSError as exc:
        raise OutputError(out_dir, exc) from exc
