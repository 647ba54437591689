"""The data custodian's answer to a consultation.

The form only shapes the input; the rules (an answer is one of the three
choices, a conditional yes states its conditions) live in
``services.consultation_answer``, whose ``ValidationError`` the view attaches
to these fields.
"""

from django import forms
from django.utils.translation import gettext_lazy

from requests_app.forms import PortalForm
from requests_app.models import ConsultationAnswer

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
    conditions = forms.CharField(
        label=gettext_lazy("Conditions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=CONDITIONS_LIMIT,
        help_text=gettext_lazy("Required when you answer yes with conditions. They are sent to the agency."),
        error_messages={"max_length": gettext_lazy("Conditions: use at most %(limit_value)d characters.")},
    )
