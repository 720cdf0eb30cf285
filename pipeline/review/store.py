"""Review decisions as an append-only event log in SQLite, each committed before the page answers."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, get_args

from pipeline.review.fields import Value

DB_NAME = "review.sqlite"
SCHEMA_VERSION = 1

# value: a field's value decided (picked, typed, confirmed or reverted);
# inconsistent: the reviewer says the printed document itself breaks a rule (new_value bool);
# approve / reopen: the project is done / taken back.
EventKind = Literal["value", "inconsistent", "approve", "reopen"]
KINDS: tuple[EventKind, ...] = get_args(EventKind)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    doc        TEXT NOT NULL,      -- output JSON stem: DIR/<doc>.json
    doc_sha256 TEXT NOT NULL,      -- sha256 of the source PDF the JSON was made from
    project    INTEGER NOT NULL,   -- index in DocumentResult.projects
    kind       TEXT NOT NULL CHECK (kind IN ('value', 'inconsistent', 'approve', 'reopen')),
    field      TEXT NOT NULL DEFAULT '',
    old_value  TEXT,               -- JSON
    new_value  TEXT,               -- JSON
    source     TEXT NOT NULL DEFAULT '',  -- layout | llm | ocr | typed | confirmed | revert
    reviewer   TEXT NOT NULL,
    at         TEXT NOT NULL       -- ISO 8601, UTC
);
CREATE INDEX IF NOT EXISTS events_by_project ON events (doc, project, id);
"""


@dataclass(frozen=True)
class Event:
    """One reviewer decision, as stored."""

    id: int
    doc: str
    doc_sha256: str
    project: int
    kind: EventKind
    field: str
    old_value: Value | bool
    new_value: Value | bool
    # kind value: typed | confirmed | revert, or the picked reading's CandidateValue.source;
    # '' for the other kinds
    source: str
    reviewer: str
    at: str


def now() -> str:
    """The current time as stored: ISO 8601 in UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class DamagedStore(RuntimeError):
    """review.sqlite cannot be read: one line saying what to do; the JSON outputs are untouched."""

    def __init__(self, path: Path, exc: BaseException) -> None:
        self.path = path
        super().__init__(
            f"{path}: the review store is damaged ({str(exc).splitlines()[0] if str(exc) else exc}); "
            "the run's JSON outputs are untouched. Move it aside (mv "
            f"{path.name} {path.name}.damaged) to start a fresh store, or review an earlier "
            "export (jixiao review OUT/reviewed) to go on from its decisions"
        )


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    # "database is locked" and friends are OperationalError: busy, not broken
    text = str(exc).lower()
    return (
        not isinstance(exc, sqlite3.OperationalError)
        or "malformed" in text
        or ("not a database" in text)
    )


class ReviewStore:
    """The event log of one run's review, DIR/review.sqlite (WAL, synchronous=FULL)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            # WAL: readers never block the writer; the mode is stored in the file itself.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short-lived connection per call: the web server answers from several threads.
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise DamagedStore(self.path, exc) from exc
        try:
            # FULL: a committed decision survives a crash or power cut, not only a killed process.
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
        except sqlite3.DatabaseError as exc:
            if _damaged(exc):
                raise DamagedStore(self.path, exc) from exc
            raise
        finally:
            conn.close()

    def record(
        self,
        *,
        doc: str,
        doc_sha256: str,
        project: int,
        kind: EventKind,
        reviewer: str,
        field: str = "",
        old_value: Value | bool = None,
        new_value: Value | bool = None,
        source: str = "",
        at: str | None = None,
    ) -> Event:
        """Append one decision and commit it; returns only once it is on disk."""
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        ev = Event(
            id=0,
            doc=doc,
            doc_sha256=doc_sha256,
            project=project,
            kind=kind,
            field=field,
            old_value=old_value,
            new_value=new_value,
            source=source,
            reviewer=reviewer,
            at=at or now(),
        )
        return replace(ev, id=self._insert(ev))

    def _insert(self, ev: Event) -> int:
        """Insert an event in its own transaction; its id."""
        row = (
            ev.doc,
            ev.doc_sha256,
            ev.project,
            ev.kind,
            ev.field,
            json.dumps(ev.old_value, ensure_ascii=False),
            json.dumps(ev.new_value, ensure_ascii=False),
            ev.source,
            ev.reviewer,
            ev.at,
        )
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "INSERT INTO events (doc, doc_sha256, project, kind, field, old_value, "
                    "new_value, source, reviewer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                event_id = int(cur.lastrowid or 0)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return event_id

    def secret(self, name: str) -> str:
        """A random value made once per review database (e.g. the forms' key), kept across
        restarts so a page left open still submits after the server comes back."""
        with self._connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                (f"secret:{name}", secrets.token_urlsafe(18)),
            )
            row = conn.execute(
                "SELECT value FROM meta WHERE key = ?", (f"secret:{name}",)
            ).fetchone()
        return str(row[0])

    def events(self, doc: str | None = None, project: int | None = None) -> list[Event]:
        """Decisions in the order they were made, optionally of one document or project."""
        sql = (
            "SELECT id, doc, doc_sha256, project, kind, field, old_value, new_value, source, "
            "reviewer, at FROM events"
        )
        where: list[str] = []
        args: list[object] = []
        if doc is not None:
            where.append("doc = ?")
            args.append(doc)
        if project is not None:
            where.append("project = ?")
            args.append(project)
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._connect() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [
            Event(
                r[0],
                r[1],
                r[2],
                r[3],
                _kind(r[4]),
                r[5],
                json.loads(r[6]),
                json.loads(r[7]),
                *r[8:],
            )
            for r in rows
        ]


def _kind(stored: str) -> EventKind:
    """A stored kind (the table's CHECK constraint admits no other)."""
    for kind in KINDS:
        if kind == stored:
            return kind
    raise ValueError(f"unknown event kind {stored!r} in the review database")
