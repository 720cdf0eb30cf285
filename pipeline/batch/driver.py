"""run_batch: plan against the journal, run the files in bounded workers, write as they finish.

Each result is written (atomically) to its JSON file, then recorded in the journal, so a kill
at any moment loses at most the files in flight. The summaries are rebuilt at the end from the
JSON files the run's inputs name, never from results held in memory.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Protocol

from pipeline.batch.inputs import display_name, file_sha256, output_names
from pipeline.batch.journal import Journal, Keys, option_keys
from pipeline.batch.summary import load_output, write_summaries
from pipeline.batch.task import Finished, Task
from pipeline.options import RunOptions
from pipeline.output import OutputError, write_atomic
from pipeline.progress import Progress
from schemas import DocumentResult, DocumentStatus, Status


class Runner(Protocol):
    """Where files are read: LocalPool (worker processes here) or RayPool (a cluster)."""

    def run(
        self, tasks: list[Task], stop: Callable[[], bool]
    ) -> Iterator[tuple[Task, Finished]]: ...


@dataclass
class BatchReport:
    """What a run did, in counts (the results themselves are on disk)."""

    out_dir: Path
    files: int = 0
    done_earlier: int = 0
    processed: int = 0  # read in this run (the rest were done earlier)
    pages: int = 0  # pages read in this run
    results: int = 0  # below: totals over every input's JSON, this run's and earlier
    projects: int = 0
    accepted: int = 0
    failed_files: int = 0
    interrupted: int = 0  # the signal that stopped the run, 0 when it finished
    json_names: list[str] = field(default_factory=list)
    # one result per kind of outcome (status, LLM unavailable), enough for the exit code
    # without reading every JSON again
    outcomes: dict[tuple[str, bool], DocumentResult] = field(default_factory=dict)

    def total(self, doc: DocumentResult) -> None:
        """Count one input's result into the totals."""
        self.results += 1
        self.projects += len(doc.projects)
        self.accepted += sum(1 for p in doc.projects if p.status is Status.accepted)
        # a partial document's errors (a project lost to a damaged page) are no failed file
        self.failed_files += 1 if doc.status is DocumentStatus.failed else 0
        kind = (doc.status.value, doc.llm is not None and bool(doc.llm.unavailable))
        self.outcomes.setdefault(kind, doc)


@dataclass
class _Input:
    path: Path
    label: str
    name: str
    sha256: str
    size: int
    source_path: str


def _describe(path: Path) -> _Input:
    label = display_name(path)
    try:
        sha, size = file_sha256(path), path.stat().st_size
    except OSError:  # missing, a link loop, unreadable: the worker reports it in one line
        sha, size = "", 0
    return _Input(path, label, "", sha, size, display_name(os.path.realpath(path)))


def _open_out(out_dir: Path) -> Journal:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(out_dir, NotADirectoryError(20, "Not a directory"))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # a probe file says why a folder cannot be written (sqlite only says "unable to open")
        fd, probe = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
        journal = Journal(out_dir)
        journal.db.execute("BEGIN IMMEDIATE")  # fails now, not after an hour, on a read-only folder
        journal.db.execute("ROLLBACK")
        # half-written files of a run killed while writing (output.atomic_file's temp names)
        for stale in out_dir.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        return journal
    except OSError as exc:
        raise OutputError(out_dir, exc) from exc
    except sqlite3.Error as exc:
        raise _sqlite_error(out_dir, exc) from exc


def _sqlite_error(out_dir: Path, exc: sqlite3.Error) -> OutputError:
    text = str(exc).lower()
    code = 28 if "full" in text else 30 if "readonly" in text or "read-only" in text else 13
    return OutputError(out_dir, OSError(code, str(exc)))


def _relabel(res: DocumentResult, first: _Input, other: _Input) -> DocumentResult:
    """The result of one file for another name of the same bytes (read once, reported twice)."""
    errors = [
        e.model_copy(
            update={
                "source": other.label,
                "message": other.label + e.message.removeprefix(first.label)
                if e.message.startswith(first.label)
                else e.message,
            }
        )
        for e in res.errors
    ]
    return res.model_copy(
        update={
            "source": Path(other.label).name,
            "source_path": other.source_path,
            "errors": errors,
        }
    )


class _Stop:
    """SIGTERM / SIGINT: finish cleanly (workers killed, journal and summary consistent)."""

    def __init__(self) -> None:
        self.signal = 0
        self._old: dict[int, object] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signal = signum

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)  # type: ignore[arg-type]

    def __call__(self) -> bool:
        return bool(self.signal)


def _fits(journal: Journal, out_dir: Path, item: _Input, keys: Keys) -> bool:
    entry = journal.entry(item.name)
    if entry is None or entry.label != item.label or not entry.fits(item.sha256, keys):
        return False
    doc = load_output(out_dir / item.name)  # a JSON missing or cut short is redone
    return doc is not None and doc.sha256 == item.sha256


def _renamed(journal: Journal, out_dir: Path, item: _Input, keys: Keys) -> Finished | None:
    """The result of the same bytes read earlier under another name, relabelled for this one."""
    if not item.sha256:
        return None
    for entry in journal.same_bytes(item.sha256):
        if entry.json_name == item.name or not entry.fits(item.sha256, keys):
            continue
        doc = load_output(out_dir / entry.json_name)
        if doc is not None and doc.sha256 == item.sha256:
            first = _Input(Path(entry.label), entry.label, entry.json_name, item.sha256, 0, "")
            return Finished.of(_relabel(doc, first, item))
    return None


def run_batch(
    paths: list[Path],
    out_dir: Path,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
) -> BatchReport:
    """Process files (resuming from the journal), writing each JSON as soon as it is ready."""
    opts = options or RunOptions()
    bar = progress or Progress(len(paths), enabled=False)
    journal = _open_out(out_dir)
    keys = option_keys(opts)
    items = [_describe(p) for p in paths]
    for item, name in zip(items, output_names(paths), strict=True):
        item.name = name
    report = BatchReport(out_dir=out_dir, files=len(items), json_names=[i.name for i in items])
    try:
        groups: dict[str, list[_Input]] = {}
        tasks: list[Task] = []
        for item in items:
            if not opts.batch.force and _fits(journal, out_dir, item, keys):
                report.done_earlier += 1
                continue
            # the same PDF renamed since (or under a second name): its result, not a new reading
            earlier = None if opts.batch.force else _renamed(journal, out_dir, item, keys)
            if earlier is not None:
                write_atomic(out_dir / item.name, earlier.json)
                journal.record(item.name, item.label, earlier, keys)
                report.done_earlier += 1
                continue
            key = item.sha256 or f"unread:{item.name}"
            if key not in groups:
                groups[key] = []
                tasks.append(
                    Task(item.path, item.label, item.source_path, item.sha256, item.size, key)
                )
            groups[key].append(item)
        bar.start(report.done_earlier, len(tasks), sum(t.size for t in tasks))
        with _Stop() as stop:
            pool = runner or _local(opts, bar)
            for task, done in pool.run(tasks, stop):
                members = groups.pop(task.group)
                for item in members:
                    mine = (
                        done
                        if item is members[0]
                        else Finished.of(_relabel(done.result(), members[0], item))
                    )
                    write_atomic(out_dir / item.name, mine.json)
                    journal.record(item.name, item.label, mine, keys)
                    report.processed += 1
                    report.pages += mine.pages
                    bar.file_done(item.label, mine, task.size if item is members[0] else 0)
            report.interrupted = stop.signal
        write_summaries(out_dir, ((i.label, i.name) for i in items), on_doc=report.total)
    except sqlite3.Error as exc:
        raise _sqlite_error(out_dir, exc) from exc
    finally:
        bar.close()
        journal.close()
    return report


def _local(opts: RunOptions, bar: Progress) -> Runner:
    from pipeline.batch.worker import LocalPool

    return LocalPool(opts, warn=bar.warn)


def done_results(report: BatchReport) -> Iterator[DocumentResult]:
    """The results of a run, read back from disk one by one (for end-of-run totals)."""
    for name in report.json_names:
        doc = load_output(report.out_dir / name)
        if doc is not None:
            yield doc
