"""Staff read their queues through the API only in a session that passed MFA; tokens are refused."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.roles import Role
from requests_app.models import Status
from tests import factories
from tests.api.conftest import session_client, token_client

pytestmark = pytest.mark.django_db
QUEUES = reverse("api:queue-list")


def cases_of(queue: str) -> str:
    return reverse("api:queue-cases", kwargs={"queue": queue})


def test_the_officer_reads_their_queues_in_an_mfa_session(dataset):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(status=Status.UNDER_REVIEW, dataset=dataset, officer=officer)
    client = session_client(officer)
    counts = client.get(QUEUES).json()
    assert counts["mine"] == 1 and "sign_off" not in counts
    body = client.get(cases_of("mine")).json()
    assert [item["reference"] for item in body["results"]] == [case.reference]
    assert client.get(cases_of("mine"), {"search": case.reference}).json()["count"] == 1
    assert client.get(cases_of("mine"), {"search": "no such case"}).json()["count"] == 0
    assert client.get(cases_of("mine"), {"received_from": "not a date", "sort": "x"}).json()["count"] == 1
    assert client.get(cases_of("sign_off")).status_code == 404
    assert client.get(cases_of("nothing")).status_code == 404
    assert client.post(QUEUES).status_code == 405


def test_the_lead_sees_the_sign_off_queue(db):
    counts = session_client(factories.make_user(role=Role.ACCESS_LEAD)).get(QUEUES).json()
    assert "sign_off" in counts


def test_a_session_without_the_second_factor_is_refused(db):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    response = session_client(officer, mfa=False).get(QUEUES)
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_requesters_and_tokens_never_read_the_queues(requester):
    assert token_client(requester).get(QUEUES).status_code == 403
    assert session_client(requester).get(QUEUES).status_code == 403
    assert APIClient().get(QUEUES).status_code == 401


def test_the_checker_reads_the_output_queue_and_the_officer_does_not(db):
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    response = session_client(checker).get(reverse("api:output-queue"))
    assert response.status_code == 200 and response.json()["results"] == []
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    assert session_client(officer).get(reverse("api:output-queue")).status_code == 403
