"""The profile page: each signed-in person's language and the optional e-mails they receive."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from portal.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/accounts/profile/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ticked(response) -> set[str]:
    """The notices whose box is ticked on the page."""
    page = response.content.decode()
    boxes = re.findall(r'<input[^>]*name="notifications"[^>]*>', page)
    return {re.search(r'value="([^"]+)"', box).group(1) for box in boxes if "checked" in box}


def offered(response) -> set[str]:
    return set(re.findall(r'name="notifications" value="([^"]+)"', response.content.decode()))


def test_the_page_answers_at_its_address():
    assert reverse("profile") == URL


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_requester_chooses_optional_e_mails_and_is_told_that_legal_notices_are_always_sent():
    requester = factories.make_user(language="en")

    response = client_for(requester).get(URL)

    assert response.status_code == 200
    assert offered(response) == ticked(response) == {"clarification_reminder"}
    page = response.content.decode()
    assert "cannot be switched off" in page
    assert "Notice of receipt of my request" in page and "The decision on my request, with its letter" in page
    assert re.search(r'name="language" value="en"[^>]*checked', page)


def test_a_lead_is_offered_the_staff_e_mails_of_their_role_and_no_legal_notice():
    lead = factories.make_user(role=Role.ACCESS_LEAD, language="en")

    response = client_for(lead).get(URL)

    assert {"new_case", "decision_proposed", "overdue_alert", "case_assigned"} <= offered(response)
    assert "consultation_opened" not in offered(response) and "acknowledgement" not in offered(response)
    assert "cannot be switched off" not in response.content.decode()


def test_saving_switches_e_mails_off_and_changes_the_language():
    requester = factories.make_user(language="en")

    response = client_for(requester).post(URL, {"language": "fr"}, follow=True)

    requester.refresh_from_db()
    assert requester.language == "fr"
    assert requester.muted_notifications == ["clarification_reminder"]
    assert '<html lang="fr">' in response.content.decode()
    assert ticked(response) == set()


def test_choices_about_another_roles_e_mails_are_kept():
    lead = factories.make_user(role=Role.ACCESS_LEAD, language="en", muted_notifications=["clarification_reminder"])
    client = client_for(lead)
    wanted = offered(client.get(URL)) - {"new_case"}

    client.post(URL, {"language": "en", "notifications": sorted(wanted)})

    lead.refresh_from_db()
    assert lead.muted_notifications == ["clarification_reminder", "new_case"]


def test_an_invalid_choice_is_shown_with_what_was_entered_and_nothing_is_saved():
    lead = factories.make_user(role=Role.ACCESS_LEAD, language="en")

    response = client_for(lead).post(URL, {"language": "de", "notifications": ["case_assigned"]})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page and "Choose French or English" in page
    assert ticked(response) == {"case_assigned"}
    lead.refresh_from_db()
    assert lead.language == "en" and lead.muted_notifications == []
