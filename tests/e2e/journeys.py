"""The people of a browser journey: each has their own browser context, language and session.

Selectors use names, form ids and values (the same in French and English); the
text a person reads is checked in their language by the journeys themselves.
"""

import re

from django.utils import formats, timezone, translation
from playwright.sync_api import Page

from tests import factories
from tests.e2e.conftest import screenshot


class Person:
    """Someone using the portal in their own browser window."""

    def __init__(self, browser, base_url: str, *, language: str, name: str):
        self.base_url = base_url
        self.name = name
        self.language = language
        self.context = browser.new_context(locale=f"{language}-CA", accept_downloads=True)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(20_000)

    def go(self, path: str) -> Page:
        self.page.goto(f"{self.base_url}{path}")
        return self.page

    def snap(self, what: str) -> None:
        screenshot(self.page, f"{self.language}-{self.name}-{what}")

    def submit(self, form: str, button: str = "button[type=submit]") -> None:
        """Click a form's submit button and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.locator(form).locator(button).first.click()

    def choose(self, name: str, value: str | None = None, *, within: str = "main") -> None:
        """Pick ``value`` (or the first choice) of a field shown as a list or as radio buttons."""
        field = self.page.locator(within).locator(f"[name={name}]")
        if field.first.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value) if value else field.select_option(index=1)
        else:
            (field.and_(self.page.locator(f"[value='{value}']")) if value else field).first.check()

    def release(self) -> None:
        """On an output's page: tick every point of the release checklist, then release."""
        for box in self.page.locator("#release-form [name=attest]").all():
            box.check()
        self.submit("#release-form")

    def sign_in(self, email: str, password: str = factories.PASSWORD, *, totp_secret: str | None = None) -> None:
        self.go("/accounts/login/")
        self.page.fill("input[name=login]", email)
        self.page.fill("input[name=password]", password)
        self.submit("form:has(input[name=password])")
        if totp_secret:
            self.page.wait_for_selector("input[name=code]")
            self.page.fill("input[name=code]", factories.totp_code(totp_secret))
            self.submit("form:has(input[name=code])", "button[type=submit]:not([form])")
        assert "/accounts/login" not in self.page.url, f"{self.name} could not sign in"
        assert "/accounts/2fa/" not in self.page.url, f"{self.name}'s second factor was refused: {self.text()}"

    def sign_in_staff(self, user) -> None:
        self.sign_in(user.email, totp_secret=factories.TOTP_SECRET)

    def date(self, moment) -> str:
        """A date as this person's pages show it ("28 novembre 2026", "November 28, 2026")."""
        with translation.override(self.language):
            return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")

    def text(self) -> str:
        return self.page.locator("main").inner_text()

    def close(self) -> None:
        self.context.close()


def link_in(body: str, path_pattern: str) -> str:
    """The first absolute link in an e-mail body whose path matches ``path_pattern``."""
    match = re.search(rf"https?://[^\s\"<>]+{path_pattern}[^\s\"<>]*", body)
    assert match, f"no link matching {path_pattern!r} in:\n{body}"
    return match.group(0)
