"""Review journeys in real Chromium: a clarification stops and restarts the clock; a refusal cites the Act.

Both run with the real worker, Redis, PostgreSQL and the SMTP sink, as the
approval journey does; the refusal runs once in French and once in English.
"""

from datetime import timedelta

import pytest
from django.db.models import F

from portal.roles import Role
from requests_app import clock
from requests_app.models import Clarification, LegalProvision, Status
from tests import factories
from tests.e2e.journeys import Person
from tests.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("reference_data")]

DAYS_WAITED = 3


def test_a_clarification_stops_the_clock_and_the_answer_restarts_it_with_the_days_waited_added(
    browser, live_server, mail_server, journey_worker
):
    requester_user = factories.make_user(language="en", first_name="Alex", last_name="Martin")
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, language="en", first_name="Marc", last_name="Roy")
    case = factories.make_request(requester=requester_user, status=Status.UNDER_REVIEW, officer=officer)
    first_due = case.due_at

    officer_window = Person(browser, live_server.url, language="en", name="clarification-officer")
    officer_window.sign_in_staff(officer)
    officer_window.go(f"/workspace/cases/{case.pk}/")
    officer_window.page.fill("#ask-form textarea[name$=question]", "Do you need the data by quarter or by year?")
    officer_window.submit("#ask-form")
    case.refresh_from_db()
    assert case.status == Status.AWAITING_REQUESTER
    officer_window.snap("case-clock-stopped")
    assert "Clock stopped since" in officer_window.text()

    requester = Person(browser, live_server.url, language="en", name="clarification-requester")
    requester.sign_in(requester_user.email)
    requester.go(f"/requests/{case.pk}/")
    requester.snap("request-question")
    question = requester.page.locator("#open-question")
    assert "Do you need the data by quarter or by year?" in question.inner_text()
    assert "suspended until you reply" in question.inner_text()

    # The requester takes three days to answer.
    Clarification.objects.filter(request=case).update(asked_at=F("asked_at") - timedelta(days=DAYS_WAITED))
    question.locator("textarea").fill("By year, please: 2023 to 2025.")
    requester.submit("#open-question form")
    requester.snap("request-answered")
    assert "By year, please: 2023 to 2025." in requester.text()

    case.refresh_from_db()
    assert case.status == Status.UNDER_REVIEW
    # The days waited are added back; a total that ends on a Sunday or a holiday runs to the next working day
    # (I-16 s. 52), so the expectation goes through the rule whatever day the journey runs.
    assert case.due_at == clock.due_at(received_at=case.received_at, paused_days=DAYS_WAITED)
    assert case.due_at >= first_due
    officer_window.go(f"/workspace/cases/{case.pk}/")
    officer_window.snap("case-clock-restarted")
    assert f"+{DAYS_WAITED} days" in officer_window.text()
    assert officer_window.date(case.due_at) in officer_window.text()
    assert "Clock stopped since" not in officer_window.text()

    asked = wait_for(lambda: mail_server.to(requester_user.email), message="the e-mail with the question")
    assert f"/requests/{case.pk}/" in mail_server.text(asked[0])
    answered = wait_for(lambda: mail_server.to(officer.email), message="the e-mail telling the officer")
    assert f"/workspace/cases/{case.pk}/" in mail_server.text(answered[0])
    assert "By year" not in mail_server.text(answered[0]), "e-mails link to the portal, they do not carry the case"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_refusal_is_proposed_signed_off_and_its_letter_cites_the_provision(
    browser, live_server, mail_server, journey_worker, language
):
    requester_user = factories.make_user(language=language)
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, language=language, first_name="Marc", last_name="Roy")
    lead = factories.make_user(role=Role.ACCESS_LEAD, language=language, first_name="Louise", last_name="Gagnon")
    case = factories.make_request(requester=requester_user, status=Status.UNDER_REVIEW, officer=officer)
    provision = LegalProvision.objects.get(code="r221_research")

    officer_window = Person(browser, live_server.url, language=language, name="refusal-officer")
    officer_window.sign_in_staff(officer)
    officer_window.go(f"/workspace/cases/{case.pk}/")
    officer_window.page.check("#propose-form [name$=outcome][value=refused]")
    officer_window.page.fill("#propose-form [name$=reasons]", "Les tableaux demandés isolent de trop petits groupes.")
    officer_window.page.check(f"#propose-form [name$=provisions][value='{provision.pk}']")
    officer_window.snap("refusal-proposed")
    officer_window.submit("#propose-form")
    case.refresh_from_db()
    assert case.status == Status.DECISION_PROPOSED, officer_window.text()

    lead_window = Person(browser, live_server.url, language=language, name="refusal-lead")
    lead_window.sign_in_staff(lead)
    lead_window.go(f"/workspace/cases/{case.pk}/")
    assert provision.section in lead_window.page.locator("#pending-decision").inner_text()
    lead_window.submit("#sign-off-form")
    case.refresh_from_db()
    assert case.status == Status.REFUSED

    requester = Person(browser, live_server.url, language=language, name="refusal-requester")
    requester.sign_in(requester_user.email)
    requester.go(f"/requests/{case.pk}/")
    requester.snap("request-refused")
    assert requester.page.locator("html").get_attribute("lang") == language
    letter = requester.page.locator(".decision-letter").inner_text()
    assert provision.section in letter
    assert (provision.summary_fr if language == "fr" else provision.summary_en) in letter

    message = wait_for(lambda: mail_server.to(requester_user.email), message="the decision e-mail")[-1]
    assert provision.section in mail_server.text(message), "the decision e-mail carries the letter"
    assert f"/requests/{case.pk}/" in mail_server.text(message)


def test_an_extension_notified_by_the_officer_is_on_the_requesters_page_and_in_their_history(
    browser, live_server, mail_server, journey_worker
):
    """Access Act s. 47: the notice of extension reaches the requester by e-mail and stays in the portal."""
    requester_user = factories.make_user(language="fr", first_name="Camille", last_name="Tremblay")
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, language="fr", first_name="Marc", last_name="Roy")
    case = factories.make_request(requester=requester_user, status=Status.UNDER_REVIEW, officer=officer)
    first_due = case.due_at
    notice = "Le traitement de votre demande exige la consultation d'un tiers (art. 47 de la Loi sur l'accès)."

    officer_window = Person(browser, live_server.url, language="fr", name="extension-officer")
    officer_window.sign_in_staff(officer)
    officer_window.go(f"/workspace/cases/{case.pk}/")
    officer_window.page.fill("#extend-form [name=days]", "10")
    officer_window.page.fill("#extend-form [name=notice]", notice)
    officer_window.submit("#extend-form form")
    case.refresh_from_db()
    assert case.due_at == clock.due_at(received_at=case.received_at, extension_days=10)  # then I-16 s. 52
    assert case.due_at > first_due
    assert case.extension_notice == notice

    sent = wait_for(lambda: mail_server.to(requester_user.email), message="the notice of extension by e-mail")
    body = mail_server.text(sent[-1])
    assert officer_window.date(case.due_at) in body
    assert f"/requests/{case.pk}/" in body

    requester = Person(browser, live_server.url, language="fr", name="extension-requester")
    requester.sign_in(requester_user.email)
    requester.go(f"/requests/{case.pk}/")
    requester.snap("request-extended")
    assert requester.page.locator("#extension-notice").inner_text().strip() == notice
    history = requester.page.locator("ol.timeline").inner_text()
    assert "Délai prolongé" in history and notice in history
    assert requester.date(case.due_at) in requester.text()
