"""Failed sign-ins are throttled per address and per (address, account), for a window only."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"


def sign_in(user, *, password: str = factories.PASSWORD, address: str = ATTACKER) -> Client:
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("account_login"), {"login": user.email, "password": password})
    return client


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_sign_ins(user, times: int, address: str = ATTACKER) -> None:
    for _ in range(times):
        assert not signed_in(sign_in(user, password="not-the-password", address=address))


@pytest.fixture
def later(monkeypatch):
    """Move allauth's rate-limit clock forward by ``seconds``."""

    def advance(seconds: float) -> None:
        real_time = time.time

        class Clock:
            monotonic = staticmethod(time.monotonic)
            sleep = staticmethod(time.sleep)

            @staticmethod
            def time() -> float:
                return real_time() + seconds

        monkeypatch.setattr("allauth.core.internal.ratelimit.time", Clock)

    return advance


def test_failed_sign_ins_lock_that_account_from_that_address(requester):
    fail_sign_ins(requester, 5)

    client = sign_in(requester)

    assert not signed_in(client)


def test_lockout_page_says_why(requester):
    fail_sign_ins(requester, 5)
    client = Client(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(reverse("account_login"), {"login": requester.email, "password": factories.PASSWORD})

    assert "Too many failed login attempts" in response.content.decode()


def test_attacker_cannot_lock_the_owner_out_from_elsewhere(requester):
    fail_sign_ins(requester, 5)

    assert signed_in(sign_in(requester, address=OWNER))


def test_another_user_still_signs_in_from_the_attackers_address(requester, other_requester):
    fail_sign_ins(requester, 5)

    assert signed_in(sign_in(other_requester))


def test_failures_across_accounts_block_the_address_not_everyone(requester, other_requester):
    victims = [factories.make_user() for _ in range(5)]
    for victim in victims:
        fail_sign_ins(victim, 2)

    assert not signed_in(sign_in(other_requester))
    assert signed_in(sign_in(other_requester, address=OWNER))


def test_lock_ends_after_the_window(requester, later):
    fail_sign_ins(requester, 5)
    assert not signed_in(sign_in(requester))

    later(15 * 60 + 1)

    assert signed_in(sign_in(requester))


def test_successful_sign_in_does_not_count_as_a_failure(requester):
    for _ in range(6):
        assert signed_in(sign_in(requester))
