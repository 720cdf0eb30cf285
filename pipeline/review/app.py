"""The review web app (Flask, server-side templates): queue, project page, decisions, page images."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from hmac import compare_digest
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, redirect, render_template, request, send_file, url_for
from werkzeug.serving import make_server
from werkzeug.wrappers.response import Response as BaseResponse

from pipeline.review import fields as F
from pipeline.review import queue as Q
from pipeline.review import views as V
from pipeline.review.pages import page_png
from pipeline.review.workspace import SOURCE_LABELS, ProjectState, Workspace

TOKEN_COOKIE = "jixiao_review_token"
MESSAGES = {
    "blocked": "还不能批准：仍有错误。请修正字段，或确认“原文本身不一致”（I）。",
    "approved": "已批准上一个项目。",
    "done": "队列中没有待审核的项目了。导出：jixiao review export OUT_DIR",
    "saved": "已保存。",
}
# Fields whose text is a paragraph: edited in a text area (Ctrl+Enter saves).
LONG_TEXT = {"goal_expected", "goal_actual"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def cjk_font() -> bytes:
    """A CJK font (PyMuPDF's Droid Sans Fallback), for browsers on machines without one."""
    import fitz

    return bytes(fitz.Font("cjk").buffer)


def _when(at: str) -> str:
    """An event time (UTC ISO) as local 'MM-DD HH:MM'."""
    try:
        stamp = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return at
    return stamp.astimezone().strftime("%m-%d %H:%M")


def create_app(ws: Workspace, reviewer: str, token: str = "") -> Flask:
    """The Flask app reviewing one run folder; `token`, if set, is required on every request."""
    here = Path(__file__).parent
    app = Flask(
        __name__, template_folder=str(here / "templates"), static_folder=str(here / "static")
    )
    form_key = ws.store.secret("form_key")
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["source_label"] = lambda s: SOURCE_LABELS.get(s, s)
    app.jinja_env.globals.update(
        label=F.label, show=F.display, badges=Q.badges, LONG_TEXT=LONG_TEXT, statuses=Q.STATUSES
    )

    @app.before_request
    def guard() -> None:
        if token:
            given = (
                request.args.get("token")
                or request.cookies.get(TOKEN_COOKIE)
                or request.headers.get("Authorization", "").removeprefix("Bearer ")
            )
            if not compare_digest(given.encode(), token.encode()):
                abort(403, "an access token is required: open the URL `jixiao review` printed")
        elif not is_loopback(_hostname(request.host)):
            abort(403, "this review server answers on 127.0.0.1 only")  # DNS rebinding
        if request.method == "POST" and not compare_digest(
            request.form.get("_key", "").encode(), form_key.encode()
        ):
            abort(400, "stale or foreign form: reload the page")

    @app.after_request
    def headers(resp: Response) -> Response:
        if token and request.args.get("token") == token:
            resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        # Defence in depth behind Jinja's escaping: no inline script can ever run.
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        return resp

    @app.context_processor
    def common() -> dict[str, Any]:
        return {
            "form_key": form_key,
            "reviewer": reviewer,
            "out_dir": ws.out_dir,
            "filters": Q.Filters.from_args(request.args),
        }

    def state_or_404(stem: str, index: int) -> ProjectState:
        try:
            return ws.state(stem, index)
        except (KeyError, IndexError):
            abort(404, "no such project")

    def project_url(state: ProjectState, filters: Q.Filters, **extra: str) -> str:
        params: dict[str, Any] = {**filters.params(), **{k: v for k, v in extra.items() if v}}
        return url_for("project", stem=state.doc.stem, index=state.index, **params)

    @app.get("/")
    def queue_page() -> str:
        filters = Q.Filters.from_args(request.args)
        states = ws.states()
        items = Q.build(states, filters)
        rule_ids = sorted({f.rule for s in states for f in s.findings}, key=_rule_order)
        return render_template(
            "queue.html",
            items=items,
            total=len(states),
            approved=sum(1 for s in states if s.approved),
            pending=sum(1 for s in states if Q.pending(s)),
            rule_ids=rule_ids,
            docs=list(ws.docs),
            skipped=ws.skipped,
            msg=MESSAGES.get(request.args.get("msg", ""), ""),
            project_url=project_url,
        )

    @app.get("/p/<stem>/<int:index>")
    def project(stem: str, index: int) -> str:
        st = state_or_404(stem, index)
        filters = Q.Filters.from_args(request.args)
        known = set(F.all_paths(st.project))
        focus = request.args.get("field", "")
        if focus not in known:
            focus = st.open_fields[0] if st.open_fields else ""
        hits: set[str] = set()
        chosen = request.args.get("finding", type=int)
        if chosen is not None and 0 <= chosen < len(st.findings):
            hits = set(st.findings[chosen].fields)
        queue = Q.build(ws.states(), filters)
        prev, nxt, position = Q.neighbours(queue, st.key)
        pdf = ws.pdf(stem)
        top = ["name", "department", "implementing_unit", "amount_unit"]
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
            top_cells=V.simple_cells(st, top, focus, hits),
            goal_cells=V.simple_cells(st, ["goal_expected", "goal_actual"], focus, hits),
            total_cells=V.simple_cells(st, ["total_weight", "total_score", "grade"], focus, hits),
            funds_rows=V.funds_rows(st, focus, hits),
            indicator_rows=V.indicator_rows(st, focus, hits),
            prev=prev,
            next=nxt,
            position=position,
            queue_len=len(queue),
            history=list(reversed(st.events)),
            msg=MESSAGES.get(request.args.get("msg", ""), ""),
            error=request.args.get("error", ""),
            project_url=project_url,
            stale=st.stale_events,
            prefetch=_page_urls(ws, nxt) if nxt is not None else [],
        )

    def record(st: ProjectState, kind: str, **kw: Any) -> None:
        ws.store.record(
            doc=st.doc.stem,
            doc_sha256=st.doc.result.sha256,
            project=st.index,
            kind=kind,
            reviewer=reviewer,
            **kw,
        )

    @app.post("/p/<stem>/<int:index>/decide")
    def decide(stem: str, index: int) -> BaseResponse:
        st = state_or_404(stem, index)
        filters = Q.Filters.from_args(request.form)
        path = request.form.get("field", "")
        if path not in set(F.all_paths(st.project)):
            abort(400, "unknown field")
        action = request.form.get("action", "")
        old = st.value(path)
        if action == "pick":
            cands = st.candidates(path)
            choice = request.form.get("choice", type=int)
            if choice is None or not 0 <= choice < len(cands):
                abort(400, "unknown candidate")
            source = cands[choice].source
            try:
                new = F.coerce(path, cands[choice].value)
            except F.BadValue as exc:
                return redirect(project_url(st, filters, field=path, error=str(exc)), 303)
        elif action == "typed":
            try:
                new, _ = F.parse_typed(path, request.form.get("value", ""))
            except F.BadValue as exc:
                return redirect(project_url(st, filters, field=path, error=str(exc)), 303)
            source = "typed"
        elif action == "confirm":
            new, source = old, "confirmed"
        elif action == "revert":
            new, source = st.original_value(path), "revert"
        else:
            abort(400, "unknown action")
        record(st, "value", field=path, old_value=old, new_value=new, source=source)
        after = ws.state(stem, index)
        later = [p for p in after.open_fields if F.order_key(p) > F.order_key(path)]
        focus = (later or after.open_fields or [path])[0]
        return redirect(project_url(after, filters, field=focus), 303)

    @app.post("/p/<stem>/<int:index>/inconsistent")
    def inconsistent(stem: str, index: int) -> BaseResponse:
        st = state_or_404(stem, index)
        value = request.form.get("value") == "1"
        record(st, "inconsistent", old_value=st.inconsistent, new_value=value)
        return redirect(project_url(st, Q.Filters.from_args(request.form)), 303)

    @app.post("/p/<stem>/<int:index>/approve")
    def approve(stem: str, index: int) -> BaseResponse:
        st = state_or_404(stem, index)
        filters = Q.Filters.from_args(request.form)
        if not st.can_approve:
            return redirect(project_url(st, filters, msg="blocked"), 303)
        record(st, "approve", new_value=True)
        queue = Q.build(ws.states(), filters)
        nxt = Q.next_pending(queue, st.key)
        if nxt is None:
            params: dict[str, Any] = {"msg": "done", **filters.params()}
            return redirect(url_for("queue_page", **params), 303)
        return redirect(project_url(nxt, filters, msg="approved"), 303)

    @app.post("/p/<stem>/<int:index>/reopen")
    def reopen(stem: str, index: int) -> BaseResponse:
        st = state_or_404(stem, index)
        record(st, "reopen", old_value=True, new_value=False)
        return redirect(project_url(st, Q.Filters.from_args(request.form)), 303)

    @app.get("/page/<stem>/<int:page>.png")
    def page_image(stem: str, page: int) -> Response:
        if stem not in ws.docs:
            abort(404)
        pdf = ws.pdf(stem)
        doc = ws.docs[stem].result
        if pdf is None or not 1 <= page <= max(doc.pages, 1):
            abort(404)
        path = page_png(pdf, doc.sha256, page, ws.cache_dir)
        return send_file(path, mimetype="image/png", max_age=3600)

    @app.get("/font/cjk.ttf")
    def font() -> Response:
        resp = Response(cjk_font(), mimetype="font/ttf")
        resp.headers["Cache-Control"] = "public, max-age=604800, immutable"
        return resp

    return app


def _page_urls(ws: Workspace, st: ProjectState) -> list[str]:
    """Image URLs of a project's pages, for the browser to fetch (and us to render) ahead."""
    if ws.pdf(st.doc.stem) is None:
        return []
    return [url_for("page_image", stem=st.doc.stem, page=n) for n in st.original.pages]


def _hostname(host_header: str) -> str:
    """The host part of a Host header: '127.0.0.1:5000' -> '127.0.0.1', '[::1]:80' -> '::1'."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def _rule_order(rule: str) -> tuple[int, int, str]:
    if rule.startswith("R") and rule[1:].isdigit():
        return (0, int(rule[1:]), rule)
    return (1, 0, rule)


def serve(
    ws: Workspace,
    host: str,
    port: int,
    reviewer: str,
    token: str = "",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted; calls on_ready(url) once the socket is bound."""
    if not token and not is_loopback(host):
        raise ValueError(f"binding to {host} requires an access token (--token)")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, create_app(ws, reviewer, token), threaded=True)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.port}/" + (f"?token={token}" if token else "")
    if on_ready:
        on_ready(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
