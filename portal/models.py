"""Accounts: the portal's user, who logs in with an e-mail address."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

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
