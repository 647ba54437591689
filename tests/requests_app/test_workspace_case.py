"""The staff case page: content, the statutory clock explained, the timeline, and the actions by role."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from portal.roles import Role
from requests_app import clock, services
from requests_app.models import Clarification, Status
from tests import factories
from tests.requests_app.pages import client_for, field_error, text

MONTREAL = ZoneInfo("America/Montreal")


def at(day: int, month: int = 4, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=MONTREAL)


def case_url(case, name: str = "case") -> str:
    return reverse(f"workspace:{name}", kwargs={"pk": case.pk})


@pytest.fixture
def lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD, first_name="Léa", last_name="Lead")


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER, first_name="Olivier", last_name="Officer")


@pytest.fixture
def received(requester, dataset):
    return factories.make_request(requester=requester, dataset=dataset)


@pytest.fixture
def reviewed(requester, dataset, officer):
    """Under review by ``officer``, received today: the clock is running and an extension is possible."""
    return factories.make_request(requester=requester, dataset=dataset, status=Status.UNDER_REVIEW, officer=officer)


def action_forms(page: str) -> set[str]:
    return set(re.findall(r'id="(assign-form|ask-form|extend-form)"', page))


# --- Access --------------------------------------------------------------------------------


def test_case_page_is_404_for_an_officer_it_is_not_assigned_to(received, reviewed):
    stranger = factories.make_user(role=Role.PRIVACY_OFFICER)
    client = client_for(stranger)

    for case in (received, reviewed):
        assert client.get(case_url(case)).status_code == 404
        assert client.post(case_url(case, "clarification_ask"), {"question": "?"}).status_code == 404
        assert client.post(case_url(case, "extend"), {"days": 5, "notice": "Busy"}).status_code == 404


def test_case_page_is_404_for_a_requester_who_cannot_see_the_case(received, other_requester):
    client = client_for(other_requester)
    assert client.get(case_url(received)).status_code == 404


def test_case_page_is_403_for_the_requester_of_the_case(received, requester):
    assert client_for(requester).get(case_url(received)).status_code == 403


def test_case_page_is_404_for_a_draft(requester, dataset, lead):
    draft = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)
    assert client_for(lead).get(case_url(draft)).status_code == 404


def test_auditor_sees_the_case_without_any_action(reviewed):
    auditor = factories.make_user(role=Role.AUDITOR)
    client = client_for(auditor)

    response = client.get(case_url(reviewed))

    assert response.status_code == 200
    assert action_forms(text(response)) == set()


def test_auditor_posts_are_refused(reviewed, lead):
    client = client_for(factories.make_user(role=Role.AUDITOR))

    assert (
        client.post(case_url(reviewed, "assign"), {"officer": lead.pk, "seen_status": reviewed.status}).status_code
        == 403
    )
    assert client.post(case_url(reviewed, "clarification_ask"), {"question": "Which years?"}).status_code == 403
    assert client.post(case_url(reviewed, "extend"), {"days": 5, "notice": "Busy"}).status_code == 403
    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.extension_days) == (Status.UNDER_REVIEW, 0)


def test_officer_may_ask_and_extend_but_not_assign(reviewed, officer, lead):
    client = client_for(officer)

    assert action_forms(text(client.get(case_url(reviewed)))) == {"ask-form", "extend-form"}
    response = client.post(case_url(reviewed, "assign"), {"officer": lead.pk, "seen_status": reviewed.status})
    assert response.status_code == 403


def test_lead_sees_every_action(reviewed, lead):
    assert action_forms(text(client_for(lead).get(case_url(reviewed)))) == {"assign-form", "ask-form", "extend-form"}


# --- Content --------------------------------------------------------------------------------


def test_case_page_shows_content_tables_and_downloadable_documents(reviewed, officer):
    client = client_for(officer)
    page = text(client.get(case_url(reviewed)))

    assert "Use of physician services by region" in page
    assert "Université de Montréal" in page
    assert reviewed.requester.email in page
    assert "Tables asked for" in page
    attachment = reviewed.attachments.get()
    download = reverse("requests_app:attachment_download", kwargs={"pk": reviewed.pk, "attachment_pk": attachment.pk})
    assert download in page
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_case_page_explains_the_clock_with_a_pause_and_an_extension(requester, dataset, officer, lead):
    case = factories.make_request(
        requester=requester, dataset=dataset, status=Status.UNDER_REVIEW, officer=officer, now=at(1)
    )
    services.clarification_ask(case=case, actor=officer, question="Which regions?", now=at(5))
    services.clarification_answer(case=case, actor=requester, answer="All of them.", now=at(9))
    services.deadline_extend(case=case, actor=officer, days=10, notice="Consultation of the Ministry.", now=at(12))

    page = text(client_for(lead).get(case_url(case)))

    sentence = re.search(r'<p class="clock-sentence">(.*?)</p>', page, re.S).group(1)
    assert (
        sentence
        == "Received on April 1, 2026, +20 days, +4 days paused, +10 days extended on April 12, 2026 → due May 5, 2026"
    )
    assert "Asked on April 5, 2026, answered on April 9, 2026: +4 days" in page
    assert "Consultation of the Ministry." in page
    assert "Overdue — deemed refusal" in page  # received in April: long past due


def test_case_page_says_the_clock_is_stopped_while_a_question_is_open(requester, dataset, officer):
    case = factories.make_request(
        requester=requester, dataset=dataset, status=Status.AWAITING_REQUESTER, officer=officer, now=at(1)
    )

    page = text(client_for(officer).get(case_url(case)))

    assert "Clock stopped since April 1, 2026" in page
    assert "Overdue — deemed refusal" not in page
    assert "Which years do you need?" in page
    assert "Not answered yet." in page


def test_a_running_case_is_not_flagged_overdue(reviewed, officer):
    page = text(client_for(officer).get(case_url(reviewed)))
    assert "Overdue — deemed refusal" not in page
    # Received today: 20 days left, or more when the 20th day is a Sunday or a holiday (I-16 s. 52).
    days_left = (clock.local_date(reviewed.due_at) - clock.local_date(timezone.now())).days
    assert days_left >= 20
    assert f"{days_left} days left" in page


def test_timeline_shows_who_what_and_why(reviewed, officer):
    services.clarification_ask(case=reviewed, actor=officer, question="Which age groups?")

    page = text(client_for(officer).get(case_url(reviewed)))
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    entries = timeline.split('<li class="timeline-entry">')[1:]

    assign = next(entry for entry in entries if 'class="timeline-action">Assign<' in entry)
    assert "Assigned officer</strong>: <ins>Olivier Officer</ins>" in assign
    assert "Status</strong>: <del>Received</del> → <ins>Under review</ins>" in assign
    assert officer.email not in assign  # the officer is named by the field's change, never by a reason
    asked = next(entry for entry in entries if 'class="timeline-action">Ask the requester<' in entry)
    question = next(entry for entry in entries if "Question</strong>: <ins>Which age groups?</ins>" in entry)
    assert "Olivier Officer" in asked and "Olivier Officer" in question
    assert "Clarification" in question and "clarification.asked" not in timeline
    assert "Updated at" not in timeline


# --- Assignment -------------------------------------------------------------------------------


def test_lead_assigns_a_received_case_from_the_page(received, lead, officer):
    client = client_for(lead)
    page = text(client.get(case_url(received)))
    assert 'name="seen_status" value="received"' in page

    response = client.post(
        case_url(received, "assign"), {"officer": officer.pk, "seen_status": "received"}, follow=True
    )

    assert "The case is assigned to Olivier Officer." in text(response)
    received.refresh_from_db()
    assert (received.status, received.assigned_to) == (Status.UNDER_REVIEW, officer)


def test_assignment_officer_list_holds_only_active_officers_and_leads(received, lead, officer):
    auditor = factories.make_user(role=Role.AUDITOR)
    retired = factories.make_user(role=Role.PRIVACY_OFFICER, is_active=False)

    form = client_for(lead).get(case_url(received)).context["assign_form"]
    choices = set(form.fields["officer"].queryset)

    assert {lead, officer} <= choices
    assert auditor not in choices
    assert retired not in choices


def test_stale_assignment_says_the_case_changed(received, lead, officer):
    other_lead = factories.make_user(role=Role.ACCESS_LEAD)
    services.case_assign(case=received, actor=other_lead, officer=other_lead)

    response = client_for(lead).post(
        case_url(received, "assign"), {"officer": officer.pk, "seen_status": "received"}, follow=True
    )

    assert response.redirect_chain[-1][0] == case_url(received)
    assert "This request was changed by someone else" in text(response)
    received.refresh_from_db()
    assert received.assigned_to == other_lead


def test_assignment_without_an_officer_shows_the_error_on_the_field(received, lead):
    response = client_for(lead).post(case_url(received, "assign"), {"officer": "", "seen_status": "received"})

    assert response.status_code == 200
    assert field_error(response, "id_officer") == "Officer: choose the officer who will work the case."


# --- Clarification ------------------------------------------------------------------------------


def test_officer_asks_a_clarification_from_the_page(reviewed, officer):
    response = client_for(officer).post(
        case_url(reviewed, "clarification_ask"), {"question": "Which years do you need?"}, follow=True
    )

    assert "The question is sent to the requester." in text(response)
    reviewed.refresh_from_db()
    assert reviewed.status == Status.AWAITING_REQUESTER
    assert Clarification.objects.get(request=reviewed).asked_by == officer


def test_empty_question_shows_the_error_on_the_field(reviewed, officer):
    response = client_for(officer).post(case_url(reviewed, "clarification_ask"), {"question": "   "})

    assert response.status_code == 200
    assert field_error(response, "id_question") == "Question: write the question to ask the requester."
    reviewed.refresh_from_db()
    assert reviewed.status == Status.UNDER_REVIEW


def test_asking_while_a_question_is_open_is_refused_with_a_message(requester, dataset, officer):
    case = factories.make_request(
        requester=requester, dataset=dataset, status=Status.AWAITING_REQUESTER, officer=officer
    )
    client = client_for(officer)

    assert "ask-form" not in action_forms(text(client.get(case_url(case))))
    response = client.post(case_url(case, "clarification_ask"), {"question": "Another?"}, follow=True)

    assert "is not possible while the request is" in text(response)
    assert Clarification.objects.filter(request=case).count() == 1


# --- Extension --------------------------------------------------------------------------------


def test_officer_extends_the_delay_from_the_page(reviewed, officer):
    due = reviewed.due_at
    response = client_for(officer).post(
        case_url(reviewed, "extend"), {"days": 7, "notice": "The Ministry must be consulted."}, follow=True
    )

    assert "The delay is extended by 7 days." in text(response)
    reviewed.refresh_from_db()
    assert reviewed.extension_days == 7
    # 20 + 7 days from today, moved to the next working day when that is a Sunday or a holiday (I-16 s. 52).
    assert reviewed.due_at == clock.due_at(received_at=reviewed.received_at, extension_days=7)
    assert reviewed.due_at > due


def test_extension_beyond_the_limit_shows_the_error_on_days(reviewed, officer):
    response = client_for(officer).post(
        case_url(reviewed, "extend"), {"days": settings.EXTENSION_DAYS + 1, "notice": "Busy"}
    )

    assert response.status_code == 200
    assert "at most 10 days" in field_error(response, "id_days")
    assert "Busy" in text(response)


def test_second_extension_is_not_offered_and_the_reason_is_shown(reviewed, officer):
    services.deadline_extend(case=reviewed, actor=officer, days=5, notice="Busy")

    client = client_for(officer)
    page = text(client.get(case_url(reviewed)))
    assert "the Act allows only one extension" in page
    assert 'action="/workspace/cases/' + str(reviewed.pk) + '/extension/"' not in page

    response = client.post(case_url(reviewed, "extend"), {"days": 5, "notice": "Again"})
    assert response.status_code == 200
    assert "the Act allows only one extension" in field_error(response, "id_days")


def test_extension_after_the_first_delay_shows_why_it_is_impossible(requester, dataset, officer):
    case = factories.make_request(
        requester=requester, dataset=dataset, status=Status.UNDER_REVIEW, officer=officer, now=at(1)
    )
    page = text(client_for(officer).get(case_url(case)))
    assert "The first delay has expired" in page
