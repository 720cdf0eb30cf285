"""The queue page: every project, lowest confidence first, with the reviewer's filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from pipeline.review import queue as Q
from pipeline.review.context import context, message

bp = Blueprint("queue", __name__)


@bp.get("/")
def page() -> str:
    """The queue, filtered by ?status=, ?rule= and ?doc=."""
    ws = context().ws
    filters = Q.Filters.from_args(request.args)
    states = ws.states()
    rule_ids = sorted({f.rule for s in states for f in s.findings}, key=_rule_order)
    return render_template(
        "queue.html",
        items=Q.build(states, filters),
        total=len(states),
        approved=sum(1 for s in states if s.approved),
        pending=sum(1 for s in states if Q.pending(s)),
        rule_ids=rule_ids,
        docs=list(ws.docs),
        skipped=ws.skipped,
        msg=message(),
    )


def _rule_order(rule: str) -> tuple[int, int, str]:
    """R1, R2, ..., R10, then the other rules (READ_*, LLM_*) by name."""
    if rule.startswith("R") and rule[1:].isdigit():
        return (0, int(rule[1:]), rule)
    return (1, 0, rule)
