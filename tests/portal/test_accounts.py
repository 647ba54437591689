"""Accounts: sign-up with a verified e-mail, the portal's look, both languages."""

import re
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.models import User
from portal.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "un-mot-de-passe-solide-2026"


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """allauth keeps rate limits in the cache: each test gets an empty one of its own."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


def sign_up(client: Client, email: str, **extra):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}, **extra
    )


def log_in(client: Client, email: str, password: str = NEW_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def confirmation_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_creates_requester_and_sends_confirmation_link():
    client = Client()

    response = sign_up(client, "Ada@Example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="ada@example.org")
    assert user.has_role(Role.REQUESTER)
    assert not user.is_staff and not user.is_superuser
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.org"]
    assert confirmation_path(mail.outbox[0])


def test_login_before_confirmation_does_not_give_access():
    sign_up(Client(), "bea@example.org")
    client = Client()

    response = log_in(client, "bea@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("requests_app:list"))["Location"].startswith(reverse("account_login"))


def test_confirmation_link_confirms_then_login_reaches_requests():
    sign_up(Client(), "cleo@example.org")
    path = confirmation_path(mail.outbox[0])
    client = Client()

    page = client.get(path)
    assert page.status_code == 200
    assert b"cleo@example.org" in page.content
    confirmed = client.post(path)

    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="cleo@example.org").verified
    response = log_in(client, "cleo@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:list")
    assert client.get(response["Location"]).status_code == 200


def test_signup_in_english_stores_language_en():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    sign_up(client, "dan@example.org")

    assert User.objects.get(email="dan@example.org").language == "en"


def test_signup_in_french_stores_language_fr():
    client = Client(HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9")

    sign_up(client, "eve@example.org")

    assert User.objects.get(email="eve@example.org").language == "fr"


def test_signup_errors_are_shown_next_to_fields_and_in_summary_keeping_input():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(
        reverse("account_signup"),
        {"email": "fay@example.org", "password1": NEW_PASSWORD, "password2": "something-else-entirely"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html
    # The summary links to the field; the field carries its own error, referenced by the input.
    assert 'href="#id_password2"' in html
    assert 'id="id_password2_error"' in html
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_password2"|id="id_password2"[^>]*aria-invalid', html)
    assert 'value="fay@example.org"' in html
    assert not User.objects.filter(email="fay@example.org").exists()


def test_login_error_is_in_summary_and_in_french_by_default():
    factories.make_user(email="gil@example.org")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")

    response = log_in(client, "gil@example.org", password="not-the-password")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert 'class="error-summary"' in html
    assert "Connexion" in html  # allauth's own French
    assert 'value="gil@example.org"' in html


def test_account_pages_use_the_portal_layout():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    for name in ("account_login", "account_signup", "account_reset_password", "account_email_verification_sent"):
        html = client.get(reverse(name)).content.decode()
        assert 'class="skip-link"' in html, name
        assert 'class="site-header"' in html, name
        assert "/static/css/portal." in html, name
        assert 'class="site-footer"' in html, name


def test_password_reset_sends_link_to_known_address():
    factories.make_user(email="hal@example.org")
    client = Client()

    response = client.post(reverse("account_reset_password"), {"email": "hal@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_email_page_for_signed_in_user_shows_account_menu():
    user = factories.make_user()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    html = client.get(reverse("account_email")).content.decode()

    assert 'class="side-nav"' in html
    assert user.email in html
    assert reverse("mfa_index") in html


def test_home_explains_the_service_to_visitors():
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("home")).content.decode()

    assert reverse("account_signup") in html
    assert reverse("account_login") in html
    assert "20 calendar days" in html


def test_home_sends_signed_in_requester_to_their_requests():
    client = Client()
    client.force_login(factories.make_user())

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("requests_app:list")
