"""The holiday calendar (Interpretation Act, I-16 ss. 52 and 61(23)): a change to it moves the open cases'
due dates, each with its history record and audit event."""

from datetime import date, datetime

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import trail
from requests_app import clock, holiday_data
from requests_app.history import delete_with_history, save_with_history
from requests_app.models import Clarification, DataRequest, Holiday
from requests_app.states import OPEN_STATES


def _reason(holiday: Holiday, action: str) -> str:
    # The history keeps one sentence; it is written in the agency's language, as the case's letters are.
    with translation.override(settings.LANGUAGE_CODE):
        sentences = {
            "added": _("Holiday added: %(date)s, %(name)s; due date recomputed (I-16 s. 52)."),
            "changed": _("Holiday changed: %(date)s, %(name)s; due date recomputed (I-16 s. 52)."),
            "deleted": _("Holiday removed: %(date)s, %(name)s; due date recomputed (I-16 s. 52)."),
        }
        return sentences[action] % {"date": holiday.date.isoformat(), "name": holiday.name_fr}


def holiday_save(*, holiday: Holiday, actor, now: datetime | None = None) -> list[DataRequest]:
    """Add or change a holiday, then recompute the open cases' due dates; returns the cases that moved.

    The caller has checked the actor's right to change the calendar (the admin's model permissions).
    """
    action = "changed" if holiday.pk else "added"
    with transaction.atomic():
        save_with_history(
            holiday,
            actor=actor,
            event=trail.EventType.HOLIDAY_CHANGED,
            payload={"date": holiday.date, "action": action},
            at=now,
        )
        return due_dates_recompute(actor=actor, reason=_reason(holiday, action), now=now)


def holiday_delete(*, holiday: Holiday, actor, now: datetime | None = None) -> list[DataRequest]:
    """Remove a holiday, then recompute the open cases' due dates; returns the cases that moved."""
    reason = _reason(holiday, "deleted")
    with transaction.atomic():
        trail.record(
            trail.EventType.HOLIDAY_CHANGED,
            actor=actor,
            target=holiday,
            payload={"date": holiday.date, "action": "deleted"},
            at=now,
        )
        delete_with_history(holiday, actor=actor, reason="")
        return due_dates_recompute(actor=actor, reason=reason, now=now)


def holidays_seed(*, years, actor=None, now: datetime | None = None) -> list[date]:
    """Add the missing holidays of ``years`` (``holiday_data``), then recompute the open cases' due dates if
    any was added; returns the dates added. Safe to run again."""
    with transaction.atomic():
        added = holiday_data.load(apps, years=years)
        if added:
            with translation.override(settings.LANGUAGE_CODE):
                reason = ngettext(
                    "%(count)d holiday added to the calendar; due date recomputed (I-16 s. 52).",
                    "%(count)d holidays added to the calendar; due date recomputed (I-16 s. 52).",
                    len(added),
                ) % {"count": len(added)}
            due_dates_recompute(actor=actor, reason=reason, now=now)
        return added


def due_dates_recompute(*, actor, reason: str, now: datetime | None = None) -> list[DataRequest]:
    """Recompute, from the calendar as it is now, the due date of every open case; returns those that moved.

    Each case that moves is saved with ``reason`` in its history and a ``request.due_date_moved`` event
    (before, after). Only open cases: a decided case keeps the due date it was decided against, so whether it
    was answered in time does not change afterwards. A paused case is recomputed too (its wait is added when
    the requester answers).
    """
    with transaction.atomic():
        calendar = clock.holidays()
        cases = list(DataRequest.objects.select_for_update().filter(status__in=OPEN_STATES).order_by("pk"))
        clarifications: dict[int, list[Clarification]] = {case.pk: [] for case in cases}
        for clarification in Clarification.objects.filter(request__in=cases).order_by("asked_at", "pk"):
            clarifications[clarification.request_id].append(clarification)
        moved = []
        for case in cases:
            due = clock.explain(case, clarifications[case.pk], calendar=calendar).due_at
            if due == case.due_at:
                continue
            before, case.due_at = case.due_at, due
            save_with_history(
                case,
                actor=actor,
                reason=reason,
                event=trail.EventType.DUE_DATE_MOVED,
                case_id=case.pk,
                payload={"before": before, "after": due},
                at=now,
                update_fields=["due_at", "updated_at"],
            )
            moved.append(case)
        return moved
