"""Probes for the load balancer and the monitoring: ``/healthz`` (the process answers), ``/readyz``
(database, migrations, file and limit storage) and ``/metrics`` (Prometheus text, for the networks
in ``METRICS_ALLOWED_NETWORKS`` or a request bearing ``METRICS_TOKEN``)."""
from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, abort, current_app, jsonify, request

from app.extensions import csrf, limiter
from app.infra.health import readiness

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
@limiter.exempt
def readyz():
    ready, checks = readiness()
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def metrics_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for network in current_app.config.get("METRICS_ALLOWED_NETWORKS", ()):
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            current_app.logger.warning("METRICS_ALLOWED_NETWORKS has an invalid network: %r", network)
    return False


@bp.route("/metrics")
@limiter.exempt
def metrics():
    if not metrics_allowed():
        abort(403)
    body, content_type = current_app.extensions["platform_metrics"].text()
    return body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}


csrf.exempt(bp)
