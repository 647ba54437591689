"""Every endpoint about one request × every role: someone else's object is 404, never 403; no one signed in is 401."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.roles import STAFF_ROLES, Role
from requests_app.models import DataRequest, Status
from tests import factories
from tests.api.conftest import session_client, token_client

pytestmark = pytest.mark.django_db


def endpoints(draft: DataRequest, filed: DataRequest) -> list[tuple[str, str, dict]]:
    table = draft.specifications.first()
    return [
        ("get", reverse("api:request-detail", kwargs={"pk": filed.pk}), {}),
        ("get", reverse("api:request-detail", kwargs={"pk": draft.pk}), {}),
        ("patch", reverse("api:request-detail", kwargs={"pk": draft.pk}), {"title": "mine now"}),
        ("delete", reverse("api:request-detail", kwargs={"pk": draft.pk}), {}),
        ("post", reverse("api:table-list", kwargs={"pk": draft.pk}), {"dataset": "x", "measure": "y"}),
        ("delete", reverse("api:table-detail", kwargs={"pk": draft.pk, "table_pk": table.pk}), {}),
        ("post", reverse("api:document-list", kwargs={"pk": draft.pk}), {}),
        ("post", reverse("api:submit", kwargs={"pk": draft.pk}), {}),
        ("post", reverse("api:message-list", kwargs={"pk": filed.pk}), {"body": "hello"}),
        ("post", reverse("api:clarification-answer", kwargs={"pk": filed.pk}), {"answer": "yes"}),
        ("post", reverse("api:withdraw", kwargs={"pk": filed.pk}), {"reason": "none"}),
        (
            "get",
            reverse("api:output-file", kwargs={"pk": filed.pk, "job_pk": 1, "file_name": "table.csv"}),
            {},
        ),
    ]


@pytest.fixture
def cases(requester, dataset):
    draft = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
    filed = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER, dataset=dataset)
    return draft, filed


def clients(filed) -> dict[str, APIClient]:
    people = {"another requester (token)": token_client(factories.make_user())}
    for role in sorted(STAFF_ROLES):
        if role == Role.PRIVACY_OFFICER:
            # The officer assigned to the case: staff rights on it are no rights on the requester's endpoints.
            people[f"{role.value} (assigned, MFA session)"] = session_client(filed.assigned_to)
        people[f"{role.value} (MFA session)"] = session_client(factories.make_user(role=role))
    return people


def test_someone_elses_request_is_404_for_every_role(cases, requester):
    draft, filed = cases
    for who, client in clients(filed).items():
        for method, path, data in endpoints(draft, filed):
            response = getattr(client, method)(path, data, format="json")
            assert response.status_code == 404, f"{who} {method.upper()} {path}: {response.status_code}"
            assert response.json() == {"detail": response.json()["detail"]}
    assert DataRequest.objects.filter(pk=draft.pk, title=factories.PROJECT["title"]).exists()
    assert draft.specifications.exists()


def test_no_one_signed_in_is_401(cases):
    draft, filed = cases
    for method, path, data in endpoints(draft, filed):
        response = getattr(APIClient(), method)(path, data, format="json")
        assert response.status_code == 401, f"{method.upper()} {path}"


def test_the_owner_reaches_every_endpoint(cases, requester):
    draft, filed = cases
    client = token_client(requester)
    for method, path, data in endpoints(draft, filed):
        if method == "delete":
            continue
        response = getattr(client, method)(path, data, format="json")
        # Either done, or refused for the input or the state: never "not found" for the owner (but the job).
        assert response.status_code != 404 or "outputs" in path, f"{method.upper()} {path}: {response.status_code}"
