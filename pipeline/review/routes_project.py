"""The project page and the decisions made on it: pick / type / confirm / revert a value, mark
the document inconsistent, approve, reopen. Each POST answers with a redirect (303)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers.response import Response as BaseResponse

from pipeline.review import fields as F
from pipeline.review import queue as Q
from pipeline.review import views as V
from pipeline.review.context import context, message, project_url, record, state_or_404
from pipeline.review.workspace import ProjectState

bp = Blueprint("project", __name__)
_TOP = ["name", "department", "implementing_unit", "amount_unit"]
_GOALS = ["goal_expected", "goal_actual"]
_TOTALS = ["total_weight", "total_score", "grade"]


@bp.get("/p/<stem>/<int:index>")
def page(stem: str, index: int) -> str:
    """A project: page images with boxes, the cards of doubtful fields, findings, history."""
    ws = context().ws
    st = state_or_404(stem, index)
    filters = Q.Filters.from_args(request.args)
    focus = _focus(st)
    chosen = request.args.get("finding", type=int)
    hits: set[str] = set()
    if chosen is not None and 0 <= chosen < len(st.findings):
        hits = set(st.findings[chosen].fields)
    queue = Q.build(ws.states(), filters)
    prev, nxt, position = Q.neighbours(queue, st.key)
    pdf = ws.pdf(stem)
    return render_template(
        "project.html",
        st=st,
        p=st.original,
        focus=focus,
        chosen=chosen,
        cards=V.cards(st, focus or None),
        findings=V.findings(st),
        pages=V.pages(st, pdf, focus or None, hits),
        pdf=pdf,
        top_cells=V.simple_cells(st, _TOP, focus, hits),
        goal_cells=V.simple_cells(st, _GOALS, focus, hits),
        total_cells=V.simple_cells(st, _TOTALS, focus, hits),
        funds_rows=V.funds_rows(st, focus, hits),
        indicator_rows=V.indicator_rows(st, focus, hits),
        prev=prev,
        next=nxt,
        position=position,
        queue_len=len(queue),
        history=list(reversed(st.events)),
        msg=message(),
        error=request.args.get("error", ""),
        stale=st.stale_events,
        prefetch=_page_urls(nxt) if nxt is not None else [],
    )


@bp.post("/p/<stem>/<int:index>/decide")
def decide(stem: str, index: int) -> BaseResponse:
    """Decide one field's value, then go on to the next open field."""
    st = state_or_404(stem, index)
    filters = Q.Filters.from_args(request.form)
    path = request.form.get("field", "")
    if path not in set(F.all_paths(st.project)):
        abort(400, "unknown field")
    old = st.value(path)
    conflict = _conflict(st, path)
    if conflict:
        return redirect(project_url(st, filters, field=path, error=conflict), 303)
    try:
        new, source = _decision(st, path, request.form.get("action", ""))
    except F.BadValue as exc:
        return redirect(project_url(st, filters, field=path, error=str(exc)), 303)
    record(st, "value", field=path, old_value=old, new_value=new, source=source)
    after = context().ws.state(stem, index)
    later = [p for p in after.open_fields if F.order_key(p) > F.order_key(path)]
    focus = (later or after.open_fields or [path])[0]
    return redirect(project_url(after, filters, field=focus), 303)


@bp.post("/p/<stem>/<int:index>/inconsistent")
def inconsistent(stem: str, index: int) -> BaseResponse:
    """Say (value=1) or take back that the printed document itself breaks a rule."""
    st = state_or_404(stem, index)
    value = request.form.get("value") == "1"
    record(st, "inconsistent", old_value=st.inconsistent, new_value=value)
    return redirect(project_url(st, Q.Filters.from_args(request.form)), 303)


@bp.post("/p/<stem>/<int:index>/approve")
def approve(stem: str, index: int) -> BaseResponse:
    """Approve a project without errors (or confirmed inconsistent) and open the next pending."""
    st = state_or_404(stem, index)
    filters = Q.Filters.from_args(request.form)
    if not st.can_approve:
        return redirect(project_url(st, filters, msg="blocked"), 303)
    record(st, "approve", new_value=True)
    queue = Q.build(context().ws.states(), filters)
    nxt = Q.next_pending(queue, st.key)
    if nxt is None:
        params: dict[str, Any] = {"msg": "done", **filters.params()}
        return redirect(url_for("queue.page", **params), 303)
    return redirect(project_url(nxt, filters, msg="approved"), 303)


@bp.post("/p/<stem>/<int:index>/reopen")
def reopen(stem: str, index: int) -> BaseResponse:
    """Take an approval back."""
    st = state_or_404(stem, index)
    record(st, "reopen", old_value=True, new_value=False)
    return redirect(project_url(st, Q.Filters.from_args(request.form)), 303)


def _conflict(st: ProjectState, path: str) -> str:
    """Why the save is refused ('' when it is not): the field changed since the reviewer's page
    showed it (another reviewer saved it), so the last write must not silently win."""
    seen = request.form.get("seen")
    if seen is None:
        abort(400, "the form does not say which value you saw: reload the page")
    try:
        saw = json.loads(seen)
    except ValueError:
        abort(400, "the form's value seen is not JSON: reload the page")
    now = st.value(path)
    if saw == now:
        return ""
    last = st.decisions.get(path)
    who = f"{last.reviewer} saved" if last is not None else "it is now"
    return (
        f"not saved: {F.label(path)} changed since you opened the page — {who} "
        f"{F.display(path, now)!r}, you saw {F.display(path, saw)!r}; check it and decide again"
    )


def _focus(st: ProjectState) -> str:
    """The field asked for by ?field=, else the first open field, else none ('')."""
    focus = request.args.get("field", "")
    if focus in set(F.all_paths(st.project)):
        return focus
    return st.open_fields[0] if st.open_fields else ""


def _decision(st: ProjectState, path: str, action: str) -> tuple[F.Value, str]:
    """(new value, source) of the decision the form asks for; raises BadValue for a value that
    does not fit the field, answers 400 for an unknown action or candidate."""
    if action == "pick":
        cands = st.candidates(path)
        choice = request.form.get("choice", type=int)
        if choice is None or not 0 <= choice < len(cands):
            abort(400, "unknown candidate")
        return F.coerce(path, cands[choice].value), cands[choice].source
    if action == "typed":
        return F.parse_typed(path, request.form.get("value", ""))[0], "typed"
    if action == "confirm":
        return st.value(path), "confirmed"
    if action == "revert":
        return st.original_value(path), "revert"
    abort(400, "unknown action")


def _page_urls(st: ProjectState) -> list[str]:
    """Image URLs of a project's pages, for the browser to fetch (and us to render) ahead."""
    if context().ws.pdf(st.doc.stem) is None:
        return []
    return [url_for("assets.page_image", stem=st.doc.stem, page=n) for n in st.original.pages]
