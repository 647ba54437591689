import time

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from rest_framework.test import APIClient

from portal import tokens
from portal.models import ApiTokenScope
from tests.requests_app.pages import speak_english


def token_client(user, *, scope: str = ApiTokenScope.WRITE) -> APIClient:
    """An API client sending a fresh personal access token of ``user``."""
    _token, secret = tokens.api_token_create(user=speak_english(user), name="tests", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api(requester) -> APIClient:
    return token_client(requester)


@pytest.fixture
def other_api(other_requester) -> APIClient:
    return token_client(other_requester)


def session_client(user, *, mfa: bool = True) -> APIClient:
    """A browser session of ``user``; with ``mfa``, one whose sign-in went through the second factor."""
    client = APIClient()
    client.force_login(speak_english(user))
    if mfa:
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "type": "totp", "at": time.time()}]
        session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
        session.save()
    return client
