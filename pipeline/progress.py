"""A small progress bar on stderr (a line per file when stderr is not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 1
        self.tty = self.stream.isatty()
        self.t0 = time.perf_counter()

    def step(self, label: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        if self.tty:
            width = 28
            fill = int(width * self.done / self.total)
            bar = "█" * fill + "·" * (width - fill)
            self.stream.write(
                f"\r[{bar}] {self.done}/{self.total}  {elapsed:5.1f}s  eta {eta:4.0f}s  {label[:40]:<40}"
            )
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {label}\n")
        self.stream.flush()
