"""Orchestration: file -> render -> layout -> extract -> check -> reconcile -> DocumentResult."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from pipeline import __version__
from pipeline.completeness import check_complete
from pipeline.errors import InputFileError
from pipeline.extract.layout import extract_layout
from pipeline.layout import build_layout
from pipeline.llm.outcome import LLMOutcome
from pipeline.models import DocumentLayout, TextLayer
from pipeline.options import RunOptions
from pipeline.output import document_json, write_atomic, write_summary
from pipeline.read import read_document
from pipeline.reconcile import reconcile_project
from pipeline.render import open_pdf
from schemas import DocumentResult, DocumentStatus, ErrorKind, InputError, LLMRecord


def file_sha256(path: Path) -> str:
    """sha256 of a file, as recorded in DocumentResult.sha256."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _no_table_reason(layout: DocumentLayout, ocr: str) -> tuple[ErrorKind, str]:
    layers = set(layout.text_layers.values())
    scanned = layers == {TextLayer.none} or (TextLayer.digital not in layers and not layout.tables)
    if scanned and ocr == "off":
        return ErrorKind.scanned, "scanned PDF and OCR is turned off (--ocr off): nothing to read"
    if scanned:
        return (
            ErrorKind.scanned,
            f"scanned PDF: no 绩效自评表 found by OCR ({len(layout.tables)} ruled tables "
            f"on {layout.pages} pages)",
        )
    return (
        ErrorKind.no_table,
        f"no 绩效自评表 found ({len(layout.tables)} ruled tables on {layout.pages} pages, "
        "none with the 项目名称 / 绩效指标 labels)",
    )


def process_file(path: Path, options: RunOptions | None = None) -> DocumentResult:
    """Run the whole pipeline on one file; a bad file comes back with one error, never raises."""
    opts = options or RunOptions()
    t0 = time.perf_counter()
    source = path.name
    sha = ""
    try:
        sha = file_sha256(path) if path.is_file() else ""
        with open_pdf(path, opts.render) as doc:
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
            source=source,
            sha256=sha,
            source_path=str(path.resolve()),
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
    except InputFileError as exc:
        err = InputError(source=str(path), kind=exc.kind, message=f"{path}: {exc.reason}")
    except Exception as exc:  # one bad file must never stop a batch; the error is reported
        first = str(exc).splitlines()[0] if str(exc) else ""
        err = InputError(
            source=str(path),
            kind=ErrorKind.failed,
            message=f"{path}: internal error {type(exc).__name__}: {first}",
        )
    return DocumentResult(
        source=source,
        sha256=sha,
        source_path=str(path.resolve()),
        errors=[err],
        tool_version=__version__,
        status=DocumentStatus.failed,
        seconds=round(time.perf_counter() - t0, 4),
    )


def output_names(paths: list[Path]) -> list[str]:
    """One JSON name per input: the stem, made unique (stem-2, ...) without taking another's name."""
    taken = {p.stem for p in paths}
    used: set[str] = set()
    names = []
    for p in paths:
        name = p.stem
        n = 1
        while name in used or (name != p.stem and name in taken):
            n += 1
            name = f"{p.stem}-{n}"
        used.add(name)
        names.append(f"{name}.json")
    return names


def run_batch(
    paths: list[Path],
    out_dir: Path,
    options: RunOptions | None = None,
    jobs: int = 1,
    on_done: Callable[[Path, DocumentResult], None] | None = None,
) -> list[DocumentResult]:
    """Process files (in parallel when jobs > 1), writing each JSON as soon as it is ready."""
    opts = options or RunOptions()
    out_dir.mkdir(parents=True, exist_ok=True)
    names = output_names(paths)
    results: list[DocumentResult | None] = [None] * len(paths)

    def finish(i: int, res: DocumentResult) -> None:
        results[i] = res
        write_atomic(out_dir / names[i], document_json(res))
        if on_done:
            on_done(paths[i], res)

    if jobs > 1 and len(paths) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(process_file, p, opts): i for i, p in enumerate(paths)}
            for fut in as_completed(futures):
                finish(futures[fut], fut.result())
    else:
        for i, p in enumerate(paths):
            finish(i, process_file(p, opts))
    done = [r for r in results if r is not None]
    write_summary(out_dir / "summary.csv", done, [str(p) for p in paths])
    return done
