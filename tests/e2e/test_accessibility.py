"""Every main page, as the user who sees it, passes axe-core (WCAG 2.1 A/AA and best practices):
no serious or critical violation. Also the keyboard path, the error summaries and the phone layout."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.roles import Role
from requests_app import services
from requests_app.models import Status
from stats_app.models import Custodian, Dataset
from tests import factories
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import new_page, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("reference_data")]


def visit(page, live_server, path: str, name: str) -> None:
    """Open ``path`` and check it, with every collapsed section (<details>) opened so axe sees its forms."""
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status < 500, f"{path} answered {response and response.status}"
    page.evaluate("() => document.querySelectorAll('details').forEach((details) => { details.open = true; })")
    assert_accessible(page, name)


def submit(page, selector: str = "main form button[type=submit]") -> None:
    """Press a form's button and wait for the page that answers."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def assert_error_summary(page) -> None:
    """A failed submit shows the error summary, and it has the focus."""
    summary = page.locator(".error-summary").first
    assert summary.is_visible(), f"no error summary on {page.url}"
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')"), (
        f"the error summary does not have the focus on {page.url}"
    )


def assert_tables_fit(page) -> None:
    """At desktop width, no table needs its horizontal scroll bar."""
    clipped = page.evaluate(
        "() => Array.from(document.querySelectorAll('.table-wrapper'))"
        ".filter((wrapper) => wrapper.scrollWidth > wrapper.clientWidth + 1)"
        ".map((wrapper) => wrapper.querySelector('caption')?.textContent || wrapper.className)"
    )
    assert not clipped, f"tables wider than the page on {page.url}: {clipped}"


def assert_words_whole(page) -> None:
    """At desktop width, no word of a table's headers or cells is split across two lines ("Statu / t")."""
    split = page.evaluate(
        """() => {
          const found = [];
          for (const cell of document.querySelectorAll('table.table th, table.table td')) {
            if (cell.closest('.break-anywhere')) continue;
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              if (node.parentElement.closest('.break-anywhere')) continue;
              for (const match of node.textContent.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set(Array.from(range.getClientRects()).map((rect) => Math.round(rect.top)));
                if (lines.size > 1) found.push(match[0]);
              }
            }
          }
          return found;
        }"""
    )
    assert not split, f"words split across lines on {page.url}: {split[:10]}"


def english(user):
    type(user).objects.filter(pk=user.pk).update(language="en")
    return user


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None)


# --- Pages anyone sees --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_public_pages_are_accessible(live_server, browser, language):
    for _case in range(6):  # figures for the transparency page's charts
        factories.make_request(status=Status.RECEIVED)
    page = new_page(browser, locale="fr-CA" if language == "fr" else "en-CA")
    try:
        visit(page, live_server, url("transparency"), f"a11y-{language}-transparency")
        assert page.locator("main svg").count() >= 1
        visit(page, live_server, "/", f"a11y-{language}-home")
        assert page.locator("html").get_attribute("lang") == language
        visit(page, live_server, url("account_login"), f"a11y-{language}-login")
        submit(page)
        assert_error_summary(page)
        assert_accessible(page, f"a11y-{language}-login-errors")
        visit(page, live_server, url("account_signup"), f"a11y-{language}-signup")
        page.fill("input[name=email]", "not-an-address")
        submit(page)
        assert_error_summary(page)
        assert_accessible(page, f"a11y-{language}-signup-errors")
        visit(page, live_server, url("account_reset_password"), f"a11y-{language}-password-reset")
        visit(page, live_server, "/requests/999999/nowhere/", f"a11y-{language}-404")
        assert page.locator("h1").count() == 1
    finally:
        page.context.close()


def test_error_pages_have_the_portals_frame_and_language_switcher(live_server, page):
    requester = factories.make_user()
    sign_in(page, live_server, requester)
    response = page.goto(f"{live_server.url}{url('workspace:queue')}")
    assert response.status == 403
    assert_accessible(page, "a11y-fr-403")
    assert page.locator(".language-switcher button").count() == 1

    response = page.goto(f"{live_server.url}{url('requests_app:detail', pk=999999)}")
    assert response.status == 404
    assert_accessible(page, "a11y-fr-404-signed-in")
    assert page.locator(".language-switcher button").count() == 1


# --- The MFA pages a staff member sees ------------------------------------------------------


def sign_in_through_the_form(page, live_server, user) -> None:
    page.goto(f"{live_server.url}{url('account_login')}")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", factories.PASSWORD)
    submit(page, "main form button[type=submit]")


def test_staff_mfa_pages_are_accessible(live_server, page):
    enrolled = factories.make_user(role=Role.PRIVACY_OFFICER)
    sign_in_through_the_form(page, live_server, enrolled)
    page.wait_for_selector("input[name=code]")
    assert_accessible(page, "a11y-fr-mfa-authenticate")
    page.fill("input[name=code]", "000001")
    submit(page, "main form button[type=submit]:not([form])")
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-mfa-authenticate-errors")
    page.fill("input[name=code]", factories.totp_code())
    submit(page, "main form button[type=submit]:not([form])")
    visit(page, live_server, url("mfa_index"), "a11y-fr-mfa-index")
    page.context.clear_cookies()

    newcomer = factories.make_user(role=Role.PRIVACY_OFFICER, mfa=False)
    sign_in_through_the_form(page, live_server, newcomer)
    page.goto(f"{live_server.url}{url('mfa_activate_totp')}")
    if page.locator("input[name=password]").count():  # allauth may first ask for the password again
        assert_accessible(page, "a11y-fr-reauthenticate")
        page.fill("input[name=password]", factories.PASSWORD)
        submit(page)
    page.wait_for_selector("input[name=code]")
    assert_accessible(page, "a11y-fr-mfa-activate")
    page.fill("input[name=code]", "000001")
    submit(page, "main form button[type=submit]")
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-mfa-activate-errors")


# --- The requester's pages --------------------------------------------------------------------


def test_intake_steps_are_accessible_blank_and_after_a_failed_submit(live_server, page):
    requester = factories.make_user()
    sign_in(page, live_server, requester)
    visit(page, live_server, url("requests_app:list"), "a11y-fr-my-requests-empty")
    page.click("#new-request")
    page.wait_for_selector("ol.steps")
    assert_accessible(page, "a11y-fr-new-request")
    submit(page, "button[name=action][value=save]")  # the draft exists from this first save
    case_pk = int(page.url.rstrip("/").split("/")[-2])

    for step in ("profile", "project", "declarations"):
        visit(page, live_server, url(f"requests_app:{step}", pk=case_pk), f"a11y-fr-step-{step}")
        submit(page, "button[name=action][value=continue]")
        assert_error_summary(page)
        assert_accessible(page, f"a11y-fr-step-{step}-errors")

    visit(page, live_server, url("requests_app:data", pk=case_pk), "a11y-fr-step-data")
    submit(page, "button[name=action][value=continue]")
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-step-data-errors")

    dataset = Dataset.objects.get(code="medical_services")
    visit(
        page,
        live_server,
        url("requests_app:specification_new", pk=case_pk) + f"?dataset={dataset.code}",
        "a11y-fr-specification",
    )
    submit(page, "main form.card button[type=submit]")
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-specification-errors")

    visit(page, live_server, url("requests_app:attachments", pk=case_pk), "a11y-fr-step-attachments")
    submit(page, "button[name=action][value=upload]")
    assert_accessible(page, "a11y-fr-step-attachments-after-upload")

    visit(page, live_server, url("requests_app:review", pk=case_pk), "a11y-fr-review-with-problems")

    draft = factories.make_request(requester=requester, status=Status.DRAFT)
    visit(page, live_server, url("requests_app:review", pk=draft.pk), "a11y-fr-review-complete")
    visit(page, live_server, url("requests_app:data", pk=draft.pk), "a11y-fr-step-data-with-tables")
    visit(page, live_server, url("requests_app:attachments", pk=draft.pk), "a11y-fr-step-attachments-with-files")
    visit(page, live_server, url("requests_app:detail", pk=draft.pk), "a11y-fr-detail-draft")
    visit(page, live_server, url("requests_app:delete", pk=draft.pk), "a11y-fr-delete-draft")


def test_request_pages_in_each_state_are_accessible(live_server, page):
    requester = factories.make_user()
    received = factories.make_request(requester=requester, status=Status.RECEIVED)
    awaiting = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER)
    refused = factories.make_request(requester=requester, status=Status.REFUSED)
    withdrawn = factories.make_request(requester=requester, status=Status.WITHDRAWN)
    sign_in(page, live_server, requester)

    visit(page, live_server, url("requests_app:list"), "a11y-fr-my-requests")
    visit(page, live_server, url("requests_app:detail", pk=received.pk), "a11y-fr-detail-received")
    visit(page, live_server, url("requests_app:acknowledgement", pk=received.pk), "a11y-fr-acknowledgement")
    visit(page, live_server, url("requests_app:withdraw", pk=received.pk), "a11y-fr-withdraw")
    submit(page)
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-withdraw-errors")
    visit(page, live_server, url("requests_app:detail", pk=awaiting.pk), "a11y-fr-detail-awaiting-requester")
    submit(page, "#open-question form button[type=submit]")
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-detail-answer-errors")
    visit(page, live_server, url("requests_app:detail", pk=refused.pk), "a11y-fr-detail-refused")
    visit(page, live_server, url("requests_app:detail", pk=withdrawn.pk), "a11y-fr-detail-withdrawn")


# --- The agency's pages ---------------------------------------------------------------------------


def test_workspace_pages_are_accessible(live_server, page):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, first_name="Marie", last_name="Roy")
    lead = factories.make_user(role=Role.ACCESS_LEAD, first_name="Luc", last_name="Côté")
    # The ministry's data, so that its consultation is on the page.
    under_review = factories.make_request(
        status=Status.UNDER_REVIEW, officer=officer, dataset=Dataset.objects.get(code="hospital_stays")
    )
    factories.make_request(status=Status.RECEIVED)
    proposed = factories.make_request(status=Status.DECISION_PROPOSED, officer=officer)
    awaiting = factories.make_request(status=Status.AWAITING_REQUESTER, officer=officer)
    ministry = Custodian.objects.get(code="msss")
    services.consultation_open(
        case=under_review,
        actor=officer,
        custodian=ministry,
        question="Do you agree?",
        due_on=timezone.localdate() + timedelta(days=10),
    )

    sign_in(page, live_server, officer)
    visit(page, live_server, url("workspace:queue"), "a11y-fr-workspace-queue")
    visit(page, live_server, url("workspace:queue") + "?queue=all", "a11y-fr-workspace-queue-all")
    visit(page, live_server, url("workspace:case", pk=under_review.pk), "a11y-fr-workspace-case-under-review")
    submit(page, "#ask-form button[type=submit]")
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-workspace-case-errors")
    visit(page, live_server, url("workspace:case", pk=awaiting.pk), "a11y-fr-workspace-case-awaiting")
    page.context.clear_cookies()

    sign_in(page, live_server, lead)
    visit(page, live_server, url("workspace:queue") + "?queue=all", "a11y-fr-workspace-queue-lead")
    assert_tables_fit(page)
    assert_words_whole(page)
    visit(page, live_server, url("workspace:workload"), "a11y-fr-workspace-workload")
    assert_tables_fit(page)
    assert_words_whole(page)
    visit(page, live_server, url("workspace:case", pk=proposed.pk), "a11y-fr-workspace-case-proposed")


def test_consultation_pages_are_accessible(live_server, page):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    ministry = Custodian.objects.get(code="msss")
    representative = factories.make_user(role=Role.DATA_CUSTODIAN, custodian=ministry)
    case = factories.make_request(
        status=Status.UNDER_REVIEW, officer=officer, dataset=Dataset.objects.get(code="hospital_stays")
    )
    consultation = services.consultation_open(
        case=case,
        actor=officer,
        custodian=ministry,
        question="Do you agree to these statistics on hospital stays?",
        due_on=timezone.localdate() + timedelta(days=10),
    )

    sign_in(page, live_server, representative)
    visit(page, live_server, url("consultations:list"), "a11y-fr-consultations")
    assert_tables_fit(page)
    visit(page, live_server, url("consultations:detail", pk=consultation.pk), "a11y-fr-consultation")
    submit(page)
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-consultation-errors")


@pytest.mark.django_db(transaction=True, databases=["default", "warehouse"])
@pytest.mark.usefixtures("warehouse")
def test_output_pages_and_released_request_are_accessible(live_server, page):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    checking = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    released = factories.make_request(status=Status.RELEASED)

    sign_in(page, live_server, checker)
    visit(page, live_server, url("outputs:queue"), "a11y-fr-outputs-queue")
    assert_tables_fit(page)
    visit(page, live_server, url("outputs:detail", pk=checking.table_jobs.get().pk), "a11y-fr-output-detail")
    submit(page, "#return-form button[type=submit]")
    assert_error_summary(page)
    assert_accessible(page, "a11y-fr-output-detail-errors")
    page.context.clear_cookies()

    sign_in(page, live_server, released.requester)
    visit(page, live_server, url("requests_app:detail", pk=released.pk), "a11y-fr-detail-released")
    page.context.clear_cookies()

    sign_in(page, live_server, officer)
    visit(page, live_server, url("workspace:case", pk=checking.pk), "a11y-fr-workspace-case-output-checking")


# --- The core pages in English -------------------------------------------------------------------


def test_core_pages_are_accessible_in_english(live_server, page):
    requester = english(factories.make_user())
    officer = english(factories.make_user(role=Role.PRIVACY_OFFICER))
    awaiting = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER, officer=officer)
    draft = factories.make_request(requester=requester, status=Status.DRAFT)

    sign_in(page, live_server, requester)
    visit(page, live_server, url("requests_app:list"), "a11y-en-my-requests")
    assert page.locator("html").get_attribute("lang") == "en"
    visit(page, live_server, url("requests_app:profile", pk=draft.pk), "a11y-en-step-profile")
    page.fill("input[name=contact_name]", "")
    submit(page, "button[name=action][value=continue]")
    assert_error_summary(page)
    assert_accessible(page, "a11y-en-step-profile-errors")
    visit(page, live_server, url("requests_app:review", pk=draft.pk), "a11y-en-review")
    visit(page, live_server, url("requests_app:detail", pk=awaiting.pk), "a11y-en-detail-awaiting-requester")
    visit(page, live_server, url("profile"), "a11y-en-profile-requester")
    page.context.clear_cookies()

    sign_in(page, live_server, officer)
    visit(page, live_server, url("workspace:queue") + "?queue=all", "a11y-en-workspace-queue")
    assert_tables_fit(page)
    visit(page, live_server, url("workspace:case", pk=awaiting.pk), "a11y-en-workspace-case")
    visit(page, live_server, url("profile"), "a11y-en-profile-officer")


# --- Keyboard ---------------------------------------------------------------------------------------


def test_the_first_tab_reaches_the_skip_link_and_it_moves_focus_to_main(live_server, page):
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert focused == ["skip-link", "#main"]
    assert page.locator(".skip-link").bounding_box()["y"] >= 0, "the skip link stays off screen when focused"
    screenshot(page, "keyboard-skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_focus_is_visible_on_links_buttons_and_fields(live_server, page):
    page.goto(f"{live_server.url}{url('account_login')}")
    seen = set()
    for _ in range(25):
        page.keyboard.press("Tab")
        element = page.evaluate(
            """() => {
              const element = document.activeElement;
              const style = getComputedStyle(element);
              const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
                && style.outlineColor !== "rgba(0, 0, 0, 0)" && style.outlineColor !== "transparent";
              const shadow = style.boxShadow && style.boxShadow !== "none";
              return {tag: element.tagName, text: (element.textContent || element.name || "").trim().slice(0, 40),
                      visible: outline || shadow};
            }"""
        )
        if element["tag"] == "BODY":
            break
        assert element["visible"], f"no visible focus on {element}"
        seen.add(element["tag"])
    assert {"A", "BUTTON", "INPUT"} <= seen


def test_the_error_summary_takes_the_focus_and_its_links_move_it_to_the_fields(live_server, page):
    requester = factories.make_user()
    draft = factories.make_request(requester=requester, status=Status.DRAFT)
    sign_in(page, live_server, requester)
    page.goto(f"{live_server.url}{url('requests_app:profile', pk=draft.pk)}")
    page.fill("input[name=contact_name]", "")
    page.locator("input[name=requester_category]").first.check()
    page.fill("input[name=organisation]", "")
    submit(page, "button[name=action][value=continue]")
    assert_error_summary(page)
    screenshot(page, "keyboard-error-summary")

    links = page.locator(".error-summary a")
    assert links.count() >= 2
    for index in range(links.count()):
        target = links.nth(index).get_attribute("href").lstrip("#")
        links.nth(index).focus()
        page.keyboard.press("Enter")
        active = page.evaluate("() => document.activeElement.id")
        assert active == target, f"the link to #{target} left the focus on #{active}"
        field = page.locator(f"[id='{target}']")
        assert field.get_attribute("aria-invalid") == "true" or field.evaluate("e => e.tagName") == "FIELDSET"
        page.locator(".error-summary").focus()


def test_radio_groups_in_the_error_summary_take_the_focus(live_server, page):
    requester = factories.make_user()
    sign_in(page, live_server, requester)
    page.goto(f"{live_server.url}{url('requests_app:list')}")
    page.click("#new-request")
    page.wait_for_selector("ol.steps")
    submit(page, "button[name=action][value=continue]")
    link = page.locator(".error-summary a[href='#id_requester_category']")
    link.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "id_requester_category"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "requester_category"


# --- Small screens ------------------------------------------------------------------------------------


_WIDER_THAN_THE_WINDOW = """() => {
  const sticksOut = (element) => element.getBoundingClientRect().right > window.innerWidth + 0.5;
  return Array.from(document.querySelectorAll("body *"))
    .filter((element) => sticksOut(element) && !Array.from(element.children).some(sticksOut))
    .slice(0, 8)
    .map((element) => `${element.tagName.toLowerCase()}.${element.className}`);
}"""


def assert_fits(page, name: str) -> None:
    """Nothing makes the page scroll sideways (WCAG 1.4.10, reflow)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    screenshot(page, f"phone-{name}")
    assert widths[0] <= widths[1], (
        f"{name} is {widths[0]} px wide in a {widths[1]} px window ({page.url}): "
        + ", ".join(page.evaluate(_WIDER_THAN_THE_WINDOW))
    )


def test_main_pages_fit_a_375_pixel_screen(live_server, phone_page):
    page = phone_page
    requester = factories.make_user()
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    lead = factories.make_user(role=Role.ACCESS_LEAD)
    case = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER, officer=officer)
    draft = factories.make_request(requester=requester, status=Status.DRAFT)

    for path, name in (
        ("/", "home"),
        (url("account_login"), "login"),
        (url("account_signup"), "signup"),
        (url("account_reset_password"), "password-reset"),
    ):
        page.goto(f"{live_server.url}{path}")
        assert_fits(page, name)

    sign_in(page, live_server, requester)
    for path, name in (
        (url("requests_app:list"), "my-requests"),
        (url("requests_app:profile", pk=draft.pk), "step-profile"),
        (url("requests_app:project", pk=draft.pk), "step-project"),
        (url("requests_app:data", pk=draft.pk), "step-data"),
        (url("requests_app:attachments", pk=draft.pk), "step-attachments"),
        (url("requests_app:declarations", pk=draft.pk), "step-declarations"),
        (url("requests_app:review", pk=draft.pk), "review"),
        (url("requests_app:detail", pk=case.pk), "detail"),
        (url("requests_app:withdraw", pk=case.pk), "withdraw"),
    ):
        page.goto(f"{live_server.url}{path}")
        assert_fits(page, name)
    page.goto(f"{live_server.url}{url('requests_app:profile', pk=draft.pk)}")
    page.fill("input[name=contact_name]", "")
    submit(page, "button[name=action][value=continue]")
    assert_fits(page, "step-profile-errors")
    page.context.clear_cookies()

    for user in (officer, lead):
        sign_in(page, live_server, user)
        for path, name in (
            (url("workspace:queue") + "?queue=all", "workspace-queue"),
            (url("workspace:case", pk=case.pk), "workspace-case"),
        ):
            page.goto(f"{live_server.url}{path}")
            assert_fits(page, f"{name}-{sorted(user.role_names)[0]}")
        page.context.clear_cookies()
    sign_in(page, live_server, lead)
    page.goto(f"{live_server.url}{url('workspace:workload')}")
    assert_fits(page, "workspace-workload")
