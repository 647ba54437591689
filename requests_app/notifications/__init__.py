"""Who is told of what, and the outbox that tells them (DESIGN §3, issue 5).

``EVENTS`` is the one table of notifications: for each event of a case, the
notices it sends, each to one audience, with its template
(``templates/emails/<notice>.*``), and whether it is *essential* (a legal
notice to the requester, which nobody can switch off) or optional (each person
chooses in their profile, ``portal.forms.ProfileForm``).

``record`` writes one outbox row (``Notification``) per recipient **inside the
caller's transaction**: ``workflow.transition`` calls it for each transition
that names a notification, ``services.consultation_answer`` for the one event
that is not a transition, and ``deadline_scan`` (Celery beat, daily) for the
reminders. After the commit a Celery task sends each row (``deliver``);
``sweep`` (beat, every minute) queues again what is still pending after its
time. So a broker or a mail server that is down delays e-mails but never loses
them, and never blocks or undoes the event that they tell of.

Every row has an idempotency key (event, case, occurrence, notice, recipient):
the same occurrence recorded twice gives one row, a row is sent at most once
by the portal, and its Message-ID, derived from the key, lets mail clients
drop the rare duplicate that a crash between sending and recording could leave.

E-mails carry no health data and nothing about the requester that the
recipient may not see: staff, custodians and checkers get the reference, the
dates and a link to the portal, where the permission checks apply.

The package splits it by job: ``notices`` (the table and its audiences),
``recording`` (the outbox rows, in the event's transaction), ``outbox``
(delivery by a worker, retries, the sweep) and ``reminders`` (the daily scan).
"""

from requests_app.notifications.notices import EVENTS, NOTICES, REQUESTER, Notice, notices_for
from requests_app.notifications.outbox import (
    GIVE_UP_AFTER,
    RETRY_FIRST_DELAY,
    RETRY_MAX_DELAY,
    SWEEP_AFTER,
    SWEEP_BATCH,
    deliver,
    give_up,
    message_id,
    render,
    retry_delay,
    retry_now,
    sweep,
)
from requests_app.notifications.recording import queue_deliveries, record
from requests_app.notifications.reminders import deadline_scan

__all__ = [
    "EVENTS",
    "GIVE_UP_AFTER",
    "NOTICES",
    "REQUESTER",
    "RETRY_FIRST_DELAY",
    "RETRY_MAX_DELAY",
    "SWEEP_AFTER",
    "SWEEP_BATCH",
    "Notice",
    "deadline_scan",
    "deliver",
    "give_up",
    "message_id",
    "notices_for",
    "queue_deliveries",
    "record",
    "render",
    "retry_delay",
    "retry_now",
    "sweep",
]
