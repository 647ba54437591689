"""Review by the Commission d'accès à l'information (Access Act ss. 135, 137).

After a refusal, a partial refusal or a deemed refusal (s. 52), the requester may
ask the Commission to review the answer within 30 days. The requester, the
officer or a lead records that a review was asked (a late one is recorded too:
the Commission may relieve a requester of the delay, s. 135); staff then track
what the agency sent the Commission and the outcome. Each step is in the review's
history and the audit trail.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import trail
from requests_app import clock, permissions
from requests_app.history import save_with_history
from requests_app.models import DataRequest, ReviewOutcome, ReviewRequest

__all__ = ["review_request_record", "review_request_update"]


def _already_pending() -> str:
    return _("Date the review was asked: a review of this case is already pending before the Commission.")


@transaction.atomic
def review_request_record(
    *, case: DataRequest, actor, requested_on: date, cai_file_number: str = "", now: datetime | None = None
) -> ReviewRequest:
    """Record that a review was asked of the Commission; ``review.late`` says whether it was after the lapse date."""
    permissions.check_user_can_record_review(actor, case)
    now = now or timezone.now()
    case = DataRequest.objects.select_for_update().get(pk=case.pk)
    grounds = clock.review_grounds(case, now=now)
    lapses_on = clock.review_lapses_on(case, now=now)
    errors = {}
    if grounds is None or lapses_on is None:
        errors["requested_on"] = _(
            "Date the review was asked: a review can be recorded only after a refusal, "
            "a partial refusal or a deemed refusal."
        )
    elif requested_on > clock.local_date(now):
        errors["requested_on"] = _("Date the review was asked: it cannot be in the future.")
    elif requested_on < grounds[1]:
        errors["requested_on"] = _("Date the review was asked: it cannot be before the refusal it is about.")
    if case.review_requests.filter(outcome=ReviewOutcome.PENDING).exists():
        errors["requested_on"] = _already_pending()
    if errors:
        raise ValidationError(errors)
    review = ReviewRequest(
        request=case,
        requested_on=requested_on,
        cai_file_number=cai_file_number.strip(),
        recorded_by=actor,
        recorded_at=now,
    )
    late = requested_on > lapses_on
    try:
        with transaction.atomic():
            save_with_history(
                review,
                actor=actor,
                event=trail.EventType.REVIEW_REQUESTED,
                case_id=case.pk,
                payload={"requested_on": requested_on, "lapses_on": lapses_on, "late": late},
                at=now,
            )
    except IntegrityError as error:
        raise ValidationError({"requested_on": _already_pending()}) from error
    review.late = late
    review.lapses_on = lapses_on
    return review


@transaction.atomic
def review_request_update(
    *,
    review: ReviewRequest,
    actor,
    sent_file: bool,
    sent_decision: bool,
    sent_tables: bool,
    sent_on: date | None,
    outcome: str,
    outcome_on: date | None,
    notes: str = "",
    cai_file_number: str | None = None,
    now: datetime | None = None,
) -> ReviewRequest:
    """Staff record what was sent to the Commission, and when, and the review's outcome."""
    review = ReviewRequest.objects.select_for_update().select_related("request").get(pk=review.pk)
    permissions.check_user_can_update_review(actor, review.request)
    now = now or timezone.now()
    today = clock.local_date(now)
    errors = {}
    sent_any = sent_file or sent_decision or sent_tables
    if sent_on is not None and not sent_any:
        errors["sent_on"] = _("Date sent: tick what was sent to the Commission on that date.")
    if sent_any and sent_on is None:
        errors["sent_on"] = _("Date sent: enter the date the documents were sent to the Commission.")
    if sent_on is not None and sent_on > today:
        errors["sent_on"] = _("Date sent: it cannot be in the future.")
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = _("Outcome: choose the outcome of the review.")
    elif outcome == ReviewOutcome.PENDING and outcome_on is not None:
        errors["outcome_on"] = _("Date of the outcome: a pending review has none; leave it empty.")
    elif outcome != ReviewOutcome.PENDING and outcome_on is None:
        errors["outcome_on"] = _("Date of the outcome: enter it when the review is no longer pending.")
    if outcome_on is not None and (outcome_on > today or outcome_on < review.requested_on):
        errors["outcome_on"] = _("Date of the outcome: it falls between the date the review was asked and today.")
    if errors:
        raise ValidationError(errors)
    before = {"outcome": review.outcome, "sent_on": review.sent_on}
    review.sent_file, review.sent_decision, review.sent_tables = sent_file, sent_decision, sent_tables
    review.sent_on, review.outcome, review.outcome_on = sent_on, outcome, outcome_on
    review.notes = notes.strip()
    if cai_file_number is not None:
        review.cai_file_number = cai_file_number.strip()
    try:
        with transaction.atomic():
            save_with_history(
                review,
                actor=actor,
                event=trail.EventType.REVIEW_UPDATED,
                case_id=review.request_id,
                payload={"before": before, "outcome": outcome, "outcome_on": outcome_on, "sent_on": sent_on},
                at=now,
            )
    except IntegrityError as error:
        raise ValidationError({"outcome": _("Outcome: another review of this case is already pending.")}) from error
    return review
