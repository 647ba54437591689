"""The public register through the API: anyone reads it, without a token; what it holds is the pages'."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.roles import Role
from requests_app import services
from requests_app.models import Status
from requests_app.states import JobState
from tests import factories

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]


@pytest.fixture
def published(settings):
    settings.PUBLICATION_DELAY_WORKING_DAYS = 0
    requester = factories.make_user(first_name="Renée", last_name="Requester", email="renee@example.org")
    case = factories.make_request(status=Status.RELEASED, requester=requester)
    return case, case.table_jobs.get(state=JobState.RELEASED)


def client() -> APIClient:
    api = APIClient()
    api.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return api


def test_anyone_reads_the_register_without_signing_in(published):
    case, job = published
    listing = client().get(reverse("api:publication-list"))
    assert listing.status_code == 200
    [item] = listing.json()["results"]
    assert item["id"] == job.pk
    assert item["dataset"]["code"] == job.table.dataset.code
    assert [d["code"] for d in item["dimensions"]] == job.specification["dimensions"]
    assert item["decision"]["outcome"] == "approved"
    assert item["csv_sha256"] == job.files["table.csv"]["sha256"]
    assert item["csv"].endswith(reverse("register:download", kwargs={"pk": job.pk}))
    detail = client().get(reverse("api:publication-detail", kwargs={"pk": job.pk}))
    assert detail.json() == item
    body = detail.content.decode()
    for identity in (case.requester.email, case.requester.get_full_name(), case.title, case.reference):
        assert identity not in body


def test_the_api_filters_as_the_page_does_and_names_a_bad_filter(published):
    _case, job = published
    assert client().get(reverse("api:publication-list"), {"dataset": "hospital_stays"}).json()["results"] == []
    shown = job.specification["dimensions"][0]
    found = client().get(reverse("api:publication-list"), {"dataset": "medical_services", "dimension": shown})
    assert [item["id"] for item in found.json()["results"]] == [job.pk]
    bad = client().get(reverse("api:publication-list"), {"region": "99"})
    assert bad.status_code == 400 and "region" in bad.json()


def test_a_withheld_or_unpublished_table_is_a_404(published, settings):
    _case, job = published
    lead = factories.make_user(role=Role.ACCESS_LEAD, is_staff=True)
    services.withholding_propose(job=job, actor=lead, ground="personal", reason="Small region.")
    assert client().get(reverse("api:publication-detail", kwargs={"pk": job.pk})).status_code == 404
    assert client().get(reverse("api:publication-list")).json()["results"] == []
    unreleased = job.request.table_jobs.exclude(pk=job.pk).get()
    assert client().get(reverse("api:publication-detail", kwargs={"pk": unreleased.pk})).status_code == 404
