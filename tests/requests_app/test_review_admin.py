"""The legal criteria and provisions are data the access lead maintains in the admin, with history."""

import pytest
from django.test import Client
from django.urls import reverse

from portal.roles import Role
from requests_app.models import LegalCriterion
from tests import factories

pytestmark = pytest.mark.django_db


def lead_client() -> Client:
    client = Client()
    client.force_login(factories.make_user(role=Role.ACCESS_LEAD, is_staff=True))
    return client


def test_the_seeded_checklist_covers_the_acts_rules():
    codes = set(LegalCriterion.objects.values_list("code", flat=True))

    assert codes >= {
        "identity_verified",
        "statistical_purpose",
        "aggregate_only",
        "small_cells",
        "custodian_agreed",
        "ethics_for_research",
        "no_nominative",
    }
    assert LegalCriterion.objects.get(code="aggregate_only").provision.section == "67"


def test_the_lead_edits_a_criterion_and_the_change_is_in_its_history():
    client = lead_client()
    criterion = LegalCriterion.objects.get(code="small_cells")
    url = reverse("admin:requests_app_legalcriterion_change", args=[criterion.pk])

    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {
            "code": criterion.code,
            "text_fr": criterion.text_fr,
            "text_en": "Every table follows the minimum cell size policy.",
            "provision": criterion.provision_id,
            "mandatory": "on",
            "requester_categories": "[]",
            "order": criterion.order,
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    criterion.refresh_from_db()
    assert criterion.text_en == "Every table follows the minimum cell size policy."
    assert criterion.history.count() >= 1


def test_review_records_are_read_only_in_the_admin():
    client = lead_client()

    assert client.get(reverse("admin:requests_app_decision_add")).status_code == 403
    assert client.get(reverse("admin:requests_app_legalprovision_changelist")).status_code == 200
