"""Limits: the per-file budgets in force, and a worker process's memory cap, death with its
parent, peak memory and what a breach means. The budgets' values live in pipeline/options.py."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pipeline.options import LimitsOptions

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux), even by kill -9."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # not glibc: the parent's own cleanup still runs
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def cap_memory(megabytes: int) -> None:
    """Cap this process's address space, so a bomb raises MemoryError here, not the OOM killer."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def signal_name(returncode: int | None) -> str:
    """'killed by SIGKILL' for a negative return code, else 'exited with code N'."""
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (out of memory, or killed)" if -returncode == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exited with code {returncode}"


def reset_peak_rss() -> bool:
    """Start this process's peak-RSS count afresh (Linux clear_refs 5); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> int:
    """Peak resident memory of this process since start or the last reset_peak_rss, in MiB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    import resource  # no /proc: the lifetime peak is the best there is (KiB on Linux)

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) // 1024


# --- per-file budgets: what one page or table may cost, checked before it is allocated ---------

_LIMITS: ContextVar[LimitsOptions | None] = ContextVar("file_limits", default=None)
_DEFAULT_LIMITS = LimitsOptions()


def current_limits() -> LimitsOptions:
    """The budgets in force: those of the enclosing resource_limits block, else the defaults."""
    return _LIMITS.get() or _DEFAULT_LIMITS


@contextmanager
def resource_limits(limits: LimitsOptions) -> Iterator[None]:
    """Apply `limits` to every page read, render and table grid inside the block (this thread)."""
    token = _LIMITS.set(limits)
    try:
        yield
    finally:
        _LIMITS.reset(token)
