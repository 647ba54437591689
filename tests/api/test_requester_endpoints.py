"""The requester's endpoints, through DRF's client with a token: the same services and checks as the pages."""

import pytest
from django.urls import reverse
from django.utils import translation

from portal.models import AccessLog
from portal.roles import Role
from requests_app import permissions, services
from requests_app.models import Attachment, DataRequest, Status
from requests_app.production.models import OutputDownload
from tests import factories
from tests.api.conftest import token_client
from tests.requests_app.pages import client_for

pytestmark = pytest.mark.django_db


def url(name: str, case=None, **kwargs) -> str:
    if case is not None:
        kwargs["pk"] = case.pk
    return reverse(f"api:{name}", kwargs=kwargs or None)


def test_catalogue_lists_the_offered_datasets_with_their_parts(api, dataset):
    dataset_off = factories.make_catalogue()
    dataset_off.is_active = False
    dataset_off.save()
    response = api.get(url("dataset-list"), {"page_size": 100})
    assert response.status_code == 200
    codes = [item["code"] for item in response.json()["results"]]
    assert dataset.code in codes
    assert dataset_off.code not in codes
    detail = api.get(url("dataset-detail", code=dataset.code)).json()
    assert {measure["code"] for measure in detail["measures"]} == {"persons", "services"}
    assert {dimension["code"] for dimension in detail["dimensions"]} == set(factories.dimension_codes(dataset))
    assert all(dimension["categories"] for dimension in detail["dimensions"])
    assert api.get(url("dataset-detail", code=dataset_off.code)).status_code == 404


def test_create_a_draft_starts_from_the_profile_and_checks_fields_as_the_page(api, requester):
    response = api.post(url("request-list"), {**factories.PROFILE, "title": "Regional use"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["title"] == "Regional use"
    assert body["submission_problems"]  # not complete yet
    case = DataRequest.objects.get(pk=body["id"])
    assert case.requester == requester and case.contact_name == factories.PROFILE["contact_name"]
    bad = api.post(url("request-list"), {"requester_category": "alien"}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()) == ["requester_category"]


def test_patch_edits_a_draft_and_names_the_field_at_fault(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
    response = api.patch(url("request-detail", case), {"purpose": "A new purpose."}, format="json")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.purpose == "A new purpose."
    assert case.title == factories.PROJECT["title"]  # what was not sent is kept
    bad = api.patch(url("request-detail", case), {"use_starts_on": "not a date"}, format="json")
    assert bad.status_code == 400
    assert "use_starts_on" in bad.json()
    ends_first = api.patch(
        url("request-detail", case), {"use_starts_on": "2027-01-01", "use_ends_on": "2026-01-01"}, format="json"
    )
    assert ends_first.status_code == 400  # the page form's own rule
    assert set(ends_first.json()) <= {"use_ends_on", "use_starts_on", "non_field_errors"}


def test_a_submitted_request_cannot_be_edited(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.RECEIVED, dataset=dataset)
    response = api.patch(url("request-detail", case), {"title": "x"}, format="json")
    assert response.status_code == 409
    assert "detail" in response.json()


def test_list_shows_only_my_requests(api, requester, other_requester, dataset):
    mine = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
    factories.make_request(requester=other_requester, status=Status.DRAFT, dataset=dataset)
    body = api.get(url("request-list")).json()
    assert body["count"] == 1
    assert [item["id"] for item in body["results"]] == [mine.pk]


def test_tables_are_added_and_removed_with_the_catalogue_checks(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset, tables=0)
    dims = factories.dimension_codes(dataset)
    response = api.post(
        url("table-list", case),
        {"dataset": dataset.code, "measure": "persons", "dimensions": dims[:2], "filters": {dims[0]: ["18-64"]}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    table = response.json()
    assert table["dimensions"] == dims[:2] and table["filters"] == {dims[0]: ["18-64"]}
    unknown = api.post(
        url("table-list", case), {"dataset": dataset.code, "measure": "persons", "dimensions": ["name"]}, format="json"
    )
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["dimensions"]
    wrong_measure = api.post(url("table-list", case), {"dataset": dataset.code, "measure": "nope"}, format="json")
    assert list(wrong_measure.json()) == ["measure"]
    assert api.delete(url("table-detail", case, table_pk=table["id"])).status_code == 204
    assert not case.specifications.exists()
    assert api.delete(url("table-detail", case, table_pk=table["id"])).status_code == 404


def test_a_document_is_uploaded_multipart_and_checked_as_on_the_page(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
    response = api.post(
        url("document-list", case), {"kind": "protocol", "file": factories.pdf_file("plan.pdf")}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "plan.pdf"
    assert Attachment.objects.filter(request=case, original_name="plan.pdf").exists()
    fake = factories.SimpleUploadedFile("evil.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = api.post(url("document-list", case), {"kind": "protocol", "file": fake}, format="multipart")
    assert refused.status_code == 400
    assert "file" in refused.json()
    no_kind = api.post(url("document-list", case), {"file": factories.pdf_file()}, format="multipart")
    assert list(no_kind.json()) == ["kind"]


def test_submit_answers_the_pages_submission_problems_then_files_the_request(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
    services.request_update_draft(case=case, actor=requester, step="profile", values={"contact_name": ""})
    refused = api.post(url("submit", case))
    assert refused.status_code == 400
    assert refused.json()["submission_problems"] == services.submission_problems(case)
    assert "profile" in refused.json()["submission_problems"]
    api.patch(url("request-detail", case), {"contact_name": "Ada Tremblay"}, format="json")
    response = api.post(url("submit", case))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "received"
    assert response.json()["reference"].startswith("DA-")
    assert response.json()["acknowledgement"]
    assert api.post(url("submit", case)).status_code == 409


def test_a_message_is_posted_and_internal_notes_are_never_read(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.UNDER_REVIEW, dataset=dataset)
    services.message_post(case=case, actor=case.assigned_to, body="Secret internal note", internal=True)
    services.message_post(case=case, actor=case.assigned_to, body="Hello from the agency")
    response = api.post(url("message-list", case), {"body": "A question"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["from_requester"] is True
    detail = api.get(url("request-detail", case)).json()
    bodies = [message["body"] for message in detail["messages"]]
    assert bodies == ["Hello from the agency", "A question"]
    assert "Secret internal note" not in str(detail)
    assert case.assigned_to.email not in str(detail)
    empty = api.post(url("message-list", case), {"body": ""}, format="json")
    assert list(empty.json()) == ["body"]


def test_a_clarification_is_answered_with_a_document(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER, dataset=dataset)
    assert api.get(url("request-detail", case)).json()["can_answer"] is True
    response = api.post(
        url("clarification-answer", case),
        {"answer": "2022 and 2023.", "document": factories.pdf_file("years.pdf")},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "under_review"
    assert body["clarifications"][0]["answer"] == "2022 and 2023."
    assert body["clarifications"][0]["documents"][0]["name"] == "years.pdf"
    assert api.post(url("clarification-answer", case), {"answer": "again"}, format="json").status_code == 409


def test_withdraw_needs_a_reason(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.RECEIVED, dataset=dataset)
    missing = api.post(url("withdraw", case), {}, format="json")
    assert missing.status_code == 400
    assert list(missing.json()) == ["reason"]
    response = api.post(url("withdraw", case), {"reason": "No longer needed."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["withdrawal_reason"] == "No longer needed."
    assert api.post(url("withdraw", case), {"reason": "again"}, format="json").status_code == 409


def test_a_draft_is_deleted(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
    assert api.delete(url("request-detail", case)).status_code == 204
    assert not DataRequest.objects.filter(pk=case.pk).exists()


def test_staff_cannot_file_requests(db):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    officer.groups.clear()
    client = token_client(officer)  # a token made while a requester
    officer.groups.add(factories.Group.objects.get(name=Role.PRIVACY_OFFICER.value))
    assert client.post(url("request-list"), {}, format="json").status_code == 401
    session = token_client(factories.make_user())
    session.credentials()
    session.force_authenticate(type(officer).objects.get(pk=officer.pk))
    response = session.post(url("request-list"), {}, format="json")
    assert response.status_code == 403
    with translation.override("fr"):
        assert response.json()["detail"] == str(permissions.STAFF_CANNOT_FILE)


def test_reading_a_request_is_in_the_access_log(api, requester, dataset):
    case = factories.make_request(requester=requester, status=Status.RECEIVED, dataset=dataset)
    assert api.get(url("request-detail", case)).status_code == 200
    entry = AccessLog.objects.get(view_name="api:request-detail")
    assert entry.user == requester and entry.object_id == str(case.pk)


@pytest.mark.django_db(databases=["default", "warehouse"])
def test_released_files_download_as_on_the_page_and_are_logged(warehouse, requester):
    case = factories.make_request(requester=requester, status=Status.RELEASED)
    client = token_client(requester)
    outputs = client.get(url("request-detail", case)).json()["outputs"]
    released = [output for output in outputs if output["progress"] == "released"]
    waiting = [output for output in outputs if output["progress"] != "released"]
    assert len(released) == 1 and waiting and waiting[0]["files"] == []
    file_url = next(item["url"] for item in released[0]["files"] if item["name"] == "table.csv")
    response = client.get(file_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
    assert OutputDownload.objects.filter(job_id=released[0]["id"], user=requester, file_name="table.csv").exists()
    assert AccessLog.objects.filter(view_name="api:output-file", object_id=str(released[0]["id"])).exists()
    unreleased = url("output-file", case, job_pk=waiting[0]["id"], file_name="table.csv")
    assert client.get(unreleased).status_code == 404
    other = token_client(factories.make_user())
    assert other.get(file_url).status_code == 404


def test_writes_share_the_pages_rate_limits(api, requester, dataset, settings):
    settings.POST_RATE_LIMITS = {**settings.POST_RATE_LIMITS, "requests_app:message": (2, 600)}
    case = factories.make_request(requester=requester, status=Status.RECEIVED, dataset=dataset)
    page = client_for(requester)
    assert page.post(reverse("requests_app:message", kwargs={"pk": case.pk}), {"body": "from the page"}).status_code
    assert api.post(url("message-list", case), {"body": "one"}, format="json").status_code == 201
    refused = api.post(url("message-list", case), {"body": "two"}, format="json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "detail" in refused.json()
    assert api.get(url("request-detail", case)).status_code == 200  # reads are not limited


@pytest.mark.parametrize("body", [[1, 2], 7, "text", None, {"body": ["a"], "reason": {"x": 1}, "answer": 3}])
def test_odd_bodies_are_refused_never_a_server_error(api, requester, dataset, body):
    draft = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
    filed = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER, dataset=dataset)
    for path in (
        url("request-list"),
        url("table-list", draft),
        url("message-list", filed),
        url("clarification-answer", filed),
        url("withdraw", filed),
    ):
        response = api.post(path, body, format="json")
        assert response.status_code < 500, (path, body, response.status_code)
    assert api.patch(url("request-detail", draft), body, format="json").status_code < 500
    garbled = api.generic("POST", url("request-list"), b"{not json", content_type="application/json")
    assert garbled.status_code == 400
