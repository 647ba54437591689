"""Accounts: the portal's user, who logs in with an e-mail address."""

import pgtrigger
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.roles import STAFF_ROLES, Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who uses the portal; the e-mail address is the login."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("preferred language"),
        max_length=2,
        choices=[("fr", "Français"), ("en", "English")],
        default="fr",
        help_text=_("Language of the portal, of e-mails and of letters."),
    )
    custodian = models.ForeignKey(
        "stats_app.Custodian",
        verbose_name=_("custodian organisation represented"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="representatives",
        help_text=_("For data custodians only: the organisation whose data they answer for."),
    )

    muted_notifications = models.JSONField(
        _("e-mails switched off"),
        default=list,
        blank=True,
        help_text=_("The optional notifications this person chose not to receive (legal notices are always sent)."),
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: Role) -> bool:
        return role.value in self.role_names

    @property
    def is_agency_staff(self) -> bool:
        """Staff are held to MFA: every role but requester, and superusers."""
        return self.is_superuser or bool(self.role_names & {role.value for role in STAFF_ROLES})


class AccessLog(models.Model):
    """One read of protected data: a case page, a document, an output (``portal.audit``).

    Written for every successful GET of the pages listed in ``portal.audit.AUDITED_VIEWS``,
    whoever reads them (the requester of the case included); never changed afterwards.
    """

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        User, verbose_name=_("who"), on_delete=models.PROTECT, related_name="access_logs", null=True
    )
    view_name = models.CharField(_("page"), max_length=100)
    object_type = models.CharField(_("kind of object"), max_length=100)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    path = models.CharField(_("address"), max_length=500)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ("-at", "-pk")
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="accesslog_object_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.user} {self.view_name} {self.object_id}"


class AuditEvent(models.Model):
    """One link of the audit trail (``portal.trail``): a typed event, chained to the one before it.

    ``hash`` is SHA-256 over the event's canonical serialisation, which includes ``previous_hash``:
    changing, removing or inserting any event breaks every link after it, and ``audit_verify``
    names the first. On PostgreSQL the table also refuses UPDATE and DELETE outright.
    """

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    event_type = models.CharField(_("event"), max_length=60, db_index=True)
    #: The user's id, kept as a plain number: the chain outlives accounts, and a foreign key's
    #: ``on_delete`` would have to change rows the table refuses to change.
    actor_id = models.PositiveBigIntegerField(_("actor"), null=True, blank=True)
    target_type = models.CharField(_("kind of object"), max_length=100)
    target_id = models.CharField(_("object"), max_length=64)
    #: The request the event belongs to, if any: its timeline reads the events by this number.
    case_id = models.PositiveBigIntegerField(_("request"), null=True, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("when"))
    payload = models.JSONField(_("details"), default=dict)
    previous_hash = models.CharField(_("previous link"), max_length=64)
    hash = models.CharField(_("link"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ("sequence",)
        permissions = [("verify_auditevent", _("Can verify the audit trail"))]
        triggers = [
            pgtrigger.Protect(name="audit_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.event_type} {self.target_type}:{self.target_id}"


class AuditVerification(models.Model):
    """One run of ``audit_verify``: when, by whom, how far the chain held."""

    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = models.ForeignKey(User, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True)
    events = models.PositiveBigIntegerField(_("events checked"))
    intact = models.BooleanField(_("intact"))
    first_broken = models.PositiveBigIntegerField(_("first broken link"), null=True, blank=True)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    #: The newest event this run saw: the next run checks it is still there (removing the newest
    #: events leaves a shorter chain that holds).
    head_sequence = models.PositiveBigIntegerField(_("newest event"), null=True, blank=True)
    head_hash = models.CharField(_("newest link"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit trail verification")
        verbose_name_plural = _("audit trail verifications")
        ordering = ("-at", "-pk")
        get_latest_by = "at"
        triggers = [
            pgtrigger.Protect(name="audit_verification_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'intact' if self.intact else f'broken at #{self.first_broken}'}"


class ApiTokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """A personal access token of the REST API (``/api/v1/``), made on the profile page (``portal.tokens``).

    The secret is shown once, when the token is made; only its SHA-256 digest is kept, with its first
    characters (``prefix``) so that the owner can tell their tokens apart.
    """

    user = models.ForeignKey(User, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=5, choices=ApiTokenScope.choices, default=ApiTokenScope.READ)
    prefix = models.CharField(_("first characters"), max_length=8)
    key_hash = models.CharField(_("SHA-256 of the secret"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Each use moves last_used_at: the history keeps creation and revocation, not every request.
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="api_token_expires"),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | models.Q(revoked_at__gte=models.F("created_at")),
                name="api_token_revoked_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active_at(self, moment) -> bool:
        return self.revoked_at is None and moment < self.expires_at
