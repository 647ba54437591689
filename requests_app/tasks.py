"""Celery tasks of the case side: the notification outbox (STYLE §6: thin, safe to repeat).

The rules (who is told, backoff, when to give up) live in ``requests_app.notifications``;
these tasks only load ids and call it.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from requests_app import notifications
from requests_app.models import NotificationStatus


@shared_task(name="requests_app.tasks.send_notification", bind=True, acks_late=True, max_retries=3)
def send_notification(self, *, notification_id: int) -> None:
    """Send one outbox row. A mail server that fails is tried again by this task with backoff, a few times;
    then the periodic ``sweep_outbox`` carries on, with the same backoff, until the row is sent or given up."""
    try:
        row = notifications.deliver(notification_id=notification_id)
    except (OperationalError, InterfaceError):
        raise  # the database is away: the row is untouched, still pending, and the sweep will queue it again
    except Exception as error:
        # A bug or bad data is not retried: the row is failed with its error, for the people who run the portal.
        notifications.give_up(notification_id=notification_id, error=error)
        raise
    if row is None or row.status != NotificationStatus.PENDING or self.request.retries >= self.max_retries:
        return
    raise self.retry(countdown=max(0.0, (row.next_attempt_at - timezone.now()).total_seconds()))


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    """Beat, every minute: queue again the rows whose message was lost (broker down, worker killed)."""
    return len(notifications.sweep())


@shared_task(acks_late=True)
def scan_deadlines() -> int:
    """Beat, daily at 07:00 (Montréal): reminders before the due date, overdue alerts, waiting clarifications."""
    return len(notifications.deadline_scan())
