"""Personal access tokens: made on the profile page, shown once, hashed at rest, scoped, expiring, revocable."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal import tokens
from portal.models import ApiToken, ApiTokenScope
from portal.roles import Role
from tests import factories
from tests.api.conftest import token_client
from tests.requests_app.pages import client_for, text

pytestmark = pytest.mark.django_db
REQUESTS = reverse("api:request-list")


def bearer(secret: str) -> APIClient:
    client = APIClient()
    # A refused token names no one: its answer is in the language the client asks for.
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_token_page_shows_the_secret_once_and_keeps_only_its_hash(requester):
    client = client_for(requester)
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(reverse("api_tokens"), {"name": "scripts", "scope": "write", "expires_on": expires})
    assert response.status_code == 200
    secret = re.search(r'<code id="token-secret">([^<]+)</code>', text(response)).group(1)
    token = ApiToken.objects.get(user=requester)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8]
    assert secret not in str(list(ApiToken.objects.values()))
    assert secret not in str(list(ApiToken.history.values()))
    again = client.get(reverse("api_tokens"))
    assert secret not in text(again)
    assert token.prefix in text(again)
    assert bearer(secret).get(REQUESTS).status_code == 200


def test_token_page_refuses_an_expiry_beyond_a_year(requester):
    client = client_for(requester)
    too_late = (timezone.localdate() + timedelta(days=400)).isoformat()
    response = client.post(reverse("api_tokens"), {"name": "x", "scope": "read", "expires_on": too_late})
    assert "at most 365 days" in text(response)
    assert not ApiToken.objects.exists()


def test_token_page_revokes_with_a_post_and_the_token_stops_working(requester):
    token, secret = tokens.api_token_create(user=requester, name="x", scope="read")
    response = client_for(requester).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    answer = bearer(secret).get(REQUESTS)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "This token was revoked."}
    assert token.history.count() == 2  # made, revoked


def test_token_of_someone_else_cannot_be_revoked(requester, other_requester):
    token, _secret = tokens.api_token_create(user=other_requester, name="x", scope="read")
    response = client_for(requester).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_staff_cannot_make_tokens(db):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    client = client_for(officer)
    assert "API tokens are for requester accounts" in text(client.get(reverse("api_tokens")))
    response = client.post(reverse("api_tokens"), {"name": "x", "scope": "read", "expires_on": "2099-01-01"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_expired_token_is_refused_with_a_clear_401(requester):
    now = timezone.now()
    _token, secret = tokens.api_token_create(
        user=requester, name="x", scope="read", now=now - timedelta(days=10), expires_at=now - timedelta(days=1)
    )
    response = bearer(secret).get(REQUESTS)
    assert response.status_code == 401
    assert response.json() == {"detail": "This token has expired."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_and_anonymous_are_401(db):
    assert bearer("dap_nothing").get(REQUESTS).status_code == 401
    response = APIClient().get(REQUESTS)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response


def test_read_token_cannot_write(requester):
    client = token_client(requester, scope=ApiTokenScope.READ)
    assert client.get(REQUESTS).status_code == 200
    response = client.post(REQUESTS, {"title": "x"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not requester.data_requests.exists()


def test_last_use_is_recorded_at_most_once_a_minute(requester):
    token, secret = tokens.api_token_create(user=requester, name="x", scope="read")
    assert token.last_used_at is None
    bearer(secret).get(REQUESTS)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    bearer(secret).get(REQUESTS)
    token.refresh_from_db()
    assert token.last_used_at == first
    later = tokens.api_token_authenticate(secret, now=first + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == later.last_used_at > first
    assert token.history.count() == 1  # uses are not history


def test_a_staff_members_token_is_refused(requester):
    _token, secret = tokens.api_token_create(user=requester, name="x", scope="read")
    requester.groups.add(factories.Group.objects.get(name=Role.PRIVACY_OFFICER.value))
    response = bearer(secret).get(REQUESTS)
    assert response.status_code == 401
