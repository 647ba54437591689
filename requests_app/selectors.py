"""Reads of cases, filtered by permission in SQL."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import Group
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, pgettext

from portal.models import AuditEvent, User
from portal.trail import EventType
from requests_app import clock
from requests_app.models import (
    Amendment,
    Clarification,
    CriterionAssessment,
    DataRequest,
    DataRequestGroupObjectPermission,
    DataRequestUserObjectPermission,
    Decision,
    DecisionOutcome,
    LegalCriterion,
    TableSpecification,
)
from requests_app.permissions import ASSIGNABLE_ROLES, VIEW, requests_visible_to
from requests_app.states import CLOCK_PAUSED_STATES, CLOCK_RUNNING_STATES, OPEN_STATES, Status
from requests_app.workflow import TRANSITIONS
from stats_app.models import Category, Custodian, Dimension


def my_requests(user):
    """The requester's own requests, newest first."""
    return requests_visible_to(user).filter(requester=user).order_by("-created_at")


def get_own_request(user, pk) -> DataRequest:
    """One of the requester's own requests; ``Http404`` for any other, even one ``user`` may read as staff."""
    case = my_requests(user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


@dataclass(frozen=True)
class SpecificationRow:
    """A table specification with its catalogue labels in the active language."""

    specification: TableSpecification
    dataset: str
    measure: str
    dimensions: list[str]
    #: (dimension label, [category labels kept]) for each filtered dimension.
    filters: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The table in a line: "Medical services — Distinct persons: Age group × Region"."""
        named = f"{self.dataset} — {self.measure}"
        return f"{named}{_label_suffix()} {' × '.join(self.dimensions)}" if self.dimensions else named


def _label_suffix() -> str:
    # French puts a space before the colon.
    return pgettext("label suffix", ":")


def specification_rows(case: DataRequest) -> list[SpecificationRow]:
    """The case's tables, labelled from the catalogue in three queries whatever their number."""
    return label_specifications(list(case.specifications.select_related("dataset", "measure")))


def label_specifications(specifications) -> list[SpecificationRow]:
    """``specifications`` (saved or not) labelled from the catalogue in the active language, in two queries."""
    dimension_codes = {code for spec in specifications for code in [*spec.dimensions, *spec.filters]}
    dimensions = {dimension.code: dimension for dimension in Dimension.objects.filter(code__in=dimension_codes)}
    filtered_codes = {code for spec in specifications for code in spec.filters}
    categories = {
        (category.dimension.code, category.code): category
        for category in Category.objects.filter(dimension__code__in=filtered_codes).select_related("dimension")
    }

    def dimension_label(code: str) -> str:
        return dimensions[code].label if code in dimensions else code

    def category_label(dimension: str, code: str) -> str:
        category = categories.get((dimension, code))
        return category.label if category else code

    return [
        SpecificationRow(
            specification=spec,
            dataset=spec.dataset.name,
            measure=spec.measure.name,
            dimensions=[dimension_label(code) for code in spec.dimensions],
            filters=[
                (dimension_label(code), [category_label(code, value) for value in values])
                for code, values in spec.filters.items()
            ],
        )
        for spec in specifications
    ]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status: str
    status_label: str
    reason: str


#: How the requester's history names a signed amendment of the decision.
AMENDED_LABEL = gettext_lazy("Decision amended")

#: The audit trail's name for a request: the target of the moves of ``workflow.TRANSITIONS``.
CASE = DataRequest._meta.label_lower


def status_timeline(case: DataRequest) -> list[TimelineEntry]:
    """Each change of status of the case, oldest first, from the audit trail's typed events.

    Only the date, the status and a public note (a withdrawal's reason, an
    extension's notice) are read: who made a change, whom a case is assigned
    to, a proposed outcome are agency records, not the requester's page.
    """
    entries = [TimelineEntry(at=case.created_at, status=Status.DRAFT, status_label=Status.DRAFT.label, reason="")]
    moves = AuditEvent.objects.filter(case_id=case.pk).filter(
        Q(target_type=CASE, payload__has_key="transition") | Q(event_type=EventType.AMENDMENT_SIGNED_OFF)
    )
    for at, event_type, move in moves.order_by("sequence").values_list("occurred_at", "event_type", "payload"):
        if event_type == EventType.AMENDMENT_SIGNED_OFF:
            # A legal notice too: the amendment letter is on the requester's page, with the decision.
            entries.append(TimelineEntry(at, "amended", AMENDED_LABEL, ""))
            continue
        transition = TRANSITIONS.get(move["transition"])
        public = transition is not None and transition.note_is_public
        note = move.get("note", "") if public else ""
        if event_type == EventType.REQUEST_EXTENDED:
            # A legal notice (Access Act s. 47): the requester's history shows it, with its text.
            entries.append(TimelineEntry(at, move["to"], EventType.REQUEST_EXTENDED.label, note))
            continue
        if move["to"] == move["from"]:
            continue
        label = Status(move["to"]).label if move["to"] in Status.values else move["to"]
        entries.append(TimelineEntry(at=at, status=move["to"], status_label=label, reason=note))
    return entries


# --- The privacy officers' workspace ---------------------------------------------------

#: A case is "due soon" when its clock runs out within this many days.
DUE_SOON_DAYS = 5
#: The columns a queue can be sorted by: key -> ordering (the pk breaks ties).
QUEUE_SORTS = {
    "due": ("due_at", "pk"),
    "-due": ("-due_at", "-pk"),
    "received": ("received_at", "pk"),
    "-received": ("-received_at", "-pk"),
}


#: Long texts of a case that neither the queue nor its CSV export shows.
QUEUE_DEFERRED_FIELDS = (
    "purpose",
    "public_interest",
    "intended_publication",
    "legal_basis_details",
    "acknowledgement",
    "extension_notice",
    "withdrawal_reason",
)


def workspace_cases(user):
    """The filed cases ``user`` may view: a draft is the requester's own work, never a staff case."""
    if user.is_active and user.has_perm(VIEW):
        # A role that reads every filed case (lead, auditor): the object-permission half of
        # ``requests_visible_to`` only adds drafts, which the workspace never shows. Without that
        # ``id IN (...) OR`` the planner can walk an index in the queue's order and stop at a page.
        return DataRequest.objects.exclude(status=Status.DRAFT)
    if not user.is_active:
        return DataRequest.objects.none()
    return DataRequest.objects.filter(pk__in=_viewable_case_ids(user)).exclude(status=Status.DRAFT)


def _viewable_case_ids(user):
    """The cases ``user`` holds view rights on in guardian's direct foreign-key tables, their own or a group's.

    What ``requests_visible_to`` reads through ``get_objects_for_user``, as one
    ``id IN (... UNION ...)``: guardian's ``id IN (user's) OR id IN (groups')``
    keeps PostgreSQL from joining, so it filters every case of the table
    (0.35 s at 100 000 cases, against 15 ms; README "Performance").
    """
    permission = {"permission__codename": "view_datarequest", "permission__content_type__app_label": "requests_app"}
    own = DataRequestUserObjectPermission.objects.filter(user=user, **permission)
    groups = DataRequestGroupObjectPermission.objects.filter(group__user=user, **permission)
    return own.values("content_object_id").union(groups.values("content_object_id"))


def queue_conditions(user, *, now: datetime) -> dict[str, Q]:
    """Each queue of the workspace as a condition on a case, in the order the tabs show them.

    "Overdue" is ``clock.is_overdue`` in SQL: undecided, clock running (not
    waiting for the requester) and past its due date. "Due soon" is the same
    running clock with the due date within ``DUE_SOON_DAYS``.
    """
    undecided = Q(status__in=OPEN_STATES)
    clock_running = Q(status__in=CLOCK_RUNNING_STATES)
    return {
        "mine": undecided & Q(assigned_to=user),
        "unassigned": Q(status=Status.RECEIVED),
        "due_soon": clock_running & Q(due_at__gte=now, due_at__lte=now + timedelta(days=DUE_SOON_DAYS)),
        "overdue": clock_running & Q(due_at__lt=now),
        "awaiting_requester": Q(status=Status.AWAITING_REQUESTER),
        "sign_off": Q(status=Status.DECISION_PROPOSED),
        "all": Q(),
        "undecided": undecided,
    }


def queue_counts(user, *, now: datetime, names) -> dict[str, int]:
    """How many visible cases each queue in ``names`` holds, in one aggregate query."""
    conditions = queue_conditions(user, now=now)
    return workspace_cases(user).aggregate(**{name: Count("pk", filter=conditions[name]) for name in names})


def queue_cases(user, *, now: datetime, queue: str, filters: dict | None = None, sort: str = "due"):
    """The cases of one queue, filtered and sorted; one query with the assigned officer joined.

    ``filters`` takes the cleaned values of the workspace filter form; empty
    values are ignored.
    """
    filters = filters or {}
    cases = (
        workspace_cases(user)
        .filter(queue_conditions(user, now=now)[queue])
        .select_related("assigned_to")
        # A queue shows a few short columns: the long texts stay in the database.
        .defer(*QUEUE_DEFERRED_FIELDS)
    )
    if filters.get("status"):
        cases = cases.filter(status=filters["status"])
    if filters.get("dataset"):
        # Exists rather than a join: a case with two tables of one dataset is listed once.
        cases = cases.filter(
            Exists(TableSpecification.objects.filter(request=OuterRef("pk"), dataset=filters["dataset"]))
        )
    if filters.get("requester_category"):
        cases = cases.filter(requester_category=filters["requester_category"])
    if filters.get("officer"):
        cases = cases.filter(assigned_to=filters["officer"])
    # Date ranges are inclusive calendar days in the agency's time zone.
    for column, bound in (("received_at", "received"), ("due_at", "due")):
        if filters.get(f"{bound}_from"):
            cases = cases.filter(**{f"{column}__date__gte": filters[f"{bound}_from"]})
        if filters.get(f"{bound}_to"):
            cases = cases.filter(**{f"{column}__date__lte": filters[f"{bound}_to"]})
    if search := (filters.get("search") or "").strip():
        cases = cases.filter(
            Q(reference__icontains=search) | Q(title__icontains=search) | Q(organisation__icontains=search)
        )
    return cases.order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["due"]))


@dataclass(frozen=True)
class DueState:
    """Where a case stands against its statutory clock, for a badge and "days left"."""

    overdue: bool
    due_soon: bool
    paused: bool
    #: Calendar days from today to the due date (negative once past); ``None`` when decided.
    days_left: int | None

    @property
    def days_late(self) -> int:
        return max(0, -(self.days_left or 0))


def due_state(case: DataRequest, *, now: datetime) -> DueState:
    """The due badge of one case, computed from its row alone (no query)."""
    if case.status not in OPEN_STATES or case.due_at is None:
        return DueState(overdue=False, due_soon=False, paused=False, days_left=None)
    paused = case.status in CLOCK_PAUSED_STATES
    overdue = clock.is_overdue(case, now=now)
    days_left = (clock.local_date(case.due_at) - clock.local_date(now)).days
    due_soon = not (paused or overdue) and case.due_at <= now + timedelta(days=DUE_SOON_DAYS)
    return DueState(overdue=overdue, due_soon=due_soon, paused=paused, days_left=days_left)


def assignable_officers():
    """Active users who may be given a case: privacy officers and access leads."""
    return User.objects.filter(is_active=True, pk__in=_assignable_ids()).order_by("last_name", "first_name", "email")


def _assignable_ids():
    return Group.objects.filter(name__in=[role.value for role in ASSIGNABLE_ROLES]).values("user")


def _through(condition: Q, prefix: str) -> Q:
    """``condition`` on a case, rewritten to read the case through the relation ``prefix``."""
    rewritten = Q()
    rewritten.connector, rewritten.negated = condition.connector, condition.negated
    rewritten.children = [
        _through(child, prefix) if isinstance(child, Q) else (f"{prefix}__{child[0]}", child[1])
        for child in condition.children
    ]
    return rewritten


def officer_workload(*, now: datetime):
    """Per officer or lead: undecided cases assigned, overdue among them, due soon; one aggregate query.

    Inactive members still appear while undecided cases remain assigned to them, so none is forgotten.
    """
    conditions = queue_conditions(None, now=now)

    def assigned(name: str) -> Count:
        return Count("assigned_requests", filter=_through(conditions[name], "assigned_requests"))

    return (
        User.objects.filter(pk__in=_assignable_ids())
        .annotate(
            open_cases=assigned("undecided"), overdue_cases=assigned("overdue"), due_soon_cases=assigned("due_soon")
        )
        .filter(Q(is_active=True) | Q(open_cases__gt=0))
        .order_by("last_name", "first_name", "email")
    )


# --- The staff timeline: who changed what, when and why -----------------------------------

#: Bookkeeping columns that say nothing to a reader of the timeline.
_UNSHOWN_FIELDS = frozenset({"id", "updated_at", "created_at", "request"})


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: object
    new: object


@dataclass(frozen=True)
class HistoryEntry:
    """One history record of the case or of one of its parts, made readable."""

    at: datetime
    #: The person who made the change (an agency record: the staff pages show it).
    who: object
    subject: str
    #: What happened: the workflow action's label, or "created" / "changed" / "deleted".
    action: str
    #: Why: the change reason, plain text written by a person (or nothing).
    reason: str
    changes: list[FieldChange]
    #: What the move was about (the outcome proposed, the custodian consulted, the table released), in the
    #: reader's language, from the audit event's codes.
    detail: str = ""


_KIND_LABELS = {"+": gettext_lazy("created"), "~": gettext_lazy("changed"), "-": gettext_lazy("deleted")}


def _readable(model, name: str, value, users: dict):
    """A value as a reader expects it: a choice's label, a person, yes/no, a dash for nothing."""
    field_ = model._meta.get_field(name)
    if value is None or value == "":
        return "—"
    if field_.is_relation:
        return users.get(value, value)
    if field_.choices:
        return dict(field_.flatchoices).get(value, value)
    if isinstance(value, bool):
        return gettext_lazy("yes") if value else gettext_lazy("no")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    return value


def _record_changes(model, record, previous) -> list[tuple[str, object, object]]:
    if previous is None:
        # A creation: what the new row holds, field by field.
        return [
            (f.name, None, getattr(record, f.attname))
            for f in model._meta.concrete_fields
            if f.name not in _UNSHOWN_FIELDS and getattr(record, f.attname) not in (None, "", False, 0, [], {})
        ]
    if record.history_type == "-":
        return []
    delta = record.diff_against(previous, excluded_fields=_UNSHOWN_FIELDS & {f.name for f in model._meta.fields})
    changes = [(change.field, change.old, change.new) for change in delta.changes]
    # diff_against compares editable fields only; the workflow's own fields (status, clock,
    # assignment) are not editable in forms, so they are compared here, value by value.
    for tracked in record.tracked_fields:
        if tracked.editable or tracked.name in _UNSHOWN_FIELDS:
            continue
        old, new = getattr(previous, tracked.attname), getattr(record, tracked.attname)
        if old != new:
            changes.append((tracked.name, old, new))
    order = {f.name: index for index, f in enumerate(model._meta.concrete_fields)}
    return sorted(changes, key=lambda change: order.get(change[0], len(order)))


def case_history(case: DataRequest) -> list[HistoryEntry]:
    """The case's timeline for staff: every history record of the case and its clarifications, oldest first.

    Consecutive records of one object are compared field by field
    (``diff_against``); people are loaded in one query, whatever their number.
    """
    sources = [
        (DataRequest, gettext_lazy("Request"), case.history.select_related("history_user")),
        (
            Clarification,
            gettext_lazy("Clarification"),
            Clarification.history.filter(request_id=case.pk).select_related("history_user"),
        ),
    ]
    raw = []
    for model, subject, records in sources:
        previous_by_object: dict = {}
        for record in records.order_by("history_date", "history_id"):
            previous = previous_by_object.get(record.id)
            raw.append((record, model, subject, _record_changes(model, record, previous)))
            previous_by_object[record.id] = record
    user_ids = {
        value
        for _record, model, _subject, changes in raw
        for name, old, new in changes
        if model._meta.get_field(name).is_relation
        for value in (old, new)
        if value is not None
    }
    users = {user.pk: user for user in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    # What each move was, from the audit trail: the event names the history row the move wrote.
    moves = AuditEvent.objects.filter(case_id=case.pk, target_type=CASE, payload__has_key="history")
    payloads = {payload["history"]: payload for payload in moves.values_list("payload", flat=True)}
    # (An event that is no move, a due date the calendar moved, names no transition.)
    move_by_history = {history: TRANSITIONS.get(payload.get("transition")) for history, payload in payloads.items()}
    describe = _move_facts(case, payloads.values())
    entries = []
    for record, model, subject, changes in sorted(raw, key=lambda item: (item[0].history_date, item[0].history_id)):
        move = move_by_history.get(record.history_id) if model is DataRequest else None
        entries.append(
            HistoryEntry(
                at=record.history_date,
                who=record.history_user,
                subject=subject,
                action=str(move.label or move.name) if move else _KIND_LABELS.get(record.history_type, ""),
                reason=record.history_change_reason or "",
                changes=[
                    FieldChange(
                        field=name,
                        label=model._meta.get_field(name).verbose_name,
                        old=_readable(model, name, old, users),
                        new=_readable(model, name, new, users),
                    )
                    for name, old, new in changes
                ],
                detail=describe(payloads[record.history_id]) if move else "",
            )
        )
    return entries


def _move_facts(case: DataRequest, payloads) -> Callable[[dict], str]:
    """What a move's payload names in codes (``workflow.transition``'s ``facts``), told in the active language.

    The custodians and tables the moves name are read once, whatever the number of moves.
    """
    payloads = list(payloads)
    custodians = Custodian.objects.in_bulk(
        {payload["custodian"] for payload in payloads if "custodian" in payload}, field_name="code"
    )
    tables = {}
    if any("table" in payload for payload in payloads):
        for number, row in enumerate(specification_rows(case), start=1):
            named = {"number": number, "table": row.title}
            tables[row.specification.pk] = gettext("Table %(number)s, %(table)s") % named
    outcomes = dict(DecisionOutcome.choices)

    def describe(payload: dict) -> str:
        if "outcome" in payload:
            return str(outcomes.get(payload["outcome"], payload["outcome"]))
        if "custodian" in payload:
            custodian = custodians.get(payload["custodian"])
            return custodian.name if custodian else payload["custodian"]
        if "table" in payload:
            return tables.get(int(payload["table"]), "")
        return ""

    return describe


# --- Review against the Act: checklist, decisions, messages, adjustments --------------------


@dataclass(frozen=True)
class ChecklistRow:
    """One applicable criterion and the finding recorded on it (``None`` before any)."""

    criterion: LegalCriterion
    assessment: CriterionAssessment | None


def checklist_rows(case: DataRequest, criteria: list[LegalCriterion]) -> list[ChecklistRow]:
    """The findings of ``criteria`` (from ``services.criteria_for``), read in one query whatever their number."""
    assessments = {
        assessment.criterion_id: assessment
        for assessment in case.assessments.select_related("assessed_by").filter(criterion__in=criteria)
    }
    return [ChecklistRow(criterion=criterion, assessment=assessments.get(criterion.pk)) for criterion in criteria]


def case_consultations(case: DataRequest):
    """The consultations of the case's data owners, oldest first, with the people involved joined."""
    return case.consultations.select_related("custodian", "asked_by", "answered_by").order_by("asked_at", "pk")


def case_decisions(case: DataRequest) -> list[Decision]:
    """Every decision of the case, oldest first, with its people and provisions in a fixed number of queries."""
    return list(
        case.decisions.select_related("proposed_by", "signed_off_by", "returned_by")
        .prefetch_related("provisions")
        .order_by("proposed_at", "pk")
    )


def case_amendments(case: DataRequest) -> list[Amendment]:
    """Every amendment of the case, newest first, with the staff who proposed and decided it (staff pages)."""
    return list(
        case.amendments.select_related("proposed_by", "signed_off_by", "returned_by", "specification").order_by(
            "-proposed_at", "-pk"
        )
    )


def signed_amendments(case: DataRequest) -> list[Amendment]:
    """The amendments signed off on the case, oldest first: legal notices the requester reads with the decision.
    A proposal or a returned one is internal."""
    return list(case.amendments.filter(signed_off_at__isnull=False).order_by("signed_off_at", "pk"))


def signed_decision(case: DataRequest) -> Decision | None:
    """The decision signed off on the case, the only one the requester may read; ``None`` before it."""
    return case.decisions.filter(signed_off_at__isnull=False).order_by("-signed_off_at", "-pk").first()


def case_messages(case: DataRequest, *, include_internal: bool):
    """The case's thread, oldest first; internal notes only when ``include_internal`` (staff pages)."""
    messages = case.messages.select_related("author").prefetch_related("documents").order_by("created_at", "pk")
    return messages if include_internal else messages.filter(is_internal=False)


#: The change reason ``services.specification_adjust`` records: this prefix, then the officer's reason.


@dataclass(frozen=True)
class AdjustmentEntry:
    at: datetime
    #: The table's number on the case (1 for the first table), and its label.
    number: int | None
    table: str
    reason: str
    #: The staff member who adjusted it (an agency record: only the staff pages show it).
    who: object


def specification_adjustments(case: DataRequest, rows: list[SpecificationRow]) -> list[AdjustmentEntry]:
    """The table adjustments of the case with their reasons, oldest first, from the audit trail: those of the
    review, and the amendments signed after the decision.

    ``rows`` are the case's ``specification_rows``, which give each table its number and label.
    """
    numbers = {row.specification.pk: (number, row) for number, row in enumerate(rows, start=1)}
    # A signed amendment is an adjustment too, made after the decision (its event names the table it changed).
    adjustments = list(
        AuditEvent.objects.filter(
            case_id=case.pk, event_type__in=[EventType.SPECIFICATION_ADJUSTED, EventType.AMENDMENT_SIGNED_OFF]
        ).order_by("sequence")
    )
    actors = User.objects.in_bulk({event.actor_id for event in adjustments} - {None})
    entries = []
    for event in adjustments:
        table = event.payload.get("table", event.target_id)
        number, row = numbers.get(int(table), (None, None))
        entries.append(
            AdjustmentEntry(
                at=event.occurred_at,
                number=number,
                table=f"{row.dataset} — {row.measure}" if row else "",
                reason=event.payload.get("note", ""),
                who=actors.get(event.actor_id),
            )
        )
    return entries
