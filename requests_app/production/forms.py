from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.forms import PortalForm


class OutputReturnForm(PortalForm):
    reason = forms.CharField(
        label=_("Why is the output returned?"),
        help_text=_("The officer reads it to adjust the table, e.g. “too many cells suppressed in region 10”."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={"required": _("Say why the output is returned; the officer needs it to fix the table.")},
    )


class JobNoteForm(PortalForm):
    body = forms.CharField(
        label=_("Your note on this table"),
        help_text=_("For the output checkers and the agency's staff; the requester never sees it."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        error_messages={
            "required": _("Note: write the note."),
            "max_length": _("Note: use at most %(limit_value)d characters."),
        },
    )
