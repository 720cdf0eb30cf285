"""Orchestration: file -> render -> layout -> extract -> check -> reconcile -> DocumentResult.

`process_file` reads one file; `run_batch` runs many in bounded workers (pipeline/batch/),
streaming each JSON to disk and the journal as it finishes, then builds the summaries from the
JSON files.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from pipeline import __version__
from pipeline.batch.inputs import display_name, file_sha256
from pipeline.batch.limits import resource_limits
from pipeline.completeness import check_complete
from pipeline.errors import InputFileError
from pipeline.extract.labels import other_document
from pipeline.extract.layout import extract_layout
from pipeline.layout import build_layout
from pipeline.llm.outcome import LLMOutcome
from pipeline.models import DocumentLayout, TextLayer
from pipeline.options import RunOptions
from pipeline.read import read_document
from pipeline.reconcile import reconcile_project
from pipeline.render import is_out_of_memory, open_pdf
from schemas import DocumentResult, DocumentStatus, ErrorKind, InputError, LLMRecord


def _no_table_reason(layout: DocumentLayout, ocr: str) -> tuple[ErrorKind, str]:
    layers = set(layout.text_layers.values())
    scanned = layers == {TextLayer.none} or (TextLayer.digital not in layers and not layout.tables)
    if scanned and ocr == "off":
        return ErrorKind.scanned, "scanned PDF and OCR is turned off (--ocr off): nothing to read"
    tables = f"{len(layout.tables)} ruled tables on {layout.pages} pages"
    texts = [ln.text for ln in layout.lines if ln.page <= 3]
    texts += [c.text for t in layout.tables if t.page <= 3 for c in t.cells[:20]]
    kind = other_document(texts)
    if kind is not None:  # on a scan too: OCR read the title of another kind of document
        return (
            ErrorKind.no_table,
            f"not a 项目支出绩效自评表 ({kind} found{' by OCR' if scanned else ''}; {tables}, "
            "none with the 项目名称 / 绩效指标 labels)",
        )
    if scanned:
        return (
            ErrorKind.scanned,
            f"scanned PDF: no 绩效自评表 found by OCR ({len(layout.tables)} ruled tables "
            f"on {layout.pages} pages)",
        )
    return (
        ErrorKind.no_table,
        f"no 绩效自评表 found ({tables}, none with the 项目名称 / 绩效指标 labels)",
    )


def _check_readable(path: Path, label: str) -> str:
    """The file's sha256, or an InputFileError for a path that cannot be read at all."""
    try:
        return file_sha256(path) if path.is_file() else ""
    except OSError as exc:
        what = "symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise InputFileError(label, ErrorKind.unreadable, f"cannot read the file: {what}") from exc


def _symlink_loop(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


@contextmanager
def _openable(path: Path) -> Iterator[Path]:
    """The path, or a UTF-8-named link to it: MuPDF opens only names that are valid UTF-8."""
    try:
        str(path).encode("utf-8")
        yield path
        return
    except UnicodeEncodeError:
        pass
    with tempfile.TemporaryDirectory(prefix="jixiao-") as folder:
        link = Path(folder) / "input.pdf"
        link.symlink_to(os.path.abspath(path))
        yield link


def _read(path: Path, label: str, opts: RunOptions, t0: float) -> DocumentResult:
    if _symlink_loop(path):
        raise InputFileError(
            label, ErrorKind.unreadable, "cannot read the file: symbolic link loop"
        )
    sha = _check_readable(path, label)
    with _openable(path) as p:
        return _read_open(p, label, opts, t0, sha)


def _read_open(path: Path, label: str, opts: RunOptions, t0: float, sha: str) -> DocumentResult:
    with resource_limits(opts.limits), open_pdf(path, opts.render) as doc:
        n_pages = doc.page_count
        pages, health = read_document(doc, opts.read)
        layout = build_layout(pages)
    extraction = extract_layout(layout)
    if not extraction.candidates:
        kind, reason = _no_table_reason(layout, opts.read.ocr)
        raise InputFileError(str(path), kind, reason)
    llm_info: LLMRecord | None = None
    outcomes: Sequence[LLMOutcome | None] = [None] * len(extraction.candidates)
    if opts.llm is not None and opts.llm.enabled:
        from pipeline.llm.document import reconstruct_document

        outcomes, llm_info = reconstruct_document(path, layout, extraction, opts.llm)
    independent = opts.llm is not None and opts.llm.vision
    projects = [
        reconcile_project(c, o, independent=independent)
        for c, o in zip(extraction.candidates, outcomes, strict=True)
    ]
    result = DocumentResult(
        source=Path(label).name,
        sha256=sha,
        title=extraction.title,
        year=extraction.year,
        pages=n_pages,
        projects=projects,
        extractor="layout+llm" if llm_info is not None else "layout",
        page_health=health,
        llm=llm_info,
        tool_version=__version__,
        seconds=round(time.perf_counter() - t0, 4),
    )
    return check_complete(result, layout)  # lost projects, damaged pages -> partial


def process_file(
    path: Path,
    options: RunOptions | None = None,
    *,
    label: str | None = None,
    source_path: str | None = None,
) -> DocumentResult:
    """Run the whole pipeline on one file; a bad file comes back with one error, never raises.

    `label` names the file in messages (default: the path as text, whatever its bytes) and
    `source_path` is recorded as its absolute path (default: the resolved path).
    """
    opts = options or RunOptions()
    t0 = time.perf_counter()
    name = label if label is not None else display_name(path)
    where = source_path if source_path is not None else display_name(os.path.realpath(path))
    try:
        res = _read(path, name, opts, t0)
        return res.model_copy(update={"source_path": where})
    except InputFileError as exc:
        err = InputError(source=name, kind=exc.kind, message=f"{name}: {exc.reason}")
    except MemoryError:
        err = _over_memory(name, opts)
    except Exception as exc:  # one bad file must never stop a batch; the error is reported
        first = str(exc).splitlines()[0] if str(exc) else ""
        if is_out_of_memory(exc):
            err = _over_memory(name, opts)
        else:
            err = InputError(
                source=name,
                kind=ErrorKind.failed,
                message=f"{name}: internal error {type(exc).__name__}: {first}",
            )
    sha = ""
    with suppress(OSError):
        sha = file_sha256(path) if path.is_file() else ""
    return DocumentResult(
        source=Path(name).name,
        sha256=sha,
        source_path=where,
        errors=[err],
        tool_version=__version__,
        status=DocumentStatus.failed,
        seconds=round(time.perf_counter() - t0, 4),
    )


def _over_memory(name: str, opts: RunOptions) -> InputError:
    mb = opts.limits.memory_mb
    return InputError(
        source=name,
        kind=ErrorKind.too_complex,
        message=f"{name}: too_complex: needs more memory than the limit ({mb} MiB, --memory-limit)",
    )
