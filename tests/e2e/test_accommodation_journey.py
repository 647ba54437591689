"""An accommodation carried into the letter, in real Chromium (Access Act s. 47, 1.1°): the requester asks
for it on the first step, the officer decides it at the top of the case, and the decision letter the
requester reads states it."""

import pytest

from portal.roles import Role
from requests_app import services
from requests_app.models import Accommodation, DataRequest, Status
from tests import factories
from tests.e2e.journeys import Person

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("reference_data")]

WORDS = "I use a screen reader: please send plain-text files and call me before each step."
REASON = "Plain-text files will be sent, and your officer will call you before each step."


def test_an_accommodation_asked_for_at_intake_is_decided_and_stated_in_the_letter(browser, live_server, mail_server):
    requester_user = factories.make_user(language="en")
    requester = Person(browser, live_server.url, language="en", name="accommodation-requester")
    requester.sign_in(requester_user.email)
    requester.go("/requests/new/")
    page = requester.page
    page.fill("[name=contact_name]", "Ada Tremblay")
    requester.choose("requester_category", "citizen")
    requester.choose("accommodation", Accommodation.FORMAT)
    page.fill("[name=accommodation_details]", WORDS)
    requester.submit("main form", "button[value=save]")
    case = DataRequest.objects.get(requester=requester_user)
    assert (case.accommodation, case.accommodation_details) == (Accommodation.FORMAT, WORDS)

    # The rest of the request, as the intake steps would save it, then filed and assigned.
    dataset = factories.make_catalogue()
    services.request_update_draft(case=case, actor=requester_user, step="project", values=factories.PROJECT)
    services.specification_save(
        case=case,
        actor=requester_user,
        dataset=dataset,
        measure="persons",
        dimensions=factories.dimension_codes(dataset)[:1],
    )
    services.attachment_add(case=case, actor=requester_user, kind="protocol", uploaded=factories.pdf_file())
    services.request_update_draft(
        case=case,
        actor=requester_user,
        step="declarations",
        values={"declares_no_reidentification": True, "declares_source_citation": True},
    )
    case = services.request_submit(case=case, actor=requester_user)
    officer_user = factories.make_user(role=Role.PRIVACY_OFFICER, language="en")
    lead = factories.make_user(role=Role.ACCESS_LEAD, language="en")
    case = services.case_assign(case=case, actor=lead, officer=officer_user)

    officer = Person(browser, live_server.url, language="en", name="accommodation-officer")
    officer.sign_in_staff(officer_user)
    officer.go(f"/workspace/cases/{case.pk}/")
    accommodation = officer.page.locator("#accommodation")
    assert "screen reader" in accommodation.inner_text()
    officer.choose("outcome", "granted", within="#accommodation")
    accommodation.locator("textarea[name=reason]").fill(REASON)
    officer.submit("#accommodation form")
    officer.snap("accommodation-decided")
    assert REASON in officer.page.locator("#accommodation-decision").inner_text()

    for criterion in services.criteria_for(case):
        services.criterion_assess(case=case, actor=officer_user, criterion=criterion, outcome="met")
    services.decision_propose(case=case, actor=officer_user, outcome="approved", reasons="", provisions=[])
    services.decision_sign_off(case=case, actor=lead)
    case.refresh_from_db()
    assert case.status != Status.DECISION_PROPOSED

    requester.go(f"/requests/{case.pk}/")
    letter = requester.page.locator(".decision-letter").inner_text()
    requester.snap("letter-with-accommodation")
    assert "Accommodation (Access Act, s. 47): Documents in another format" in letter
    assert REASON in letter
