"""The staff timeline speaks its reader's language (issue: the timeline showed "Brouillon enregistré (profile)"
and "medical_services.persons × age_group, region" to an English or French reader alike).

A history reason is words a person wrote. What a move was about (the outcome proposed, the table released) is
kept in codes in the audit event and told in the language of whoever reads the page.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from portal.roles import Role
from requests_app import services
from requests_app.models import DecisionOutcome, Status
from stats_app.models import Custodian, Dataset
from tests import factories

DAYS_10 = timedelta(days=10)

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"])]


def timeline_of(user, case, language: str) -> str:
    type(user).objects.filter(pk=user.pk).update(language=language)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("workspace:case", kwargs={"pk": case.pk})).content.decode()
    history = page[page.index('id="history-title"') :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", history))


@pytest.fixture
def released(warehouse):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    requester = factories.make_user(language="fr")
    return factories.make_request(status=Status.RELEASED, officer=officer, requester=requester), officer


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_timeline_names_no_internal_code_in_either_language(released, language):
    case, officer = released
    timeline = timeline_of(officer, case, language)
    for internal in ("(profile)", "(project)", "(declarations)", "medical_services", "persons ×", "age_group"):
        assert internal not in timeline
    # The requester wrote in French: nothing they did is told in French to an English reader.
    if language == "en":
        assert "Brouillon" not in timeline


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_proposed_outcome_and_the_released_table_are_told_in_the_readers_language(released, language):
    case, officer = released
    timeline = timeline_of(officer, case, language)
    with translation.override(language):
        outcome = str(DecisionOutcome.APPROVED.label)
        dataset = case.specifications.order_by("pk").first().dataset.name
    assert f"({outcome})" in timeline
    assert re.search(rf"\((Table|Tableau) 1, {re.escape(dataset)} — ", timeline), timeline


def test_the_language_of_correspondence_is_named_not_coded(released):
    case, officer = released
    type(officer).objects.filter(pk=officer.pk).update(language="en")
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("workspace:case", kwargs={"pk": case.pk})).content.decode()
    assert re.search(r"Language of correspondence</dt><dd>Français</dd>", page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_custodian_consulted_is_named_in_the_readers_language(warehouse, language):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(
        dataset=Dataset.objects.get(code="hospital_stays"), status=Status.UNDER_REVIEW, officer=officer
    )
    ministry = Custodian.objects.get(code="msss")
    services.consultation_open(
        case=case, actor=officer, custodian=ministry, question="Do you agree?", due_on=timezone.localdate() + DAYS_10
    )
    timeline = timeline_of(officer, case, language)
    with translation.override(language):
        name = ministry.name
    assert f"({name})" in timeline
    assert "msss" not in timeline
