"""A refusal, then a review asked of the Commission d'accès à l'information (Access Act ss. 135, 137), in real
Chromium: the requester reads the right, the contact details and the date it lapses, records the review
request, and the officer finds it on the case with what to send the Commission."""

import pytest
from django.utils import timezone

from portal.roles import Role
from requests_app import clock
from requests_app.legal_data import COMMISSION
from requests_app.models import ReviewRequest, Status
from tests import factories
from tests.e2e.journeys import Person

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("reference_data")]


def test_a_refusal_then_a_recorded_review_request(browser, live_server, mail_server):
    requester_user = factories.make_user(language="fr")
    officer_user = factories.make_user(role=Role.PRIVACY_OFFICER, language="fr")
    case = factories.make_request(requester=requester_user, status=Status.REFUSED, officer=officer_user)
    lapses_on = clock.review_lapses_on(case)
    assert lapses_on is not None

    requester = Person(browser, live_server.url, language="fr", name="cai-requester")
    requester.sign_in(requester_user.email)
    requester.go(f"/requests/{case.pk}/")
    box = requester.page.locator("#cai-review")
    assert COMMISSION["telephone"] in box.inner_text()
    assert requester.date(timezone.make_aware(timezone.datetime.combine(lapses_on, timezone.datetime.min.time()))) in (
        requester.page.locator("#review-lapses-on").inner_text()
    )
    today = timezone.localdate().isoformat()
    box.locator("[name=requested_on]").fill(today)
    box.locator("[name=cai_file_number]").fill("CAI 1234567")
    requester.submit("#cai-review form")
    requester.snap("review-recorded")
    review = ReviewRequest.objects.get(request=case)
    assert (review.requested_on.isoformat(), review.cai_file_number) == (today, "CAI 1234567")
    assert "CAI 1234567" in requester.page.locator("#cai-review").inner_text()

    officer = Person(browser, live_server.url, language="fr", name="cai-officer")
    officer.sign_in_staff(officer_user)
    officer.go(f"/workspace/cases/{case.pk}/")
    officer.snap("review-track")
    assert "CAI 1234567" in officer.text()
