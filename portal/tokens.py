"""Personal access tokens of the REST API: made, revoked and checked here, and nowhere else.

A token's secret is ``dap_`` and 43 random URL-safe characters. It is shown once, when it is made;
the database keeps its SHA-256 digest (a lookup by digest: the secret is long and random, so no
slow hash is needed) and its first 8 characters, which the profile page lists.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import ApiToken, ApiTokenScope

SECRET_PREFIX = "dap_"  # noqa: S105 (the visible start of every secret, not a secret)
PREFIX_LENGTH = 8
#: ``last_used_at`` is written at most once per this many seconds per token: no write on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class TokenRefused(Exception):
    """A secret that opens nothing: unknown, expired or revoked (the message says which, in the user's words)."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def user_can_hold_tokens(user) -> bool:
    """Tokens are for requesters: staff pages and queues need a session that passed MFA, which a token cannot show."""
    return user.is_authenticated and user.is_active and not user.is_agency_staff


def default_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)


def latest_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(days=settings.API_TOKEN_MAX_DAYS)


@transaction.atomic
def api_token_create(
    *, user, name: str, scope: str, expires_at: datetime | None = None, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it with its secret, which is never stored and cannot be read again."""
    if not user_can_hold_tokens(user):
        raise PermissionDenied(_("API tokens are for requester accounts."))
    now = now or timezone.now()
    expires_at = expires_at or default_expiry(now)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name: say what the token is for.")})
    if scope not in ApiTokenScope.values:
        raise ValidationError({"scope": _("Scope: choose read or write.")})
    if expires_at <= now:
        raise ValidationError({"expires_on": _("Expiry: choose a date after today.")})
    if expires_at > latest_expiry(now) + timedelta(days=1):
        raise ValidationError(
            {"expires_on": _("Expiry: a token lasts at most %(days)d days.") % {"days": settings.API_TOKEN_MAX_DAYS}}
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:100],
        scope=scope,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=digest(secret),
        created_at=now,
        expires_at=expires_at,
    )
    token._history_user = user
    token._change_reason = "API token created"
    token.save()
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor, now: datetime | None = None) -> ApiToken:
    """Revoke ``token`` (its owner only); revoking twice keeps the first date."""
    if token.user_id != actor.pk:
        raise PermissionDenied
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token._history_user = actor
        token._change_reason = "API token revoked"
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(secret: str, *, now: datetime | None = None) -> ApiToken:
    """The active token whose secret this is, with its use recorded; ``TokenRefused`` otherwise."""
    now = now or timezone.now()
    token = ApiToken.objects.select_related("user").filter(key_hash=digest(secret)).first()
    if token is None:
        raise TokenRefused(_("Invalid token."))
    if token.revoked_at is not None:
        raise TokenRefused(_("This token was revoked."))
    if now >= token.expires_at:
        raise TokenRefused(_("This token has expired."))
    if not token.user.is_active:
        raise TokenRefused(_("The account of this token is disabled."))
    if not user_can_hold_tokens(token.user):
        raise TokenRefused(_("API tokens are for requester accounts."))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A plain UPDATE: no history row, no save signal; concurrent requests may both write, harmlessly.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user):
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
