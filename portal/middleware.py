"""Cross-cutting request handling: the user's language and staff MFA."""

from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

#: Session key under which StaffMFAMiddleware keeps the page a staff member was
#: going to, so the enrolment pages can offer the way back.
MFA_NEXT_SESSION_KEY = "portal_mfa_next"

#: A second factor proper; recovery codes alone do not count.
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def must_use_mfa(user) -> bool:
    """Staff roles, superusers and anyone who may open the admin are held to MFA."""
    return bool(user.is_authenticated and (user.is_staff or user.is_agency_staff))


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class StaffMFAMiddleware:
    """Staff (every role but requester) must enrol TOTP before doing anything else.

    allauth then asks for the code at every login, the admin's included (its
    login goes through allauth, see ``portal/urls.py``). Until they have
    enrolled, every page but the account pages (where enrolment, re-authentication
    and sign-out live) sends them to the enrolment page, which explains why.
    Any method is caught, so no form can be posted around the rule; only a
    GET's page is remembered as the place to come back to.
    """

    #: Pages a staff member without MFA may still reach: allauth (enrolment,
    #: re-authentication, logout), the language switch, the health check, static files.
    ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response
        self.allowed_prefixes = (*self.ALLOWED_PREFIXES, settings.STATIC_URL)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and must_use_mfa(user)
            and not request.path_info.startswith(self.allowed_prefixes)
            and not is_mfa_enabled(user, SECOND_FACTORS)
        ):
            return self.redirect_to_enrolment(request)
        return self.get_response(request)

    def redirect_to_enrolment(self, request) -> HttpResponseRedirect:
        url = reverse("mfa_activate_totp")
        next_url = request.get_full_path()
        if request.method in ("GET", "HEAD") and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            request.session[MFA_NEXT_SESSION_KEY] = next_url
            url = f"{url}?{urlencode({'next': next_url})}"
        return HttpResponseRedirect(url)
