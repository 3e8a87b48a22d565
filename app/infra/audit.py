"""Audit trail: every create, update and delete made by an identified actor is written down.

Views set the actor (and optionally a reason) with ``set_actor``; a session hook then
records one ``AuditLog`` row per changed field in the same transaction as the change.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_app_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from models import AuditLog
from models.clock import now
from models.enums import AuditAction

SECRET_FIELDS = {"password_hash", "token_hash", "code_hash"}
MASK = "******"


def set_actor(actor, reason: str | None = None) -> None:
    """Record changes made in this request as ``actor``'s, with an optional reason."""
    g.audit_actor = actor
    g.audit_reason = reason


@contextmanager
def acting_as(actor, reason: str | None = None):
    """Temporarily attribute changes to ``actor`` (e.g. in a command or a support action)."""
    previous = (getattr(g, "audit_actor", None), getattr(g, "audit_reason", None))
    set_actor(actor, reason)
    try:
        yield
    finally:
        g.audit_actor, g.audit_reason = previous


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _shown(field: str, value) -> str | None:
    return MASK if field in SECRET_FIELDS and value is not None else _text(value)


def _record_id(state) -> str:
    return ",".join(str(v) for v in state.mapper.primary_key_from_instance(state.obj()))


def _snapshot(obj) -> str:
    state = inspect(obj)
    return json.dumps({attr.key: _shown(attr.key, getattr(obj, attr.key))
                       for attr in state.mapper.column_attrs}, ensure_ascii=False)


def _changed_fields(obj):
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if _text(old) != _text(new):
                yield attr.key, _shown(attr.key, old), _shown(attr.key, new)
    for rel in state.mapper.relationships:
        if rel.secondary is None:
            continue  # one-to-many rows are audited as records of their own
        history = state.attrs[rel.key].history
        if history.added or history.deleted:
            old = sorted(str(o) for o in list(history.unchanged) + list(history.deleted))
            new = sorted(str(o) for o in list(history.unchanged) + list(history.added))
            yield rel.key, "、".join(old), "、".join(new)


def _after_flush(session: Session, flush_context) -> None:
    if not has_app_context():
        return
    actor = getattr(g, "audit_actor", None)
    if actor is None:
        return
    reason = getattr(g, "audit_reason", None)
    stamp = now()
    base = {"actor_id": getattr(actor, "id", None), "actor_name": getattr(actor, "username", str(actor))[:50],
            "created_at": stamp, "reason": reason}
    rows = []
    for obj in session.new:
        if isinstance(obj, AuditLog):
            continue
        state = inspect(obj)
        rows.append({**base, "table_name": state.mapper.local_table.name, "record_id": _record_id(state),
                     "action": AuditAction.CREATE, "field_name": None, "old_value": None,
                     "new_value": _snapshot(obj)})
    for obj in session.dirty:
        if isinstance(obj, AuditLog) or not session.is_modified(obj):
            continue
        state = inspect(obj)
        for field, old, new in _changed_fields(obj):
            rows.append({**base, "table_name": state.mapper.local_table.name, "record_id": _record_id(state),
                         "action": AuditAction.UPDATE, "field_name": field, "old_value": old,
                         "new_value": new})
    for obj in session.deleted:
        if isinstance(obj, AuditLog):
            continue
        state = inspect(obj)
        rows.append({**base, "table_name": state.mapper.local_table.name, "record_id": _record_id(state),
                     "action": AuditAction.DELETE, "field_name": None, "old_value": _snapshot(obj),
                     "new_value": None})
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


def init_app(app) -> None:
    """Attach the audit hook to every session (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
