"""In a real browser that enforces the Content-Security-Policy, the portal's pages break none of it."""

import pytest
from django.urls import reverse

from portal.roles import Role
from requests_app.models import Status
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def violations_on(browser, live_server, user, paths: list[str]) -> list[str]:
    context = browser.new_context(locale="en-CA")  # no bypass_csp: the browser enforces the policy
    page = context.new_page()
    found = []
    page.on("console", lambda message: "Content Security Policy" in message.text and found.append(message.text))
    try:
        if user is not None:
            sign_in(page, live_server, user)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status < 400, path
    finally:
        context.close()
    return found


def test_public_and_requester_pages_keep_to_the_policy(browser, live_server, reference_data):
    requester = factories.make_user()
    case = factories.make_request(requester=requester, status=Status.UNDER_REVIEW)
    draft = factories.make_request(requester=requester, status=Status.DRAFT)
    paths = [
        reverse("requests_app:list"),
        reverse("requests_app:detail", kwargs={"pk": case.pk}),
        *(reverse(f"requests_app:{step}", kwargs={"pk": draft.pk}) for step in ("profile", "project", "data")),
        reverse("requests_app:review", kwargs={"pk": draft.pk}),
        reverse("transparency"),
    ]

    assert violations_on(browser, live_server, None, [reverse("account_login"), reverse("account_signup")]) == []
    assert violations_on(browser, live_server, requester, paths) == []


def test_staff_pages_and_totp_enrolment_keep_to_the_policy(browser, live_server, reference_data):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(officer=officer, status=Status.UNDER_REVIEW)
    newcomer = factories.make_user(role=Role.PRIVACY_OFFICER, mfa=False)

    assert (
        violations_on(
            browser,
            live_server,
            officer,
            [reverse("workspace:queue"), reverse("workspace:case", kwargs={"pk": case.pk})],
        )
        == []
    )
    assert violations_on(browser, live_server, newcomer, [reverse("mfa_index")]) == []


def test_admin_keeps_to_the_policy(browser, live_server, reference_data):
    lead = factories.make_user(role=Role.ACCESS_LEAD, is_staff=True, is_superuser=True)
    factories.make_request(status=Status.RECEIVED)
    paths = [
        "/admin/",
        "/admin/requests_app/datarequest/",
        "/admin/portal/accesslog/",
        "/admin/portal/user/",
        "/admin/stats_app/dataset/",
        "/admin/stats_app/dataset/add/",
    ]

    assert violations_on(browser, live_server, lead, paths) == []
