"""The requester's intake forms, one per step, and what keeps a draft from being submitted.

Every step can be saved as an incomplete draft ("Save draft"): the forms then
check only what is wrong (a bad date, an end before the start, an unknown
choice). "Save and continue" and the review also ask for what is *missing*:
the same form, built with ``complete=True``. ``step_errors`` runs those
complete checks on a saved draft, so the review page, the submit service and
the step pages all apply one set of rules.

Forms only check input; writes go through ``requests_app.services``.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.template.defaultfilters import filesizeformat
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app.models import (
    Accommodation,
    AttachmentKind,
    DataRequest,
    EthicsApproval,
    LegalBasis,
    RequesterCategory,
)
from stats_app.catalogue import validate_specification
from stats_app.models import Dataset

#: The intake steps, in order: key, title. The review is the last page.
STEPS = (
    ("profile", gettext_lazy("You and your organisation")),
    ("project", gettext_lazy("The project")),
    ("data", gettext_lazy("The data")),
    ("attachments", gettext_lazy("Documents")),
    ("declarations", gettext_lazy("Declarations")),
    ("review", gettext_lazy("Review and submit")),
)
STEP_KEYS = tuple(key for key, _title in STEPS)

TEXT_LIMIT = 10_000


class PortalBoundField(BoundField):
    """Describes an input by its help (``<id>-help``) and error (``<id>-error``) paragraphs.

    ``help_id`` and ``error_id`` give those ids to ``templates/_components/form_field.html``.
    """

    @property
    def help_id(self) -> str:
        return f"{self.auto_id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.auto_id}-error"

    @property
    def aria_describedby(self):
        if self.field.widget.attrs.get("aria-describedby"):
            return None
        described_by = []
        if self.auto_id and not self.is_hidden:
            if self.help_text:
                described_by.append(self.help_id)
            if self.errors:
                described_by.append(self.error_id)
        return " ".join(described_by)


class PortalForm(forms.Form):
    """Server-side validation only (no ``required`` attribute), accessible error wiring."""

    bound_field_class = PortalBoundField
    use_required_attribute = False
    #: Each error message names its field ("Full name: …"), so the error summary does not repeat the label.
    errors_name_their_field = True

    def add_domain_error(self, error: ValidationError) -> None:
        """Attach a service's ``ValidationError`` to the fields it names; the rest goes on top."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)


def _text(label, *, max_length: int = 200, textarea: bool = False, help_text: str = "") -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 5}) if textarea else forms.TextInput()
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=widget,
        help_text=help_text,
        error_messages={
            "max_length": format_lazy(
                gettext_lazy("{label}: use at most %(limit_value)d characters (you used %(show_value)d). Shorten it."),
                label=label,
            )
        },
    )


def _choice(label, choices, *, invalid, widget=forms.RadioSelect, help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=widget,
        help_text=help_text,
        error_messages={"invalid_choice": invalid},
    )


def _date(label, *, invalid) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("For example 2026-09-30."),
        error_messages={"invalid": invalid},
    )


class StepForm(PortalForm):
    """One intake step over fields of ``DataRequest``.

    ``required_messages`` names the fields a complete step needs, with the
    message that says what to do; ``missing`` may add conditional ones.
    """

    step: str = ""
    required_messages: dict = {}

    def __init__(self, *args, complete: bool = False, **kwargs):
        self.complete = complete
        super().__init__(*args, **kwargs)
        for name in self.required_messages:
            self.fields[name].required_for_submission = True

    @classmethod
    def initial_from(cls, case: DataRequest) -> dict:
        return {name: getattr(case, name) for name in cls.base_fields}

    @classmethod
    def for_case(cls, case: DataRequest, *, complete: bool = False) -> "StepForm":
        """The form bound to the draft's saved values: used to find what is still missing."""
        return cls(data=cls.initial_from(case), complete=complete)

    def missing(self, cleaned: dict) -> list[tuple[str, str]]:
        """(field, message) for each value a complete step still needs."""
        return [
            (name, str(message))
            for name, message in self.required_messages.items()
            if name not in self.errors and cleaned.get(name) in (None, "", False, [])
        ]

    def clean(self):
        cleaned = super().clean()
        if self.complete:
            for name, message in self.missing(cleaned):
                self.add_error(name, message)
        return cleaned

    def values(self) -> dict:
        """What ``services.request_update_draft`` writes."""
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class ProfileForm(StepForm):
    step = "profile"

    contact_name = _text(gettext_lazy("Full name"))
    organisation = _text(
        gettext_lazy("Organisation"),
        help_text=gettext_lazy("The organisation you ask for. Citizens asking for themselves may leave it empty."),
    )
    position = _text(gettext_lazy("Position or title"))
    phone = _text(gettext_lazy("Telephone"), max_length=40)
    requester_category = _choice(
        gettext_lazy("Requester category"),
        RequesterCategory.choices,
        invalid=gettext_lazy("Requester category: choose one of the categories listed."),
    )

    accommodation = _choice(
        gettext_lazy("Do you need an accommodation to make or follow this request?"),
        [("", gettext_lazy("No, none")), *Accommodation.choices],
        invalid=gettext_lazy("Accommodation: choose one of the options listed."),
        help_text=gettext_lazy(
            "A requester with a disability may ask for a reasonable accommodation (Access Act s. 47). Optional."
        ),
    )
    accommodation_details = _text(
        gettext_lazy("Accommodation: tell us what would help, in your own words"), max_length=2000, textarea=True
    )

    required_messages = {
        "contact_name": gettext_lazy("Enter your full name."),
        "requester_category": gettext_lazy("Choose the requester category that describes you."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required in some cases only (see ``missing``): the label says which.
        self.fields["organisation"].required_when = gettext_lazy("required, except for citizens")
        self.fields["accommodation_details"].required_when = gettext_lazy("required if you chose “something else”")

    def missing(self, cleaned):
        problems = super().missing(cleaned)
        category = cleaned.get("requester_category")
        if (
            category != RequesterCategory.CITIZEN
            and not cleaned.get("organisation")
            and "organisation" not in self.errors
        ):
            problems.append(("organisation", _("Enter the name of your organisation (citizens may leave it empty).")))
        if cleaned.get("accommodation") == Accommodation.OTHER and not cleaned.get("accommodation_details"):
            problems.append(("accommodation_details", _("Say which accommodation would help you.")))
        return problems


class ProjectForm(StepForm):
    step = "project"

    title = _text(gettext_lazy("Project title"))
    purpose = _text(
        gettext_lazy("Purpose of the request"),
        max_length=TEXT_LIMIT,
        textarea=True,
        help_text=gettext_lazy("What the statistics will be used for, and the questions they should answer."),
    )
    public_interest = _text(
        gettext_lazy("Public interest"),
        max_length=TEXT_LIMIT,
        textarea=True,
        help_text=gettext_lazy("Why the project serves the public."),
    )
    intended_publication = _text(
        gettext_lazy("Intended publication"),
        max_length=TEXT_LIMIT,
        textarea=True,
        help_text=gettext_lazy("Where the results will be published: article, report, news story..."),
    )
    use_starts_on = _date(
        gettext_lazy("Use of the data from"),
        invalid=gettext_lazy("Start of the period of use: enter a real date, for example 2026-09-30."),
    )
    use_ends_on = _date(
        gettext_lazy("Use of the data until"),
        invalid=gettext_lazy("End of the period of use: enter a real date, for example 2027-09-30."),
    )
    legal_basis = _choice(
        gettext_lazy("Legal basis claimed"),
        LegalBasis.choices,
        invalid=gettext_lazy("Legal basis: choose one of the bases listed."),
    )
    legal_basis_details = _text(
        gettext_lazy("Legal basis: details"),
        max_length=TEXT_LIMIT,
        textarea=True,
        help_text=gettext_lazy("Required when you choose “Other”: name the law and the section you rely on."),
    )
    ethics_approval = _choice(
        gettext_lazy("Ethics approval"),
        EthicsApproval.choices,
        invalid=gettext_lazy("Ethics approval: choose one of the answers listed."),
    )
    ethics_reference = _text(
        gettext_lazy("Ethics approval reference"),
        help_text=gettext_lazy("Required when the approval is obtained: the number the ethics board gave it."),
    )

    required_messages = {
        "title": gettext_lazy("Enter the title of the project."),
        "purpose": gettext_lazy("Describe the purpose of the request."),
        "public_interest": gettext_lazy("Explain the public interest of the project."),
        "intended_publication": gettext_lazy("Say where the results will be published."),
        "use_starts_on": gettext_lazy("Enter the date from which you will use the data."),
        "use_ends_on": gettext_lazy("Enter the date until which you will use the data."),
        "legal_basis": gettext_lazy("Choose the legal basis you claim."),
        "ethics_approval": gettext_lazy("Say whether an ethics approval was obtained."),
    }

    def missing(self, cleaned):
        problems = super().missing(cleaned)
        if (
            cleaned.get("legal_basis") == LegalBasis.OTHER
            and not cleaned.get("legal_basis_details")
            and "legal_basis_details" not in self.errors
        ):
            problems.append(
                ("legal_basis_details", _("Legal basis “Other”: explain the basis in “Legal basis: details”."))
            )
        if (
            cleaned.get("ethics_approval") == EthicsApproval.OBTAINED
            and not cleaned.get("ethics_reference")
            and "ethics_reference" not in self.errors
        ):
            problems.append(
                ("ethics_reference", _("Ethics approval obtained: enter the reference the ethics board gave it."))
            )
        return problems

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("use_starts_on"), cleaned.get("use_ends_on")
        if starts and ends and ends <= starts:
            self.add_error(
                "use_ends_on",
                _("End of the period of use: choose a date after the start date (%(start)s).")
                % {"start": starts.isoformat()},
            )
        return cleaned


class DeclarationsForm(StepForm):
    step = "declarations"

    declares_no_reidentification = forms.BooleanField(
        label=gettext_lazy("I undertake not to attempt to identify any person from the statistics"), required=False
    )
    declares_source_citation = forms.BooleanField(
        label=gettext_lazy("I undertake to cite the agency as the source of the statistics"), required=False
    )

    required_messages = {
        "declares_no_reidentification": gettext_lazy(
            "Tick the box to undertake not to attempt to identify any person."
        ),
        "declares_source_citation": gettext_lazy("Tick the box to undertake to cite the agency as the source."),
    }


STEP_FORMS = {form.step: form for form in (ProfileForm, ProjectForm, DeclarationsForm)}


# --- Step 3: the data ------------------------------------------------------------


class DatasetPickForm(PortalForm):
    """The first sub-form of step 3: which dataset a new table comes from."""

    dataset = forms.ModelChoiceField(
        label=gettext_lazy("Dataset"),
        queryset=Dataset.objects.filter(is_active=True).order_by("code"),
        to_field_name="code",
        empty_label=gettext_lazy("Choose a dataset"),
        error_messages={
            "required": gettext_lazy("Dataset: choose the dataset the table comes from."),
            "invalid_choice": gettext_lazy("Dataset: this dataset is not in the catalogue. Choose one from the list."),
        },
    )


class DataStepForm(PortalForm):
    """Step 3's own buttons: the tables are saved one by one, so only completeness is checked."""

    def __init__(self, *args, case: DataRequest, complete: bool = False, **kwargs):
        self.case = case
        self.complete = complete
        super().__init__(*args, **kwargs)

    def clean(self):
        if self.complete and not self.case.specifications.exists():
            raise ValidationError(_("Add at least one table: choose a dataset below."))
        return super().clean()


def filter_field_name(code: str) -> str:
    return f"filter_{code}"


def categories_field_name(code: str) -> str:
    return f"categories_{code}"


class SpecificationForm(PortalForm):
    """One table of one dataset: a measure, dimensions, and filters on the dimensions' categories.

    Each dimension has a "keep only some categories" box and its categories:
    nothing ticked means every category. Catalogue checks are the service's
    (``validate_specification``); this form refuses what the page never offers.
    """

    def __init__(self, *args, dataset: Dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        self.limit = settings.SPECIFICATION_MAX_DIMENSIONS
        self.offered = list(dataset.dimensions.order_by("code").prefetch_related("categories"))
        self.fields["measure"] = forms.ChoiceField(
            label=_("Measure"),
            choices=[(measure.code, measure.name) for measure in dataset.measures.order_by("code")],
            widget=forms.RadioSelect,
            help_text=_("What each cell of the table counts or sums."),
            error_messages={
                "required": _("Measure: choose what the table counts or sums."),
                "invalid_choice": _(
                    "Measure: this measure does not belong to the chosen dataset. Choose one of its measures."
                ),
            },
        )
        self.fields["measure"].required_for_submission = True
        self.fields["dimensions"] = forms.MultipleChoiceField(
            label=_("Dimensions"),
            required=False,
            choices=[(dimension.code, dimension.label) for dimension in self.offered],
            widget=forms.CheckboxSelectMultiple,
            help_text=_("How the table is broken down: at most %(limit)d. With none, the table is one total.")
            % {"limit": self.limit},
            error_messages={
                "invalid_choice": _("Dimensions: “%(value)s” is not a dimension of this dataset. Choose from the list.")
            },
        )
        for dimension in self.offered:
            self.fields[filter_field_name(dimension.code)] = forms.BooleanField(
                label=_("Keep only some categories of “%(dimension)s”") % {"dimension": dimension.label},
                required=False,
            )
            self.fields[categories_field_name(dimension.code)] = forms.MultipleChoiceField(
                label=_("Categories of “%(dimension)s” to keep") % {"dimension": dimension.label},
                required=False,
                choices=[(category.code, category.label) for category in dimension.categories.all()],
                widget=forms.CheckboxSelectMultiple,
                error_messages={
                    "invalid_choice": _(
                        "Categories of “%(dimension)s”: “%%(value)s” is not one of them. Choose from the list."
                    )
                    % {"dimension": dimension.label}
                },
            )

    @classmethod
    def initial_from(cls, specification) -> dict:
        initial = {"measure": specification.measure.code, "dimensions": list(specification.dimensions)}
        for code, values in (specification.filters or {}).items():
            initial[filter_field_name(code)] = True
            initial[categories_field_name(code)] = list(values)
        return initial

    def filter_groups(self):
        """Per dimension: its "filter" box and its categories, for the template."""
        return [
            (dimension, self[filter_field_name(dimension.code)], self[categories_field_name(dimension.code)])
            for dimension in self.offered
        ]

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("dimensions") or []
        if len(chosen) > self.limit:
            self.add_error(
                "dimensions",
                _("Dimensions: choose at most %(limit)d (you chose %(count)d). Untick some.")
                % {"limit": self.limit, "count": len(chosen)},
            )
        filters = {}
        for dimension in self.offered:
            flag_name, categories_name = filter_field_name(dimension.code), categories_field_name(dimension.code)
            if categories_name in self.errors:
                continue
            flagged, categories = cleaned.get(flag_name), cleaned.get(categories_name) or []
            if not flagged and not categories:
                continue
            if dimension.code not in chosen:
                self.add_error(
                    categories_name if categories else flag_name,
                    _("Filter on “%(dimension)s”: tick “%(dimension)s” under Dimensions too, or untick its categories.")
                    % {"dimension": dimension.label},
                )
            elif not categories:
                self.add_error(
                    categories_name,
                    _(
                        "Filter on “%(dimension)s”: tick at least one category to keep, "
                        "or untick “Keep only some categories”."
                    )
                    % {"dimension": dimension.label},
                )
            else:
                filters[dimension.code] = categories
        cleaned["filters"] = filters
        return cleaned


# --- Step 4: documents -----------------------------------------------------------


class AttachmentForm(PortalForm):
    """A document to attach. The file's type and content are checked by the service."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of document"),
        choices=[("", gettext_lazy("Choose the kind of document")), *AttachmentKind.choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Kind of document: choose one of the kinds listed.")},
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        required=False,
        error_messages={
            "invalid": gettext_lazy("File: no file was received. Choose the file again."),
            "empty": gettext_lazy("This file is empty. Choose the right file."),
        },
    )

    def __init__(self, *args, file_required: bool = False, **kwargs):
        self.file_required = file_required
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, DOCX, XLSX, CSV or TXT, at most %(limit)s.") % {
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)
        }

    def clean(self):
        cleaned = super().clean()
        if "file" in self.errors:
            return cleaned
        if cleaned.get("file"):
            if not cleaned.get("kind") and "kind" not in self.errors:
                self.add_error("kind", _("Kind of document: say what this file is."))
        elif self.file_required:
            self.add_error("file", _("File: choose the file to attach."))
        return cleaned


# --- After submission ------------------------------------------------------------


class WithdrawForm(PortalForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for withdrawal"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=gettext_lazy("The reason is kept with the request."),
        error_messages={
            "required": gettext_lazy("Reason for withdrawal: say why you withdraw the request."),
            "max_length": gettext_lazy("Reason for withdrawal: use at most %(limit_value)d characters."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required_for_submission = True


def _document_field(help_text):
    return forms.FileField(
        label=gettext_lazy("Document (optional)"),
        required=False,
        help_text=help_text,
        error_messages={
            "invalid": gettext_lazy("Document: no file was received. Choose the file again."),
            "empty": gettext_lazy("Document: this file is empty. Choose the right file."),
        },
    )


class ClarificationAnswerForm(PortalForm):
    """The requester's answer to the agency's open question."""

    answer = forms.CharField(
        label=gettext_lazy("Your answer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=TEXT_LIMIT,
        help_text=gettext_lazy("The agency's delay to answer is suspended until you send your answer."),
        error_messages={
            "required": gettext_lazy("Your answer: write your answer to the agency's question."),
            "max_length": gettext_lazy(
                "Your answer: use at most %(limit_value)d characters (you used %(show_value)d)."
            ),
        },
    )

    document = _document_field(gettext_lazy("A PDF, DOCX, XLSX, CSV or TXT file, checked as at filing."))

    def __init__(self, *args, requested_document: str = "", requested_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].required_for_submission = True
        if requested_document:
            field = self.fields["document"]
            field.label = _("Document asked for: %(kind)s") % {"kind": requested_label}
            field.required_for_submission = True


def clarification_answer_form(clarifications, data=None, files=None) -> ClarificationAnswerForm:
    """The form for the open question, asking for its document by name when the officer asked for one."""
    open_question = next((item for item in clarifications if item.answered_at is None), None)
    requested = open_question.requested_document if open_question else ""
    return ClarificationAnswerForm(
        data,
        files,
        requested_document=requested,
        requested_label=open_question.get_requested_document_display() if requested else "",
    )


class AgencyMessageForm(PortalForm):
    """The requester's message to the agency, kept with the request."""

    body = forms.CharField(
        label=gettext_lazy("Your message to the agency"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=TEXT_LIMIT,
        error_messages={
            "required": gettext_lazy("Your message: write your message to the agency."),
            "max_length": gettext_lazy(
                "Your message: use at most %(limit_value)d characters (you used %(show_value)d)."
            ),
        },
    )

    document = _document_field(gettext_lazy("If your message comes with a document: PDF, DOCX, XLSX, CSV or TXT."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].required_for_submission = True


# --- What keeps a draft from being submitted --------------------------------------


def _data_problems(case: DataRequest) -> list[str]:
    specifications = list(case.specifications.select_related("dataset", "measure"))
    if not specifications:
        return [_("Add at least one table: choose a dataset, a measure and the dimensions.")]
    problems = []
    for number, specification in enumerate(specifications, start=1):
        try:
            validate_specification(
                dataset=specification.dataset,
                measure=specification.measure,
                dimensions=specification.dimensions,
                filters=specification.filters,
            )
        except ValidationError as error:
            for message in error.messages:
                problems.append(_("Table %(number)d: %(message)s") % {"number": number, "message": message})
    return problems


def step_errors(case: DataRequest) -> dict[str, list[str]]:
    """What is missing or invalid in the saved draft, by step; an empty dict means ready to submit.

    Documents are optional: an ethics approval marked "obtained" is identified
    by its reference, and the officer can ask for the letter if needed.
    """
    problems: dict[str, list[str]] = {}
    for step in STEP_KEYS:
        if step in STEP_FORMS:
            form = STEP_FORMS[step].for_case(case, complete=True)
            messages = [] if form.is_valid() else [str(m) for errors in form.errors.values() for m in errors]
        elif step == "data":
            messages = _data_problems(case)
        else:
            messages = []
        if messages:
            problems[step] = messages
    return problems


class ReviewRecordForm(PortalForm):
    """The requester (or staff) records that a review was asked of the Commission (Access Act ss. 135, 137)."""

    requested_on = forms.DateField(
        label=gettext_lazy("Date the review was asked"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The day you wrote to the Commission. For example 2026-09-30."),
        error_messages={
            "required": gettext_lazy("Date the review was asked: enter the day you wrote to the Commission."),
            "invalid": gettext_lazy("Date the review was asked: enter a date such as 2026-09-30."),
        },
    )
    cai_file_number = forms.CharField(
        label=gettext_lazy("Commission file number"),
        required=False,
        max_length=50,
        help_text=gettext_lazy("Optional: the number the Commission gave your file, if you have it."),
        error_messages={
            "max_length": gettext_lazy("Commission file number: use at most %(limit_value)d characters."),
        },
    )
