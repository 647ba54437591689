"""Reads of protected data are logged: who, when, which page and object, from where."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import get_resolver, reverse

from portal.audit import AUDITED_VIEWS
from portal.models import AccessLog
from portal.roles import Role
from tests import factories
from tests.security.conftest import client_for
from tests.security.test_post_rate_limits import _view_names

pytestmark = pytest.mark.django_db


def test_officer_reading_a_case_page_writes_one_row(officer, filed_case):
    client = client_for(officer, HTTP_USER_AGENT="Browser/1.0 " + "x" * 400, REMOTE_ADDR="192.0.2.10")

    response = client.get(reverse("workspace:case", kwargs={"pk": filed_case.pk}))

    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert entry.user == officer
    assert entry.view_name == "workspace:case"
    assert (entry.object_type, entry.object_id) == ("requests_app.datarequest", str(filed_case.pk))
    assert entry.path == f"/workspace/cases/{filed_case.pk}/"
    assert entry.client_ip == "192.0.2.10"
    assert entry.user_agent.startswith("Browser/1.0 ") and len(entry.user_agent) == 300


def test_requester_reading_their_own_request_is_logged_too(requester, filed_case):
    client_for(requester).get(reverse("requests_app:detail", kwargs={"pk": filed_case.pk}))

    entry = AccessLog.objects.get()
    assert (entry.user, entry.view_name, entry.object_id) == (requester, "requests_app:detail", str(filed_case.pk))


def test_page_that_is_not_yours_logs_nothing(other_requester, filed_case):
    response = client_for(other_requester).get(reverse("requests_app:detail", kwargs={"pk": filed_case.pk}))

    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_attachment_download_is_logged_with_the_document(requester, filed_case):
    attachment = filed_case.attachments.get()

    response = client_for(requester).get(
        reverse("requests_app:attachment_download", kwargs={"pk": filed_case.pk, "attachment_pk": attachment.pk})
    )

    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.object_type, entry.object_id) == ("requests_app.attachment", str(attachment.pk))


def test_posts_and_unlisted_pages_log_nothing(requester, filed_case):
    client = client_for(requester)
    client.get(reverse("requests_app:list"))
    client.post(reverse("requests_app:message", kwargs={"pk": filed_case.pk}), {"body": "Hello"})

    assert not AccessLog.objects.exists()


def test_every_audited_page_exists():
    assert set(AUDITED_VIEWS) <= _view_names(get_resolver())


def test_auditor_may_read_the_access_log_in_the_admin(officer, filed_case):
    client_for(officer).get(reverse("workspace:case", kwargs={"pk": filed_case.pk}))
    auditor = factories.make_user(role=Role.AUDITOR, is_staff=True)
    client = client_for(auditor)

    listing = client.get(reverse("admin:portal_accesslog_changelist"))
    entry = AccessLog.objects.get(view_name="workspace:case")
    page = client.get(reverse("admin:portal_accesslog_change", args=[entry.pk]))

    assert listing.status_code == 200
    assert officer.email in listing.content.decode()
    assert page.status_code == 200
    assert client.get(reverse("admin:portal_accesslog_add")).status_code == 403
    assert client.post(reverse("admin:portal_accesslog_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AccessLog.objects.filter(pk=entry.pk).exists()


def test_only_the_auditor_role_reads_the_access_log():
    holders = set(
        Group.objects.filter(
            permissions__codename="view_accesslog", permissions__content_type__app_label="portal"
        ).values_list("name", flat=True)
    )

    assert holders == {Role.AUDITOR.value}


def test_anonymous_visitor_is_sent_to_sign_in_and_logs_nothing(filed_case):
    response = Client().get(reverse("requests_app:detail", kwargs={"pk": filed_case.pk}))

    assert response.status_code == 302
    assert not AccessLog.objects.exists()
