"""Reporting: what the dashboard counts (``dashboard``) and the recruitment progress against the
province's plan (``progress``). Every count is restricted to the viewer by
``app.domain.access.scope_condition`` and costs a fixed number of grouped queries."""
from app.domain.reporting.dashboard import dashboard_context

__all__ = ["dashboard_context"]
