import io

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from portal.roles import Role
from tests import factories

#: The synthetic warehouse the statistics tests read (generated once per run).
from tests.smtp_sink import smtp_sink

pytest_plugins = ["tests.warehouse_fixtures"]


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """Each test stores attachments in its own folder; pages need no collected static manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Argon2 takes about 0.7 s a password, and a case needs three users or more: tests hash with MD5.

    Tests marked ``production_hasher`` keep production's hashers (they assert them).
    """
    if request.node.get_closest_marker("production_hasher") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: allauth's rate limits (one confirmation e-mail
    per address every 3 minutes, login attempts...) live there and must not leak between tests."""
    cache.clear()


@pytest.fixture
def requester(db):
    return factories.make_user(role=Role.REQUESTER)


@pytest.fixture
def other_requester(db):
    return factories.make_user(role=Role.REQUESTER)


@pytest.fixture
def dataset(db):
    return factories.make_catalogue()


@pytest.fixture
def requester_client(requester) -> Client:
    client = Client()
    client.force_login(requester)
    return client


@pytest.fixture
def reference_data(transactional_db):
    """Roles and catalogue for transactional tests.

    Their database is flushed between tests, which removes what the data
    migrations loaded; this loads it again through the same code.
    """
    from requests_app import holiday_data, legal_data
    from stats_app import catalogue_data

    call_command("sync_roles", stdout=io.StringIO())
    catalogue_data.load(apps)
    legal_data.load(apps)
    holiday_data.load(apps)


@pytest.fixture
def mail_server(settings):
    """A real SMTP sink on 127.0.0.1, and the portal's e-mail settings pointed at it."""
    with smtp_sink() as (sink, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        sink.port = port
        sink.url = f"smtp://127.0.0.1:{port}"
        yield sink
