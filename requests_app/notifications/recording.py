"""Recording, inside the event's transaction: one outbox row per recipient, queued after the commit."""

import logging
from collections.abc import Iterator

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from portal.models import User
from requests_app import clock
from requests_app.models import (
    Amendment,
    Clarification,
    Consultation,
    DataRequest,
    Decision,
    Notification,
)
from requests_app.notifications.notices import EVENTS, Notice

logger = logging.getLogger(__name__)

# --- Recording, inside the event's transaction -------------------------------------------


def _facts(case: DataRequest, about) -> dict:
    """What the message needs, frozen at the event: primitives only, never health data or personal details.

    Dates are ISO strings under keys ending in ``_on`` (templates receive them as dates).
    """
    facts = {"reference": case.reference, "due_on": clock.local_date(case.due_at).isoformat() if case.due_at else None}
    if isinstance(about, Consultation):
        facts.update(consultation_id=about.pk, answer_due_on=about.due_on.isoformat())
    elif isinstance(about, Decision):
        facts["decision_id"] = about.pk
    elif isinstance(about, Amendment):
        facts["amendment_id"] = about.pk
    elif isinstance(about, Clarification):
        facts["asked_on"] = clock.local_date(about.asked_at).isoformat()
    return facts


def _recipients(notice: Notice, case: DataRequest, about, actor) -> Iterator[User]:
    """The active members of the audience. An optional notice spares the actor (nobody is told of their own
    action) and whoever switched it off; an essential one is a legal notice and always goes (the requester who
    files gets the written notice of receipt all the same)."""
    seen = set()
    for user in notice.audience.members(case, about):
        if user is None or user.pk in seen or not user.is_active:
            continue
        if not notice.essential and (
            (actor is not None and user.pk == actor.pk) or notice.name in (user.muted_notifications or ())
        ):
            continue
        seen.add(user.pk)
        yield user


def record(
    event: str, *, case: DataRequest, occurrence: str, actor=None, about=None, facts: dict | None = None
) -> list[Notification]:
    """Write the outbox rows of ``event`` on ``case`` in the caller's transaction; queue them once it commits.

    ``occurrence`` identifies this happening of the event (the case's history row for a transition, the
    due date for a reminder): recording the same occurrence again creates nothing. ``about`` is the record
    the event concerns (found on the case by the event when not given); ``facts`` adds to what the message
    says. Returns the rows created by this call.
    """
    spec = EVENTS[event]
    if about is None and spec.about is not None:
        about = spec.about(case)
    facts = {**_facts(case, about), **(facts or {})}
    created = []
    for notice in spec.notices:
        path = notice.audience.page(case, about)
        for recipient in _recipients(notice, case, about, actor):
            row, is_new = Notification.objects.get_or_create(
                idempotency_key=f"{event}:{case.pk}:{occurrence}:{notice.name}:{recipient.pk}",
                defaults={
                    "event": event,
                    "notice": notice.name,
                    "request": case,
                    "recipient": recipient,
                    "language": recipient.language or settings.LANGUAGE_CODE,
                    "context": {**facts, "path": path},
                    "next_attempt_at": timezone.now(),
                },
            )
            if is_new:
                created.append(row)
    queue_after_commit([row.pk for row in created])
    return created


#: Publishing never makes a request wait on a broker that is down: one connection attempt, a short
#: timeout, no publish retries (kombu's defaults retry for seconds, per message). The sweep is the retry.
PUBLISH_CONNECTION_OPTIONS = {"connect_timeout": 2, "transport_options": {"max_retries": 0}}
#: ``requests_app.tasks.send_notification``, queued by name.
SEND_NOTIFICATION = "requests_app.tasks.send_notification"


def queue_after_commit(notification_ids: list[int]) -> None:
    if notification_ids:
        transaction.on_commit(lambda: queue_deliveries(notification_ids), robust=True)


def queue_deliveries(notification_ids: list[int]) -> int:
    """Hand rows to a worker; returns how many were queued. A broker that is down is logged, never raised
    into the request that committed the event: the rows stay pending and ``sweep`` queues them again."""
    queued = 0
    try:
        with current_app.connection_for_write(**PUBLISH_CONNECTION_OPTIONS) as connection:
            for pk in notification_ids:
                # By name: the tasks module imports this one.
                task = current_app.signature(SEND_NOTIFICATION, kwargs={"notification_id": pk})
                task.apply_async(retry=False, connection=connection)
                queued += 1
    except (KombuError, OSError) as error:
        logger.warning("Notifications %s not queued (%s); the sweep will send them.", notification_ids[queued:], error)
    return queued
