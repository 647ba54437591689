"""Cross-cutting request handling: the user's language, staff MFA and staff session expiry."""

import logging
import time
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import get_random_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

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


#: Session key of the token that names a staff session's activity key in the cache (it survives
#: the session key's changes, at a password change for example).
ACTIVITY_SESSION_KEY = "portal_activity"


def staff_activity_key(request) -> str | None:
    token = request.session.get(ACTIVITY_SESSION_KEY)
    return f"portal:staff-active:{token}" if token else None


def staff_session_started(sender, request, user, **kwargs) -> None:
    """At sign-in (``user_logged_in``): a staff session starts its idle clock and ends with the browser."""
    if must_use_mfa(user):
        request.session.set_expiry(0)
        request.session[ACTIVITY_SESSION_KEY] = get_random_string(32)
        cache.set(staff_activity_key(request), int(time.time()), settings.STAFF_SESSION_IDLE_SECONDS)


#: The answer of ``_last_activity`` when the cache cannot be reached.
UNKNOWN = object()


def _last_activity(key: str | None):
    """When the session was last active (epoch seconds), ``None`` if not within the idle delay, or ``UNKNOWN``.

    ``incr(key, 0)`` reads the value and, unlike ``get`` on the resilient cache
    (``portal.cache``), tells a missing key (``ValueError``) from an unreachable
    Redis (``RedisError``/``OSError``).
    """
    if key is None:
        return None
    try:
        return cache.incr(key, 0)
    except ValueError:
        return None
    except (RedisError, OSError) as error:
        logger.warning("Cache unreachable: staff idle sessions are not ended meanwhile: %s", error)
        return UNKNOWN


class StaffSessionIdleMiddleware:
    """A staff session ends after ``STAFF_SESSION_IDLE_SECONDS`` without a request.

    Activity is a key in the shared cache that lives that long and each request
    renews (at most once a minute): no database write per request. When it is
    gone (idle too long, or the cache was emptied) the next request signs the
    person out and sends them to the sign-in page, which brings them back where
    they were going. While Redis cannot be reached, sessions are not ended (the
    portal stays usable; the second factor and the browser-bound cookie remain).
    Staff session cookies end with the browser (``staff_session_started``).
    Requesters keep the default session length.
    """

    #: Seconds between two renewals of the activity key.
    RESOLUTION = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and must_use_mfa(user):
            key = staff_activity_key(request)
            last_seen = _last_activity(key)
            if last_seen is None:
                logout(request)
                messages.info(request, _("Your session ended after a period of inactivity. Sign in again."))
                return redirect_to_login(request.get_full_path(), reverse(settings.LOGIN_URL))
            now = int(time.time())
            if last_seen is not UNKNOWN and now - last_seen > self.RESOLUTION:
                cache.set(key, now, settings.STAFF_SESSION_IDLE_SECONDS)
        return self.get_response(request)
