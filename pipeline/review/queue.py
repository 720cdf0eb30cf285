"""The review queue: every project, lowest confidence first, filtered by status, finding, document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from pipeline.review.workspace import ProjectState
from schemas import Status

STATUSES = {
    "": "全部",
    "pending": "待审核",
    "needs_review": "需审核 (原始)",
    "accepted": "已接受 (原始)",
    "approved": "已审核",
    "inconsistent": "原文不一致",
}


@dataclass(frozen=True)
class Filters:
    """What the reviewer chose to see; carried through every link and form as query parameters."""

    status: str = ""
    rule: str = ""
    doc: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """Filters from request parameters; unknown statuses are ignored."""
        status = args.get("status", "")
        return cls(
            status=status if status in STATUSES else "",
            rule=args.get("rule", ""),
            doc=args.get("doc", ""),
        )

    def params(self) -> dict[str, str]:
        """The non-empty filters as query parameters."""
        return {
            k: v for k, v in (("status", self.status), ("rule", self.rule), ("doc", self.doc)) if v
        }

    def query(self) -> str:
        """'?status=...&rule=...' or '' when nothing is filtered."""
        params = self.params()
        return "?" + urlencode(params) if params else ""

    def keep(self, state: ProjectState) -> bool:
        """Whether a project passes the filters."""
        if self.doc and state.doc.stem != self.doc:
            return False
        if self.rule and not any(f.rule == self.rule for f in state.findings):
            return False
        return _status_matches(self.status, state)


def pending(state: ProjectState) -> bool:
    """Still waiting for a reviewer: needs review (or was edited) and is not approved."""
    if state.approved:
        return False
    return state.original.status is not Status.accepted or bool(state.events)


def _status_matches(status: str, state: ProjectState) -> bool:
    if status == "pending":
        return pending(state)
    if status in ("needs_review", "accepted"):
        return state.original.status.value == status
    if status == "approved":
        return state.approved
    if status == "inconsistent":
        return bool(state.inconsistent or state.original.source_inconsistent)
    return True


def order(states: list[ProjectState]) -> list[ProjectState]:
    """What needs review first (a source-inconsistent project at confidence 1.00 too), then
    lowest confidence first; then document and table order."""
    docs = {stem: i for i, stem in enumerate(dict.fromkeys(s.doc.stem for s in states))}
    return sorted(
        states,
        key=lambda s: (
            s.original.status is not Status.needs_review,
            s.original.confidence,
            docs[s.doc.stem],
            s.index,
        ),
    )


def build(states: list[ProjectState], filters: Filters) -> list[ProjectState]:
    """The queue as shown: ordered, filtered."""
    return [s for s in order(states) if filters.keep(s)]


def neighbours(
    queue: list[ProjectState], key: str
) -> tuple[ProjectState | None, ProjectState | None, int]:
    """(previous, next, 1-based position) of a project in the queue; position 0 if not in it."""
    keys = [s.key for s in queue]
    if key not in keys:
        return None, (queue[0] if queue else None), 0
    i = keys.index(key)
    prev = queue[i - 1] if i > 0 else None
    nxt = queue[i + 1] if i + 1 < len(queue) else None
    return prev, nxt, i + 1


def next_pending(queue: list[ProjectState], key: str) -> ProjectState | None:
    """The first pending project after `key` in queue order, wrapping around."""
    keys = [s.key for s in queue]
    start = keys.index(key) + 1 if key in keys else 0
    for s in queue[start:] + queue[:start]:
        if s.key != key and pending(s):
            return s
    return None


@dataclass(frozen=True)
class Badge:
    """One rule's findings on a project, for the queue: 'R10 ×3'."""

    rule: str
    severity: str
    count: int
    message: str


def badges(state: ProjectState) -> list[Badge]:
    """A project's findings grouped by rule, errors first, in rule order within each severity."""
    groups: dict[str, list[str]] = {}
    severity: dict[str, str] = {}
    for f in state.findings:
        groups.setdefault(f.rule, []).append(f.message)
        if severity.get(f.rule) != "error":
            severity[f.rule] = f.severity.value
    out = [Badge(r, severity[r], len(m), m[0]) for r, m in groups.items()]
    return sorted(out, key=lambda b: b.severity != "error")
