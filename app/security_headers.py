"""Security headers on every response, set by one after-request hook (never per view).

Pages get a Content-Security-Policy that lets scripts come only from this site (``'self'``) or
carry the request's nonce (Flask-Admin marks its few inline scripts with it: ``csp_nonce``);
inline event handlers and ``javascript:`` links are refused, so the platform has none of its own
(``static/site.js`` and ``static/admin/csp.js`` turn the handful in Flask-Admin's templates into
listeners). Styles may be inline (``style="…"`` attributes and ``<style>`` blocks, also written by
select2 and the date picker): tolerable, as styles cannot run code. No outside host is allowed
for anything, and no site may frame a page (``frame-ancestors 'none'``).

Responses that already carry a Content-Security-Policy keep it: files and page images set the
stricter ``sandbox`` policy of ``app.infra.storage.protect_file_response``.

Every response also gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``
(Flask-WTF's HTTPS check needs the same-origin referrer), a ``Permissions-Policy`` that turns off
the devices and APIs the platform never uses, ``X-Frame-Options: DENY`` for old browsers, and over
HTTPS ``Strict-Transport-Security`` (``HSTS_SECONDS``, 0 turns it off; ``HSTS_INCLUDE_SUBDOMAINS``)
and ``Cross-Origin-Opener-Policy: same-origin``.
Behind a proxy that ends TLS, set ``PROXY_COUNT`` so that the request is known to be HTTPS.
"""
from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "usb", "xr-spatial-tracking"))
REFERRER_POLICY = "same-origin"


def csp_nonce() -> str:
    """The nonce of this request's Content-Security-Policy (made on first use), for ``<script nonce>``."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def page_policy(nonce: str | None = None) -> str:
    """The Content-Security-Policy of a page; ``nonce`` admits the inline scripts that carry it."""
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join((
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = page_policy(g.get("csp_nonce"))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Register the hook and the ``csp_nonce()`` template function."""
    app.add_template_global(csp_nonce, "csp_nonce")
    max_age = int(app.config.get("HSTS_SECONDS") or 0)
    hsts = f"max-age={max_age}" + ("; includeSubDomains" if app.config.get("HSTS_INCLUDE_SUBDOMAINS") else "")

    @app.after_request
    def security_headers(response: Response) -> Response:
        add_security_headers(response)
        if request.is_secure:  # browsers ignore (and complain about) these over plain HTTP
            response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            if max_age:
                response.headers.setdefault("Strict-Transport-Security", hsts)
        return response
