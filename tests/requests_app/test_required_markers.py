"""Every field a requester must fill says so in its label, before anything is refused: "(required)" when it
always is, and in which case when it depends on another answer (the organisation, except for citizens)."""

import re

import pytest
from django.test import Client

from requests_app import forms
from tests.requests_app.pages import text, url

pytestmark = pytest.mark.django_db


def _label(page: str, field_id: str) -> str:
    """The label (or the fieldset's legend) of the field whose id is ``field_id``, tags stripped."""
    match = re.search(rf'<label for="{field_id}">(.*?)</label>', page, re.S) or re.search(
        rf'<fieldset[^>]*id="{field_id}"[^>]*>\s*<legend>(.*?)</legend>', page, re.S
    )
    assert match, f"no label for {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _required_fields(form_class) -> list[str]:
    form = form_class()
    return [
        name
        for name, field in form.fields.items()
        if field.required or getattr(field, "required_for_submission", False)
    ]


@pytest.mark.parametrize("step", sorted(forms.STEP_FORMS))
def test_every_field_a_complete_step_needs_is_marked_required(requester_client, case, step):
    page = text(requester_client.get(url(step, case)))
    required = _required_fields(forms.STEP_FORMS[step])
    assert required, step
    for name in required:
        assert _label(page, f"id_{name}").endswith("(required)"), name


def test_optional_fields_carry_no_marker(requester_client, case):
    page = text(requester_client.get(url("profile", case)))
    assert "(required)" not in _label(page, "id_position")
    assert "(required)" not in _label(page, "id_phone")


def test_the_organisation_says_it_is_required_except_for_citizens(requester_client, case):
    page = text(requester_client.get(url("profile", case)))
    assert _label(page, "id_organisation") == "Organisation (required, except for citizens)"
    assert _label(page, "id_accommodation_details").endswith("(required if you chose “something else”)")


def test_the_markers_are_in_french_for_a_french_requester(case):
    requester = case.requester
    type(requester).objects.filter(pk=requester.pk).update(language="fr")
    client = Client()
    client.force_login(requester)
    page = text(client.get(url("profile", case)))
    assert _label(page, "id_contact_name").endswith("(obligatoire)")
    assert _label(page, "id_organisation").endswith("(obligatoire, sauf pour les citoyens)")
