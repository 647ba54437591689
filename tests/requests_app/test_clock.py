"""Access Act s. 47: 20 calendar days, clock stopped while the requester is asked, one 10-day extension.

The dates are in April 2026: 21 April, the first due date, is a Tuesday. A total that lands on a Sunday moves
to the Monday (Interpretation Act s. 52; tests/requests_app/test_calendar.py), and the tests say so.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.roles import Role
from requests_app import clock, services
from requests_app.models import Status
from tests import factories

MONTREAL = ZoneInfo("America/Montreal")
RECEIVED = datetime(2026, 4, 1, 10, 0, tzinfo=MONTREAL)
FIRST_DUE = datetime(2026, 4, 21, 10, 0, tzinfo=MONTREAL)


def at(day: int, hour: int = 10, month: int = 4) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=MONTREAL)


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def case(db, dataset, officer):
    return factories.make_request(dataset=dataset, status=Status.UNDER_REVIEW, now=RECEIVED, officer=officer)


def ask_and_answer(case, officer, asked, answered):
    services.clarification_ask(case=case, actor=officer, question="Which regions?", now=asked)
    return services.clarification_answer(case=case, actor=case.requester, answer="All of them.", now=answered)


def test_due_date_is_received_plus_twenty_calendar_days(case):
    assert case.due_at == FIRST_DUE
    assert clock.explain(case).due_at == FIRST_DUE


def test_clarification_stops_the_clock_and_the_wait_is_added_back(case, officer):
    case = ask_and_answer(case, officer, asked=at(5), answered=at(9, hour=16))

    assert case.status == Status.UNDER_REVIEW
    assert case.due_at == FIRST_DUE + timedelta(days=4)
    assert clock.explain(case).paused_days == 4


def test_an_answer_on_the_same_day_adds_nothing(case, officer):
    case = ask_and_answer(case, officer, asked=at(5, hour=9), answered=at(5, hour=17))

    assert case.due_at == FIRST_DUE


def test_a_pause_spanning_the_due_date_moves_it_by_the_days_waited(case, officer):
    case = ask_and_answer(case, officer, asked=at(18), answered=at(28))

    assert case.due_at == FIRST_DUE + timedelta(days=10)
    assert not clock.is_overdue(case, now=at(28, hour=12))


def test_a_case_waiting_for_the_requester_is_never_overdue(case, officer):
    services.clarification_ask(case=case, actor=officer, question="Which regions?", now=at(18))
    case.refresh_from_db()

    assert case.status == Status.AWAITING_REQUESTER
    assert clock.explain(case).is_paused
    assert not clock.is_overdue(case, now=at(30))


def test_several_pauses_add_up(case, officer):
    ask_and_answer(case, officer, asked=at(2), answered=at(4))
    case = ask_and_answer(case, officer, asked=at(10), answered=at(13))

    explanation = clock.explain(case)
    assert [pause.days for pause in explanation.pauses] == [2, 3]
    # 21 April + 5 days is Sunday 26 April: the delay runs to Monday 27 (I-16 s. 52).
    assert case.due_at == FIRST_DUE + timedelta(days=6)


def test_extension_adds_up_to_ten_days_with_its_notice(case, officer):
    case = services.deadline_extend(case=case, actor=officer, days=10, notice="Large volume of data.", now=at(15))

    assert case.due_at == FIRST_DUE + timedelta(days=10)
    assert case.extension_notice == "Large volume of data."
    explanation = clock.explain(case)
    assert explanation.extension_days == 10 and explanation.extended_at == at(15)
    assert explanation.first_due_at == FIRST_DUE


def test_extension_on_the_due_day_before_the_hour_is_allowed(case, officer):
    case = services.deadline_extend(case=case, actor=officer, days=5, notice="Consultation needed.", now=at(21, hour=9))

    # 21 April + 5 days is Sunday 26 April: the delay runs to Monday 27 (I-16 s. 52).
    assert case.due_at == FIRST_DUE + timedelta(days=6)


@pytest.mark.parametrize("asked_at", [at(21, hour=10), at(21, hour=23), at(22)])
def test_extension_once_the_first_delay_has_expired_is_refused(case, officer, asked_at):
    with pytest.raises(ValidationError) as error:
        services.deadline_extend(case=case, actor=officer, days=10, notice="Too late.", now=asked_at)

    assert "days" in error.value.message_dict
    case.refresh_from_db()
    assert case.due_at == FIRST_DUE and case.extension_days == 0


def test_only_one_extension_is_allowed(case, officer):
    services.deadline_extend(case=case, actor=officer, days=3, notice="First.", now=at(10))

    with pytest.raises(ValidationError):
        services.deadline_extend(case=case, actor=officer, days=3, notice="Second.", now=at(11))


@pytest.mark.parametrize("days", [0, 11, -1])
def test_extension_outside_one_to_ten_days_is_refused(case, officer, days):
    with pytest.raises(ValidationError):
        services.deadline_extend(case=case, actor=officer, days=days, notice="Notice.", now=at(10))


def test_extension_needs_a_written_notice(case, officer):
    with pytest.raises(ValidationError) as error:
        services.deadline_extend(case=case, actor=officer, days=5, notice="  ", now=at(10))
    assert "notice" in error.value.message_dict


def test_extension_after_a_pause_counts_from_the_paused_due_date(case, officer):
    ask_and_answer(case, officer, asked=at(18), answered=at(25))
    case.refresh_from_db()

    # The first delay now ends on 28 April: an extension on the 27th is in time.
    case = services.deadline_extend(case=case, actor=officer, days=10, notice="Consultation.", now=at(27))

    assert case.due_at == FIRST_DUE + timedelta(days=7 + 10)


def test_extension_days_are_a_setting(settings, case, officer):
    settings.EXTENSION_DAYS = 15

    case = services.deadline_extend(case=case, actor=officer, days=15, notice="Notice.", now=at(10))

    assert case.due_at == FIRST_DUE + timedelta(days=15)


def test_overdue_when_past_due_with_no_decision(case):
    assert not clock.is_overdue(case, now=at(21, hour=9))
    assert clock.is_overdue(case, now=at(21, hour=11))


def test_a_withdrawn_case_is_never_overdue(db, dataset):
    case = factories.make_request(dataset=dataset, status=Status.WITHDRAWN, now=RECEIVED)

    assert not clock.is_overdue(case, now=at(30))


def test_due_date_keeps_its_local_time_across_the_autumn_time_change(db, dataset):
    received = datetime(2026, 10, 20, 9, 0, tzinfo=MONTREAL)  # clocks go back on 1 November 2026
    case = factories.make_request(dataset=dataset, now=received)

    due = case.due_at.astimezone(MONTREAL)
    assert (due.date().isoformat(), due.hour) == ("2026-11-09", 9)


def test_pause_days_are_counted_on_local_dates(db):
    # 23:30 in Montréal is already the next day in UTC: still the same local day.
    asked = datetime(2026, 4, 5, 23, 30, tzinfo=MONTREAL)
    answered = datetime(2026, 4, 6, 0, 30, tzinfo=MONTREAL)

    assert clock.pause_days(asked, answered) == 1
    assert clock.pause_days(asked, asked + timedelta(minutes=20)) == 0


def test_clarification_needs_a_question_and_an_answer(case, officer):
    with pytest.raises(ValidationError) as error:
        services.clarification_ask(case=case, actor=officer, question="", now=at(5))
    assert "question" in error.value.message_dict

    services.clarification_ask(case=case, actor=officer, question="Which years?", now=at(5))
    with pytest.raises(ValidationError) as error:
        services.clarification_answer(case=case, actor=case.requester, answer=" ", now=at(6))
    assert "answer" in error.value.message_dict


# Montréal changes its clocks on a Sunday, at 02:00, and a Sunday is a holiday (I-16 s. 61(23)): a delay that
# ends in the hour skipped or repeated runs to the Monday, at the same local time, an hour that exists once.


def test_a_due_date_in_the_hour_clocks_skip_moves_to_the_monday(db):
    """Filed at 02:30 on 16 February 2026, 20 days later is 02:30 on Sunday 8 March, an hour Montréal skips;
    due on Monday 9 March at 02:30 (daylight time)."""
    received = datetime(2026, 2, 16, 2, 30, tzinfo=ZoneInfo("America/Montreal"))
    due = clock.due_at(received_at=received)
    assert due == due.astimezone(UTC)  # a time in the gap would compare unequal to every other zone's (PEP 495)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 6, 30, tzinfo=UTC)


def test_a_due_date_in_the_hour_the_autumn_change_repeats_moves_to_the_monday(db):
    """Filed at 01:20 on 12 October 2026, 20 days later is 01:20 on Sunday 1 November, an hour Montréal lives
    twice; due on Monday 2 November at 01:20 (standard time), equal to itself read back in UTC."""
    received = datetime(2026, 10, 12, 1, 20, tzinfo=ZoneInfo("America/Montreal"))
    due = clock.due_at(received_at=received)
    assert due == datetime(2026, 11, 2, 6, 20, tzinfo=UTC)  # an ambiguous local time would compare unequal
    assert timezone.localtime(due).hour == 1
