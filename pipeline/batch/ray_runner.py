"""Files as Ray tasks (`jixiao run --ray auto|ADDRESS`): the PDF's bytes go to the task, the
result comes back as JSON, and the driver writes outputs and journal exactly as a local run.

Ray is an optional extra (`pip install 'jixiao[ray]'`); nothing imports this module otherwise.
Limits under Ray: the render-side limits (pixels, drawing size, glyphs) and the time budget
apply as locally; the memory cap is Ray's own memory monitor, not RLIMIT_AS (a Ray worker
process is shared by many tasks and maps the object store).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pipeline
from pipeline.batch.task import Finished, Task, failure_result
from pipeline.options import RunOptions
from schemas import ErrorKind


class RayUnavailable(Exception):
    """Ray is not installed, or the cluster cannot be reached."""


def read_remote(data: bytes, label: str, source_path: str, options_json: str) -> Finished:
    """The Ray task: one PDF's bytes in, its result out (JSON text and facts)."""
    from pipeline.run import process_file

    options = RunOptions.model_validate_json(options_json)
    with tempfile.TemporaryDirectory(prefix="jixiao-") as folder:
        path = Path(folder) / "input.pdf"
        path.write_bytes(data)
        res = process_file(path, options, label=label, source_path=source_path)
    return Finished.of(res)


def _connect(address: str) -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("--ray needs Ray: pip install 'jixiao[ray]'") from exc
    if not ray.is_initialized():
        root = str(Path(pipeline.__file__).resolve().parent.parent)
        try:
            ray.init(
                address=None if address == "local" else address,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": {"PYTHONPATH": root}} if address == "local" else None,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RayUnavailable(f"cannot reach the Ray cluster at {address}: {first}") from exc
    return ray


class RayPool:
    """Runs each file as a Ray task, a bounded number in flight."""

    def __init__(self, options: RunOptions, warn: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.ray = _connect(options.batch.ray or "auto")
        self.warn = warn or (lambda line: print(line, file=sys.stderr))
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        self.in_flight = max(2, 2 * cpus)  # enough to keep every CPU busy while bytes travel

    def run(self, tasks: list[Task], stop: Callable[[], bool]) -> Iterator[tuple[Task, Finished]]:
        """Process every task on the cluster; yields (task, result) as each finishes."""
        ray = self.ray
        remote = ray.remote(max_retries=self.options.batch.retries, retry_exceptions=False)(
            read_remote
        )
        options_json = self.options.model_dump_json()
        limit = self.options.limits.seconds
        queue = deque(tasks)
        flying: dict[Any, tuple[Task, float]] = {}
        cancelled: set[Any] = set()
        try:
            while queue or flying:
                if stop():
                    return
                while queue and len(flying) < self.in_flight:
                    task = queue.popleft()
                    try:
                        data = task.path.read_bytes()
                    except OSError:  # unreadable here: the one-line error needs no cluster
                        from pipeline.run import process_file

                        res = process_file(
                            task.path, self.options, label=task.label, source_path=task.source_path
                        )
                        yield task, Finished.of(res)
                        continue
                    ref = remote.remote(data, task.label, task.source_path, options_json)
                    flying[ref] = (task, time.monotonic())
                if not flying:
                    continue
                ready, _ = ray.wait(list(flying), num_returns=1, timeout=0.2)
                for ref in ready:
                    task, t0 = flying.pop(ref)
                    yield task, self._result(ref, task, time.monotonic() - t0, ref in cancelled)
                now = time.monotonic()
                for ref, (_, t0) in flying.items():
                    if now - t0 > limit and ref not in cancelled:
                        ray.cancel(ref, force=True)
                        cancelled.add(ref)
        finally:
            for ref in flying:
                ray.cancel(ref, force=True)

    def _result(self, ref: Any, task: Task, seconds: float, timed_out: bool) -> Finished:
        from ray import exceptions as rx

        limit = self.options.limits.seconds
        try:
            done: Finished = self.ray.get(ref)
            return done
        except rx.TaskCancelledError:
            reason = f"too_complex: still reading after {limit:g} s (limit --time-limit {limit:g})"
            return Finished.of(failure_result(task, ErrorKind.too_complex, reason, seconds))
        except (rx.RayError, OSError) as exc:
            if timed_out:
                reason = (
                    f"too_complex: still reading after {limit:g} s (limit --time-limit {limit:g})"
                )
                return Finished.of(failure_result(task, ErrorKind.too_complex, reason, seconds))
            tries = self.options.batch.retries + 1
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            reason = (
                f"Ray worker died while reading it, {tries} time(s): {type(exc).__name__}: {first}"
            )
            return Finished.of(failure_result(task, ErrorKind.failed, reason, seconds))
