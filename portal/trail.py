"""The audit trail: typed events in one hash chain, written with the change they record.

Each event is a link: its ``hash`` is SHA-256 over its canonical serialisation
(sorted keys, no spaces, UTC times to the microsecond), and that serialisation
includes the hash of the event before it. Editing an event changes its hash;
removing or inserting one breaks the next link; both are found by ``verify``,
which names the first broken link. Removing the newest events leaves a shorter
chain that still holds, so each verification also records the head it saw, and
the next one checks that head is still there, unchanged.

On PostgreSQL the table refuses UPDATE and DELETE (a trigger, ``portal.models``),
so an edit needs the trigger dropped first; on SQLite (``make run``) only the
chain shows it.

Writers take one lock for the chain (a transaction-scoped advisory lock on
PostgreSQL) so two transactions never both extend the same link; the unique
``sequence`` refuses a fork on any database. Call ``record`` inside the
transaction of the change: the event exists if and only if the change does.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import AuditEvent, AuditVerification

#: The "previous hash" of the first event.
GENESIS = "0" * 64
#: pg_advisory_xact_lock's key for the chain (any constant the portal uses for nothing else).
CHAIN_LOCK = 7_300_001


class EventType(models.TextChoices):
    """Every kind of event the trail holds. The payload of each is plain data: ids, codes, states."""

    # A request's life (``requests_app.workflow.TRANSITIONS``: one event per move).
    REQUEST_SUBMITTED = "request.submitted", _("Request submitted")
    REQUEST_ASSIGNED = "request.assigned", _("Request assigned")
    REQUEST_REASSIGNED = "request.reassigned", _("Request reassigned")
    REQUEST_EXTENDED = "request.extended", _("Time limit extended")
    REQUEST_CLOSED = "request.closed", _("Request closed")
    REQUEST_WITHDRAWN = "request.withdrawn", _("Request withdrawn")
    CLARIFICATION_ASKED = "clarification.asked", _("Clarification asked")
    CLARIFICATION_ANSWERED = "clarification.answered", _("Clarification answered")
    CONSULTATION_OPENED = "consultation.opened", _("Data custodian consulted")
    DECISION_PROPOSED = "decision.proposed", _("Decision proposed")
    DECISION_RETURNED = "decision.returned", _("Decision returned")
    DECISION_SIGNED_OFF = "decision.signed_off", _("Decision signed off")
    AMENDMENT_PROPOSED = "amendment.proposed", _("Amendment proposed")
    AMENDMENT_SIGNED_OFF = "amendment.signed_off", _("Amendment signed off")
    AMENDMENT_RETURNED = "amendment.returned", _("Amendment sent back")
    PRODUCTION_STARTED = "production.started", _("Production started")
    OUTPUTS_READY = "outputs.ready_for_checking", _("Outputs ready for checking")
    OUTPUT_RELEASED = "output.released", _("Output released")
    # A table job's life (``requests_app.production.workflow.JOB_TRANSITIONS``, and its creation).
    JOB_QUEUED = "job.queued", _("Table queued")
    JOB_STARTED = "job.started", _("Table being computed")
    JOB_READY = "job.ready_for_checking", _("Table ready for checking")
    JOB_FAILED = "job.failed", _("Table failed")
    OUTPUT_RETURNED = "output.returned", _("Table returned to the officer")
    OUTPUT_REVIEWED = "output.reviewed", _("Table checked by a first output checker")
    JOB_NOTE_ADDED = "job.note_added", _("Note written on a table")
    # What the services change besides the request's state.
    CRITERION_ASSESSED = "criterion.assessed", _("Criterion assessed")
    CONSULTATION_ANSWERED = "consultation.answered", _("Data custodian answered")
    MESSAGE_POSTED = "message.posted", _("Message written")
    DOCUMENT_ADDED = "document.added", _("Document sent after filing")
    SPECIFICATION_ADJUSTED = "specification.adjusted", _("Table adjusted")
    # The calendar (``requests_app.services.calendar``): a holiday changed, the open cases' due dates follow.
    HOLIDAY_CHANGED = "holiday.changed", _("Holiday calendar changed")
    DUE_DATE_MOVED = "request.due_date_moved", _("Due date moved by the holiday calendar")
    # A dataset's disclosure settings (``stats_app.governance``: one lead proposes, another decides).
    SETTINGS_CHANGE_PROPOSED = "settings.change_proposed", _("Change to disclosure settings proposed")
    SETTINGS_CHANGE_APPROVED = "settings.change_approved", _("Change to disclosure settings approved")
    SETTINGS_CHANGE_REJECTED = "settings.change_rejected", _("Change to disclosure settings rejected")
    ACCOMMODATION_DECIDED = "accommodation.decided", _("Accommodation decided")
    # The public register (``requests_app.services.register``): a table withheld, under four eyes.
    WITHHOLDING_PROPOSED = "publication.withheld", _("Table withheld from the public register")
    WITHHOLDING_CONFIRMED = "publication.withholding_confirmed", _("Withholding from the register confirmed")
    WITHHOLDING_LIFTED = "publication.withholding_lifted", _("Withholding from the register lifted")
    # Review by the Commission d'accès à l'information (``requests_app.services.cai_review``, ss. 135, 137).
    REVIEW_REQUESTED = "review.requested", _("Review by the Commission requested")
    REVIEW_UPDATED = "review.updated", _("Review by the Commission updated")
    # Reads of protected data (``portal.audit``: the access log's rows, chained).
    ACCESS_READ = "access.read", _("Protected page read")
    ACCESS_DOWNLOAD = "access.download", _("File downloaded")


@dataclass(frozen=True)
class Verification:
    events: int
    intact: bool
    first_broken: int | None = None
    problem: str = ""
    head_sequence: int | None = None
    head_hash: str = ""


def _plain(payload: dict | None) -> dict:
    """The payload as the database will give it back: JSON types only."""
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))


def canonical(event: AuditEvent) -> bytes:
    """The bytes the event's hash is taken over."""
    at: datetime = event.occurred_at
    return json.dumps(
        {
            "sequence": event.sequence,
            "type": event.event_type,
            "actor": event.actor_id,
            "target": [event.target_type, event.target_id],
            "case": event.case_id,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "payload": event.payload,
            "previous": event.previous_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def digest(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])


def record(
    event_type: EventType,
    *,
    actor=None,
    target: models.Model | tuple[str, str],
    case_id: int | None = None,
    payload: dict | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    ``target`` is the object the event is about, or ``(app_label.model, id)`` when only its name is known.
    """
    if isinstance(target, models.Model):
        target_type, target_id = target._meta.label_lower, str(target.pk)
    else:
        target_type, target_id = target
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, previous = (head[0] + 1, head[1]) if head else (1, GENESIS)
        event = AuditEvent(
            sequence=sequence,
            event_type=EventType(event_type).value,
            actor_id=getattr(actor, "pk", None),
            target_type=target_type,
            target_id=str(target_id),
            case_id=case_id,
            occurred_at=(at or timezone.now()).astimezone(UTC),
            payload=_plain(payload),
            previous_hash=previous,
        )
        event.hash = digest(event)
        event.save(force_insert=True)
    return event


def check_chain(events: Iterable[AuditEvent], *, expected_head: tuple[int, str] | None = None) -> Verification:
    """Walk ``events`` in sequence order; the first link that does not hold, and why."""
    previous, expected, count = GENESIS, 1, 0
    head_seen = expected_head is None
    last: AuditEvent | None = None
    for event in events:
        count += 1
        problem = None
        if event.sequence != expected:
            problem = f"event #{expected} is missing (the next one is #{event.sequence})"
        elif event.previous_hash != previous:
            problem = f"event #{expected} does not follow its predecessor"
        elif digest(event) != event.hash:
            problem = f"event #{expected} was changed after it was written"
        elif expected_head is not None and event.sequence == expected_head[0]:
            if event.hash != expected_head[1]:
                problem = f"event #{expected} is not the one last verified"
            head_seen = True
        if problem:
            return Verification(count, False, expected, problem)
        previous, expected, last = event.hash, expected + 1, event
    if not head_seen:
        problem = f"events from #{expected} on were removed (the last verification saw #{expected_head[0]})"
        return Verification(count, False, expected, problem)
    return Verification(count, True, head_sequence=last.sequence if last else None, head_hash=last.hash if last else "")


def verify(*, by=None) -> AuditVerification:
    """Recompute the whole chain, against the head the last intact verification saw; record the run."""
    last_good = AuditVerification.objects.filter(intact=True, head_sequence__isnull=False).order_by("-pk").first()
    expected_head = (last_good.head_sequence, last_good.head_hash) if last_good else None
    result = check_chain(AuditEvent.objects.order_by("sequence").iterator(chunk_size=5000), expected_head=expected_head)
    return AuditVerification.objects.create(
        by=by,
        events=result.events,
        intact=result.intact,
        first_broken=result.first_broken,
        problem=result.problem,
        head_sequence=result.head_sequence,
        head_hash=result.head_hash,
    )
