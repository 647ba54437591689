"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser)."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the
# test makes between browser steps are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` (.ci/run does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


def new_page(browser, *, locale: str = "fr-CA", width: int = 1280, height: int = 800):
    """A page in a fresh browser context. It bypasses the portal's Content-Security-Policy so that
    tests may inject their own tools (axe-core); the portal's pages never rely on that."""
    context = browser.new_context(locale=locale, bypass_csp=True, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def page(browser):
    """A page whose browser asks for French (the portal's default language)."""
    page = new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser):
    """A page as wide as a small phone (375 CSS pixels), in French."""
    page = new_page(browser, width=375, height=740)
    yield page
    page.context.close()


def sign_in(page, live_server, user) -> None:
    """Open a session for ``user`` in the page's browser without the login form (as the test client's
    force_login does). Staff must already have TOTP enrolled; tests of the login pages sign in through them."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def journey_worker(tmp_path, settings, mail_server, live_server):
    """What a journey runs on besides the browser: a real Celery worker on Redis and the
    test databases, sending its e-mails to the SMTP sink; links point to the live server."""
    from tests.worker import running_worker

    settings.PORTAL_BASE_URL = live_server.url
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"  # the live server speaks plain HTTP on loopback
    extra = {"EMAIL_URL": mail_server.url, "PORTAL_BASE_URL": live_server.url}
    with running_worker(settings.PRIVATE_FILES_ROOT, log=tmp_path / "worker.log", extra_env=extra) as process:
        yield process
