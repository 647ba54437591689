"""Fixtures of the fault drills: a Redis of the drill's own as the broker."""

import pytest

from portal.celery import app
from tests.drills.services import private_redis
from tests.drills.workers import forget_broker_connections


@pytest.fixture
def drill_redis(settings):
    """A Redis of the drill's own as the broker of this process (the web side); stopped afterwards."""
    with private_redis() as server:
        saved = app.conf.broker_url
        app.conf.broker_url = settings.CELERY_BROKER_URL = server.url(0)
        forget_broker_connections()
        try:
            yield server
        finally:
            app.conf.broker_url = saved
            forget_broker_connections()
