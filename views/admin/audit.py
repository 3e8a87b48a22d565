"""Back-office view of the audit log (read-only)."""
import json

from flask_admin.contrib.sqla import filters
from flask_babel import lazy_gettext as _l

from app.domain.privacy import mask, masker
from models import AuditLog, Role
from models.enums import AuditAction
from views.admin.base import ReadOnlyModelView
from views.admin.audit_labels import TABLE_LABELS, field_label, record_text, table_label, value_label
from views.admin.labels import LABELS


def masked_value(view, context, model, name):
    """An old or new value in Chinese with ID numbers and phone numbers masked: the field's own, or
    those inside a created or deleted record's copy (shown as "字段：值；…")."""
    value = getattr(model, name)
    if value is None:
        return ""
    if model.field_name:
        return value_label(model.table_name, model.field_name, mask(model.field_name, value))
    try:
        data = json.loads(value)
    except ValueError:
        return value
    if not isinstance(data, dict):
        return value
    return record_text(model.table_name, {k: mask(k, v) if masker(k) and v else v for k, v in data.items()})


def table_name(view, context, model, name):
    return table_label(model.table_name)


def field_name(view, context, model, name):
    return field_label(model.field_name)


def action(view, context, model, name):
    return AuditAction.label(model.action)


MASKED = {"old_value": masked_value, "new_value": masked_value, "table_name": table_name,
          "field_name": field_name, "action": action}


class AuditLogView(ReadOnlyModelView):
    read_roles = (Role.PROVINCE_ADMIN, Role.SUPPORT, Role.SUPERUSER)
    column_labels = LABELS
    column_list = ("created_at", "actor_name", "action", "table_name", "record_id", "field_name", "old_value",
                   "new_value", "reason")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("actor_name", "record_id")
    column_choices = {"action": AuditAction.lazy_choices()}
    column_filters = (
        filters.FilterEqual(AuditLog.action, _l("Action"), options=AuditAction.lazy_choices()),
        filters.FilterEqual(AuditLog.table_name, _l("Table"), options=list(TABLE_LABELS.items())),
        filters.FilterEqual(AuditLog.record_id, _l("Record No.")),
        filters.DateBetweenFilter(AuditLog.created_at, _l("Created at")),
    )
    column_formatters = MASKED
    column_formatters_detail = MASKED
    column_formatters_export = MASKED
    export_name = _l("Audit log")
