"""Page images of the source PDFs, and a CJK font for browsers without one."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_file

from pipeline.render import cjk_font_bytes
from pipeline.review.context import context
from pipeline.review.pages import page_png

bp = Blueprint("assets", __name__)


@bp.get("/page/<stem>/<int:page>.png")
def page_image(stem: str, page: int) -> Response:
    """One page of a document's PDF as PNG (rendered once, then cached); 404 without the PDF."""
    ws = context().ws
    if stem not in ws.docs:
        abort(404)
    pdf = ws.pdf(stem)
    doc = ws.docs[stem].result
    if pdf is None or not 1 <= page <= max(doc.pages, 1):
        abort(404)
    path = page_png(pdf, doc.sha256, page, ws.cache_dir)
    return send_file(path, mimetype="image/png", max_age=3600)


@bp.get("/font/cjk.ttf")
def font() -> Response:
    """The CJK font the stylesheet falls back to."""
    resp = Response(cjk_font_bytes(), mimetype="font/ttf")
    resp.headers["Cache-Control"] = "public, max-age=604800, immutable"
    return resp
