"""Who the review server answers: loopback only, or anyone with the token; forms need its key."""

from __future__ import annotations

import ipaddress
from hmac import compare_digest

from flask import Flask, Response, abort, request

from pipeline.review.context import context

TOKEN_COOKIE = "jixiao_review_token"
# Defence in depth behind Jinja's escaping: no inline script can ever run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'"
)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def install(app: Flask) -> None:
    """Check every request before it is answered, and add the security headers to every answer."""
    app.before_request(guard)
    app.after_request(headers)


def guard() -> None:
    """Refuse a request without the token (or, without one, from a non-loopback Host), and a
    form without the server's key."""
    ctx = context()
    if ctx.token:
        given = (
            request.args.get("token")
            or request.cookies.get(TOKEN_COOKIE)
            or request.headers.get("Authorization", "").removeprefix("Bearer ")
        )
        if not compare_digest(given.encode(), ctx.token.encode()):
            abort(403, "an access token is required: open the URL `jixiao review` printed")
    elif not is_loopback(_hostname(request.host)):
        abort(403, "this review server answers on 127.0.0.1 only")  # DNS rebinding
    if request.method == "POST" and not compare_digest(
        request.form.get("_key", "").encode(), ctx.form_key.encode()
    ):
        abort(400, "stale or foreign form: reload the page")


def headers(resp: Response) -> Response:
    """Keep the token in a cookie once given in the URL; forbid sniffing, referrers, inline code."""
    token = context().token
    if token and request.args.get("token") == token:
        resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return resp


def _hostname(host_header: str) -> str:
    """The host part of a Host header: '127.0.0.1:5000' -> '127.0.0.1', '[::1]:80' -> '::1'."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header
