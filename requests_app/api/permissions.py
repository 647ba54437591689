"""Who may call an endpoint at all. Rules about one case stay in ``requests_app.permissions``."""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from portal.middleware import SECOND_FACTORS
from portal.models import ApiToken, ApiTokenScope


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class TokenScope(permissions.BasePermission):
    """A read token reads; writing (any unsafe method) needs a write token. Sessions are not scoped."""

    message = _("This token is read-only: writing needs a token with the write scope.")

    def has_permission(self, request, view):
        token = token_of(request)
        return token is None or request.method in permissions.SAFE_METHODS or token.scope == ApiTokenScope.WRITE


def session_passed_mfa(request) -> bool:
    """A browser session whose sign-in went through the second factor (allauth records each step)."""
    user = request.user
    if token_of(request) is not None or not is_mfa_enabled(user, SECOND_FACTORS):
        return False
    return any(record.get("method") == "mfa" for record in get_authentication_records(request._request, user))


class StaffWithMFASession(permissions.BasePermission):
    """Agency staff, in a session that passed MFA: a token cannot prove the second factor."""

    message = _("Staff queues need a session signed in with two-factor authentication; tokens are refused.")

    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and request.user.is_agency_staff and session_passed_mfa(request))
