"""Fixtures of the notification tests: people in each role, Celery run in the test process, a dead broker."""

from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group

from portal.celery import app
from portal.roles import Role
from requests_app.models import Notification, NotificationStatus
from requests_app.tasks import send_notification
from tests import factories
from tests.smtp_sink import free_port

MONTREAL = ZoneInfo("America/Montreal")
#: A Monday morning in Montréal; with the 20-day delay, a case received then is due on Monday 23 March 2026: the
#: 20th day, 22 March, is a Sunday, and the delay runs to the next working day (Interpretation Act s. 52).
RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=MONTREAL)


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER, language="en")


@pytest.fixture
def lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD, language="en")


@pytest.fixture
def french_lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD, language="fr")


@pytest.fixture
def checker(db):
    return factories.make_user(role=Role.OUTPUT_CHECKER)


def add_role(user, role: Role):
    user.groups.add(Group.objects.get(name=role.value))
    user.__dict__.pop("role_names", None)  # a cached property
    return user


def told(case, notice: str) -> dict[str, str]:
    """Who ``notice`` was recorded for on ``case``: {e-mail: language}."""
    rows = Notification.objects.filter(request=case, notice=notice).select_related("recipient")
    return {row.recipient.email: row.language for row in rows}


def row_for(case, notice: str, user) -> Notification:
    return Notification.objects.get(request=case, notice=notice, recipient=user)


def send_pending() -> None:
    """What a worker does with the rows queued after a commit (the test's transaction never commits)."""
    for pk in Notification.objects.filter(status=NotificationStatus.PENDING).values_list("pk", flat=True):
        send_notification.apply(kwargs={"notification_id": pk})


@contextmanager
def tasks_in_process():
    """Tasks run where they are queued, as ``apply`` runs them (retries included, at once), with no broker."""
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield app
    finally:
        app.conf.task_always_eager = saved


@pytest.fixture
def celery_in_process():
    with tasks_in_process() as in_process:
        yield in_process


def _forget_broker_connections() -> None:
    # Celery keeps a pool of broker connections per process; drop it so the next publish connects anew.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def unreachable_broker():
    """The broker is down: Celery publishes to a port on which nothing listens (Redis stopped)."""
    saved = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    _forget_broker_connections()
    yield
    app.conf.broker_url = saved
    _forget_broker_connections()
