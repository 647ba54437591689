"""Staff sessions end after a period without a request, and with the browser; requesters keep the default."""

import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from portal.middleware import StaffSessionIdleMiddleware, staff_activity_key
from tests.security.conftest import client_for

pytestmark = pytest.mark.django_db


def activity_key(client) -> str:
    request = type("Request", (), {"session": client.session})()
    return staff_activity_key(request)


def test_staff_session_expires_after_the_idle_delay(settings, officer, filed_case):
    settings.STAFF_SESSION_IDLE_SECONDS = 1
    client = client_for(officer)
    case_url = reverse("workspace:case", kwargs={"pk": filed_case.pk})
    assert client.get(case_url).status_code == 200

    time.sleep(1.5)
    response = client.get(case_url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"])
    assert "Your session ended after a period of inactivity." in login_page.content.decode()


def test_staff_session_lasts_while_they_work(settings, monkeypatch, officer):
    settings.STAFF_SESSION_IDLE_SECONDS = 2
    monkeypatch.setattr(StaffSessionIdleMiddleware, "RESOLUTION", 0)
    client = client_for(officer)
    queue = reverse("workspace:queue")

    for _ in range(3):
        time.sleep(1.2)
        assert client.get(queue).status_code == 200  # each request renews the idle delay

    time.sleep(2.5)
    assert client.get(queue).status_code == 302


def test_emptied_cache_ends_staff_sessions(officer):
    client = client_for(officer)
    cache.delete(activity_key(client))

    assert client.get(reverse("workspace:queue")).status_code == 302


def test_staff_session_ends_with_the_browser(officer):
    client = client_for(officer)

    assert client.get(reverse("workspace:queue")).status_code == 200
    assert client.session.get_expire_at_browser_close()


def test_staff_session_survives_a_new_session_key(officer):
    client = client_for(officer)
    session = client.session
    session.cycle_key()
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key

    assert client.get(reverse("workspace:queue")).status_code == 200


def test_requester_session_keeps_the_default_length(requester, filed_case):
    client = client_for(requester)
    cache.clear()

    assert client.get(reverse("requests_app:detail", kwargs={"pk": filed_case.pk})).status_code == 200
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert not client.session.get_expire_at_browser_close()


def test_unreachable_cache_ends_no_staff_session(monkeypatch, officer):
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = client_for(officer)

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(cache, "incr", unreachable)

    assert client.get(reverse("workspace:queue")).status_code == 200
