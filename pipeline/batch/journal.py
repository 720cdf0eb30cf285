"""The run journal: OUT/journal.sqlite, one row per JSON written, committed as each file finishes.

A row says which input (sha256), tool version and options produced the JSON file it names. A
rerun skips an input whose row still fits and whose JSON still parses; anything else is redone.
The options are hashed in three parts so that a change redoes only what it affects: the options
that change every result, the rendering resolution (only files that were rendered depend on
it) and the per-file limits (only files that failed on a limit depend on them).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.batch.task import Finished
from pipeline.options import RunOptions

JOURNAL_NAME = "journal.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outputs (
  json_name TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  options_hash TEXT NOT NULL,
  render_hash TEXT NOT NULL,
  limits_hash TEXT NOT NULL,
  rendered INTEGER NOT NULL,
  limit_failure INTEGER NOT NULL,
  status TEXT NOT NULL,
  pages INTEGER NOT NULL,
  seconds REAL NOT NULL,
  done_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outputs_key ON outputs (sha256, tool_version, options_hash);
"""

# Options that never change a result: how fast, where the cache is, the key.
_LLM_RUNTIME = {
    "api_key",
    "cache_dir",
    "cache",
    "concurrency",
    "timeout",
    "retry_attempts",
    "retry_base_wait",
    "retry_max_wait",
}


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


@dataclass(frozen=True)
class Keys:
    """The hashes a journal row must match to be reused."""

    tool_version: str
    options: str
    render: str
    limits: str


def option_keys(options: RunOptions) -> Keys:
    """The three option hashes of a run, and the tool version."""
    llm = options.llm.model_dump(mode="json", exclude=_LLM_RUNTIME) if options.llm else None
    core = {
        "render": options.render.model_dump(mode="json"),
        "read": options.read.model_dump(mode="json", exclude={"dpi", "threads", "ocr_cache"}),
        "llm": llm,
    }
    return Keys(
        tool_version=__version__,
        options=_digest(core),
        render=_digest({"dpi": options.read.dpi}),
        limits=_digest(options.limits.model_dump(mode="json")),
    )


@dataclass(frozen=True)
class Entry:
    """One journal row."""

    json_name: str
    label: str
    sha256: str
    tool_version: str
    options_hash: str
    render_hash: str
    limits_hash: str
    rendered: bool
    limit_failure: bool
    status: str
    pages: int
    seconds: float

    def fits(self, sha256: str, keys: Keys) -> bool:
        """Would this run produce the same result for this input?"""
        return (
            bool(sha256)
            and self.sha256 == sha256
            and self.tool_version == keys.tool_version
            and self.options_hash == keys.options
            and (not self.rendered or self.render_hash == keys.render)
            and (not self.limit_failure or self.limits_hash == keys.limits)
        )


class Journal:
    """The SQLite journal of one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / JOURNAL_NAME
        self.db = sqlite3.connect(self.path, isolation_level=None)
        # WAL with synchronous=NORMAL: a commit survives kill -9 at once (it is in the log) and
        # costs no fsync (30 ms each here); a power cut may lose the last rows, never corrupt the
        # file, and a lost row only means its file is read again (its JSON is checked anyway).
        if self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal":
            self.db.execute("PRAGMA synchronous=NORMAL")
        else:  # a file system without shared memory (some network mounts): the safe default
            self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def entry(self, json_name: str) -> Entry | None:
        """The row of one JSON file, if it was recorded."""
        row = self.db.execute(
            "SELECT json_name, label, sha256, tool_version, options_hash, render_hash,"
            " limits_hash, rendered, limit_failure, status, pages, seconds"
            " FROM outputs WHERE json_name = ?",
            (json_name,),
        ).fetchone()
        if row is None:
            return None
        names = [f for f in Entry.__dataclass_fields__]
        values = dict(zip(names, row, strict=True))
        values["rendered"], values["limit_failure"] = bool(row[7]), bool(row[8])
        return Entry(**values)

    def same_bytes(self, sha256: str) -> list[Entry]:
        """The rows of every JSON made from these bytes (under any name)."""
        rows = self.db.execute("SELECT json_name FROM outputs WHERE sha256 = ?", (sha256,))
        return [e for (name,) in rows.fetchall() if (e := self.entry(name)) is not None]

    def record(self, json_name: str, label: str, res: Finished, keys: Keys) -> None:
        """Commit the row of a JSON file just written (after the file itself is on disk)."""
        self.db.execute(
            "INSERT OR REPLACE INTO outputs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                json_name,
                label,
                res.sha256,
                keys.tool_version,
                keys.options,
                keys.render,
                keys.limits,
                int(res.rendered),
                int(res.limit_failure),
                res.status.value,
                res.pages,
                res.seconds,
                time.time(),
            ),
        )

    def forget(self, json_name: str) -> None:
        """Drop a row before its JSON is rewritten, so a crash in between leaves no stale row."""
        self.db.execute("DELETE FROM outputs WHERE json_name = ?", (json_name,))

    def close(self) -> None:
        """Close the database."""
        self.db.close()
