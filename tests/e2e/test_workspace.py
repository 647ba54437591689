"""An officer signs in with a TOTP code and works a case, in a real browser."""

import pytest

from portal.roles import Role
from requests_app.models import Status
from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("reference_data")]


def test_officer_signs_in_with_totp_and_asks_the_requester(live_server, page):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, first_name="Marie", last_name="Roy")
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", officer.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_selector("input[name=code]")
    page.fill("input[name=code]", factories.totp_code())
    page.locator("form").filter(has=page.locator("input[name=code]")).locator("button[type=submit]:not([form])").click()

    page.goto(f"{live_server.url}/workspace/")
    screenshot(page, "workspace-queue")
    assert case.reference in page.content()

    page.goto(f"{live_server.url}/workspace/cases/{case.pk}/")
    screenshot(page, "workspace-case")
    question = page.locator("textarea[name$=question]").first
    question.fill("Avez-vous besoin des données par trimestre ?")
    question.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    page.wait_for_load_state()

    case.refresh_from_db()
    assert case.status == Status.AWAITING_REQUESTER
