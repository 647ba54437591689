"""The privacy officers' forms: the queue's filters and the actions on a case.

Forms only check input; each action's writes go through ``requests_app.services``.
"""

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app import selectors
from requests_app.forms import PortalForm
from requests_app.models import RequesterCategory, Status
from stats_app.models import Dataset

#: The queues of the workspace, in the order of their tabs.
QUEUE_KEYS = ("mine", "unassigned", "due_soon", "overdue", "awaiting_requester", "sign_off", "all")


def queue_labels() -> dict[str, str]:
    """Each queue's tab label, in the active language."""
    return {
        "mine": _("My cases"),
        "unassigned": _("Unassigned"),
        "due_soon": _("Due within %(days)d days") % {"days": selectors.DUE_SOON_DAYS},
        "overdue": _("Overdue"),
        "awaiting_requester": _("Awaiting the requester"),
        "sign_off": _("Awaiting my sign-off"),
        "all": _("All cases"),
    }


SORTS = (
    ("due", gettext_lazy("Due date, soonest first")),
    ("-due", gettext_lazy("Due date, latest first")),
    ("received", gettext_lazy("Received, oldest first")),
    ("-received", gettext_lazy("Received, newest first")),
)


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{name} <{user.email}>" if name else user.email


def _date(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Enter a real date, for example 2026-09-30.")},
    )


class QueueFilterForm(PortalForm):
    """The queue's filters, search and sort, read from the query string (GET)."""

    queue = forms.ChoiceField(choices=[(key, key) for key in QUEUE_KEYS], required=False, widget=forms.HiddenInput)
    search = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Reference, title or organisation."),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *[c for c in Status.choices if c[0] != Status.DRAFT]],
    )
    dataset = forms.ModelChoiceField(
        label=gettext_lazy("Dataset"),
        required=False,
        queryset=Dataset.objects.order_by("code"),
        empty_label=gettext_lazy("Any dataset"),
    )
    requester_category = forms.ChoiceField(
        label=gettext_lazy("Requester category"),
        required=False,
        choices=[("", gettext_lazy("Any category")), *RequesterCategory.choices],
    )
    officer = OfficerChoiceField(
        label=gettext_lazy("Assigned officer"),
        required=False,
        queryset=selectors.assignable_officers(),
        empty_label=gettext_lazy("Anyone"),
    )
    received_from = _date(gettext_lazy("Received from"))
    received_to = _date(gettext_lazy("Received until"))
    due_from = _date(gettext_lazy("Due from"))
    due_to = _date(gettext_lazy("Due until"))
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=SORTS)

    def __init__(self, *args, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if officers is not None:
            self.fields["officer"].queryset = officers

    def filters(self) -> dict:
        """The valid filters only: a mistyped date is reported on its field and ignored, not fatal."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


def _officer_field() -> OfficerChoiceField:
    return OfficerChoiceField(
        label=gettext_lazy("Officer"),
        queryset=selectors.assignable_officers(),
        empty_label=gettext_lazy("Choose an officer"),
        error_messages={
            "required": gettext_lazy("Officer: choose the officer who will work the case."),
            "invalid_choice": gettext_lazy("Officer: choose a privacy officer or an access lead from the list."),
        },
    )


class AssignForm(PortalForm):
    """Give a case to an officer. ``seen_status`` is the status the page showed: a stale page is refused."""

    officer = _officer_field()
    seen_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)

    def __init__(self, *args, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].required_for_submission = True
        if officers is not None:
            self.fields["officer"].queryset = officers


class BulkAssignForm(PortalForm):
    """The lead gives several cases of the queue to one officer; each case keeps the status the page showed."""

    officer = _officer_field()
    cases = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={"required": gettext_lazy("Tick at least one case to assign.")},
    )

    def __init__(self, *args, case_ids=(), officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [(pk, pk) for pk in case_ids]
        if officers is not None:
            self.fields["officer"].queryset = officers


class ClarificationAskForm(PortalForm):
    question = forms.CharField(
        label=gettext_lazy("Question to the requester"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=gettext_lazy("The requester sees this text. The statutory clock stops until they answer."),
        error_messages={
            "required": gettext_lazy("Question: write the question to ask the requester."),
            "max_length": gettext_lazy("Question: use at most %(limit_value)d characters."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].required_for_submission = True


class ExtensionForm(PortalForm):
    days = forms.IntegerField(
        label=gettext_lazy("Days of extension"),
        min_value=1,
        error_messages={
            "min_value": gettext_lazy("Days of extension: at least %(limit_value)s day."),
            "required": gettext_lazy("Days of extension: enter a number of days."),
            "invalid": gettext_lazy("Days of extension: enter a whole number of days."),
        },
    )
    notice = forms.CharField(
        label=gettext_lazy("Notice to the requester"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
        help_text=gettext_lazy("Access Act s. 47: the requester is told in writing why the delay is extended."),
        error_messages={"required": gettext_lazy("Notice: write why the delay is extended.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is a setting: read it when the form is built, not when the module is imported.
        limit = settings.EXTENSION_DAYS
        days = self.fields["days"]
        days.validators.append(MaxValueValidator(limit, message=_("Days of extension: at most %(limit_value)s days.")))
        days.widget.attrs.update({"min": 1, "max": limit})
        days.initial = limit
        days.help_text = _("From 1 to %(max)d calendar days, once.") % {"max": limit}
        for name in ("days", "notice"):
            self.fields[name].required_for_submission = True
