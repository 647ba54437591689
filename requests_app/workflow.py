"""The life of a case, as data (DESIGN §3).

``TRANSITIONS`` lists every allowed move: from which states, to which state,
who may fire it (a predicate from ``requests_app.permissions``), and the audit
event and notification it produces. ``transition`` is the one function that
writes ``DataRequest.status``: it locks the case row, checks the state and the
actor, applies the service's changes, records who and why in the history, and
queues the notification once the transaction has committed.

``python manage.py workflow_diagram`` prints the table as a Mermaid diagram.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app import notifications, permissions
from requests_app.history import save_with_history
from requests_app.models import DataRequest
from requests_app.states import APPROVED_STATES, DECISION_OUTCOMES, OPEN_STATES, Status


class TransitionError(Exception):
    """The move is not allowed from the case's current state."""


class ConcurrentChangeError(TransitionError):
    """Someone else changed the case between the page load and this action."""


@dataclass(frozen=True)
class Transition:
    """One allowed move. ``target`` ``None`` records an action that keeps the status (reassign, extend)."""

    name: str
    sources: frozenset[Status]
    target: Status | None
    may_fire: Callable[..., bool]
    audit_event: str
    notification: str | None = None
    label: str = ""
    #: Whether the requester's history shows the move's note (a withdrawal's reason, an extension's notice).
    #: A proposal's outcome and a return's reason are not theirs to read before the decision is signed.
    note_is_public: bool = True


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            name="submit",
            sources=frozenset({Status.DRAFT}),
            target=Status.RECEIVED,
            may_fire=permissions.user_can_edit_draft,
            audit_event="request.submitted",
            notification="request_received",
            label=_("Submit"),
        ),
        Transition(
            name="assign",
            sources=frozenset({Status.RECEIVED}),
            target=Status.UNDER_REVIEW,
            may_fire=permissions.user_can_assign,
            audit_event="request.assigned",
            notification="request_assigned",
            label=_("Assign"),
            note_is_public=False,
        ),
        Transition(
            name="reassign",
            sources=frozenset({Status.UNDER_REVIEW, Status.AWAITING_REQUESTER, Status.DECISION_PROPOSED}),
            target=None,
            may_fire=permissions.user_can_assign,
            audit_event="request.reassigned",
            notification="request_assigned",
            label=_("Reassign"),
            note_is_public=False,
        ),
        Transition(
            name="ask_clarification",
            sources=frozenset({Status.UNDER_REVIEW}),
            target=Status.AWAITING_REQUESTER,
            may_fire=permissions.user_works_case,
            audit_event="clarification.asked",
            notification="clarification_asked",
            label=_("Ask the requester"),
        ),
        Transition(
            name="answer_clarification",
            sources=frozenset({Status.AWAITING_REQUESTER}),
            target=Status.UNDER_REVIEW,
            may_fire=permissions.user_is_requester_of,
            audit_event="clarification.answered",
            notification="clarification_answered",
            label=_("Answer"),
        ),
        Transition(
            name="extend",
            sources=frozenset({Status.RECEIVED, Status.UNDER_REVIEW, Status.AWAITING_REQUESTER}),
            target=None,
            may_fire=permissions.user_works_case,
            audit_event="request.extended",
            notification="delay_extended",
            label=_("Extend the delay"),
        ),
        Transition(
            name="consult_custodian",
            sources=frozenset({Status.UNDER_REVIEW, Status.AWAITING_REQUESTER}),
            target=None,
            may_fire=permissions.user_works_case,
            audit_event="consultation.opened",
            notification="consultation_opened",
            label=_("Consult the data's owner"),
        ),
        Transition(
            name="propose_decision",
            sources=frozenset({Status.UNDER_REVIEW}),
            target=Status.DECISION_PROPOSED,
            may_fire=permissions.user_works_case,
            audit_event="decision.proposed",
            notification="decision_proposed",
            label=_("Propose a decision"),
            note_is_public=False,
        ),
        Transition(
            name="return_decision",
            sources=frozenset({Status.DECISION_PROPOSED}),
            target=Status.UNDER_REVIEW,
            may_fire=permissions.user_can_sign_off,
            audit_event="decision.returned",
            notification="decision_returned",
            label=_("Send the decision back"),
            note_is_public=False,
        ),
        *(
            Transition(
                name=f"sign_off_{outcome}",
                sources=frozenset({Status.DECISION_PROPOSED}),
                target=outcome,
                may_fire=permissions.user_can_sign_off,
                audit_event="decision.signed_off",
                notification="decision_sent",
                label=_("Sign off"),
            )
            for outcome in sorted(DECISION_OUTCOMES)
        ),
        Transition(
            name="start_production",
            sources=APPROVED_STATES,
            target=Status.PRODUCING,
            may_fire=permissions.user_can_start_production,
            audit_event="production.started",
            label=_("Produce the tables"),
        ),
        Transition(
            name="outputs_ready",
            sources=frozenset({Status.PRODUCING}),
            target=Status.OUTPUT_CHECKING,
            may_fire=permissions.is_system,
            audit_event="outputs.ready_for_checking",
            notification="output_ready",
            label=_("Outputs ready for checking"),
        ),
        Transition(
            name="release_output",
            sources=frozenset({Status.OUTPUT_CHECKING, Status.RELEASED}),
            target=Status.RELEASED,
            may_fire=permissions.user_is_output_checker,
            audit_event="output.released",
            notification="output_released",
            label=_("Release"),
        ),
        Transition(
            name="close",
            sources=frozenset({Status.RELEASED}),
            target=Status.CLOSED,
            may_fire=permissions.user_is_output_checker,
            audit_event="request.closed",
            label=_("Close"),
        ),
        Transition(
            name="withdraw",
            sources=OPEN_STATES,
            target=Status.WITHDRAWN,
            may_fire=permissions.user_is_requester_of,
            audit_event="request.withdrawn",
            notification="request_withdrawn",
            label=_("Withdraw"),
        ),
    )
}


def can_fire(name: str, user, case: DataRequest) -> bool:
    """Whether ``user`` may fire transition ``name`` on ``case`` now: its source state and its actor rule."""
    move = TRANSITIONS[name]
    return case.status in move.sources and move.may_fire(user, case)


def transition(
    *,
    case: DataRequest,
    name: str,
    actor,
    reason: str,
    now: datetime | None = None,
    expected_status: str | None = None,
    apply: Callable[[DataRequest, datetime], None] | None = None,
    facts: Mapping[str, object] | None = None,
) -> DataRequest:
    """Fire transition ``name`` on ``case`` as ``actor``; return the updated case.

    ``actor`` is ``None`` only for the moves the system makes by itself
    (``permissions.is_system``), e.g. a worker reporting that outputs are ready.

    ``apply`` makes the service's own changes on the locked row before it is
    saved. ``expected_status`` is the state the actor saw: when another person
    moved the case meanwhile, the move is refused rather than lost.

    ``reason`` is plain text a person wrote, or nothing. ``facts`` are what the move was about, in codes (the
    outcome proposed, the custodian consulted, the table released): the audit event keeps them in its payload,
    and each page renders them in its reader's language.
    Raises ``TransitionError`` or ``PermissionDenied``; changes nothing then.
    """
    spec = TRANSITIONS[name]
    now = now or timezone.now()
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=case.pk)
        if expected_status is not None and locked.status != expected_status:
            raise ConcurrentChangeError(
                _("This request was changed by someone else (it is now “%(status)s”). Reload the page.")
                % {"status": locked.get_status_display()}
            )
        if locked.status not in spec.sources:
            raise TransitionError(
                _("“%(action)s” is not possible while the request is “%(status)s”.")
                % {"action": spec.label or spec.name, "status": locked.get_status_display()}
            )
        permissions.check(spec.may_fire(actor, locked))
        before, officer_before = locked.status, locked.assigned_to_id
        if apply is not None:
            apply(locked, now)
        if spec.target is not None:
            locked.status = spec.target
        payload = {**(facts or {}), "transition": spec.name, "from": before, "to": locked.status}
        if locked.assigned_to_id != officer_before:
            payload["assigned_to"] = locked.assigned_to_id
        if reason:
            payload["note"] = reason
        # The reason is plain text, or nothing: what the move was is the audit event's, which names the
        # history row written, so the case's history reads what it was.
        move = save_with_history(
            locked, actor=actor, reason=reason, event=spec.audit_event, case_id=locked.pk, payload=payload, at=now
        )
        if spec.notification:
            # In this transaction: the e-mails exist if and only if the move does; they go out after the commit.
            # The history row names this occurrence of the move for the outbox.
            occurrence = str(move.payload["history"])
            notifications.record(spec.notification, case=locked, actor=actor, occurrence=occurrence)
    return locked


def mermaid_diagram() -> str:
    """The state diagram, generated from ``TRANSITIONS``."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for spec in TRANSITIONS.values():
        for source in sorted(spec.sources):
            lines.append(f"    {source} --> {spec.target or source}: {spec.name}")
    return "\n".join(lines)
