"""The data custodian's answer to a consultation.

The form only shapes the input; the rules (an answer is one of the three
choices, a conditional yes states at least one condition, a "no" its reasons)
live in ``services.consultation_answer``, whose ``ValidationError`` the view
attaches to these fields.
"""

from django import forms
from django.utils.translation import gettext_lazy

from requests_app import services
from requests_app.forms import PortalForm
from requests_app.models import ConsultationAnswer
from stats_app.models import Category

CONDITIONS_LIMIT = 5000


class ConsultationAnswerForm(PortalForm):
    answer = forms.ChoiceField(
        label=gettext_lazy("Does your organisation agree to this use of its data?"),
        choices=ConsultationAnswer.choices,
        widget=forms.RadioSelect,
        # Left to the service, which names what is missing; a forged value gets the same message.
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose yes, yes with conditions, or no.")},
    )
    excluded_categories = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Categories to exclude"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "With a conditional yes: no table will show or count these, in any cell or total. "
            "The portal applies it and checks it again before release."
        ),
        error_messages={"invalid_choice": gettext_lazy("Categories to exclude: choose from the list.")},
    )
    minimum_count = forms.IntegerField(
        label=gettext_lazy("Minimum cell count"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=gettext_lazy("With a conditional yes: no count under this number is published. Leave empty if none."),
        error_messages={
            "invalid": gettext_lazy("Minimum cell count: enter a whole number, or leave it empty."),
            "min_value": gettext_lazy("Minimum cell count: enter a number of at least %(limit_value)s."),
            "max_value": gettext_lazy("Minimum cell count: enter a number of at most %(limit_value)s."),
        },
    )
    not_before = forms.DateField(
        label=gettext_lazy("Not released before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("With a conditional yes: the tables are released on this date at the earliest."),
        error_messages={"invalid": gettext_lazy("Not released before: enter a real date, for example 2027-03-31.")},
    )
    conditions = forms.CharField(
        label=gettext_lazy("Other conditions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=CONDITIONS_LIMIT,
        help_text=gettext_lazy(
            "With a conditional yes, anything else, in words. The output checker attests them before release."
        ),
        error_messages={"max_length": gettext_lazy("Other conditions: use at most %(limit_value)d characters.")},
    )
    reasons = forms.CharField(
        label=gettext_lazy("Reasons for the refusal"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=CONDITIONS_LIMIT,
        help_text=gettext_lazy("Required when you answer no. The agency cites them in its decision."),
        error_messages={"max_length": gettext_lazy("Reasons: use at most %(limit_value)d characters.")},
    )

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["excluded_categories"]
        field.queryset = services.excludable_categories(consultation)
        field.label_from_instance = lambda category: f"{category.dimension.label} — {category.label}"
