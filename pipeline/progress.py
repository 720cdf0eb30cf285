"""Progress of a long run on stderr: a rich progress bar on a terminal, plain lines otherwise.

It shows files and pages done, pages/s, the ETA and the counts so far (accepted and
needs_review projects, failed files). Error lines of failed files are printed above it. The
plain lines (pipes, CI, log files) are one per file: `[3/10 files  21 pages  ...] name.pdf`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pipeline.batch.task import Finished

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class Progress:
    """Counts of a run and their display; `step` keeps the old one-label form for simple loops."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 1
        self.tty = self.stream.isatty()
        self.t0 = time.perf_counter()
        self.todo_bytes = 0
        self.bytes_done = 0
        self.pages = 0
        self.accepted = 0
        self.needs_review = 0
        self.failed = 0
        self.earlier = 0
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None

    def start(self, done_earlier: int, todo: int, todo_bytes: int) -> None:
        """The plan of a resumed run: say what is skipped."""
        self.earlier, self.done, self.todo_bytes = done_earlier, done_earlier, todo_bytes
        self.t0 = time.perf_counter()
        if done_earlier:
            self._line(
                f"{done_earlier} done earlier, {todo} to do (--force redoes all)", always=True
            )

    def warn(self, line: str) -> None:
        """A line above the bar (a retried worker), shown even when the bar is not."""
        self._line(line, always=True)

    def file_done(self, label: str, res: Finished, size: int = 0) -> None:
        """One input finished: count it, print its errors, refresh the display."""
        self.pages += res.pages
        self.bytes_done += size
        self.accepted += res.accepted
        self.needs_review += res.needs_review
        self.failed += 1 if res.errors else 0
        for message in res.errors:
            self._line(f"error: {message}", always=True)
        self.step(label)

    def eta(self) -> float | None:
        """Seconds left, from the share of bytes (else files) done so far."""
        elapsed = time.perf_counter() - self.t0
        if self.todo_bytes and self.bytes_done:
            return elapsed / self.bytes_done * max(0, self.todo_bytes - self.bytes_done)
        fresh = self.done - self.earlier
        return elapsed / fresh * (self.total - self.done) if fresh else None

    def status(self, files: bool = True) -> str:
        """Files, pages, pages/s, ETA and the counts so far."""
        elapsed = max(1e-9, time.perf_counter() - self.t0)
        eta = self.eta()
        parts = [
            f"{self.done}/{self.total} files" if files else "",
            f"{self.pages} pages",
            f"{self.pages / elapsed:.1f} pages/s",
            f"eta {_clock(eta)}" if eta is not None else "eta ?",
            f"{self.accepted} accepted, {self.needs_review} need review, {self.failed} failed",
        ]
        return "  ".join(p for p in parts if p)

    def step(self, label: str) -> None:
        """One item done (a file, an eval case)."""
        self.done += 1
        if not self.enabled:
            return
        if self.tty:
            self._show(label)
            if self.done >= self.total:
                self.close()
        else:
            self.stream.write(f"[{self.status()}] {label}\n")
            self.stream.flush()

    def close(self) -> None:
        """Stop the live bar (its last state stays on screen); plain lines need nothing."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _show(self, label: str) -> None:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as RichProgress

            console = Console(file=self.stream, force_terminal=True, highlight=False)
            self._bar = RichProgress(
                BarColumn(bar_width=20),
                MofNCompleteColumn(),
                TextColumn("files  {task.description}"),
                console=console,
                redirect_stdout=False,  # stdout may be a pipe: only stderr is the terminal's
                redirect_stderr=False,
            )
            self._task = self._bar.add_task("", total=self.total, completed=self.done - 1)
            self._bar.start()
        assert self._task is not None
        # rich escapes nothing in a description: a file name with [brackets] would be markup
        from rich.markup import escape

        text = escape(f"{self.status(files=False)}  {Path(label).name[:40]}")
        self._bar.update(self._task, completed=self.done, description=text)

    def _line(self, text: str, always: bool = False) -> None:
        if not (self.enabled or always):
            return
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)  # above the bar
            return
        self.stream.write(text + "\n")
        self.stream.flush()
