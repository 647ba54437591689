"""Dates and numbers are written the way each language writes them: "28 novembre 2026", "November 28, 2026"."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format, number_format

from portal.roles import Role
from requests_app.models import Status
from tests import factories
from tests.requests_app.pages import client_for, text

MONTREAL = ZoneInfo("America/Montreal")
#: Received on 8 November 2026: the 20 calendar days of the Act run out on 28 November 2026.
RECEIVED = datetime(2026, 11, 8, 10, 30, tzinfo=MONTREAL)


@pytest.fixture
def french_requester(db):
    return factories.make_user(role=Role.REQUESTER)


@pytest.fixture
def received(french_requester):
    return factories.make_request(requester=french_requester, status=Status.RECEIVED, now=RECEIVED)


def french_client(user) -> Client:
    type(user).objects.filter(pk=user.pk).update(language="fr")
    client = Client()
    client.force_login(user)
    return client


def test_the_request_page_writes_dates_in_french(received, french_requester):
    page = text(french_client(french_requester).get(reverse("requests_app:detail", kwargs={"pk": received.pk})))

    assert 'lang="fr"' in page
    assert "28 novembre 2026" in page
    assert "8 novembre 2026 10:30" in page
    assert "November" not in page


def test_the_request_page_writes_dates_in_english(received, french_requester):
    page = text(client_for(french_requester).get(reverse("requests_app:detail", kwargs={"pk": received.pk})))

    assert 'lang="en"' in page
    assert "November 28, 2026" in page
    assert "November 8, 2026, 10:30 a.m." in page
    assert "novembre" not in page
    assert "Nov." not in page


def test_the_workspace_writes_the_due_date_in_the_officers_language(db):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer, now=RECEIVED)
    url = reverse("workspace:case", kwargs={"pk": case.pk})

    assert "28 novembre 2026" in text(french_client(officer).get(url))
    assert "November 28, 2026" in text(client_for(officer).get(url))


def test_the_notice_of_receipt_is_dated_in_the_requesters_language(db):
    english_requester = factories.make_user(role=Role.REQUESTER, language="en")
    english = factories.make_request(requester=english_requester, status=Status.RECEIVED, now=RECEIVED)
    french = factories.make_request(status=Status.RECEIVED, now=RECEIVED)

    assert "November 28, 2026" in english.acknowledgement
    assert "28 novembre 2026" in french.acknowledgement


def test_numbers_use_the_languages_separators():
    with translation.override("fr"):
        assert date_format(RECEIVED.date(), "DATE_FORMAT") == "8 novembre 2026"
        assert number_format(12345.5, decimal_pos=1, force_grouping=True) == "12\xa0345,5"
    with translation.override("en"):
        assert date_format(RECEIVED.date(), "DATE_FORMAT") == "November 8, 2026"
        assert number_format(12345.5, decimal_pos=1, force_grouping=True) == "12,345.5"
