"""The requester answers the agency's question on the request's page; the clock starts again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.roles import Role
from requests_app import clock, services
from requests_app.forms import TEXT_LIMIT
from requests_app.models import Clarification, Status
from tests import factories
from tests.requests_app.pages import assert_kept, client_for, field_error, summary_links, text, url


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER, first_name="Olivier", last_name="Officer")


@pytest.fixture
def awaiting(requester, dataset, officer):
    return factories.make_request(
        requester=requester,
        dataset=dataset,
        status=Status.AWAITING_REQUESTER,
        officer=officer,
        now=timezone.now() - timedelta(days=3),
    )


def answer_url(case) -> str:
    return url("clarification_answer", case)


def test_detail_shows_the_open_question_and_an_answer_form(awaiting, requester_client, officer):
    page = text(requester_client.get(url("detail", awaiting)))

    assert "The agency asks you a question" in page
    assert "Which years do you need?" in page
    assert f'action="{answer_url(awaiting)}"' in page
    assert 'name="answer"' in page


def test_detail_never_names_the_staff_member_who_asked(awaiting, requester_client, officer):
    page = text(requester_client.get(url("detail", awaiting)))

    assert "Olivier" not in page
    assert officer.email not in page


def test_requester_answers_the_question_and_the_review_resumes(awaiting, requester_client):
    due_before = awaiting.due_at

    response = requester_client.post(answer_url(awaiting), {"answer": "2022 to 2024."}, follow=True)

    assert response.redirect_chain[-1][0] == url("detail", awaiting)
    assert "Your answer is sent to the agency." in text(response)
    awaiting.refresh_from_db()
    assert awaiting.status == Status.UNDER_REVIEW
    # The 3 days waited are added back; the total may then end on a Sunday or holiday and run to the next
    # working day (I-16 s. 52), depending on today: the expectation goes through the rule.
    assert clock.explain(awaiting).paused_days == 3
    assert awaiting.due_at == clock.due_at(received_at=awaiting.received_at, paused_days=3)
    assert awaiting.due_at >= due_before
    clarification = Clarification.objects.get(request=awaiting)
    assert clarification.answer == "2022 to 2024."


def test_answered_questions_stay_on_the_detail_page_without_a_form(awaiting, requester_client):
    requester_client.post(answer_url(awaiting), {"answer": "2022 to 2024."})

    page = text(requester_client.get(url("detail", awaiting)))

    assert "Questions and answers" in page
    assert "Which years do you need?" in page
    assert "2022 to 2024." in page
    assert 'name="answer"' not in page


@pytest.mark.parametrize("answer", ["", "   \n  "])
def test_empty_answer_shows_the_error_on_the_field(awaiting, requester_client, answer):
    response = requester_client.post(answer_url(awaiting), {"answer": answer})

    assert response.status_code == 200
    assert field_error(response, "id_answer") == "Your answer: write your answer to the agency's question."
    assert summary_links(response) == ["id_answer"]
    awaiting.refresh_from_db()
    assert awaiting.status == Status.AWAITING_REQUESTER


def test_too_long_answer_is_refused_and_the_text_kept(awaiting, requester_client):
    answer = "All regions. " + "x" * TEXT_LIMIT

    response = requester_client.post(answer_url(awaiting), {"answer": answer})

    assert response.status_code == 200
    assert "use at most" in field_error(response, "id_answer")
    assert_kept(response, answer)


def test_answer_when_no_question_is_open_says_so(requester, dataset, requester_client):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.UNDER_REVIEW)

    response = requester_client.post(answer_url(case), {"answer": "Hello"}, follow=True)

    assert "is not possible while the request is" in text(response)
    assert not Clarification.objects.filter(request=case).exists()


def test_another_requester_cannot_answer(awaiting, other_requester):
    response = client_for(other_requester).post(answer_url(awaiting), {"answer": "Me!"})

    assert response.status_code == 404
    assert Clarification.objects.get(request=awaiting).answered_at is None


def test_staff_cannot_answer_for_the_requester(awaiting):
    lead = factories.make_user(role=Role.ACCESS_LEAD)

    response = client_for(lead).post(answer_url(awaiting), {"answer": "Everything."})

    assert response.status_code == 403
    assert Clarification.objects.get(request=awaiting).answered_at is None


def test_answer_page_accepts_only_post(awaiting, requester_client):
    assert requester_client.get(answer_url(awaiting)).status_code == 405


def test_a_second_question_is_answered_through_the_same_page(awaiting, requester_client, officer):
    requester_client.post(answer_url(awaiting), {"answer": "2022 to 2024."})
    services.clarification_ask(case=awaiting, actor=officer, question="Which regions?")

    page = text(requester_client.get(url("detail", awaiting)))
    assert "Which regions?" in page
    requester_client.post(answer_url(awaiting), {"answer": "All of them."})

    assert list(Clarification.objects.filter(request=awaiting).values_list("answer", flat=True)) == [
        "2022 to 2024.",
        "All of them.",
    ]
