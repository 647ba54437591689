"""Review against the Act: the checklist, consultations of the data's owner, decisions."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import trail
from requests_app import clock, notifications, permissions, selectors, workflow
from requests_app import conditions as owner_conditions
from requests_app.history import save_with_history
from requests_app.legal_data import COMMISSION
from requests_app.models import (
    Assessment,
    Consultation,
    ConsultationAnswer,
    CriterionAssessment,
    DataRequest,
    Decision,
    DecisionOutcome,
    LegalCriterion,
)
from requests_app.production import jobs
from requests_app.states import REVIEW_STATES
from stats_app.models import Category

# --- Review against the Act -------------------------------------------------------


def criteria_for(case: DataRequest):
    """The active criteria that apply to ``case``: its requester category, its datasets, who owns the data."""

    return applicable_criteria(
        LegalCriterion.objects.filter(is_active=True).select_related("provision").prefetch_related("datasets"),
        requester_category=case.requester_category,
        dataset_ids=set(case.specifications.values_list("dataset_id", flat=True)),
        external=case.specifications.filter(dataset__custodian__is_agency=False).exists(),
    )


def applicable_criteria(criteria, *, requester_category: str, dataset_ids: set[int], external: bool) -> list:
    """Of ``criteria`` (their datasets prefetched), those for this requester category and these datasets.

    A criterion with no dataset applies to every dataset; one marked for external data applies only when a
    custodian other than the agency owns one of them.
    """
    return [
        criterion
        for criterion in criteria
        if (not criterion.datasets.all() or any(dataset.pk in dataset_ids for dataset in criterion.datasets.all()))
        and (external or not criterion.only_for_external_data)
        and (not criterion.requester_categories or requester_category in criterion.requester_categories)
    ]


@transaction.atomic
def criterion_assess(*, case: DataRequest, actor, criterion, outcome: str, note: str = "", now=None):
    """Record the officer's finding on one criterion of the checklist."""

    permissions.check_user_can_view_request(actor, case)
    permissions.check(permissions.user_works_case(actor, case))
    if case.status not in REVIEW_STATES:
        raise ValidationError(_("The checklist can be changed only while the request is under review."))
    if outcome not in Assessment.values:
        raise ValidationError({"outcome": _("Choose met, not met or not applicable.")})
    if criterion not in criteria_for(case):
        raise ValidationError({"criterion": _("This criterion does not apply to this request.")})
    note = (note or "").strip()
    if outcome == Assessment.NOT_APPLICABLE:
        if not criterion.allows_not_applicable(case.requester_category):
            raise ValidationError(
                {"outcome": _("“Not applicable” is not allowed on this criterion for this requester: met or not met.")}
            )
        if not note:
            raise ValidationError({"note": _("Note: say why this criterion does not apply to this request.")})
    assessment = CriterionAssessment.objects.filter(request=case, criterion=criterion).first()
    assessment = assessment or CriterionAssessment(request=case, criterion=criterion)
    assessment.outcome = outcome
    assessment.note = note
    assessment.assessed_by = actor
    assessment.assessed_at = now or timezone.now()
    save_with_history(
        assessment,
        actor=actor,
        event=trail.EventType.CRITERION_ASSESSED,
        case_id=case.pk,
        payload={"criterion": criterion.code, "outcome": outcome},
    )
    return assessment


def consultation_open(*, case: DataRequest, actor, custodian, question: str, due_on, now=None):
    """Ask the data's owner whether it agrees; its representatives see this consultation and nothing else."""

    question = (question or "").strip()
    if not question:
        raise ValidationError({"question": _("Write the question to ask the data's owner.")})
    if custodian.is_agency:
        raise ValidationError({"custodian": _("The agency's own data needs no consultation. Choose another owner.")})
    if custodian not in owners_to_consult(case):
        raise ValidationError(
            {
                "custodian": _("%(owner)s owns none of the datasets this request asks for. Choose its data's owner.")
                % {"owner": custodian}
            }
        )
    opened = {}

    def record(locked: DataRequest, at: datetime) -> None:
        if due_on is None or due_on <= clock.local_date(at):
            raise ValidationError({"due_on": _("Give a date after today for the answer.")})
        consultation = Consultation(
            request=locked, custodian=custodian, question=question, due_on=due_on, asked_by=actor, asked_at=at
        )
        save_with_history(consultation, actor=actor)  # the move consult_custodian is the event
        permissions.grant_custodian_permissions(consultation=consultation)
        opened["consultation"] = consultation

    workflow.transition(
        case=case,
        name="consult_custodian",
        actor=actor,
        reason="",
        now=now,
        apply=record,
        facts={"custodian": custodian.code},
    )
    return opened["consultation"]


def owners_to_consult(case: DataRequest) -> list:
    """The owners, other than the agency, of the datasets the case's tables are drawn from: whom to consult."""
    owners = {spec.dataset.custodian for spec in case.specifications.select_related("dataset__custodian")}
    return sorted((owner for owner in owners if not owner.is_agency), key=lambda owner: owner.code)


def excludable_categories(consultation: Consultation):
    """The categories an owner may exclude: those of the dimensions of its datasets in the case."""
    datasets = consultation.request.specifications.filter(dataset__custodian=consultation.custodian).values("dataset")
    return (
        Category.objects.filter(dimension__datasets__in=datasets)
        .select_related("dimension")
        .distinct()
        .order_by("dimension__code", "order", "code")
    )


@transaction.atomic
def consultation_answer(
    *,
    consultation,
    actor,
    answer: str,
    conditions: str = "",
    excluded_categories=(),
    minimum_count: int | None = None,
    not_before=None,
    reasons: str = "",
    now=None,
):
    """The custodian's representative answers yes, no (with reasons) or yes with conditions.

    A conditional yes sets at least one condition: categories to exclude, a
    minimum cell count above the datasets' own, no release before a date, or
    conditions in words (the output checker attests them). ``requests_app.conditions``
    applies them to the tables and checks them again at release.
    """

    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not actor.has_perm("requests_app.view_consultation", locked):
        raise Http404
    permissions.check(permissions.user_can_answer_consultation(actor, locked))
    now = now or timezone.now()
    conditions, reasons = (conditions or "").strip(), (reasons or "").strip()
    excluded = list(excluded_categories or ())
    if answer not in ConsultationAnswer.values:
        raise ValidationError({"answer": _("Choose yes, yes with conditions, or no.")})
    if answer != ConsultationAnswer.YES_WITH_CONDITIONS:
        conditions, excluded, minimum_count, not_before = "", [], None, None
    if answer != ConsultationAnswer.NO:
        reasons = ""
    errors = {}
    if answer == ConsultationAnswer.NO and not reasons:
        errors["reasons"] = _("Reasons: say why your organisation does not agree; the agency cites them.")
    if answer == ConsultationAnswer.YES_WITH_CONDITIONS:
        if not (conditions or excluded or minimum_count or not_before):
            errors["conditions"] = _(
                "State at least one condition: categories to exclude, a minimum count, a date or conditions in words."
            )
        allowed = set(excludable_categories(locked).values_list("pk", flat=True))
        if any(category.pk not in allowed for category in excluded):
            errors["excluded_categories"] = _("Exclude only categories of the tables asked for from your data.")
        floor = max(
            (
                spec.dataset.threshold
                for spec in locked.request.specifications.select_related("dataset")
                if spec.dataset.custodian_id == locked.custodian_id
            ),
            default=0,
        )
        if minimum_count is not None and minimum_count <= floor:
            errors["minimum_count"] = _(
                "Minimum count: the agency already hides counts under %(floor)s. "
                "Give a higher number, or leave it empty."
            ) % {"floor": floor}
        if not_before is not None and not_before <= clock.local_date(now):
            errors["not_before"] = _("Not released before: give a date after today, or leave it empty.")
    if errors:
        raise ValidationError(errors)
    locked.answer = answer
    locked.conditions = conditions
    locked.minimum_count = minimum_count
    locked.not_before = not_before
    locked.reasons = reasons
    locked.answered_by = actor
    locked.answered_at = now
    locked.excluded_categories.set(excluded)
    payload = {"custodian": locked.custodian.code, "answer": answer}
    if answer == ConsultationAnswer.YES_WITH_CONDITIONS:
        payload["conditions"] = {
            "excluded": sorted(f"{c.dimension.code}:{c.code}" for c in excluded),
            "minimum_count": minimum_count,
            "not_before": not_before.isoformat() if not_before else None,
            "in_words": bool(conditions),
        }
    save_with_history(
        locked,
        actor=actor,
        event=trail.EventType.CONSULTATION_ANSWERED,
        case_id=locked.request_id,
        payload=payload,
    )
    notifications.record(
        "consultation_answered",
        case=locked.request,
        actor=actor,
        about=locked,
        occurrence=f"consultation-{locked.pk}",  # a consultation is answered once
    )
    return locked


def approval_obstacles(case: DataRequest, *, outcome: str) -> list[str]:
    """What keeps ``outcome`` from being decided now; empty when nothing does.

    An approval (whole or partial) needs every applicable mandatory criterion
    met, or found not applicable where the criterion allows it, and every
    consultation answered; a whole approval also needs every consulted owner's
    yes. A refusal or partial approval cites a provision (checked by
    ``decision_propose``, which has the provisions). Each obstacle names its criterion.
    """

    if outcome == DecisionOutcome.REFUSED:
        return []
    problems = []
    findings = dict(case.assessments.values_list("criterion_id", "outcome"))
    for criterion in criteria_for(case):
        finding = findings.get(criterion.pk)
        if not criterion.mandatory or finding == Assessment.MET:
            continue
        if finding is None:
            problems.append(_("Mandatory criterion not assessed yet: %(text)s") % {"text": criterion.text})
        elif finding == Assessment.NOT_MET:
            problems.append(_("Mandatory criterion not met: %(text)s") % {"text": criterion.text})
        elif not criterion.allows_not_applicable(case.requester_category):
            problems.append(
                _("Mandatory criterion found not applicable, which it does not allow: %(text)s")
                % {"text": criterion.text}
            )
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


@dataclass(frozen=True)
class LetterTable:
    """A table as a letter lists it: labelled, with the conditions its data's owner set."""

    number: int
    row: selectors.SpecificationRow
    #: (the owner, its conditions) for each consulted owner of the table's dataset who agreed on conditions.
    conditions: list[tuple[object, str]]


def letter_tables(case: DataRequest, *, replace: dict | None = None) -> list[LetterTable]:
    """Every table of ``case``, labelled in the active language, with its filters and its owner's conditions.

    ``replace`` maps a table's pk to an unsaved version of it (an amendment's proposed scope).
    """
    specifications = [
        (replace or {}).get(spec.pk, spec)
        for spec in case.specifications.select_related("dataset__custodian", "measure").order_by("pk")
    ]
    by_dataset: dict[int, list] = {}
    for spec in specifications:
        if spec.dataset_id not in by_dataset:
            found = owner_conditions.for_dataset(case, spec.dataset)
            by_dataset[spec.dataset_id] = [(owner, "; ".join(sentences)) for owner, sentences in found.by_owner]
    return [
        LetterTable(number=number, row=row, conditions=by_dataset[row.specification.dataset_id])
        for number, row in enumerate(selectors.label_specifications(specifications), start=1)
    ]


def render_decision_letter(case: DataRequest, *, outcome: str, reasons: str, provisions) -> str:
    """The decision letter, in the requester's language (Access Act ss. 50, 51)."""

    with translation.override(case.language):
        tables = letter_tables(case)  # labelled in the requester's language
        context = decision_letter_context(case, outcome=outcome, reasons=reasons, provisions=provisions, tables=tables)
        return render_to_string("requests_app/letters/decision.txt", context).strip()


def decision_letter_context(case, *, outcome: str, reasons: str, provisions, tables) -> dict:
    """What the decision letter's template reads: the case (reference, title, contact name, receipt), the
    outcome, its reasons and provisions, and every table it covers (``LetterTable``)."""

    return {
        "case": case,
        "outcome": outcome,
        "outcome_label": DecisionOutcome(outcome).label,
        "reasons": reasons,
        "provisions": list(provisions),
        "tables": list(tables),
        "review_days": settings.REVIEW_REQUEST_DAYS,
        "commission": COMMISSION,
        "is_refusal": outcome != DecisionOutcome.APPROVED,
    }


def decision_propose(*, case: DataRequest, actor, outcome: str, reasons: str, provisions, now=None):
    """Propose a decision with its letter; a second person signs it off before the requester is told."""

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
        save_with_history(decision, actor=actor)  # the move propose_decision is the event
        decision.provisions.set(provisions)
        proposed["decision"] = decision

    workflow.transition(
        case=case, name="propose_decision", actor=actor, reason="", now=now, apply=record, facts={"outcome": outcome}
    )
    return proposed["decision"]


def _pending_decision(case: DataRequest, *, seen: Decision | None) -> Decision:
    """The decision waiting for sign-off, locked; refused when it is not the one the lead was shown."""
    decision = Decision.objects.select_for_update().get(
        request=case, signed_off_at__isnull=True, returned_at__isnull=True
    )
    if seen is not None and seen.pk != decision.pk:
        raise workflow.ConcurrentChangeError(
            _("The proposed decision was replaced meanwhile. Read the new proposal before acting on it.")
        )
    return decision


def decision_sign_off(*, case: DataRequest, actor, decision: Decision | None = None, now=None) -> DataRequest:
    """The lead signs off a decision someone else proposed; the case takes the decision's outcome.

    An approval, even partial, starts producing its tables (``production.jobs.production_start``).

    ``decision`` is the proposal the lead read: if it was replaced meanwhile, nothing is signed.
    """
    pending = Decision.objects.filter(request=case, signed_off_at__isnull=True, returned_at__isnull=True).first()
    if pending is None:
        raise workflow.TransitionError(_("There is no decision waiting for sign-off."))

    def sign(locked: DataRequest, at: datetime) -> None:
        decision_ = _pending_decision(locked, seen=decision)
        obstacles = approval_obstacles(locked, outcome=decision_.outcome)
        if obstacles:
            raise ValidationError({"outcome": obstacles})
        decision_.signed_off_by = actor
        decision_.signed_off_at = at
        save_with_history(decision_, actor=actor)  # the sign-off move is the event

    with transaction.atomic():
        signed = workflow.transition(
            case=case, name=f"sign_off_{pending.outcome}", actor=actor, reason="", now=now, apply=sign
        )
        if signed.status in jobs.PRODUCING_OUTCOMES:
            jobs.production_start(case=signed, actor=actor, now=now)
            signed.refresh_from_db()
    return signed


def decision_return(
    *, case: DataRequest, actor, reason: str, decision: Decision | None = None, now=None
) -> DataRequest:
    """The lead sends the proposed decision (the one they read, ``decision``) back to the officer, saying why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the decision is sent back.")})

    def send_back(locked: DataRequest, at: datetime) -> None:
        pending = _pending_decision(locked, seen=decision)
        pending.returned_by = actor
        pending.returned_at = at
        pending.return_reason = reason
        save_with_history(pending, actor=actor)  # the move return_decision is the event

    return workflow.transition(case=case, name="return_decision", actor=actor, reason=reason, now=now, apply=send_back)
