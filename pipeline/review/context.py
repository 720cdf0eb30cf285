"""What every request of the review app shares: the run folder, reviewer, token and form key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, request, url_for

from pipeline.review import queue as Q
from pipeline.review.fields import Value
from pipeline.review.store import EventKind
from pipeline.review.workspace import ProjectState, Workspace

EXTENSION = "jixiao"  # key in app.extensions
MESSAGES = {
    "blocked": "还不能批准：仍有错误。请修正字段，或确认“原文本身不一致”（I）。",
    "approved": "已批准上一个项目。",
    "done": "队列中没有待审核的项目了。导出：jixiao review export OUT_DIR",
    "saved": "已保存。",
}


@dataclass(frozen=True)
class ReviewContext:
    """One app's run folder under review, who reviews it, and the secrets guarding it."""

    ws: Workspace
    reviewer: str
    token: str  # '' when the server answers on loopback only
    form_key: str  # every POST carries it: forms of another site cannot

    def install(self, app: Flask) -> None:
        """Attach to an app, for its requests to find with `context()`."""
        app.extensions[EXTENSION] = self


def context() -> ReviewContext:
    """The review context of the app answering the current request."""
    ctx = current_app.extensions[EXTENSION]
    if not isinstance(ctx, ReviewContext):
        raise RuntimeError("not a review app: create it with create_app()")
    return ctx


def message() -> str:
    """The notice named by ?msg=, or ''."""
    return MESSAGES.get(request.args.get("msg", ""), "")


def state_or_404(stem: str, index: int) -> ProjectState:
    """A project with its decisions applied; 404 if the run has no such project."""
    try:
        return context().ws.state(stem, index)
    except (KeyError, IndexError):
        abort(404, "no such project")


def project_url(state: ProjectState, filters: Q.Filters, **extra: str) -> str:
    """Link to a project's page, keeping the queue filters; empty extras are left out."""
    params: dict[str, Any] = {**filters.params(), **{k: v for k, v in extra.items() if v}}
    return url_for("project.page", stem=state.doc.stem, index=state.index, **params)


def record(
    st: ProjectState,
    kind: EventKind,
    *,
    field: str = "",
    old_value: Value | bool = None,
    new_value: Value | bool = None,
    source: str = "",
) -> None:
    """Store one decision on a project, by this app's reviewer."""
    ctx = context()
    ctx.ws.store.record(
        doc=st.doc.stem,
        doc_sha256=st.doc.result.sha256,
        project=st.index,
        kind=kind,
        reviewer=ctx.reviewer,
        field=field,
        old_value=old_value,
        new_value=new_value,
        source=source,
    )
