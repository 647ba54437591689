"""The privacy officers' forms: the queue's filters and the actions on a case.

Forms only check input; each action's writes go through ``requests_app.services``.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app import permissions, selectors
from requests_app.forms import PortalForm, SpecificationForm
from requests_app.models import (
    AccommodationOutcome,
    Assessment,
    AttachmentKind,
    DecisionOutcome,
    LegalProvision,
    RequesterCategory,
    ReviewOutcome,
)
from requests_app.states import Status
from stats_app.models import Custodian, Dataset

#: The queues of the workspace, in the order of their tabs.
QUEUE_KEYS = ("mine", "unassigned", "due_soon", "overdue", "awaiting_requester", "sign_off", "all")


def queue_names_for(user) -> list[str]:
    """The queues (the workspace's tabs) this user sees; the sign-off queue is the lead's."""
    return [name for name in QUEUE_KEYS if name != "sign_off" or permissions.user_is_access_lead(user)]


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

    requested_document = forms.ChoiceField(
        label=gettext_lazy("Document asked for"),
        choices=[("", gettext_lazy("None")), *AttachmentKind.choices],
        required=False,
        help_text=gettext_lazy("If you need a document, the requester's answer must bring it."),
        error_messages={"invalid_choice": gettext_lazy("Document asked for: choose a kind of document, or none.")},
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


# --- Review against the Act -------------------------------------------------------------


def _required_text(
    label, *, required: str, max_length: int | None = 10_000, rows: int = 4, help_text=""
) -> forms.CharField:
    field = forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        max_length=max_length,
        help_text=help_text,
        error_messages={
            "required": required,
            "max_length": format_lazy(
                gettext_lazy("{label}: use at most %(limit_value)d characters (you used %(show_value)d)."),
                label=label,
            ),
        },
    )
    field.required_for_submission = True
    return field


class ChecklistForm(PortalForm):
    """The whole checklist in one form: per criterion a finding (met, not met, not applicable) and a note.

    Only the rows whose finding or note changed are saved (``changed_rows``).
    """

    def __init__(self, *args, rows, requester_category: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            pk = row.criterion.pk
            current = row.assessment
            choices = [
                (value, label)
                for value, label in Assessment.choices
                if value != Assessment.NOT_APPLICABLE or row.criterion.allows_not_applicable(requester_category)
            ]
            self.fields[f"outcome_{pk}"] = forms.ChoiceField(
                label=_("Finding on “%(criterion)s”") % {"criterion": row.criterion.code},
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                initial=current.outcome if current else None,
                error_messages={"invalid_choice": _("Finding: choose met, not met or not applicable.")},
            )
            self.fields[f"note_{pk}"] = forms.CharField(
                label=_("Note on “%(criterion)s”") % {"criterion": row.criterion.code},
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=current.note if current else "",
            )

    def row_fields(self):
        """(row, finding field, note field) for the template."""
        return [(row, self[f"outcome_{row.criterion.pk}"], self[f"note_{row.criterion.pk}"]) for row in self.rows]

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            pk = row.criterion.pk
            if cleaned.get(f"note_{pk}") and not cleaned.get(f"outcome_{pk}") and f"outcome_{pk}" not in self.errors:
                self.add_error(f"outcome_{pk}", _("Finding: choose met, not met or not applicable for this note."))
            if cleaned.get(f"outcome_{pk}") == Assessment.NOT_APPLICABLE and not cleaned.get(f"note_{pk}"):
                self.add_error(f"note_{pk}", _("Note: say why this criterion does not apply to this request."))
        return cleaned

    def changed_rows(self):
        """(criterion, finding, note) of each row whose finding or note differs from what is recorded."""
        changed = []
        for row in self.rows:
            pk = row.criterion.pk
            outcome, note = self.cleaned_data.get(f"outcome_{pk}"), (self.cleaned_data.get(f"note_{pk}") or "").strip()
            if not outcome:
                continue
            current = row.assessment
            if current is None or (current.outcome, current.note) != (outcome, note):
                changed.append((row.criterion, outcome, note))
        return changed

    def add_row_error(self, criterion, error: ValidationError) -> None:
        """A service's refusal of one row, shown on that row's finding, or its note when the note is at fault."""
        field = "note" if getattr(error, "error_dict", {}).keys() == {"note"} else "outcome"
        self.add_error(f"{field}_{criterion.pk}", error.messages)


class ConsultationOpenForm(PortalForm):
    """Ask a data owner other than the agency whether it agrees to the use of its data."""

    custodian = forms.ModelChoiceField(
        label=gettext_lazy("Data owner to consult"),
        queryset=Custodian.objects.filter(is_agency=False).order_by("code"),
        empty_label=gettext_lazy("Choose the data's owner"),
        error_messages={
            "required": gettext_lazy("Data owner: choose the organisation to consult."),
            "invalid_choice": gettext_lazy("Data owner: choose an organisation from the list."),
        },
    )
    question = _required_text(
        gettext_lazy("Question to the data's owner"),
        required=gettext_lazy("Question: write the question to ask the data's owner."),
        help_text=gettext_lazy("The owner's representatives see this question and the tables, not the requester."),
    )
    due_on = forms.DateField(
        label=gettext_lazy("Answer expected by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("Answer expected by: give the date."),
            "invalid": gettext_lazy("Answer expected by: enter a real date, for example 2026-09-30."),
        },
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("custodian", "due_on"):
            self.fields[name].required_for_submission = True
        # Only the owners of the datasets the case asks for (``services.owners_to_consult``).
        self.fields["custodian"].queryset = Custodian.objects.filter(pk__in=[owner.pk for owner in owners]).order_by(
            "code"
        )


class ProvisionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, provision):
        return f"{provision} — {provision.summary}"


class DecisionProposeForm(PortalForm):
    """The officer's proposal: the outcome, its reasons and the provisions relied on."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=DecisionOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Outcome: choose approved, partially approved or refused."),
            "invalid_choice": gettext_lazy("Outcome: choose approved, partially approved or refused."),
        },
    )
    reasons = forms.CharField(
        label=gettext_lazy("Reasons"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Required for a refusal, even partial. The requester reads them in the letter."),
        error_messages={"max_length": gettext_lazy("Reasons: use at most %(limit_value)d characters.")},
    )
    provisions = ProvisionChoiceField(
        label=gettext_lazy("Provisions relied on"),
        required=False,
        queryset=LegalProvision.objects.filter(is_active=True).order_by("act", "code"),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("A refusal, even partial, cites at least one."),
        error_messages={"invalid_choice": gettext_lazy("Provisions: choose provisions in force from the list.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].required_for_submission = True


class DecisionSignOffForm(PortalForm):
    """Sign off the decision the page showed: ``decision`` is its id, so a newer proposal is not signed unseen."""

    decision = forms.IntegerField(widget=forms.HiddenInput)


class DecisionReturnForm(DecisionSignOffForm):
    reason = _required_text(
        gettext_lazy("Why it is sent back"),
        required=gettext_lazy("Why it is sent back: say what the officer should change."),
        max_length=5000,
        help_text=gettext_lazy("The officer reads this; the requester does not."),
    )


class AmendmentReturnForm(PortalForm):
    """Send back the amendment the page showed (its id travels with the form)."""

    reason = _required_text(
        gettext_lazy("Why it is sent back"),
        required=gettext_lazy("Why it is sent back: say what the officer should change."),
        max_length=5000,
        help_text=gettext_lazy("The officer reads this; the requester does not."),
    )


class MessageForm(PortalForm):
    body = _required_text(
        gettext_lazy("Message"),
        required=gettext_lazy("Message: write the message."),
        rows=5,
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note — never shown to the requester"),
        required=False,
    )


class SpecificationAdjustForm(SpecificationForm):
    """The officer's change to a filed table: its dimensions and filters (the measure stays), and why."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["measure"]
        self.fields["reason"] = _required_text(
            _("Why the table is adjusted"),
            required=_("Why the table is adjusted: the requester will read this reason."),
            max_length=5000,
            rows=3,
            help_text=_("The requester sees this reason with the adjusted table."),
        )


class AccommodationDecisionForm(PortalForm):
    """The officer's answer to an accommodation asked for (Access Act s. 47, 1.1°); the letter states it."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision on the accommodation"),
        choices=AccommodationOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Decision on the accommodation: choose granted, partly granted or refused."),
            "invalid_choice": gettext_lazy("Decision on the accommodation: choose one of the options listed."),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("What the agency will do, or why it cannot"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": gettext_lazy("Reason: say what the agency will do, or why it cannot.")},
    )


class ReviewUpdateForm(PortalForm):
    """What the agency sent the Commission, and when, and the review's outcome (Access Act ss. 135, 137)."""

    sent_file = forms.BooleanField(label=gettext_lazy("The case file"), required=False)
    sent_decision = forms.BooleanField(label=gettext_lazy("The decision"), required=False)
    sent_tables = forms.BooleanField(label=gettext_lazy("The tables released"), required=False)
    sent_on = forms.DateField(
        label=gettext_lazy("Date sent"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Date sent: enter a date such as 2026-09-30.")},
    )
    cai_file_number = forms.CharField(
        label=gettext_lazy("Commission file number"),
        required=False,
        max_length=50,
        error_messages={
            "max_length": gettext_lazy("Commission file number: use at most %(limit_value)d characters."),
        },
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=ReviewOutcome.choices,
        error_messages={
            "required": gettext_lazy("Outcome: choose the outcome of the review."),
            "invalid_choice": gettext_lazy("Outcome: choose the outcome of the review."),
        },
    )
    outcome_on = forms.DateField(
        label=gettext_lazy("Date of the outcome"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Date of the outcome: enter a date such as 2026-09-30.")},
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": gettext_lazy("Notes: use at most %(limit_value)d characters.")},
    )
