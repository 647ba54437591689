"""The signed-in person's own settings: language, and the optional e-mails they receive."""

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import tokens
from portal.models import ApiTokenScope, User
from requests_app import notifications
from requests_app.forms import PortalForm


class ProfileForm(PortalForm):
    """Language, and a box per optional notice the person's roles may receive (ticked: sent).

    Essential notices (the legal notices to requesters) are not offered: they are always sent
    (``notifications.Notice.essential``), and the page says so.
    """

    language = forms.ChoiceField(
        label=_("Language of the portal and of e-mails"),
        choices=User._meta.get_field("language").choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the language of the portal and of e-mails."),
            "invalid_choice": _("Choose French or English as the language of the portal and of e-mails."),
        },
    )
    notifications = forms.MultipleChoiceField(
        label=_("E-mails I receive"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose the e-mails you receive from the list.")},
        help_text=_("Untick what you do not want to receive by e-mail; you will still find it in the portal."),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        self.optional, self.essential = notifications.notices_for(user)
        muted = set(user.muted_notifications or ())
        kwargs["initial"] = {
            "language": user.language,
            "notifications": [notice.name for notice in self.optional if notice.name not in muted],
        }
        super().__init__(*args, **kwargs)
        if self.optional:
            self.fields["notifications"].choices = [(notice.name, notice.label) for notice in self.optional]
        else:
            del self.fields["notifications"]

    def save(self) -> User:
        """Store the language and the unticked notices; choices about notices this page does not offer
        (those of a role the person no longer holds) are kept."""
        offered = {notice.name for notice in self.optional}
        wanted = set(self.cleaned_data.get("notifications", ()))
        kept = set(self.user.muted_notifications or ()) - offered
        self.user.language = self.cleaned_data["language"]
        self.user.muted_notifications = sorted(kept | (offered - wanted))
        self.user.save(update_fields=["language", "muted_notifications"])
        return self.user


class ApiTokenForm(PortalForm):
    """A new personal access token of the API: its name, its scope and the day it expires."""

    name = forms.CharField(
        label=_("Name of the token"),
        max_length=100,
        help_text=_("What it is for, e.g. “analysis scripts”."),
        error_messages={
            "required": _("Name: say what the token is for."),
            "max_length": _("Name: use at most %(limit_value)d characters."),
        },
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=ApiTokenScope.choices,
        initial=ApiTokenScope.READ,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Scope: choose read or write."),
            "invalid_choice": _("Scope: choose read or write."),
        },
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Expiry: choose the day the token stops working."),
            "invalid": _("Expiry: enter a date such as 2026-12-31."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = settings.API_TOKEN_MAX_DAYS
        self.fields["expires_on"].help_text = _("At most %(days)d days from today.") % {"days": days}
        self.fields["expires_on"].initial = timezone.localdate(tokens.default_expiry())

    def expires_at(self):
        """The end of the chosen day, in the agency's time zone."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time.max))
