"""The Québec calendar: a delay that expires on a holiday runs to the next working day.

Interpretation Act (chapter I-16), s. 52, in substance: if the time limit for doing something expires on a
holiday, it is extended to the next day that is not a holiday.

s. 61(23°) lists the holidays: Sundays; 1 January; Good Friday; Easter Monday; 24 June (the national
holiday); 1 July, or 2 July when 1 July is a Sunday; the first Monday of September (Labour Day); the second
Monday of October; 25 December; the day fixed for the sovereign's birthday; any day fixed by proclamation.
Saturday is not on the list. (Summaries; the official text prevails.)
"""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from portal.models import AuditEvent
from portal.roles import Role
from requests_app import clock, holiday_data, services
from requests_app.models import DataRequest, Holiday, HolidaySource, Status
from requests_app.staff_views import clock_sentence
from tests import factories
from tests.requests_app.pages import client_for, text

MONTREAL = ZoneInfo("America/Montreal")


def montreal(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=MONTREAL)


@pytest.fixture
def calendar(db):
    """The seeded calendar (the migration loaded it; this is a no-op unless a flushed database lost it)."""
    holiday_data.load(apps)


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD, is_staff=True)


def received_on(when: datetime, *, dataset, officer, status=Status.UNDER_REVIEW) -> DataRequest:
    return factories.make_request(dataset=dataset, status=status, now=when, officer=officer)


# --- The holidays of s. 61(23), as the calendar holds them ------------------------------------------


def test_calendar_holds_the_acts_holidays_of_2026(calendar):
    """s. 61(23): 1 January, Good Friday, Easter Monday, the sovereign's birthday (in Québec, the Monday
    before 25 May), 24 June, 1 July, Labour Day, the second Monday of October, 25 December."""
    days = set(Holiday.objects.filter(date__year=2026).values_list("date", flat=True))

    assert days == {
        date(2026, 1, 1),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 18),
        date(2026, 6, 24),
        date(2026, 7, 1),
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 12, 25),
    }


def test_calendar_adds_what_the_library_lacks_under_i16(calendar):
    """Easter Monday is on the Act's list but not in the library's Québec calendar; 1 July 2029 is a Sunday,
    so 2 July is the holiday (s. 61(23))."""
    assert Holiday.objects.get(date=date(2026, 4, 6)).source == HolidaySource.INTERPRETATION_ACT
    assert Holiday.objects.get(date=date(2029, 7, 2)).source == HolidaySource.INTERPRETATION_ACT
    assert Holiday.objects.get(date=date(2026, 6, 24)).source == HolidaySource.LIBRARY
    # Each seeded day's history starts with the day as seeded.
    assert Holiday.objects.get(date=date(2026, 4, 6)).history.get().history_type == "+"


def test_calendar_has_no_observed_days_the_act_does_not_name(calendar):
    """The library's "observed" Monday after a Christmas on a Saturday is a day off under labour law, not a
    holiday of s. 61(23)."""
    assert not Holiday.objects.filter(date=date(2027, 12, 27)).exists()


def test_seeding_again_adds_nothing_and_keeps_the_leads_changes(calendar, lead):
    services.holiday_delete(holiday=Holiday.objects.get(date=date(2030, 6, 24)), actor=lead)
    moved = Holiday.objects.get(date=date(2030, 12, 25))
    moved.date = date(2030, 12, 26)
    services.holiday_save(holiday=moved, actor=lead)

    assert services.holidays_seed(years=range(2020, 2036)) == []
    assert not Holiday.objects.filter(date__in=[date(2030, 6, 24), date(2030, 12, 25)]).exists()


def test_seed_holidays_adds_later_years(calendar):
    call_command("seed_holidays", "--from", "2036", "--until", "2036", stdout=io.StringIO())

    assert Holiday.objects.filter(date__year=2036).count() == 9
    assert Holiday.objects.get(date=date(2036, 4, 14)).name_en == "Easter Monday"


# --- s. 52: the due date moves to the next working day ----------------------------------------------


def test_deadline_on_24_june_moves_to_25_june(calendar, dataset, officer):
    """s. 52: the 20 days from 4 June 2026 end on Wednesday 24 June, the national holiday (s. 61(23)); the
    answer is due on Thursday 25 June, at the same time of day."""
    case = received_on(montreal(2026, 6, 4), dataset=dataset, officer=officer)

    assert case.due_at == montreal(2026, 6, 25)
    explanation = clock.explain(case)
    assert explanation.due_at == case.due_at
    assert [(moved.day, moved.holiday.date) for moved in explanation.moved] == [(date(2026, 6, 24),) * 2]


def test_deadline_on_easter_monday_moves_to_tuesday(calendar, dataset, officer):
    """s. 61(23) names Easter Monday: 20 days from 17 March 2026 end on Monday 6 April; due Tuesday 7 April."""
    case = received_on(montreal(2026, 3, 17), dataset=dataset, officer=officer)

    assert case.due_at == montreal(2026, 4, 7)


def test_deadline_on_a_sunday_moves_to_monday(calendar, dataset, officer):
    """s. 61(23): Sundays are holidays. 20 days from Monday 4 May 2026 end on Sunday 24 May; due Monday 25."""
    case = received_on(montreal(2026, 5, 4), dataset=dataset, officer=officer)

    assert case.due_at == montreal(2026, 5, 25)
    assert [moved.is_sunday for moved in clock.explain(case).moved] == [True]


def test_deadline_on_a_sunday_before_labour_day_moves_two_days(calendar, dataset, officer):
    """s. 52 runs to the next day that is not a holiday: Sunday 6 September 2026, then Labour Day."""
    case = received_on(montreal(2026, 8, 17), dataset=dataset, officer=officer)

    assert case.due_at == montreal(2026, 9, 8)
    assert [moved.day for moved in clock.explain(case).moved] == [date(2026, 9, 6), date(2026, 9, 7)]


def test_deadline_on_a_saturday_stays(calendar, dataset, officer):
    """Saturday is not on the list of s. 61(23): 20 days from 7 June 2026 end on Saturday 27 June, the due
    date."""
    case = received_on(montreal(2026, 6, 7), dataset=dataset, officer=officer)

    assert case.due_at == montreal(2026, 6, 27)
    assert clock.explain(case).moved == ()


def test_deadline_keeps_its_local_time_across_the_autumn_change(calendar, dataset, officer):
    """Moved to the next working day at the same local time, whatever the daylight-saving change: 20 days
    from 12 October 2026 end on Sunday 1 November (clocks go back that night); due Monday 2 November, 10:00."""
    case = received_on(montreal(2026, 10, 12), dataset=dataset, officer=officer)

    assert case.due_at.astimezone(MONTREAL).replace(tzinfo=None) == datetime(2026, 11, 2, 10, 0)


def test_extension_crossing_christmas_ends_on_the_saturday_after(calendar, dataset, officer):
    """Access Act s. 47 allows one extension of up to 10 days; I-16 s. 52 applies to the extended delay.
    From 25 November 2026: 20 days end on Tuesday 15 December; 10 more on Friday 25 December, a holiday;
    the answer is due on Saturday 26 December, which the Act does not make a holiday."""
    case = received_on(montreal(2026, 11, 25), dataset=dataset, officer=officer)
    assert case.due_at == montreal(2026, 12, 15)

    case = services.deadline_extend(
        case=case, actor=officer, days=10, notice="The tables need another week.", now=montreal(2026, 12, 10)
    )

    assert case.due_at == montreal(2026, 12, 26)
    explanation = clock.explain(case)
    assert [moved.day for moved in explanation.moved] == [date(2026, 12, 25)]
    assert explanation.first_due_at == montreal(2026, 12, 15)


def test_first_due_date_moves_too_and_bounds_the_extension(calendar, dataset, officer):
    """The limit for notifying an extension (Access Act s. 47) is the first delay, itself moved by s. 52:
    20 days from 5 December 2026 end on Christmas; the first delay expires on Saturday 26 December."""
    case = received_on(montreal(2026, 12, 5), dataset=dataset, officer=officer)

    assert clock.explain(case).first_due_at == montreal(2026, 12, 26) == case.due_at
    assert clock.extension_refusal(case, days=10, now=montreal(2026, 12, 25, hour=16)) is None
    assert clock.extension_refusal(case, days=10, now=montreal(2026, 12, 26, hour=11)) is not None


def test_explanation_names_the_holiday(calendar, dataset, officer):
    """The case page explains the due date: "+1 day: 24 June is a holiday … (I-16 s. 52)"."""
    case = received_on(montreal(2026, 6, 4), dataset=dataset, officer=officer)

    with translation.override("en"):
        sentence = clock_sentence(clock.explain(case))
    with translation.override("fr"):
        phrase = clock_sentence(clock.explain(case))

    assert "+1 day: 24 June is a holiday, Saint Jean Baptiste Day (I-16 s. 52)" in sentence
    assert "+1 jour : le 24 juin est un jour férié, Fête nationale du Québec (Loi d'interprétation, art. 52)" in phrase


def test_case_page_explains_the_move(calendar, dataset, officer):
    case = received_on(montreal(2026, 6, 4), dataset=dataset, officer=officer)

    page = text(client_for(officer).get(reverse("workspace:case", kwargs={"pk": case.pk})))

    assert "+1 day: 24 June is a holiday, Saint Jean Baptiste Day (I-16 s. 52) → due June 25, 2026" in page


def test_explanation_names_the_sunday(calendar, dataset, officer):
    case = received_on(montreal(2026, 5, 4), dataset=dataset, officer=officer)

    with translation.override("en"):
        sentence = clock_sentence(clock.explain(case))

    assert "+1 day: 24 May is a Sunday (I-16 s. 52)" in sentence


# --- The lead changes the calendar: the open cases follow ------------------------------------------


def test_holiday_added_by_the_lead_moves_an_open_case_with_a_history_row(calendar, dataset, officer, lead):
    """A day fixed by proclamation is a holiday too (s. 61(23)): the lead adds Wednesday 21 October 2026, the
    due date of a case received on 1 October; the case is now due on 22 October, and its history says why."""
    case = received_on(montreal(2026, 10, 1), dataset=dataset, officer=officer)
    decided = received_on(montreal(2026, 10, 1), dataset=dataset, officer=officer, status=Status.REFUSED)
    decided_due = decided.due_at
    assert case.due_at == montreal(2026, 10, 21)

    moved = services.holiday_save(
        holiday=Holiday(date=date(2026, 10, 21), name_fr="Jour proclamé", name_en="Day proclaimed"), actor=lead
    )

    case.refresh_from_db()
    assert [item.pk for item in moved] == [case.pk]
    assert case.due_at == montreal(2026, 10, 22)
    record = case.history.latest()
    assert record.history_user == lead
    assert "2026-10-21" in record.history_change_reason and "52" in record.history_change_reason
    assert record.prev_record.due_at == montreal(2026, 10, 21)
    event = AuditEvent.objects.get(event_type="request.due_date_moved", case_id=case.pk)
    assert event.payload["history"] == record.history_id
    # A decided case keeps the due date it was decided against.
    decided.refresh_from_db()
    assert decided.due_at == decided_due
    # The case's timeline shows the change.
    holiday = Holiday.objects.get(date=date(2026, 10, 21))
    assert holiday.history.latest().history_user == lead
    assert holiday.source == HolidaySource.STAFF


def test_holiday_deleted_by_the_lead_moves_the_due_date_back(calendar, dataset, officer, lead):
    case = received_on(montreal(2026, 6, 4), dataset=dataset, officer=officer)
    assert case.due_at == montreal(2026, 6, 25)

    services.holiday_delete(holiday=Holiday.objects.get(date=date(2026, 6, 24)), actor=lead)

    case.refresh_from_db()
    assert case.due_at == montreal(2026, 6, 24)
    assert case.history.latest().history_change_reason.startswith("Jour férié retiré : 2026-06-24")


def test_the_lead_adds_a_holiday_in_the_admin(calendar, dataset, officer, lead):
    case = received_on(montreal(2026, 10, 1), dataset=dataset, officer=officer)
    client = Client()
    client.force_login(lead)

    response = client.post(
        reverse("admin:requests_app_holiday_add"),
        {"date": "2026-10-21", "name_fr": "Jour proclamé", "name_en": "Day proclaimed", "source": "staff"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert case.due_at == montreal(2026, 10, 22)
    assert case.history.latest().history_user == lead


def test_other_staff_read_the_calendar_but_do_not_change_it(calendar):
    client = Client()
    client.force_login(factories.make_user(role=Role.AUDITOR, is_staff=True))

    assert client.get(reverse("admin:requests_app_holiday_changelist")).status_code == 200
    assert client.get(reverse("admin:requests_app_holiday_add")).status_code == 403


def test_due_date_is_the_rule_not_twenty_days(calendar, dataset, officer):
    """Whatever the day a case is received, its due date is the 20th day, or the next working day."""
    start = montreal(2026, 12, 1)
    for offset in range(40):
        received = start + timedelta(days=offset)
        last_day = (received + timedelta(days=20)).date()
        due = clock.due_at(received_at=received).astimezone(MONTREAL)
        assert due.date() >= last_day and due.time() == received.time()
        assert due.weekday() != 6 and not Holiday.objects.filter(date=due.date()).exists()
        assert all(
            day.weekday() == 6 or Holiday.objects.filter(date=day).exists()
            for day in (last_day + timedelta(days=n) for n in range((due.date() - last_day).days))
        )
