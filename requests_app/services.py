"""Writes to cases. Views, admin actions, tasks and commands call these.

Every service is a keyword-only function wrapped in a transaction; each save
records who made the change and why in the case's history.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from requests_app import clock, permissions, workflow
from requests_app.attachments import check_uploaded_file
from requests_app.models import (
    Attachment,
    Clarification,
    DataRequest,
    ReferenceSequence,
    Status,
    TableSpecification,
)
from stats_app.catalogue import validate_specification

#: The fields each intake step writes, in the order of the form.
STEP_FIELDS = {
    "profile": ["contact_name", "organisation", "position", "phone", "requester_category"],
    "project": [
        "title",
        "purpose",
        "public_interest",
        "intended_publication",
        "use_starts_on",
        "use_ends_on",
        "legal_basis",
        "legal_basis_details",
        "ethics_approval",
        "ethics_reference",
    ],
    "declarations": ["declares_no_reidentification", "declares_source_citation"],
}


def _save(obj, *, actor, reason: str, **kwargs) -> None:
    obj._history_user = actor
    obj._change_reason = reason
    obj.save(**kwargs)


# --- Drafts -------------------------------------------------------------------


@transaction.atomic
def request_create_draft(*, requester, language: str | None = None) -> DataRequest:
    """Open a draft for ``requester``, prefilled from their account; they alone may see it."""
    case = DataRequest(
        requester=requester,
        language=language or requester.language,
        contact_name=requester.get_full_name(),
    )
    _save(case, actor=requester, reason=_("Draft created"))
    permissions.grant_requester_permissions(user=requester, case=case)
    return case


@transaction.atomic
def request_update_draft(*, case: DataRequest, actor, step: str, values: dict) -> DataRequest:
    """Save one step of the intake form. Only that step's fields are written."""
    permissions.check_user_can_edit_draft(actor, case)
    changed = []
    for name in STEP_FIELDS[step]:
        if name in values and getattr(case, name) != values[name]:
            setattr(case, name, values[name])
            changed.append(name)
    if changed:
        _save(case, actor=actor, reason=_("Draft saved (%(step)s)") % {"step": step})
    return case


@transaction.atomic
def request_delete_draft(*, case: DataRequest, actor) -> None:
    permissions.check_user_can_view_request(actor, case)
    permissions.check(permissions.user_can_delete_draft(actor, case))
    for attachment in case.attachments.all():
        transaction.on_commit(lambda name=attachment.file.name, storage=attachment.file.storage: storage.delete(name))
    case._history_user = actor
    case._change_reason = _("Draft deleted")
    case.delete()


# --- Table specifications -----------------------------------------------------


@transaction.atomic
def specification_save(
    *,
    case: DataRequest,
    actor,
    dataset,
    measure,
    dimensions: list[str],
    filters: dict | None = None,
    specification: TableSpecification | None = None,
) -> TableSpecification:
    """Add a table to a draft, or change one, after checking it against the catalogue."""
    permissions.check_user_can_edit_draft(actor, case)
    resolved = validate_specification(dataset=dataset, measure=measure, dimensions=dimensions, filters=filters)
    if specification is None:
        specification = TableSpecification(request=case)
    elif specification.request_id != case.pk:
        raise ValidationError(_("This table belongs to another request."))
    specification.dataset = resolved.dataset
    specification.measure = resolved.measure
    specification.dimensions = resolved.dimension_codes
    specification.filters = {code: list(values) for code, values in resolved.filters.items()}
    _save(specification, actor=actor, reason=_("Table specification saved"))
    return specification


@transaction.atomic
def specification_delete(*, case: DataRequest, actor, specification: TableSpecification) -> None:
    permissions.check_user_can_edit_draft(actor, case)
    if specification.request_id != case.pk:
        raise ValidationError(_("This table belongs to another request."))
    specification._history_user = actor
    specification._change_reason = _("Table specification removed")
    specification.delete()


# --- Attachments ----------------------------------------------------------------


@transaction.atomic
def attachment_add(*, case: DataRequest, actor, kind: str, uploaded) -> Attachment:
    """Store a checked document with the draft, outside the web root."""
    permissions.check_user_can_edit_draft(actor, case)
    checked = check_uploaded_file(uploaded)
    attachment = Attachment(
        request=case,
        kind=kind,
        original_name=uploaded.name[:255],
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(uploaded.name, uploaded, save=False)
    try:
        _save(attachment, actor=actor, reason=_("Document attached"))
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)  # no orphan file on disk
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, case: DataRequest, actor, attachment: Attachment) -> None:
    permissions.check_user_can_edit_draft(actor, case)
    if attachment.request_id != case.pk:
        raise ValidationError(_("This document belongs to another request."))
    name, storage = attachment.file.name, attachment.file.storage
    attachment._history_user = actor
    attachment._change_reason = _("Document removed")
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- Submission and withdrawal ------------------------------------------------


def submission_problems(case: DataRequest) -> dict[str, list[str]]:
    """What still keeps a draft from being submitted, by intake step."""
    from requests_app.forms import step_errors

    return step_errors(case)


def next_reference(*, year: int) -> str:
    """The next reference of ``year`` (``DA-2026-00001``); call inside a transaction.

    The year's row is locked, so concurrent submissions queue here and each
    gets its own number; the unique constraint on ``reference`` backs it up.
    """
    ReferenceSequence.objects.bulk_create([ReferenceSequence(year=year)], ignore_conflicts=True)
    sequence = ReferenceSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"DA-{year}-{sequence.last_number:05d}"


def render_acknowledgement(case: DataRequest) -> str:
    """The written notice of receipt (Access Act s. 46), in the requester's language."""
    with translation.override(case.language):
        return render_to_string(
            "requests_app/acknowledgement.txt",
            {
                "case": case,
                "delay_days": settings.STATUTORY_DELAY_DAYS,
                "extension_days": settings.EXTENSION_DAYS,
                "review_days": settings.REVIEW_REQUEST_DAYS,
            },
        ).strip()


def request_submit(*, case: DataRequest, actor, now: datetime | None = None) -> DataRequest:
    """File the request: give it a reference, start the statutory clock, keep the acknowledgement."""
    problems = submission_problems(case)
    if problems:
        raise ValidationError(_("The request is not complete yet. Correct the steps marked below, then submit again."))

    def stamp(locked: DataRequest, at: datetime) -> None:
        locked.reference = next_reference(year=timezone.localtime(at).year)
        locked.received_at = at
        locked.due_at = clock.due_at(received_at=at)
        locked.acknowledgement = render_acknowledgement(locked)

    # The audit event says it all; a free-text reason here would freeze one language in the history.
    return workflow.transition(case=case, name="submit", actor=actor, reason="", now=now, apply=stamp)


def request_withdraw(*, case: DataRequest, actor, reason: str, now: datetime | None = None) -> DataRequest:
    """The requester withdraws a request that is not decided yet; the reason is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you withdraw the request.")})

    def record(locked: DataRequest, at: datetime) -> None:
        locked.withdrawn_at = at
        locked.withdrawal_reason = reason

    return workflow.transition(case=case, name="withdraw", actor=actor, reason=reason, now=now, apply=record)


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
        reason=officer.email,
        now=now,
        expected_status=seen_status,
        apply=give,
    )


def clarification_ask(*, case: DataRequest, actor, question: str, now: datetime | None = None) -> Clarification:
    """Ask the requester a question; the statutory clock stops until they answer."""
    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": _("Write the question to ask the requester.")})
    asked = {}

    def record(locked: DataRequest, at: datetime) -> None:
        clarification = Clarification(request=locked, question=question, asked_by=actor, asked_at=at)
        _save(clarification, actor=actor, reason="clarification.asked")
        asked["clarification"] = clarification

    workflow.transition(case=case, name="ask_clarification", actor=actor, reason="", now=now, apply=record)
    return asked["clarification"]


def clarification_answer(*, case: DataRequest, actor, answer: str, now: datetime | None = None) -> DataRequest:
    """The requester answers; the days spent waiting are added back to the due date."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write your answer.")})

    def record(locked: DataRequest, at: datetime) -> None:
        clarification = Clarification.objects.select_for_update().get(request=locked, answered_at__isnull=True)
        clarification.answer = answer
        clarification.answered_at = at
        _save(clarification, actor=actor, reason="clarification.answered")
        locked.due_at = clock.explain(locked).due_at

    return workflow.transition(case=case, name="answer_clarification", actor=actor, reason="", now=now, apply=record)


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


# --- Review against the Act -------------------------------------------------------


def criteria_for(case: DataRequest):
    """The active criteria that apply to ``case``: its requester category, its datasets, who owns the data."""
    from django.db.models import Q

    from requests_app.models import LegalCriterion

    dataset_ids = list(case.specifications.values_list("dataset_id", flat=True))
    external = case.specifications.filter(dataset__custodian__is_agency=False).exists()
    criteria = (
        LegalCriterion.objects.filter(is_active=True)
        .filter(Q(datasets__isnull=True) | Q(datasets__in=dataset_ids))
        .select_related("provision")
        .distinct()
    )
    if not external:
        criteria = criteria.filter(only_for_external_data=False)
    return [c for c in criteria if not c.requester_categories or case.requester_category in c.requester_categories]


@transaction.atomic
def criterion_assess(*, case: DataRequest, actor, criterion, outcome: str, note: str = "", now=None):
    """Record the officer's finding on one criterion of the checklist."""
    from requests_app.models import Assessment, CriterionAssessment

    permissions.check_user_can_view_request(actor, case)
    permissions.check(permissions.user_works_case(actor, case))
    if case.status not in (Status.UNDER_REVIEW, Status.AWAITING_REQUESTER):
        raise ValidationError(_("The checklist can be changed only while the request is under review."))
    if outcome not in Assessment.values:
        raise ValidationError({"outcome": _("Choose met, not met or not applicable.")})
    if criterion not in criteria_for(case):
        raise ValidationError({"criterion": _("This criterion does not apply to this request.")})
    assessment = CriterionAssessment.objects.filter(request=case, criterion=criterion).first()
    assessment = assessment or CriterionAssessment(request=case, criterion=criterion)
    assessment.outcome = outcome
    assessment.note = (note or "").strip()
    assessment.assessed_by = actor
    assessment.assessed_at = now or timezone.now()
    _save(assessment, actor=actor, reason="criterion.assessed")
    return assessment


def consultation_open(*, case: DataRequest, actor, custodian, question: str, due_on, now=None):
    """Ask the data's owner whether it agrees; its representatives see this consultation and nothing else."""
    from requests_app.models import Consultation

    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": _("Write the question to ask the data's owner.")})
    if custodian.is_agency:
        raise ValidationError({"custodian": _("The agency's own data needs no consultation. Choose another owner.")})
    opened = {}

    def record(locked: DataRequest, at: datetime) -> None:
        if due_on is None or due_on <= clock.local_date(at):
            raise ValidationError({"due_on": _("Give a date after today for the answer.")})
        consultation = Consultation(
            request=locked, custodian=custodian, question=question, due_on=due_on, asked_by=actor, asked_at=at
        )
        _save(consultation, actor=actor, reason="consultation.opened")
        permissions.grant_custodian_permissions(consultation=consultation)
        opened["consultation"] = consultation

    workflow.transition(case=case, name="consult_custodian", actor=actor, reason=custodian.code, now=now, apply=record)
    return opened["consultation"]


@transaction.atomic
def consultation_answer(*, consultation, actor, answer: str, conditions: str = "", now=None):
    """The custodian's representative answers yes, no or yes with conditions."""
    from requests_app.models import Consultation, ConsultationAnswer

    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not actor.has_perm("requests_app.view_consultation", locked):
        raise Http404
    permissions.check(permissions.user_can_answer_consultation(actor, locked))
    conditions = (conditions or "").strip()
    if answer not in ConsultationAnswer.values:
        raise ValidationError({"answer": _("Choose yes, yes with conditions, or no.")})
    if answer == ConsultationAnswer.YES_WITH_CONDITIONS and not conditions:
        raise ValidationError({"conditions": _("State the conditions of your agreement.")})
    if answer != ConsultationAnswer.YES_WITH_CONDITIONS:
        conditions = ""
    locked.answer = answer
    locked.conditions = conditions
    locked.answered_by = actor
    locked.answered_at = now or timezone.now()
    _save(locked, actor=actor, reason="consultation.answered")
    return locked


def approval_obstacles(case: DataRequest, *, outcome: str) -> list[str]:
    """What keeps ``outcome`` from being decided now; empty when nothing does.

    An approval (whole or partial) needs every applicable mandatory criterion
    met and every consultation answered; a whole approval also needs every
    consulted owner's yes. A refusal or partial approval cites a provision
    (checked by ``decision_propose``, which has the provisions).
    """
    from requests_app.models import Assessment, DecisionOutcome

    if outcome == DecisionOutcome.REFUSED:
        return []
    problems = []
    findings = dict(case.assessments.values_list("criterion_id", "outcome"))
    for criterion in criteria_for(case):
        if criterion.mandatory and findings.get(criterion.pk) != Assessment.MET:
            problems.append(_("Mandatory criterion not met: %(text)s") % {"text": criterion.text})
    consultations = list(case.consultations.select_related("custodian"))
    for consultation in consultations:
        if not consultation.is_answered:
            problems.append(_("%(owner)s has not answered the consultation yet.") % {"owner": consultation.custodian})
        elif outcome == DecisionOutcome.APPROVED and not consultation.agrees:
            problems.append(_("%(owner)s did not agree to the use of its data.") % {"owner": consultation.custodian})
    consulted = {consultation.custodian_id for consultation in consultations if consultation.agrees}
    for specification in case.specifications.select_related("dataset__custodian"):
        custodian = specification.dataset.custodian
        if not custodian.is_agency and custodian.pk not in consulted and outcome == DecisionOutcome.APPROVED:
            problems.append(_("%(owner)s must be consulted and agree before approval.") % {"owner": custodian})
    return list(dict.fromkeys(problems))


def render_decision_letter(case: DataRequest, *, outcome: str, reasons: str, provisions) -> str:
    """The decision letter, in the requester's language (Access Act ss. 50, 51)."""
    from requests_app.models import DecisionOutcome

    with translation.override(case.language):
        return render_to_string(
            "requests_app/letters/decision.txt",
            {
                "case": case,
                "outcome": outcome,
                "outcome_label": DecisionOutcome(outcome).label,
                "reasons": reasons,
                "provisions": list(provisions),
                "specifications": list(case.specifications.select_related("dataset", "measure")),
                "review_days": settings.REVIEW_REQUEST_DAYS,
                "is_refusal": outcome != DecisionOutcome.APPROVED,
            },
        ).strip()


def decision_propose(*, case: DataRequest, actor, outcome: str, reasons: str, provisions, now=None):
    """Propose a decision with its letter; a second person signs it off before the requester is told."""
    from requests_app.models import Decision, DecisionOutcome

    if outcome not in DecisionOutcome.values:
        raise ValidationError({"outcome": _("Choose approved, partially approved or refused.")})
    provisions = list(provisions or [])
    reasons = (reasons or "").strip()
    if outcome != DecisionOutcome.APPROVED and not provisions:
        raise ValidationError({"provisions": _("A refusal, even partial, must cite at least one legal provision.")})
    if outcome != DecisionOutcome.APPROVED and not reasons:
        raise ValidationError({"reasons": _("Give the reasons of the refusal.")})
    proposed = {}

    def record(locked: DataRequest, at: datetime) -> None:
        obstacles = approval_obstacles(locked, outcome=outcome)
        if obstacles:
            raise ValidationError({"outcome": obstacles})
        decision = Decision(
            request=locked,
            outcome=outcome,
            reasons=reasons,
            letter=render_decision_letter(locked, outcome=outcome, reasons=reasons, provisions=provisions),
            proposed_by=actor,
            proposed_at=at,
        )
        _save(decision, actor=actor, reason="decision.proposed")
        decision.provisions.set(provisions)
        proposed["decision"] = decision

    workflow.transition(case=case, name="propose_decision", actor=actor, reason=outcome, now=now, apply=record)
    return proposed["decision"]


def _pending_decision(case: DataRequest):
    from requests_app.models import Decision

    return Decision.objects.select_for_update().get(request=case, signed_off_at__isnull=True, returned_at__isnull=True)


def decision_sign_off(*, case: DataRequest, actor, now=None) -> DataRequest:
    """The lead signs off a decision someone else proposed; the case takes the decision's outcome."""
    from requests_app.models import Decision

    pending = Decision.objects.filter(request=case, signed_off_at__isnull=True, returned_at__isnull=True).first()
    if pending is None:
        raise workflow.TransitionError(_("There is no decision waiting for sign-off."))

    def sign(locked: DataRequest, at: datetime) -> None:
        decision = _pending_decision(locked)
        obstacles = approval_obstacles(locked, outcome=decision.outcome)
        if obstacles:
            raise ValidationError({"outcome": obstacles})
        decision.signed_off_by = actor
        decision.signed_off_at = at
        _save(decision, actor=actor, reason="decision.signed_off")

    return workflow.transition(
        case=case, name=f"sign_off_{pending.outcome}", actor=actor, reason="", now=now, apply=sign
    )


def decision_return(*, case: DataRequest, actor, reason: str, now=None) -> DataRequest:
    """The lead sends the proposed decision back to the officer, saying why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the decision is sent back.")})

    def send_back(locked: DataRequest, at: datetime) -> None:
        decision = _pending_decision(locked)
        decision.returned_at = at
        decision.return_reason = reason
        _save(decision, actor=actor, reason="decision.returned")

    return workflow.transition(case=case, name="return_decision", actor=actor, reason=reason, now=now, apply=send_back)


@transaction.atomic
def message_post(*, case: DataRequest, actor, body: str, internal: bool = False, now=None):
    """A message to or from the requester, or an internal note that the requester never sees."""
    from requests_app.models import Message

    permissions.check_user_can_view_request(actor, case)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    is_requester = case.requester_id == actor.pk
    if case.status == Status.DRAFT:
        raise ValidationError(_("Messages start once the request is submitted."))
    if is_requester and internal:
        raise PermissionDenied
    if not is_requester:
        permissions.check(permissions.user_works_case(actor, case))
    message = Message(request=case, author=actor, body=body, is_internal=internal, created_at=now or timezone.now())
    _save(message, actor=actor, reason="message.internal" if internal else "message.posted")
    return message


def specification_adjust(*, case: DataRequest, actor, specification, dimensions, filters, reason: str):
    """Before the decision, the officer may adjust a table (e.g. coarser categories); the change is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the table is adjusted; the requester will see it.")})
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=case.pk)
        permissions.check_user_can_view_request(actor, locked)
        permissions.check(permissions.user_works_case(actor, locked))
        if locked.status not in (Status.UNDER_REVIEW, Status.AWAITING_REQUESTER):
            raise ValidationError(_("Tables can be adjusted only while the request is under review."))
        if specification.request_id != locked.pk:
            raise ValidationError(_("This table belongs to another request."))
        resolved = validate_specification(
            dataset=specification.dataset, measure=specification.measure, dimensions=dimensions, filters=filters
        )
        specification.dimensions = resolved.dimension_codes
        specification.filters = {code: list(values) for code, values in resolved.filters.items()}
        _save(specification, actor=actor, reason=f"specification.adjusted: {reason}")
    return specification
