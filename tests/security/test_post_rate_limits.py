"""Submissions and messages are rate limited per user; a refused POST loses nothing written."""

import time

import pytest
from django.urls import reverse

from requests_app.models import DataRequest, Message
from tests.security.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def later(monkeypatch):
    def advance(seconds: float) -> None:
        real_time = time.time
        monkeypatch.setattr("portal.ratelimit.time.time", lambda: real_time() + seconds)

    return advance


def post_message(client, case, body: str):
    return client.post(reverse("requests_app:message", kwargs={"pk": case.pk}), {"body": body})


def test_messages_beyond_the_limit_get_a_429_that_shows_the_text_back(settings, requester, filed_case):
    settings.POST_RATE_LIMITS = {"requests_app:message": (2, 600)}
    client = client_for(requester)
    assert post_message(client, filed_case, "First message").status_code == 302
    assert post_message(client, filed_case, "Second message").status_code == 302

    response = post_message(client, filed_case, "Third message, <kept> & shown")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    html = response.content.decode()
    assert "Try again in" in html
    assert "Third message, &lt;kept&gt; &amp; shown" in html
    assert Message.objects.filter(request=filed_case, body__startswith="Third").count() == 0
    assert Message.objects.filter(request=filed_case).count() == 2


def test_limit_is_per_user(settings, requester, other_requester, officer, filed_case):
    settings.POST_RATE_LIMITS = {"requests_app:message": (1, 600), "workspace:message": (1, 600)}
    post_message(client_for(requester), filed_case, "Mine")

    staff = client_for(officer)
    response = staff.post(reverse("workspace:message", kwargs={"pk": filed_case.pk}), {"message-body": "Ours"})

    assert response.status_code == 302


def test_limit_ends_with_its_window(settings, requester, filed_case, later):
    settings.POST_RATE_LIMITS = {"requests_app:message": (1, 600)}
    client = client_for(requester)
    post_message(client, filed_case, "First")
    assert post_message(client, filed_case, "Too soon").status_code == 429

    later(601)

    assert post_message(client, filed_case, "Later").status_code == 302


def test_new_drafts_are_rate_limited(settings, requester):
    settings.POST_RATE_LIMITS = {"requests_app:create": (3, 3600)}
    client = client_for(requester)
    statuses = [client.post(reverse("requests_app:create")).status_code for _ in range(4)]

    assert statuses == [302, 302, 302, 429]
    assert DataRequest.objects.filter(requester=requester).count() == 3


def test_submission_is_rate_limited_and_the_draft_kept(settings, requester):
    from requests_app.models import Status
    from tests import factories

    settings.POST_RATE_LIMITS = {"requests_app:submit": (0, 3600)}
    draft = factories.make_request(requester=requester, status=Status.DRAFT)

    response = client_for(requester).post(reverse("requests_app:submit", kwargs={"pk": draft.pk}))

    assert response.status_code == 429
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.title == factories.PROJECT["title"]


def test_pages_are_not_limited(settings, requester, filed_case):
    settings.POST_RATE_LIMITS = {"requests_app:detail": (0, 600)}
    client = client_for(requester)

    assert client.get(reverse("requests_app:detail", kwargs={"pk": filed_case.pk})).status_code == 200


def test_default_limits_name_real_pages():
    from django.conf import settings
    from django.urls import get_resolver

    names = _view_names(get_resolver())
    assert set(settings.POST_RATE_LIMITS) <= names


def _view_names(resolver, namespace: str = "") -> set[str]:
    from django.urls import URLResolver

    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _view_names(pattern, inner)
        elif pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names
