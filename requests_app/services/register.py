"""The public register's one decision: keeping a released table out of it (A-2.1, r. 2, s. 4 par. 8).

An officer or a lead withholds a released table on one of the regulation's
exceptions, with a reason; it leaves the register at once. Another person, a
lead, confirms the withholding or lifts it with a reason (four eyes, held by the
database too). Each step is in the table's history and the audit trail.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import trail
from requests_app import permissions
from requests_app.history import save_with_history
from requests_app.production.models import PublicationWithholding, TableJob
from requests_app.states import JobState

__all__ = ["withholding_decide", "withholding_propose"]


@transaction.atomic
def withholding_propose(
    *, job: TableJob, actor, ground: str, reason: str, now: datetime | None = None
) -> PublicationWithholding:
    """Withhold a released table from the register at once, pending a second person's decision."""
    permissions.check(permissions.user_can_withhold(actor))
    job = TableJob.objects.select_for_update().get(pk=job.pk)
    errors = {}
    if job.state != JobState.RELEASED:
        errors["job"] = _("Only a released table can be withheld from the register.")
    if ground not in PublicationWithholding.Ground.values:
        errors["ground"] = _("Choose the exception of the regulation that applies.")
    if not reason.strip():
        errors["reason"] = _("Say why the table must not be published; the person who decides will read it.")
    if errors:
        raise ValidationError(errors)
    withholding = PublicationWithholding(
        job=job, ground=ground, reason=reason.strip(), proposed_by=actor, proposed_at=now or timezone.now()
    )
    try:
        with transaction.atomic():
            save_with_history(
                withholding,
                actor=actor,
                event=trail.EventType.WITHHOLDING_PROPOSED,
                case_id=job.request_id,
                payload={"job": job.pk, "ground": ground},
                at=withholding.proposed_at,
            )
    except IntegrityError:
        raise ValidationError({"job": _("This table is already withheld from the register.")}) from None
    return withholding


@transaction.atomic
def withholding_decide(
    *, withholding: PublicationWithholding, actor, confirm: bool, reason: str = "", now: datetime | None = None
) -> PublicationWithholding:
    """A second person confirms the withholding, or lifts it with a reason (the table is then published)."""
    withholding = PublicationWithholding.objects.select_for_update().get(pk=withholding.pk)
    if withholding.outcome != PublicationWithholding.Outcome.PENDING:
        raise ValidationError(_("This withholding was already decided. Reload the page."))
    permissions.check(actor.has_perm(permissions.DECIDE_WITHHOLDING))
    if withholding.proposed_by_id == actor.pk:
        raise ValidationError(_("You withheld this table: another lead must decide."))
    if not confirm and not reason.strip():
        raise ValidationError({"decision_reason": _("Say why the table may be published after all.")})
    withholding.outcome = PublicationWithholding.Outcome.CONFIRMED if confirm else PublicationWithholding.Outcome.LIFTED
    withholding.decided_by, withholding.decided_at = actor, now or timezone.now()
    withholding.decision_reason = reason.strip()
    save_with_history(
        withholding,
        actor=actor,
        event=trail.EventType.WITHHOLDING_CONFIRMED if confirm else trail.EventType.WITHHOLDING_LIFTED,
        case_id=withholding.job.request_id,
        payload={"job": withholding.job_id},
        at=withholding.decided_at,
    )
    return withholding
