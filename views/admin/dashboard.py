"""The back-office dashboard: counts by status within the viewer's scope."""
from sqlalchemy import func, select

from app.access import scope_condition
from app.extensions import db
from models import Application, Batch, Status
from models.enums import BatchStatus, Program


def dashboard_context(user) -> dict:
    """Counts of applications per batch and status, restricted to ``user``'s scope (one query)."""
    rows = db.session.execute(
        select(Batch.id, Batch.name, Batch.program, Application.status, func.count(Application.id))
        .join(Application, Application.batch_id == Batch.id)
        .where(scope_condition(Application, user), Batch.status != BatchStatus.ARCHIVED)
        .group_by(Batch.id, Batch.name, Batch.program, Application.status)
        .order_by(Batch.id.desc())
    ).all()
    batches: dict[int, dict] = {}
    for batch_id, name, program, status, count in rows:
        entry = batches.setdefault(batch_id, {"id": batch_id, "name": name, "program": Program.label(program),
                                              "total": 0, "statuses": []})
        entry["statuses"].append({"status": status, "label": Status.label_for(status, program), "count": count})
        entry["total"] += count
    order = {value: index for index, value in enumerate(Status.values())}
    for entry in batches.values():
        entry["statuses"].sort(key=lambda s: order[s["status"]])
    return {"batches": list(batches.values()), "user": user}
