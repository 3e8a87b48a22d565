"""Back-office view of the audit log (read-only)."""
from flask_admin.contrib.sqla import filters
from flask_babel import lazy_gettext as _l

from models import AuditLog, Role
from models.enums import AuditAction
from views.admin.base import ReadOnlyModelView
from views.admin.labels import LABELS


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
        filters.FilterEqual(AuditLog.table_name, _l("Table")),
        filters.FilterEqual(AuditLog.record_id, _l("Record No.")),
        filters.DateBetweenFilter(AuditLog.created_at, _l("Created at")),
    )
    export_name = _l("Audit log")
