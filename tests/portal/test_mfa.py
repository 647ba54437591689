"""Staff are held to TOTP: enrolment is forced, and the code is asked at every login."""

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import is_mfa_enabled
from django.test import Client
from django.urls import reverse

from portal.adapters import MFAAdapter
from portal.middleware import MFA_NEXT_SESSION_KEY
from portal.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """allauth marks used TOTP codes in the cache: each test gets an empty one of its own."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


def current_code(secret: str = factories.TOTP_SECRET) -> str:
    return factories.totp_code(secret)


def wrong_code(secret: str = factories.TOTP_SECRET) -> str:
    """A code valid in none of the time steps allauth could accept around now."""
    totp = pyotp.TOTP(secret)
    now = datetime.now(tz=UTC)
    valid = {totp.at(now + timedelta(seconds=totp.interval * step)) for step in range(-2, 3)}
    return next(code for code in (f"{n:06d}" for n in range(123456, 10**6)) if code not in valid)


def password_login(client: Client, user) -> object:
    return client.post(reverse("account_login"), {"login": user.email, "password": factories.PASSWORD})


def is_authenticated(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_staff_login_asks_for_code_before_authenticating():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    client = Client()

    response = password_login(client, officer)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert not is_authenticated(client)
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()
    assert client.get(reverse("home")).context["user"].is_anonymous


def test_staff_login_with_valid_code_authenticates():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    client = Client()
    password_login(client, officer)

    response = client.post(reverse("mfa_authenticate"), {"code": current_code()})

    assert response.status_code == 302
    assert is_authenticated(client)
    assert int(client.session["_auth_user_id"]) == officer.pk
    assert client.get(reverse("home")).status_code == 200


def test_staff_login_with_wrong_code_is_refused():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    password_login(client, officer)

    response = client.post(reverse("mfa_authenticate"), {"code": wrong_code()})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'id="id_code_error"' in html
    assert not is_authenticated(client)


def test_totp_code_cannot_be_used_twice():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    code = current_code()
    first = Client()
    password_login(first, officer)
    first.post(reverse("mfa_authenticate"), {"code": code})
    second = Client()
    password_login(second, officer)

    response = second.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert not is_authenticated(second)


@pytest.mark.parametrize("path", ["/", "/requests/", "/admin/", "/admin/stats_app/dataset/"])
def test_staff_without_totp_is_redirected_to_enrolment_from_any_page(path):
    lead = factories.make_user(role=Role.ACCESS_LEAD, mfa=False, is_staff=True)
    client = Client()
    client.force_login(lead)

    response = client.get(path)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("mfa_activate_totp")
    assert parse_qs(location.query)["next"] == [path]
    assert client.session[MFA_NEXT_SESSION_KEY] == path


def test_staff_without_totp_cannot_post_around_enrolment():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, mfa=False)
    client = Client()
    client.force_login(officer)

    response = client.post("/requests/", {"anything": "x"})

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_enrolment_redirect_keeps_no_off_site_next():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, mfa=False)
    client = Client()
    client.force_login(officer)

    # The path is //evil.example/, which a browser would read as another site.
    response = client.get("/%2F%2Fevil.example/")

    assert response["Location"] == reverse("mfa_activate_totp")
    assert MFA_NEXT_SESSION_KEY not in client.session


def test_staff_with_is_staff_flag_only_is_held_to_mfa():
    user = factories.make_user(role=Role.REQUESTER, is_staff=True)
    client = Client()
    client.force_login(user)

    assert client.get("/admin/")["Location"].startswith(reverse("mfa_activate_totp"))


def test_requester_is_not_asked_to_enrol():
    client = Client()
    client.force_login(factories.make_user())

    response = client.get(reverse("home"))

    assert response["Location"] == reverse("requests_app:list")


def test_staff_enrols_totp_after_login_and_returns_where_they_were_going():
    checker = factories.make_user(role=Role.OUTPUT_CHECKER, mfa=False, language="en")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    password_login(client, checker)
    assert is_authenticated(client)

    redirected = client.get("/requests/")
    # allauth asks for the password again before adding an authenticator, then comes back.
    reauthenticate = client.get(redirected["Location"])
    assert reauthenticate["Location"].startswith(reverse("account_reauthenticate"))
    confirm_page = client.get(reauthenticate["Location"])
    assert "To set up two-factor authentication, first confirm your password." in confirm_page.content.decode()
    confirmed = client.post(
        reauthenticate["Location"], {"password": factories.PASSWORD, "next": redirected["Location"]}
    )
    page = client.get(confirmed["Location"])

    assert page.status_code == 200
    html = page.content.decode()
    assert "Two-factor authentication is required for your account." in html
    secret = page.context["form"].secret
    activated = client.post(reverse("mfa_activate_totp"), {"code": factories.totp_code(secret)})
    assert activated.status_code == 302
    assert is_mfa_enabled(checker, [Authenticator.Type.TOTP])
    codes = client.get(activated["Location"])
    assert codes.status_code == 200
    assert 'href="/requests/"' in codes.content.decode()
    assert client.get("/requests/").status_code == 200


def test_staff_cannot_deactivate_totp():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    authenticator = Authenticator.objects.get(user=officer, type=Authenticator.Type.TOTP)

    assert MFAAdapter().can_delete_authenticator(authenticator) is False


def test_requester_may_deactivate_their_own_totp():
    requester = factories.make_user()
    authenticator = TOTP.activate(requester, factories.TOTP_SECRET).instance

    assert MFAAdapter().can_delete_authenticator(authenticator) is True


def test_deactivation_page_refuses_staff_when_adapter_is_configured(settings):
    settings.MFA_ADAPTER = "portal.adapters.MFAAdapter"
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    client = Client()
    password_login(client, officer)
    client.post(reverse("mfa_authenticate"), {"code": current_code()})
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})

    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    assert is_mfa_enabled(officer, [Authenticator.Type.TOTP])


def test_admin_sign_in_goes_through_the_second_factor():
    lead = factories.make_user(role=Role.ACCESS_LEAD, is_staff=True)
    client = Client()

    to_login = client.get(reverse("admin:index"), follow=True).redirect_chain[-1][0]
    assert to_login.startswith(reverse("account_login"))
    next_url = parse_qs(urlsplit(to_login).query)["next"][0]
    response = client.post(
        reverse("account_login"), {"login": lead.email, "password": factories.PASSWORD, "next": next_url}
    )

    # The password alone opens nothing, the admin included.
    assert response["Location"] == reverse("mfa_authenticate")
    assert not is_authenticated(client)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))
    signed_in = client.post(reverse("mfa_authenticate"), {"code": current_code()})
    assert is_authenticated(client)
    assert urlsplit(signed_in["Location"]).path.startswith(reverse("admin:index"))
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.PRIVACY_OFFICER, "workspace:queue"),
        (Role.ACCESS_LEAD, "workspace:queue"),
        (Role.AUDITOR, "workspace:queue"),
        (Role.OUTPUT_CHECKER, "outputs:queue"),
        (Role.DATA_CUSTODIAN, "consultations:list"),
    ],
)
def test_staff_land_on_their_own_work_after_signing_in(role, landing):
    client = Client()
    password_login(client, factories.make_user(role=role))
    response = client.post(reverse("mfa_authenticate"), {"code": current_code()})
    assert response["Location"] == reverse(landing)


def test_a_requester_lands_on_their_requests_after_signing_in():
    client = Client()
    response = password_login(client, factories.make_user())
    assert response["Location"] == reverse("requests_app:list")
