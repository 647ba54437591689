"""Uploaded and generated files are never served by the static server, only by permission-checked views."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.models import AccessLog
from tests.security.conftest import client_for

pytestmark = pytest.mark.django_db


def test_private_files_live_outside_every_folder_the_static_server_reads():
    private = Path(settings.PRIVATE_FILES_ROOT).resolve()
    for folder in (settings.STATIC_ROOT, *settings.STATICFILES_DIRS):
        assert not private.is_relative_to(Path(folder).resolve())
    assert settings.STORAGES["default"]["OPTIONS"]["base_url"] is None


def test_uploaded_attachment_is_not_reachable_by_any_static_address(requester, filed_case):
    attachment = filed_case.attachments.get()
    stored = Path(settings.PRIVATE_FILES_ROOT) / attachment.file.name
    assert stored.is_file()
    client = client_for(requester)

    for prefix in ("/static/", "/media/", "/", "/static/private/", "/var/private/"):
        assert client.get(prefix + attachment.file.name).status_code == 404, prefix


def test_attachment_of_someone_else_answers_404_and_is_not_logged(other_requester, filed_case):
    attachment = filed_case.attachments.get()
    url = reverse("requests_app:attachment_download", kwargs={"pk": filed_case.pk, "attachment_pk": attachment.pk})

    assert client_for(other_requester).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert not AccessLog.objects.exists()


def test_attachment_download_is_private_and_not_cached(requester, filed_case):
    attachment = filed_case.attachments.get()
    url = reverse("requests_app:attachment_download", kwargs={"pk": filed_case.pk, "attachment_pk": attachment.pk})

    response = client_for(requester).get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"] or "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
