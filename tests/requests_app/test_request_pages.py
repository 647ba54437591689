"""My requests, a request's page, deleting a draft, withdrawing, and who may see what."""

import re

import pytest

from requests_app import services
from requests_app.models import DataRequest, Status
from tests import factories
from tests.requests_app.pages import (
    assert_kept,
    client_for,
    complete_draft,
    field_error,
    new_draft,
    profile_post,
    summary_links,
    text,
    url,
)

# --- My requests ------------------------------------------------------------------------


def test_list_shows_drafts_and_submitted_requests_with_status_and_due_date(requester, requester_client, dataset):
    draft = services.request_create_draft(requester=requester)
    received = factories.make_request(requester=requester, dataset=dataset)
    page = text(requester_client.get(url("list")))
    assert f'href="{url("detail", draft)}">Draft</a>' in page
    assert f'href="{url("detail", received)}">{received.reference}</a>' in page
    assert '<span class="badge badge-draft">Draft</span>' in page
    assert '<span class="badge badge-received">Received</span>' in page
    assert received.title in page
    assert "Untitled" in page
    assert '<table class="table">' in page


def test_list_shows_only_the_requesters_own_requests(requester_client, other_requester, dataset):
    theirs = factories.make_request(requester=other_requester, dataset=dataset)
    page = text(requester_client.get(url("list")))
    assert theirs.reference not in page
    assert url("detail", theirs) not in page
    assert "You have no request yet." in page


def test_new_request_opens_step_one_and_the_draft_exists_from_its_first_save(requester, requester_client):
    page = text(requester_client.get(url("list")))
    assert f'href="{url("create")}"' in page and "New request" in page
    first_step = requester_client.get(url("create"))
    assert first_step.status_code == 200 and 'name="contact_name"' in text(first_step)
    assert not DataRequest.objects.exists(), "a click on New request creates nothing"

    response = requester_client.post(url("create"), profile_post())
    case = DataRequest.objects.get(requester=requester)
    assert case.status == Status.DRAFT and case.organisation == factories.PROFILE["organisation"]
    assert response.url == url("project", case)
    assert case.history.earliest().history_user_id == requester.pk


def test_an_invalid_first_step_creates_no_draft_and_keeps_what_was_typed(requester_client):
    response = requester_client.post(url("create"), profile_post(requester_category="astronaut"))
    assert response.status_code == 200 and not DataRequest.objects.exists()
    assert_kept(response, factories.PROFILE["organisation"])


def test_a_second_request_starts_from_the_profile_of_the_last(requester, requester_client, dataset):
    factories.make_request(requester=requester, dataset=dataset, status=Status.RECEIVED)
    assert_kept(requester_client.get(url("create")), factories.PROFILE["organisation"])


def test_pages_require_login(client, requester, dataset):
    case = complete_draft(requester, dataset)
    for page_url in (url("list"), url("detail", case), url("profile", case), url("review", case)):
        response = client.get(page_url)
        assert response.status_code == 302, page_url
        assert response.url.startswith("/accounts/login/"), page_url
    assert client.post(url("create")).status_code == 302
    assert DataRequest.objects.count() == 1


# --- A request's page ---------------------------------------------------------------------


def test_detail_shows_content_tables_documents_and_timeline(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    page = text(requester_client.get(url("detail", case)))
    assert case.reference in page
    assert factories.PROFILE["organisation"] in page
    assert factories.PROJECT["purpose"] in page
    assert "Services (test)" in page
    assert url("attachment_download", case, attachment_pk=case.attachments.get().pk) in page
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert re.findall(r'class="badge badge-(\w+)"', timeline) == ["draft", "received"]
    assert "request.submitted" not in timeline
    assert url("withdraw", case) in page
    assert url("delete", case) not in page


def test_detail_timeline_never_names_who_made_a_change(requester, requester_client, dataset):
    requester.first_name, requester.last_name = "Zoé", "Bergeron"
    requester.save()
    case = factories.make_request(requester=requester, status=Status.WITHDRAWN, dataset=dataset)
    page = text(requester_client.get(url("detail", case)))
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert re.findall(r'class="badge badge-(\w+)"', timeline) == ["draft", "received", "withdrawn"]
    assert "No longer needed" in timeline
    assert "Bergeron" not in timeline
    assert requester.email not in timeline


def test_detail_of_a_draft_offers_editing_and_deletion(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    page = text(requester_client.get(url("detail", case)))
    assert f'href="{url("profile", case)}"' in page
    assert f'href="{url("review", case)}"' in page
    assert f'href="{url("delete", case)}"' in page
    assert url("withdraw", case) not in page


def test_detail_of_an_incomplete_draft_lists_what_is_missing(requester_client):
    case = new_draft(requester_client)
    page = text(requester_client.get(url("detail", case)))
    assert "Before you can submit" in page
    assert "Add at least one table" in page


# --- Not yours: 404 everywhere --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("detail", "get"),
        ("profile", "get"),
        ("profile", "post"),
        ("project", "get"),
        ("data", "get"),
        ("specification_new", "get"),
        ("attachments", "get"),
        ("attachments", "post"),
        ("declarations", "get"),
        ("review", "get"),
        ("submit", "post"),
        ("acknowledgement", "get"),
        ("delete", "get"),
        ("delete", "post"),
        ("withdraw", "get"),
        ("withdraw", "post"),
    ],
)
def test_another_requesters_draft_is_404(requester, other_requester, dataset, name, method):
    case = complete_draft(requester, dataset)
    response = getattr(client_for(other_requester), method)(url(name, case), {"reason": "mine now"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == Status.DRAFT
    assert case.title == factories.PROJECT["title"]


@pytest.mark.parametrize("name", ["detail", "acknowledgement", "withdraw"])
def test_another_requesters_submitted_request_is_404(requester, other_requester, dataset, name):
    case = factories.make_request(requester=requester, dataset=dataset)
    client = client_for(other_requester)
    assert client.get(url(name, case)).status_code == 404
    assert client.post(url("withdraw", case), {"reason": "mine now"}).status_code == 404
    case.refresh_from_db()
    assert case.status == Status.RECEIVED


def test_unknown_request_is_404(requester_client):
    assert requester_client.get("/requests/999999/").status_code == 404


def test_request_id_beyond_the_database_range_is_404(requester_client):
    assert requester_client.get("/requests/99999999999999999999999/").status_code == 404


def test_non_numeric_request_id_is_not_routable(requester_client):
    assert requester_client.get("/requests/abc/").status_code == 404
    assert requester_client.get("/requests/1x/profile/").status_code == 404
    assert requester_client.get("/requests/-1/").status_code == 404


# --- Deleting a draft -------------------------------------------------------------------------


def test_delete_draft_asks_for_confirmation_then_deletes(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    response = requester_client.get(url("delete", case))
    assert response.status_code == 200
    assert "This cannot be undone." in text(response)
    assert DataRequest.objects.filter(pk=case.pk).exists()

    response = requester_client.post(url("delete", case))
    assert response.status_code == 302
    assert response.url == url("list")
    assert not DataRequest.objects.filter(pk=case.pk).exists()
    record = DataRequest.history.filter(id=case.pk).latest("history_date")
    assert (record.history_type, record.history_user_id) == ("-", requester.pk)
    assert not record.history_change_reason


def test_delete_of_a_submitted_request_is_refused(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    response = requester_client.post(url("delete", case), follow=True)
    assert response.redirect_chain[-1][0] == url("detail", case)
    assert "Only a draft can be deleted." in text(response)
    assert DataRequest.objects.filter(pk=case.pk, status=Status.RECEIVED).exists()


# --- Withdrawing a request ------------------------------------------------------------------


def test_withdraw_with_a_reason_withdraws_the_request(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    assert requester_client.get(url("withdraw", case)).status_code == 200
    response = requester_client.post(url("withdraw", case), {"reason": "The project lost its funding."})
    assert response.status_code == 302
    assert response.url == url("detail", case)
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    assert case.withdrawn_at is not None
    assert case.withdrawal_reason == "The project lost its funding."
    record = case.history.latest("history_date")
    assert record.history_user_id == requester.pk
    assert "The project lost its funding." in record.history_change_reason
    page = text(requester_client.get(url("detail", case)))
    assert "The project lost its funding." in page
    assert '<span class="badge badge-withdrawn">Withdrawn</span>' in page


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_withdraw_without_a_reason_is_refused(requester, requester_client, dataset, reason):
    case = factories.make_request(requester=requester, dataset=dataset)
    response = requester_client.post(url("withdraw", case), {"reason": reason})
    assert response.status_code == 200
    assert field_error(response, "id_reason") == "Reason for withdrawal: say why you withdraw the request."
    assert summary_links(response) == ["id_reason"]
    case.refresh_from_db()
    assert case.status == Status.RECEIVED


def test_withdraw_post_without_the_reason_key_is_refused(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    response = requester_client.post(url("withdraw", case), {})
    assert response.status_code == 200
    assert "say why" in field_error(response, "id_reason")


def test_withdraw_of_a_draft_is_not_offered(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    response = requester_client.post(url("withdraw", case), {"reason": "Changed my mind"}, follow=True)
    assert response.redirect_chain[-1][0] == url("detail", case)
    assert "cannot be withdrawn" in text(response)
    case.refresh_from_db()
    assert case.status == Status.DRAFT


def test_withdraw_twice_is_refused(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, status=Status.WITHDRAWN, dataset=dataset)
    response = requester_client.post(url("withdraw", case), {"reason": "Again"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.withdrawal_reason == "No longer needed"


def test_withdrawn_request_detail_offers_no_action(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, status=Status.WITHDRAWN, dataset=dataset)
    page = text(requester_client.get(url("detail", case)))
    assert url("withdraw", case) not in page
    assert url("delete", case) not in page
    assert url("profile", case) not in page


def test_acknowledgement_page_is_kept_after_submission(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    response = requester_client.get(url("acknowledgement", case))
    assert response.status_code == 200
    assert case.reference in text(response)
    assert "deemed to have refused access" in text(response)


def test_the_extension_notice_is_on_the_requesters_page_and_in_their_history(requester, dataset):
    """Access Act s. 47: the notice of extension is a legal notice; the requester reads it in the portal."""
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.UNDER_REVIEW)
    notice = "Processing within the time limit would unduly impede the agency's normal operations."
    services.deadline_extend(case=case, actor=case.assigned_to, days=10, notice=notice)
    page = client_for(requester).get(url("detail", case)).content.decode()
    assert notice.replace("'", "&#x27;") in re.search(r'<dd id="extension-notice">(.*?)</dd>', page, re.S).group(1)
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert "Time limit extended" in timeline and notice.replace("'", "&#x27;") in timeline
    assert case.assigned_to.email not in timeline
