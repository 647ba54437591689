"""A requester signs in through the real pages, in a real browser."""

import pytest

from portal.roles import Role
from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("reference_data")]


def test_requester_signs_in_and_reaches_my_requests(live_server, page):
    requester = factories.make_user(role=Role.REQUESTER)

    page.goto(f"{live_server.url}/")
    screenshot(page, "home")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", requester.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()

    page.wait_for_url(f"{live_server.url}/requests/")
    screenshot(page, "my-requests")
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_role("link", name="Nouvelle demande").click()
    page.wait_for_selector("ol.steps")
    screenshot(page, "intake-step-1")
    assert page.locator("ol.steps [aria-current=step]").count() == 1
