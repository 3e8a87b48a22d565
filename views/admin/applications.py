"""The back-office application list and details page (review and assignment: ``review_actions``;
filters: ``application_filters``; the parts of an application: ``application_records``)."""
from flask import abort, flash, g, redirect, request
from flask_login import current_user
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_admin.model.template import TemplateLinkRowAction
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, union

from app.documents.regform import RegformError, registration_form_response
from app.domain.access import scope_condition
from app.domain.enrollment.snapshot_diff import (
    BASIC_FIELDS,
    CONTACT_FIELDS,
    EDUCATION_FIELDS,
    EMPLOYMENT_FIELDS,
    LICENCE_FIELDS,
    field_label,
    is_typed_unit,
    show,
    snapshot_changes,
)
from app.domain.review.export import export_chunk
from app.domain.review.list_page import ListedApplication, page_ids_statement, page_rows
from app.domain.review.queue_counts import filtered_count, queue_counts_and_count
from app.domain.rules import results_from_json
from app.domain.support import trainee_search_condition
from app.domain.rules.exemption import EXEMPTION_TYPES as CLAIM_TYPES
from app.domain.withdrawals import declaration_conflict
from app.domain.workflow import action_label
from app.extensions import db
from app.infra.access_log import record_access
from app.infra.sql import contains, read, starts_with
from models import (
    AccessAction,
    Application,
    Attachment,
    ReviewRecord,
    Role,
    Status,
    Trainee,
)
from models.enums import (
    AdmissionResult,
    AttachmentKind,
    Identity,
    Program,
    ReviewLevel,
)
from views.admin.application_export import application_values
from views.admin.application_filters import (
    EXEMPTION_TYPES,
    DayBetweenFilter,
    RULE_CHECK_OPTIONS,
    WAITING_OPTIONS,
    ExemptionTypeFilter,
    ProgramFilter,
    RuleCheckFilter,
    WaitingFilter,
    application_base_options,
    application_batch_options,
    city_level_options,
    county_level_options,
    status_options,
)
from views.admin.application_states import (
    STATE_EXPORT_COLUMNS,
    STATE_FILTERS,
    STATE_LABELS,
    standing_formatter,
)
from views.admin.base import MAX_PAGE, SecureModelView, choice_formatter, without_nul
from views.admin.bulk_all import BulkAllMixin
from views.admin.labels import LABELS
from views.admin.list_rows import pager_links
from views.admin.review_actions import ReviewActionsMixin
from views.admin.saved_filters import SavedFiltersMixin
from views.admin.review_loop import ReviewLoopMixin, claimed_formatter, waiting_formatter
from views.admin.trainees import TraineeSearchMixin

APPLICATION_EDITORS = (Role.PROVINCE_ADMIN, Role.SUPERUSER)
def status_formatter(view, context, model, name):
    return Status.label_for(model.status, model.batch.program)


class PageRows:
    """A page's rows read by id, in the order of ``ids`` (what the list's ``.all()`` returns): plain
    values, not ORM instances (``app.domain.review.list_page``)."""

    def __init__(self, ids: list[int]):
        self.ids = ids

    def all(self) -> list[ListedApplication]:
        return page_rows(self.ids)


SEARCH_COUNT_CAP = 1000  # a search's matches counted at most (50 pages of 20)


class CappedCount(int):
    """A count that stopped at its cap: pages are reckoned from the cap, and it reads "more than 1,000"."""

    def __str__(self) -> str:
        return gettext("more than %(count)s", count=f"{int(self):,}")

    __html__ = __str__


UNIT_SEARCH_MIN = 3  # characters before the search also looks inside unit names (pg_trgm's trigrams)


class ApplicationView(SavedFiltersMixin, ReviewLoopMixin, BulkAllMixin, ReviewActionsMixin, TraineeSearchMixin,
                      SecureModelView):
    write_roles = APPLICATION_EDITORS
    create_roles = ()
    trainee_id_column = Application.trainee_id
    column_labels = {**LABELS, **STATE_LABELS}
    # "standing" (准考证, scores, admission, the notice's answer, 报到, missing documents) beside the status
    column_list = ("id", "trainee.name", "trainee.id_number", "batch", "identity", "status", "standing", "county",
                   "city", "unit_name", "base", "submitted_at", "status_changed_at", "exemptions")
    # longest waiting first: the time the application entered its status (ties by id in the same direction: _apply_sorting)
    column_default_sort = ("status_changed_at", False)
    column_sortable_list = ("id", "status", "submitted_at", "status_changed_at", "unit_name")
    column_searchable_list = ("unit_name",)
    column_formatters = {"status": status_formatter, "identity": choice_formatter(Identity),
                         "admission_result": choice_formatter(AdmissionResult),
                         "status_changed_at": waiting_formatter, "exemptions": claimed_formatter,
                         "standing": standing_formatter}
    # export-only columns: add one by naming it here, with a label in LABELS and a reader in
    # ``views.admin.application_export`` (the export writes plain rows, not the list's records)
    column_export_list = ("id", "trainee.name", "trainee.id_number", "trainee.mobile", "gender", "title", "unit_level",
                          "batch", "identity", "status", "county", "city", "unit_name", "base", "submitted_at",
                          "waiting_days", "choices", "commissioning_unit", "onsite_confirmed_at",
                          *STATE_EXPORT_COLUMNS, "claim_decisions")
    export_widths = {"trainee.name": 10, "trainee.id_number": 21, "trainee.mobile": 14, "unit_name": 30,
                     "batch": 24, "choices": 30, "commissioning_unit": 24, "base": 24}
    column_filters = (
        ProgramFilter(Application.id, _l("Program"), options=Program.lazy_choices()[:2]),
        filters.IntEqualFilter(Application.batch_id, _l("Batch"), options=application_batch_options),
        filters.FilterEqual(Application.status, _l("Status"), options=status_options),
        filters.IntEqualFilter(Application.city_id, _l("City"), options=city_level_options),
        filters.IntEqualFilter(Application.county_id, _l("County"), options=county_level_options),
        filters.IntEqualFilter(Application.base_id, _l("Training base"), options=application_base_options),
        filters.FilterEqual(Application.identity, _l("Identity"), options=Identity.lazy_choices()),
        DayBetweenFilter(Application.submitted_at, _l("Submitted at")),
        WaitingFilter(Application.id, _l("Waiting"), options=WAITING_OPTIONS),
        ExemptionTypeFilter(Application.id, _l("Exemption type"), options=EXEMPTION_TYPES),
        RuleCheckFilter(Application.id, _l("Rule checks"), options=RULE_CHECK_OPTIONS),
        *STATE_FILTERS,
    )
    column_select_related_list = (Application.trainee, Application.batch, Application.county, Application.city,
                                  Application.base)
    column_details_list = ("id", "trainee", "batch", "identity", "status", "county", "city", "unit_name", "base",
                           "commissioning_unit", "claims_exemption", "no_postgrad_pledge", "choices", "exemptions",
                           "submitted_at", "onsite_confirmed_at", "theory_score", "skills_score", "combined_score",
                           "admission_result", "admitted_specialty", "reported_at", "created_at", "updated_at")
    form_columns = ("identity", "commissioning_unit", "claims_exemption", "no_postgrad_pledge")
    form_choices = {"identity": Identity.lazy_choices()}
    export_name = _l("Application summary")
    reveal_fields = ("id_number", "mobile", "emergency_phone")  # of the snapshot (or the trainee)

    list_template = "admin/application_list.html"
    column_extra_row_actions = [TemplateLinkRowAction("review_row.buttons", _l("Review"))]

    def extra_search_condition(self, term):
        """A unit name containing the term, from 3 characters on: a shorter "contains" has no index to
        answer it (a trigram needs three characters) and would read every application, so "杨" finds
        names beginning with 杨, and "人民医院" also units containing it."""
        if len(term) < UNIT_SEARCH_MIN:
            return None
        return contains(Application.unit_name, term)

    # --- the list's count: from the maintained counts when they can answer it ----------------------
    # the "equals" filters on a counted column; the program filter reads the batches
    COUNTED_FILTER_COLUMNS = ("batch_id", "status", "city_id", "county_id", "base_id")

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """The list, counted from ``ApplicationCount`` (a few hundred grouped rows) instead of by
        reading every matching application, when no search and only counted filters apply: the
        counts equal a full recount (database triggers keep them, ``tests/domain/test_counts.py``).

        A search in the default order is counted up to ``SEARCH_COUNT_CAP`` (``_apply_pagination``):
        a common surname finds thousands of applications, and an exact count would read every one of
        them on every page; past the cap the list says "more than 1,000" and asks for a longer term. A
        search that also looks in unit names is, when no trainee's name starts with the term (the usual
        case: "人民医院"), a search of unit names alone, ordered and counted as above; else it sorts
        the union of what it found (``_apply_sorting``) and counts it in the same statement
        (``count(*) OVER ()``), not by reading the union again."""
        shape = self.counted_shape(search, filters) if execute else None
        counted = None if shape is None else self.maintained_count(*shape)
        size = self.page_size if page_size is None else page_size
        if counted is not None and size:
            return counted, PageRows(self.counted_page_ids(page, size, sort_column, sort_desc, *shape, counted)).all()
        searching = bool(counted is None and execute and search and (self.page_size if page_size is None else page_size)
                         and (sort_column is None or sort_column not in self._sortable_columns))
        term = without_nul(search)
        in_units = searching and self.extra_condition_for(term) is not None
        units_only = in_units and not self.names_start_with(term)
        windowed = in_units and not units_only  # a union to sort
        g.list_count_maintained = counted is not None
        g.list_count_capped, g.list_count_windowed = searching and not windowed, windowed
        g.list_unit_term = term if units_only else None  # a search of unit names alone, for this term
        g.list_counted = None
        try:
            count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute=execute,
                                           page_size=page_size)
        finally:
            g.list_count_maintained = g.list_count_capped = g.list_count_windowed = False
            g.list_unit_term = None
        if searching:
            count = g.pop("list_counted", None)
            if count is None:  # windowed, and no row on this page: none at all, or a page past the last one
                count = self.get_list(None, sort_column, sort_desc, search, filters, page_size=page_size)[0] if page else 0
        return (counted if counted is not None else count), rows

    @staticmethod
    def names_start_with(term: str) -> bool:
        """Whether any trainee's name starts with ``term`` (the name index, one entry read at most)."""
        return read(select(Trainee.id).where(trainee_search_condition(term)).limit(1)).first() is not None

    def get_count_query(self):
        if g.get("list_count_maintained") or g.get("list_count_capped") or g.get("list_count_windowed"):
            return None
        return super().get_count_query()

    def counted_shape(self, search, active) -> tuple[tuple[str, ...], dict] | None:
        """The filters as the maintained counts name them (``"program"`` or a counted column, in turn) and
        their cleaned values (``v0``, ``v1``, …); None when a search or another filter applies (only the
        applications themselves can answer)."""
        if search:
            return None
        shape, values = [], {}
        for position, (index, _name, value) in enumerate(active or ()):
            flt = self._filters[index]
            if isinstance(flt, ProgramFilter):
                shape.append("program")
            elif (type(flt) in (filters.FilterEqual, filters.IntEqualFilter)
                  and getattr(flt.column, "key", None) in self.COUNTED_FILTER_COLUMNS
                  and flt.column.class_ is Application):
                shape.append(flt.column.key)
            else:
                return None
            values[f"v{position}"] = flt.clean(value)
        return tuple(shape), values

    def maintained_count(self, shape: tuple[str, ...], values: dict) -> int:
        """The number of in-scope applications the filters (``counted_shape``) select, from the maintained counts."""
        if "queue_counts" not in g:  # the menu's numbers read with the count (``views.admin.queues``)
            g.queue_counts, count = queue_counts_and_count(current_user, shape, values)
            return count
        return filtered_count(current_user, shape, values)

    def counted_page_ids(self, page, page_size: int, sort_column, sort_desc: bool, shape: tuple[str, ...],
                         values: dict, total: int) -> list[int]:
        """A page's ids when the filters are those the maintained counts answer (``counted_shape``), from a
        statement kept per scope, filter shape and order, the filters' values and the page its parameters:
        the ids Flask-Admin's query finds (same scope, filters, order and tie-break), without building that
        query and having SQLAlchemy walk it to find its compiled form on every page. The two are compared
        in ``tests/views/test_list_speed.py``.

        A page past the middle is found by walking the order backwards from the end and skipping the rows
        after the page (the last page skips none), then put back in order: read forwards, a deep page walks
        the index past every row before it (page 2,532 of the city's 2,813: 50,620 entries)."""
        page = page if page is not None and 0 <= page <= MAX_PAGE else 0
        if sort_column is None or sort_column not in self._sortable_columns:
            (column, _joins, sort_desc), = self._get_default_order()
        else:
            column = self._sortable_columns[sort_column]
        offset = page * page_size
        backwards = bool(page) and total > offset and offset * 2 > total
        if backwards:
            after = total - offset - page_size  # the rows after this page; fewer than none on the last page
            offset, page_size = max(after, 0), page_size + min(after, 0)
        statement = page_ids_statement(current_user, shape, column.key, sort_desc != backwards)
        ids = list(read(statement, {**values, "offset": offset, "limit": page_size}).scalars())
        return ids[::-1] if backwards else ids

    # --- the list's query: a total order, a page's ids first ---------------------------------------
    def search_condition(self, search: str):
        """The trainee search, or for a term that also looks in unit names the applications found
        either way, each way inside the reviewer's scope: PostgreSQL cannot combine the unit name's
        trigram index with the trainee subquery in one OR and would read every application; as a
        union, each branch uses its own index (and the scope's), and a county reviewer's broad term
        ("人民医院") is not first found province-wide. On a list page whose term starts no trainee's
        name (``get_list``), the unit names alone: PostgreSQL then walks the waiting-time index for a
        common unit and reads the trigram index for a rare one."""
        unit = self.extra_condition_for(search)
        if unit is None:
            return super().search_condition(search)
        if g.get("list_unit_term"):
            return unit
        in_scope = scope_condition(Application, current_user)
        return Application.id.in_(union(
            select(Application.id).where(in_scope, trainee_search_condition(search, Application.trainee_id)),
            select(Application.id).where(in_scope, unit)))

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """The chosen (or default) order, then ``id`` in the same direction: the order is total, so
        a row appears on exactly one page.

        A search by name, ID number or mobile is ordered by the plain columns: PostgreSQL plans it with
        the term written in (``app.infra.sql.starts_with``) and walks the waiting-time index, testing each
        application, when the term is common ("杨": 633 rows read for the first page instead of 6,768
        found and sorted), or sorts what the trainee indexes found when it is rare. A search that also
        looks in unit names sorts its union on a list page (it reads the whole union anyway to count it,
        ``get_list``), written as expressions no index answers (the same order), so that no plan walks
        the order index against it.
        """
        default = sort_column is None or sort_column not in self._sortable_columns
        if default:
            (column, _joins, sort_desc), = self._get_default_order()
            if g.get("list_count_windowed"):
                keys = (func.coalesce(column, column), Application.id + 0)
                return query.order_by(*(key.desc() if sort_desc else key for key in keys)), joins
            sort_column = None  # a column that cannot be sorted (a forged ``sort``): the default order
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(Application.id.desc() if sort_desc else Application.id), joins

    def _apply_pagination(self, query, page, page_size):
        """A page finds its 20 ids first (the skipped rows are read from indexes only), then loads
        those rows by id, as plain values of only what the list shows (``app.domain.review.list_page``).
        An export (no page size) reads the whole query as it is."""
        if not (self.page_size if page_size is None else page_size):
            return super()._apply_pagination(query, page, page_size)
        if g.get("list_count_windowed"):
            found = read(super()._apply_pagination(query.with_entities(Application.id, func.count().over()),
                                                   page, page_size).statement).all()
            ids = [row_id for row_id, _count in found]
            g.list_counted = found[0][1] if found else None
        else:
            paged = super()._apply_pagination(query.with_entities(Application.id), page, page_size)
            ids = list(read(paged.statement).scalars())
        if g.get("list_count_capped"):
            g.list_counted = self.capped_count(query, page, page_size or self.page_size, ids)
        # the page's rows by primary key, put in the ids' order: the scope, filters and search are in the
        # ids' query already (repeated here, they had PostgreSQL re-read every in-scope application to match)
        return PageRows(ids)

    def capped_count(self, query, page, page_size: int, ids: list[int]) -> int:
        """How many applications the search found, counted up to ``SEARCH_COUNT_CAP`` (then a
        ``CappedCount``, shown as "more than 1,000"): the first page with room left is its own count."""
        if not page and len(ids) < page_size:
            return len(ids)
        term = g.get("list_unit_term")
        if term and self.capped(query.filter(starts_with(Application.unit_name, term))) > SEARCH_COUNT_CAP:
            # a unit-name search passes the cap with the units whose name starts with the term alone (a
            # big hospital typed from its start): a prefix b-tree finds those 1,001 entries, where the
            # "contains" count reads every unit name (or the trigram index's long posting lists) first
            return CappedCount(SEARCH_COUNT_CAP)
        count = self.capped(query)
        return CappedCount(SEARCH_COUNT_CAP) if count > SEARCH_COUNT_CAP else count

    @staticmethod
    def capped(query) -> int:
        """The rows ``query`` finds, counted up to one past ``SEARCH_COUNT_CAP``."""
        found = query.with_entities(Application.id).order_by(None).limit(SEARCH_COUNT_CAP + 1).subquery()
        return read(select(func.count()).select_from(found)).scalar_one()

    def export_values(self, ids: list) -> list[list]:
        """Plain rows of only the columns written, a chunk at a time (``app.domain.review.export``),
        inside the user's scope; personal values masked unless this is a full-value export."""
        return application_values(export_chunk(ids, current_user), [name for name, _label in self._export_columns],
                                  full=bool(g.get("pii_full_export")))

    # --- details page: the frozen snapshot, claims with rule checks and files, history, changes ----
    details_template = "admin/application_details.html"

    def render(self, template, **kwargs):
        if template == self.list_template and kwargs.get("data") is not None:
            kwargs["count_capped"] = isinstance(kwargs.get("count"), CappedCount)
            kwargs["pager_links"] = pager_links
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs.update(self.details_context(kwargs["model"]))
            kwargs.update(self.loop_context(kwargs["model"]))
        return super().render(template, **kwargs)

    def details_context(self, application) -> dict:
        """What the details page shows; a fixed number of queries whatever the size of the record."""
        files = db.session.scalars(select(Attachment).where(Attachment.application_id == application.id)
                                   .order_by(Attachment.id)).all()
        by_claim: dict[int | None, list] = {}
        for attachment in files:
            by_claim.setdefault(attachment.exemption_request_id, []).append(attachment)
        claims = [{
            "request": r,
            "title": f"（{r.type}）{gettext(CLAIM_TYPES[r.type].title)}" if r.type in CLAIM_TYPES else str(r.type),
            "results": [(res.passed, res.render(gettext)) for res in results_from_json(r.rule_results)],
            "files": by_claim.get(r.id, []),
        } for r in application.exemptions]
        history = db.session.scalars(select(ReviewRecord).where(ReviewRecord.application_id == application.id)
                                     .options(db.joinedload(ReviewRecord.actor))
                                     .order_by(ReviewRecord.created_at, ReviewRecord.id)).all()
        program = application.batch.program
        return {
            "snapshot": application.snapshot,
            "claims": claims,
            "application_files": by_claim.get(None, []),
            "outing_kind": AttachmentKind.OUTING_PROOF,
            "history": [{
                "record": h, "action": action_label(h.action), "level": ReviewLevel.label(h.level),
                "before": Status.label_for(h.status_before, program), "after": Status.label_for(h.status_after, program),
                "actor": (h.actor.display_name or h.actor.username) if h.actor else "",
            } for h in history],
            "changes": snapshot_changes(application.previous_snapshot, application.snapshot, masked=True)
            if application.previous_snapshot else None,
            "field_groups": {"basic": BASIC_FIELDS, "contact": CONTACT_FIELDS, "education": EDUCATION_FIELDS,
                             "employment": EMPLOYMENT_FIELDS, "licence": LICENCE_FIELDS},
            "field_label": field_label, "show": show, "is_typed_unit": is_typed_unit,
            "status_text": Status.label_for(application.status, program),
            "identity_text": Identity.label(application.identity) if application.identity else "",
            "eligibility": [(r.passed, r.hard, r.render(gettext)) for r in results_from_json(application.eligibility)],
            "withdrawal_conflict": declaration_conflict(application) if program == Program.RESIDENCY else None,
        }

    @expose("/registration-form/")
    def registration_form_view(self):
        """The 报名表 PDF of an application in scope, to reprint for a trainee who lost theirs."""
        application = self.get_one(request.args.get("id", ""))
        if application is None:
            abort(404)
        try:
            response = registration_form_response(application)
        except RegformError as error:
            flash(str(error), "error")
            return redirect(self.get_url(".details_view", id=application.id))
        record_access(AccessAction.PDF, "application", application.id)
        return response
