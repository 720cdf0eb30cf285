"""Bounded worker processes: each reads one file at a time under a memory cap and a time budget.

The parent (LocalPool) starts `python -m pipeline.batch.worker` processes, sends one file per
line on stdin and reads one result per line on stdout. A worker caps its address space
(RLIMIT_AS), dies with its parent (PR_SET_PDEATHSIG) and runs in its own process group, so the
parent can kill it and everything it started. A worker that dies while reading a file has the
file retried once on a fresh worker; a file over its time budget fails alone as too_complex.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

import pipeline
from pipeline.batch.limits import cap_memory, die_with_parent, signal_name
from pipeline.batch.task import Finished, Task, failure_result
from pipeline.options import RunOptions
from schemas import ErrorKind

_RESULT = b"R "
_LAST = b"X "  # a result, after which the worker exits (it hit a limit: start afresh)


def _receive(line: bytes, read: Callable[[int], bytes]) -> Finished | None:
    """A result line and its body from a worker; None for anything else (it died mid-way)."""
    if line[:2] not in (_RESULT, _LAST) or not line.endswith(b"\n"):
        return None
    try:
        return Finished.decode(line[2:], read)
    except (ValueError, KeyError, TypeError):
        return None


def _send(stream: IO[bytes], payload: dict[str, object]) -> None:
    stream.write(json.dumps(payload, ensure_ascii=True).encode("ascii") + b"\n")
    stream.flush()


def task_message(task: Task) -> dict[str, object]:
    """A task as a line of ASCII JSON; the path travels as its raw bytes (any encoding)."""
    return {
        "path": os.fsencode(task.path).hex(),
        "label": task.label,
        "source_path": task.source_path,
    }


@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    task: Task | None = None
    started: float = 0.0

    @property
    def fd(self) -> int:
        assert self.proc.stdout is not None
        return self.proc.stdout.fileno()


class LocalPool:
    """`jobs` worker processes on this machine; results come back as they finish."""

    def __init__(self, options: RunOptions, warn: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.jobs = options.batch.jobs
        self.warn = warn or (lambda line: print(line, file=sys.stderr))
        self.workers: list[_Worker] = []
        self.selector = selectors.DefaultSelector()

    def _spawn(self) -> _Worker:
        env = dict(os.environ)
        root = str(Path(pipeline.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        env["JIXIAO_PARENT_PID"] = str(os.getpid())
        env.setdefault("MALLOC_ARENA_MAX", "2")  # fewer malloc arenas: less address space used
        # --jobs workers share the cores: each one's BLAS / OpenMP pools get its OCR threads'
        # share, not one thread per core each (2 jobs x 2 cores of spinning threads)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, str(self.options.read.threads))
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.batch.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: Ctrl-C reaches the parent only
        )
        assert proc.stdin is not None
        _send(proc.stdin, {"options": self.options.model_dump(mode="json")})
        worker = _Worker(proc)
        self.selector.register(worker.fd, selectors.EVENT_READ, worker)
        self.workers.append(worker)
        return worker

    def _retire(self, worker: _Worker, kill: bool) -> int | None:
        self.selector.unregister(worker.fd)
        self.workers.remove(worker)
        if kill:
            _kill_group(worker.proc)
        for stream in (worker.proc.stdin, worker.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:  # a broken pipe to a dead worker
                pass
        try:
            return worker.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
            _kill_group(worker.proc)
            return worker.proc.wait()

    def _dispatch(self, worker: _Worker, task: Task) -> bool:
        worker.task, worker.started = task, time.monotonic()
        try:
            assert worker.proc.stdin is not None
            _send(worker.proc.stdin, task_message(task))
        except (BrokenPipeError, OSError):
            return False  # it died idle; the caller hands the task to a fresh one
        return True

    def run(
        self, tasks: Iterable[Task], stop: Callable[[], bool]
    ) -> Iterator[tuple[Task, Finished]]:
        """Process every task; yields (task, result) as each file finishes, in finishing order."""
        queue = deque(tasks)
        limit = self.options.limits.seconds
        try:
            while queue or any(w.task for w in self.workers):
                if stop():
                    return
                self._fill(queue)
                for key, _ in self.selector.select(timeout=0.2):
                    worker: _Worker = key.data
                    assert worker.proc.stdout is not None
                    line = worker.proc.stdout.readline()
                    task = worker.task
                    done = _receive(line, worker.proc.stdout.read)
                    if done is not None and task is not None:
                        worker.task = None
                        if line.startswith(_LAST):
                            self._retire(worker, kill=False)
                        # the next file goes out before this one is written: the worker reads
                        # while the driver writes, instead of waiting for it
                        self._fill(queue)
                        yield task, done
                        continue
                    code = self._retire(worker, kill=True)
                    if task is not None:
                        yield from self._lost(task, code, queue)
                now = time.monotonic()
                for worker in [w for w in self.workers if w.task and now - w.started > limit]:
                    task = worker.task
                    assert task is not None
                    self._retire(worker, kill=True)
                    reason = f"too_complex: still reading after {limit:g} s (limit --time-limit {limit:g})"
                    lost = failure_result(task, ErrorKind.too_complex, reason, now - worker.started)
                    yield task, Finished.of(lost)
        finally:
            self.close()

    def _fill(self, queue: deque[Task]) -> None:
        while queue:
            idle = [w for w in self.workers if w.task is None]
            if not idle and len(self.workers) >= self.jobs:
                return
            worker = idle[0] if idle else self._spawn()
            task = queue.popleft()
            if not self._dispatch(worker, task):
                worker.task = None
                queue.appendleft(task)
                self._retire(worker, kill=True)

    def _lost(
        self, task: Task, code: int | None, queue: deque[Task]
    ) -> Iterator[tuple[Task, Finished]]:
        how = signal_name(code)
        if task.attempts < self.options.batch.retries:
            self.warn(f"warning: {task.label}: worker {how}; retrying it on a fresh worker")
            queue.appendleft(replace(task, attempts=task.attempts + 1))
            return
        reason = f"worker {how} while reading it, {task.attempts + 1} time(s); not retried again"
        yield task, Finished.of(failure_result(task, ErrorKind.failed, reason, 0.0))

    def close(self) -> None:
        """Kill every worker (they hold no state) and reap them."""
        for worker in list(self.workers):
            self._retire(worker, kill=True)
        self.selector.close()
        self.selector = selectors.DefaultSelector()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


# --- the worker process ----------------------------------------------------------------------


def main() -> int:
    """Worker loop: options on the first line, then one file per line; one result line each."""
    die_with_parent(int(os.environ.get("JIXIAO_PARENT_PID", os.getppid())))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    header = json.loads(sys.stdin.readline() or "{}")
    options = RunOptions.model_validate(header.get("options", {}))
    cap_memory(options.limits.memory_mb)
    from pipeline.run import process_file

    with contextlib.suppress(ImportError):  # OpenCV's own pool, likewise
        import cv2

        cv2.setNumThreads(options.read.threads)

    for line in sys.stdin:
        msg = json.loads(line)
        path = Path(os.fsdecode(bytes.fromhex(msg["path"])))
        res = process_file(path, options, label=msg["label"], source_path=msg["source_path"])
        # a file that hit a limit may have left memory behind: this worker is replaced
        last = any(e.kind is ErrorKind.too_complex for e in res.errors)
        try:
            channel.write((_LAST if last else _RESULT) + Finished.of(res).encode())
            channel.flush()
        except BrokenPipeError:
            return 0
        if last:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
