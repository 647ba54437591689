"""Working a filed case: assignment, clarifications, the delay, messages, table adjustments."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import trail
from requests_app import clock, permissions, workflow
from requests_app.history import save_with_history
from requests_app.models import AccommodationOutcome, AttachmentKind, Clarification, DataRequest, Message
from requests_app.services import amendments
from requests_app.services.intake import attachment_store, files_removed_on_failure
from requests_app.states import REVIEW_STATES, Status
from stats_app.catalogue import validate_specification

# --- Assignment, clarifications and the delay ---------------------------------


def case_assign(*, case: DataRequest, actor, officer, seen_status: str | None = None, now: datetime | None = None):
    """The lead gives the case to ``officer``: their object permissions follow, the previous officer's go.

    ``seen_status`` is the status the lead saw; a first assignment of a
    received case starts the review, later ones only change the officer.
    """
    if not permissions.user_can_be_assigned(officer):
        raise ValidationError({"officer": _("Choose a privacy officer or an access lead.")})
    seen_status = seen_status or case.status
    name = "assign" if seen_status == Status.RECEIVED else "reassign"

    def give(locked: DataRequest, at: datetime) -> None:
        permissions.grant_officer_permissions(officer=officer, case=locked, previous=locked.assigned_to)
        locked.assigned_to = officer

    return workflow.transition(
        case=case,
        name=name,
        actor=actor,
        reason="",  # the officer is in the move's payload and the case's history, not in a sentence
        now=now,
        expected_status=seen_status,
        apply=give,
    )


def clarification_ask(
    *, case: DataRequest, actor, question: str, requested_document: str = "", now: datetime | None = None
) -> Clarification:
    """Ask the requester a question, and perhaps for a document; the statutory clock stops until they answer."""
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": _("Write the question to ask the requester.")})
    if requested_document and requested_document not in AttachmentKind.values:
        raise ValidationError({"requested_document": _("Choose a kind of document from the list, or none.")})
    asked = {}

    def record(locked: DataRequest, at: datetime) -> None:
        clarification = Clarification(
            request=locked, question=question, requested_document=requested_document, asked_by=actor, asked_at=at
        )
        save_with_history(clarification, actor=actor, reason="")
        asked["clarification"] = clarification

    workflow.transition(case=case, name="ask_clarification", actor=actor, reason="", now=now, apply=record)
    return asked["clarification"]


def clarification_answer(
    *, case: DataRequest, actor, answer: str, document=None, now: datetime | None = None
) -> DataRequest:
    """The requester answers, with a document when one was asked for (checked as at intake); the days spent
    waiting are added back to the due date."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write your answer.")})

    def record(locked: DataRequest, at: datetime) -> None:
        clarification = Clarification.objects.select_for_update().get(request=locked, answered_at__isnull=True)
        if clarification.requested_document and document is None:
            raise ValidationError(
                {
                    "document": _("The agency asked for a document (%(kind)s). Attach it to your answer.")
                    % {"kind": clarification.get_requested_document_display()}
                }
            )
        clarification.answer = answer
        clarification.answered_at = at
        save_with_history(clarification, actor=actor, reason="")
        if document is not None:
            kind = clarification.requested_document or AttachmentKind.OTHER
            stored.append(
                attachment_store(
                    case=locked,
                    actor=actor,
                    kind=kind,
                    uploaded=document,
                    clarification=clarification,
                    field="document",
                )
            )
        locked.due_at = clock.explain(locked).due_at

    with files_removed_on_failure() as stored:  # rolled back: no file without its row
        return workflow.transition(
            case=case, name="answer_clarification", actor=actor, reason="", now=now, apply=record
        )


def deadline_extend(*, case: DataRequest, actor, days: int, notice: str, now: datetime | None = None) -> DataRequest:
    """Extend the delay once (Access Act s. 47), with the written notice kept on the case."""
    notice = (notice or "").strip()
    if not notice:
        raise ValidationError({"notice": _("Write the notice that tells the requester why the delay is extended.")})

    def extend(locked: DataRequest, at: datetime) -> None:
        refusal = clock.extension_refusal(locked, days=days, now=at)
        if refusal:
            raise ValidationError({"days": refusal})
        locked.extension_days = days
        locked.extended_at = at
        locked.extension_notice = notice
        locked.due_at = clock.explain(locked).due_at

    return workflow.transition(case=case, name="extend", actor=actor, reason=notice, now=now, apply=extend)


@transaction.atomic
def accommodation_decide(*, case: DataRequest, actor, outcome: str, reason: str) -> DataRequest:
    """The officer's decision on the accommodation the requester asked for (Access Act s. 47, 1.1°), with the
    reason the decision letter states."""
    permissions.check(permissions.user_can_decide_accommodation(actor, case))
    locked = DataRequest.objects.select_for_update().get(pk=case.pk)
    errors = {}
    if outcome not in AccommodationOutcome.values:
        errors["outcome"] = _("Choose whether the accommodation is granted, partly granted or refused.")
    if not (reason or "").strip():
        errors["reason"] = _("Say what the agency will do, or why it cannot; the letter tells the requester.")
    if not locked.accommodation:
        errors["outcome"] = _("The requester asked for no accommodation.")
    if errors:
        raise ValidationError(errors)
    locked.accommodation_outcome, locked.accommodation_reason = outcome, reason.strip()
    save_with_history(
        locked,
        actor=actor,
        event=trail.EventType.ACCOMMODATION_DECIDED,
        case_id=locked.pk,
        payload={"accommodation": locked.accommodation, "outcome": outcome},
    )
    return locked


@transaction.atomic
def message_post(*, case: DataRequest, actor, body: str, internal: bool = False, document=None, now=None):
    """A message to or from the requester, or an internal note that the requester never sees.

    The requester may send a document with a message (checked as at intake); staff
    messages carry none, so nothing internal can reach the requester's page as a file.
    """
    permissions.check_user_can_view_request(actor, case)
    permissions.check(permissions.user_can_write_message(actor, case, internal=internal))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    if document is not None and (internal or not permissions.user_is_requester_of(actor, case)):
        raise ValidationError({"document": _("Only the requester sends documents with a message.")})
    message = Message(request=case, author=actor, body=body, is_internal=internal, created_at=now or timezone.now())
    with files_removed_on_failure() as stored:
        save_with_history(
            message,
            actor=actor,
            event=trail.EventType.MESSAGE_POSTED,
            case_id=case.pk,
            payload={"internal": internal},
        )
        if document is not None:
            stored.append(
                attachment_store(
                    case=case,
                    actor=actor,
                    kind=AttachmentKind.OTHER,
                    uploaded=document,
                    message=message,
                    field="document",
                )
            )
    return message


def specification_adjust(*, case: DataRequest, actor, specification, dimensions, filters, reason: str):
    """The officer adjusts a table (e.g. coarser categories), with the reason kept; returns the table, or the
    amendment proposed.

    During the review the table changes at once: the decision letter, written
    afterwards, lists it as it is. Once a decision is signed (the table's output
    failed or the checker returned it), the change is an amendment that a lead
    must sign before the table changes (``amendments.amendment_propose``).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the table is adjusted; the requester will see it.")})
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=case.pk)
        permissions.check_user_can_view_request(actor, locked)
        permissions.check(permissions.user_works_case(actor, locked))
        if specification.request_id != locked.pk:
            raise ValidationError(_("This table belongs to another request."))
        if locked.status not in REVIEW_STATES:
            return amendments.amendment_propose(
                case=locked,
                actor=actor,
                specification=specification,
                dimensions=dimensions,
                filters=filters,
                reason=reason,
            )
        if not permissions.user_can_adjust_table(actor, locked, specification):
            raise ValidationError(
                _("Tables can be adjusted only during the review, or when their output failed or was returned.")
            )
        resolved = validate_specification(
            dataset=specification.dataset, measure=specification.measure, dimensions=dimensions, filters=filters
        )
        specification.dimensions = resolved.dimension_codes
        specification.filters = {code: list(values) for code, values in resolved.filters.items()}
        save_with_history(specification, actor=actor, reason=reason)
        trail.record(
            trail.EventType.SPECIFICATION_ADJUSTED,
            actor=actor,
            target=specification,
            case_id=locked.pk,
            payload={"dimensions": specification.dimensions, "filters": specification.filters, "note": reason},
        )
    return specification
