"""allauth adaptations.

- New accounts are requesters, in the language they signed up in.
- Staff cannot switch their second factor off (``MFA_ADAPTER``).
- Failed sign-ins are counted per account *and address* (``ACCOUNT_RATE_LIMITS``).
- Staff land on their own work after signing in (``LANDING_PAGES``), requesters on their requests.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.translation import get_language

from portal.middleware import must_use_mfa
from portal.roles import Role

#: Where each role lands after signing in, first match first (a requester lands on their requests).
LANDING_PAGES = (
    (Role.ACCESS_LEAD, "workspace:queue"),
    (Role.PRIVACY_OFFICER, "workspace:queue"),
    (Role.AUDITOR, "workspace:queue"),
    (Role.OUTPUT_CHECKER, "outputs:queue"),
    (Role.DATA_CUSTODIAN, "consultations:list"),
)


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request) -> str:
        """Staff land on their own work (the workspace, the outputs to check, the consultations)."""
        user = request.user
        for role, page in LANDING_PAGES:
            if user.has_role(role):
                return reverse(page)
        if user.is_authenticated and not user.is_agency_staff:
            return reverse("requests_app:list")
        return super().get_login_redirect_url(request)

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        language = (get_language() or "fr")[:2]
        user.language = language if language in ("fr", "en") else "fr"
        # A public sign-up is a requester's, never a door to the admin.
        user.is_staff = False
        user.is_superuser = False
        if commit:
            user.save()
            user.groups.add(Group.objects.get(name=Role.REQUESTER))
        return user

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The account's failed sign-ins are counted from each address apart.

        allauth counts them per account from anywhere, so anyone could lock a
        person out by failing on purpose; per address, an attacker locks out
        only themselves, and the per-address limit still caps guessing.
        """
        return f"{self.get_client_ip(request)}:{super()._get_login_attempts_cache_key(request, **credentials)}"


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff must keep their authenticator app; requesters may remove theirs."""
        if authenticator.type == Authenticator.Type.TOTP and must_use_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
