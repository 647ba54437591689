"""The daily scan: the officer reminded 5 and 1 days before the due date, the leads alerted to an overdue case,
a requester reminded of a question left 7 days unanswered; each reminder once, however often the scan runs."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from requests_app import notifications, services
from requests_app.models import Notification, Status
from requests_app.tasks import scan_deadlines
from tests import factories
from tests.notifications.conftest import MONTREAL, RECEIVED, told

pytestmark = pytest.mark.django_db


def march(day: int, hour: int = 7) -> datetime:
    """A morning of March 2026 in Montréal (the beat runs the scan at 07:00)."""
    return datetime(2026, 3, day, hour, 0, tzinfo=MONTREAL)


def scan_daily(first: int, last: int, *, times: int = 2) -> None:
    """The scan on each morning from ``first`` to ``last`` March, ``times`` times a day."""
    for day in range(first, last + 1):
        for _ in range(times):
            notifications.deadline_scan(now=march(day))


def reminders(case, notice: str = "due_reminder") -> list[tuple[str, int | None]]:
    rows = Notification.objects.filter(request=case, notice=notice).order_by("pk").select_related("recipient")
    return [(row.recipient.email, row.context.get("days_left")) for row in rows]


def test_the_officer_is_reminded_5_and_1_days_before_the_due_date_then_the_leads_are_alerted_once(officer, lead):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer, now=RECEIVED)  # due 23 March

    scan_daily(10, 25)

    assert reminders(case) == [(officer.email, 5), (officer.email, 1)]
    alerted = reminders(case, "overdue_alert")
    assert lead.email in {email for email, _ in alerted}
    assert officer.email not in {email for email, _ in alerted}
    assert len(alerted) == len({email for email, _ in alerted})  # once each


def test_a_missed_scan_still_sends_the_reminder_late_and_once(officer):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer, now=RECEIVED)

    scan_daily(20, 22)  # nothing ran on the 18th and 19th

    assert reminders(case) == [(officer.email, 3), (officer.email, 1)]


def test_an_unassigned_case_reminds_the_leads(lead):
    case = factories.make_request(status=Status.RECEIVED, now=RECEIVED)

    scan_daily(18, 18)

    assert lead.email in {email for email, _ in reminders(case)}


def test_a_new_due_date_brings_its_own_reminders(officer):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer, now=RECEIVED)
    scan_daily(18, 18)

    services.deadline_extend(case=case, actor=officer, days=10, notice="Large volume.", now=march(18, hour=9))
    scan_daily(19, 31)

    rows = Notification.objects.filter(request=case, notice="due_reminder").order_by("pk")
    due_dates = [row.context["due_on"] for row in rows]
    assert due_dates == ["2026-03-23", "2026-04-01", "2026-04-01"]


def test_while_the_requester_is_asked_the_clock_stops_and_they_are_reminded_after_7_days_once(officer):
    requester = factories.make_user(language="fr")
    case = factories.make_request(
        requester=requester, status=Status.AWAITING_REQUESTER, officer=officer, now=RECEIVED
    )  # asked on 2 March

    scan_daily(3, 8)
    assert told(case, "clarification_reminder") == {}

    scan_daily(9, 30)

    assert told(case, "clarification_reminder") == {requester.email: "fr"}
    assert reminders(case) == [] and reminders(case, "overdue_alert") == []


def test_a_requester_who_switched_the_reminder_off_is_not_reminded(officer):
    requester = factories.make_user(muted_notifications=["clarification_reminder"])
    case = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER, officer=officer, now=RECEIVED)

    scan_daily(9, 9)

    assert told(case, "clarification_reminder") == {}


def test_the_daily_task_run_twice_sends_one_e_mail(
    officer, mailoutbox, celery_in_process, django_capture_on_commit_callbacks
):
    # Received 17 days ago: due in 3 days, or up to 5 when the 20th day is a Sunday or a holiday (I-16 s. 52);
    # within the 5-day reminder whatever today is.
    factories.make_request(status=Status.UNDER_REVIEW, officer=officer, now=timezone.now() - timedelta(days=17))

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            scan_deadlines.apply()

    assert [message.to for message in mailoutbox] == [[officer.email]]
    assert "Reminder" in mailoutbox[0].subject
