"""The review web app (Flask, server-side templates): one app per run folder, routes in blueprints."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.serving import make_server

from pipeline.review import fields as F
from pipeline.review import queue as Q
from pipeline.review import routes_assets, routes_project, routes_queue, security
from pipeline.review.context import ReviewContext, context, project_url
from pipeline.review.workspace import SOURCE_LABELS, Workspace

# Fields whose text is a paragraph: edited in a text area (Ctrl+Enter saves).
LONG_TEXT = {"goal_expected", "goal_actual"}


def create_app(ws: Workspace, reviewer: str, token: str = "") -> Flask:
    """The Flask app reviewing one run folder; `token`, if set, is required on every request."""
    here = Path(__file__).parent
    app = Flask(
        __name__, template_folder=str(here / "templates"), static_folder=str(here / "static")
    )
    ReviewContext(ws, reviewer, token, ws.store.secret("form_key")).install(app)
    security.install(app)
    _add_template_helpers(app)
    for blueprint in (routes_queue.bp, routes_project.bp, routes_assets.bp):
        app.register_blueprint(blueprint)
    return app


def _add_template_helpers(app: Flask) -> None:
    """Filters and globals every template uses, and the values base.html needs."""
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["source_label"] = lambda s: SOURCE_LABELS.get(s, s)
    app.jinja_env.globals.update(
        label=F.label,
        show=F.display,
        badges=Q.badges,
        LONG_TEXT=LONG_TEXT,
        statuses=Q.STATUSES,
        project_url=project_url,
    )
    app.context_processor(_common)


def _common() -> dict[str, Any]:
    ctx = context()
    return {
        "form_key": ctx.form_key,
        "reviewer": ctx.reviewer,
        "out_dir": ctx.ws.out_dir,
        "filters": Q.Filters.from_args(request.args),
    }


def _when(at: str) -> str:
    """An event time (UTC ISO) as local 'MM-DD HH:MM'."""
    try:
        stamp = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return at
    return stamp.astimezone().strftime("%m-%d %H:%M")


def browsable_host(host: str) -> str:
    """The host to print in the URL: a wildcard address (0.0.0.0, ::) listens everywhere but
    cannot be opened in a browser, so loopback is printed for it."""
    bare = host.strip("[]")
    if bare in ("", "0.0.0.0"):
        return "127.0.0.1"
    if bare == "::":
        return "[::1]"
    return f"[{bare}]" if ":" in bare else bare


def serve(
    ws: Workspace,
    host: str,
    port: int,
    reviewer: str,
    token: str = "",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted; calls on_ready(url) once the socket is bound."""
    if not token and not security.is_loopback(host):
        raise ValueError(f"binding to {host} requires an access token (--token)")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, create_app(ws, reviewer, token), threaded=True)
    url = f"http://{browsable_host(host)}:{server.port}/" + (f"?token={token}" if token else "")
    if on_ready:
        on_ready(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
