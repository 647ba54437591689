"""Reminders: the daily scan (Celery beat) of the clocks about to run out."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from requests_app import clock
from requests_app.models import (
    Clarification,
    DataRequest,
    Notification,
)
from requests_app.notifications.recording import record
from requests_app.states import CLOCK_PAUSED_STATES, CLOCK_RUNNING_STATES

# --- Reminders: the daily scan (Celery beat) ------------------------------------------


def _reminder_threshold(days_left: int) -> int | None:
    """The most urgent reminder due for ``days_left`` (``DUE_REMINDER_DAYS``, e.g. 5 then 1), or ``None``.

    Keyed on the threshold, each reminder goes out once, even when a scan was missed: at 4 days left the
    5-day reminder still goes, at 1 the 1-day one.
    """
    thresholds = [days for days in settings.DUE_REMINDER_DAYS if 0 <= days_left <= days]
    return min(thresholds) if thresholds else None


def deadline_scan(*, now: datetime | None = None) -> list[Notification]:
    """Remind the officer before the due date, alert the leads to an overdue case, remind a requester
    whose clarification has waited ``CLARIFICATION_REMINDER_DAYS``. Safe to run again: each reminder's
    key names its case, its kind and the due date (or question) it is about."""
    now = now or timezone.now()
    today = clock.local_date(now)
    horizon = now + timedelta(days=max(settings.DUE_REMINDER_DAYS, default=0) + 1)
    running = DataRequest.objects.filter(status__in=CLOCK_RUNNING_STATES, due_at__lt=horizon)
    waiting = Clarification.objects.filter(
        answered_at__isnull=True,
        request__status__in=CLOCK_PAUSED_STATES,
        asked_at__lte=now - timedelta(days=settings.CLARIFICATION_REMINDER_DAYS - 1),
    ).select_related("request")
    created = []
    with transaction.atomic():
        for case in running.select_related("assigned_to"):
            due_on = clock.local_date(case.due_at)
            if clock.is_overdue(case, now=now):
                created += record("overdue", case=case, occurrence=f"due-{due_on}")
            elif (threshold := _reminder_threshold((due_on - today).days)) is not None:
                created += record(
                    "due_reminder",
                    case=case,
                    occurrence=f"due-{due_on}-{threshold}d",
                    facts={"days_left": (due_on - today).days},
                )
        for clarification in waiting:
            if (today - clock.local_date(clarification.asked_at)).days >= settings.CLARIFICATION_REMINDER_DAYS:
                created += record(
                    "clarification_reminder",
                    case=clarification.request,
                    about=clarification,
                    occurrence=f"clarification-{clarification.pk}",
                )
    return created
