"""Amendments: what a signed decision approved changes only with a second person's signature.

Before the decision is signed, the officer adjusts a table directly (``casework.specification_adjust``):
the decision letter, written afterwards, lists the tables as they are. Once it is signed, the letter is
what the agency promised the requester, and the four eyes that signed it must sign any change to it:

- the officer proposes an amendment (a table's new dimensions and filters, with the reason) when the
  table's output failed or was returned; the table keeps its approved scope meanwhile and is not run again;
- a lead other than the proposer signs it off: the table takes the new scope, the requester receives the
  amendment letter (kept on their page and in their timeline), and the table is run again;
- or the lead sends it back with the reason, and the table keeps its approved scope.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import trail
from requests_app import notifications, permissions, selectors
from requests_app.history import save_with_history
from requests_app.models import Amendment, DataRequest, TableSpecification
from requests_app.production import jobs
from requests_app.services.review import letter_tables
from requests_app.states import JOB_RERUNNABLE_STATES
from stats_app.catalogue import validate_specification

__all__ = ["amendment_propose", "amendment_return", "amendment_sign_off", "render_amendment_letter"]


def _scope(dimensions, filters) -> dict:
    return {"dimensions": list(dimensions), "filters": {code: list(values) for code, values in filters.items()}}


def render_amendment_letter(case: DataRequest, *, specification: TableSpecification, scope: dict, reason: str) -> str:
    """The amendment letter, in the requester's language: the table before and after, why, and every table
    the decision now covers (with its filters and its owner's conditions)."""
    amended = TableSpecification(
        request=case, dataset=specification.dataset, measure=specification.measure, **scope, pk=specification.pk
    )
    with translation.override(case.language):
        numbers = {spec.pk: number for number, spec in enumerate(case.specifications.order_by("pk"), start=1)}
        before, after = selectors.label_specifications([specification, amended])
        tables = letter_tables(case, replace={specification.pk: amended})
        context = {
            "case": case,
            "decision": selectors.signed_decision(case),
            "number": numbers.get(specification.pk),
            "before": before,
            "after": after,
            "reason": reason,
            "tables": tables,
            "review_days": settings.REVIEW_REQUEST_DAYS,
        }
        return render_to_string("requests_app/letters/amendment.txt", context).strip()


def amendment_propose(
    *, case: DataRequest, actor, specification: TableSpecification, dimensions, filters, reason: str, now=None
) -> Amendment:
    """The officer proposes a new scope for a table of a signed decision; a lead must sign it off."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the table is adjusted; the requester will see it.")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=case.pk)
        specification = TableSpecification.objects.select_for_update().get(pk=specification.pk, request=locked)
        permissions.check(permissions.user_works_case(actor, locked))
        if not permissions.user_can_adjust_table(actor, locked, specification):
            raise ValidationError(
                _("Tables can be adjusted only during the review, or when their output failed or was returned.")
            )
        resolved = validate_specification(
            dataset=specification.dataset, measure=specification.measure, dimensions=dimensions, filters=filters
        )
        scope = _scope(resolved.dimension_codes, resolved.filters)
        if scope == _scope(specification.dimensions, specification.filters):
            raise ValidationError({"dimensions": _("This is the table as approved. Change its dimensions or filters.")})
        amendment = Amendment(
            request=locked,
            specification=specification,
            dimensions_before=list(specification.dimensions),
            filters_before=dict(specification.filters),
            **scope,
            reason=reason,
            letter=render_amendment_letter(locked, specification=specification, scope=scope, reason=reason),
            proposed_by=actor,
            proposed_at=now,
        )
        save_with_history(
            amendment,
            actor=actor,
            event=trail.EventType.AMENDMENT_PROPOSED,
            case_id=locked.pk,
            payload={"table": specification.pk, **scope, "note": reason},
            at=now,
        )
        notifications.record(
            "amendment_proposed", case=locked, actor=actor, about=amendment, occurrence=f"amendment-{amendment.pk}"
        )
    return amendment


def _pending(case: DataRequest, amendment: Amendment) -> Amendment:
    """The amendment, locked, once it still waits for a lead; refused when someone acted on it meanwhile."""
    locked = Amendment.objects.select_for_update().select_related("specification").get(pk=amendment.pk, request=case)
    if not locked.is_pending:
        raise ValidationError(_("This amendment was already signed off or sent back. Reload the page."))
    return locked


def amendment_sign_off(*, case: DataRequest, actor, amendment: Amendment, now=None) -> Amendment:
    """A lead other than the proposer signs the amendment: the table takes its scope, the requester gets the
    letter, and the table is run again."""
    now = now or timezone.now()
    with transaction.atomic():
        locked_case = DataRequest.objects.select_for_update().get(pk=case.pk)
        locked = _pending(locked_case, amendment)
        permissions.check(permissions.user_can_sign_off_amendment(actor, locked))
        specification = TableSpecification.objects.select_for_update().get(pk=locked.specification_id)
        if _scope(specification.dimensions, specification.filters) != _scope(
            locked.dimensions_before, locked.filters_before
        ):
            raise ValidationError(_("The table changed since this amendment was proposed. It must be proposed again."))
        # The catalogue may have changed since the proposal: what is signed must still be a valid table.
        resolved = validate_specification(
            dataset=specification.dataset,
            measure=specification.measure,
            dimensions=locked.dimensions,
            filters=locked.filters,
        )
        specification.dimensions = resolved.dimension_codes
        specification.filters = {code: list(values) for code, values in resolved.filters.items()}
        save_with_history(specification, actor=actor, reason=locked.reason)  # the sign-off below is the event
        locked.signed_off_by = actor
        locked.signed_off_at = now
        save_with_history(
            locked,
            actor=actor,
            event=trail.EventType.AMENDMENT_SIGNED_OFF,
            case_id=locked_case.pk,
            payload={
                "table": specification.pk,
                **_scope(specification.dimensions, specification.filters),
                "note": locked.reason,
            },
            at=now,
        )
        notifications.record(
            "amendment_sent", case=locked_case, actor=actor, about=locked, occurrence=f"amendment-{locked.pk}"
        )
        for job in specification.jobs.filter(state__in=JOB_RERUNNABLE_STATES):
            jobs.job_rerun(job=job, actor=actor, now=now)
    return locked


def amendment_return(*, case: DataRequest, actor, amendment: Amendment, reason: str, now=None) -> Amendment:
    """A lead sends the amendment back to the officer, saying why; the table keeps its approved scope."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the amendment is sent back.")})
    now = now or timezone.now()
    with transaction.atomic():
        locked_case = DataRequest.objects.select_for_update().get(pk=case.pk)
        locked = _pending(locked_case, amendment)
        permissions.check(permissions.user_can_sign_off_amendment(actor, locked))
        locked.returned_by = actor
        locked.returned_at = now
        locked.return_reason = reason
        save_with_history(
            locked,
            actor=actor,
            reason=reason,
            event=trail.EventType.AMENDMENT_RETURNED,
            case_id=locked_case.pk,
            payload={"table": locked.specification_id, "note": reason},
            at=now,
        )
        notifications.record(
            "amendment_returned", case=locked_case, actor=actor, about=locked, occurrence=f"amendment-{locked.pk}"
        )
    return locked
