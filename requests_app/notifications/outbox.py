"""Delivery, by a worker: render, send, retry with backoff, give up, and the sweep of what is left pending."""

import hashlib
import logging
import re
import smtplib
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from requests_app.models import (
    Notification,
    NotificationStatus,
)
from requests_app.notifications.notices import NOTICES, Notice
from requests_app.notifications.recording import queue_after_commit

logger = logging.getLogger(__name__)

# --- Delivery, by a worker ------------------------------------------------------------

#: What a mail server that is down or refusing for a while raises: worth another try later.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)
#: The wait after a failed attempt: doubles with each attempt, up to the cap.
RETRY_FIRST_DELAY = timedelta(minutes=1)
RETRY_MAX_DELAY = timedelta(hours=1)
#: After this long without success a row is failed and an error logged for the people who run the portal.
GIVE_UP_AFTER = timedelta(days=2)
#: How long a row whose attempt is due is left to the message already queued for it before the sweep
#: queues another (the task's own retries, a message waiting behind a long table job).
SWEEP_AFTER = timedelta(minutes=5)
#: Rows the sweep queues at most each time it runs.
SWEEP_BATCH = 500


def retry_delay(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts (1 min, 2, 4, … up to an hour)."""
    return min(RETRY_MAX_DELAY, RETRY_FIRST_DELAY * 2 ** max(attempts - 1, 0))


def message_id(row: Notification) -> str:
    """The same Message-ID for every attempt at one row: a mail client shows a duplicate once."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:32]}@{domain}>"


def _template_context(row: Notification, notice: Notice) -> dict:
    context = {
        key: date.fromisoformat(value) if key.endswith("_on") and value else value for key, value in row.context.items()
    }
    context.update(
        link=settings.PORTAL_BASE_URL + row.context["path"],
        profile_link=settings.PORTAL_BASE_URL + reverse("profile"),
        essential=notice.essential,
        document=notice.document(row) if notice.document else "",
    )
    return context


def render(row: Notification) -> EmailMultiAlternatives:
    """The e-mail of one row in its language: subject, plain text and HTML, from ``templates/emails/``."""
    notice = NOTICES[row.notice]
    with translation.override(row.language):
        context = _template_context(row, notice)
        # One line (a header cannot break); the French non-breaking spaces stay.
        subject = re.sub(r"[ \t\r\n]+", " ", render_to_string(f"emails/{notice.name}.subject.txt", context)).strip()
        context["subject"] = subject
        text = render_to_string(f"emails/{notice.name}.txt", context)
        html = render_to_string(f"emails/{notice.name}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[row.recipient.email],
        headers={
            "Message-ID": message_id(row),
            "Content-Language": row.language,
            "Auto-Submitted": "auto-generated",  # RFC 3834: no out-of-office replies to the portal
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _record_failure(row: Notification, error: Exception, *, now: datetime) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if now - row.created_at >= GIVE_UP_AFTER:
        row.status = NotificationStatus.FAILED
        logger.error(
            "Notification %s (%s to user %s) failed after %s attempts: %s",
            row.pk,
            row.notice,
            row.recipient_id,
            row.attempts,
            row.last_error,
        )
    else:
        row.next_attempt_at = now + retry_delay(row.attempts)
        logger.warning("Notification %s not sent (attempt %s): %s", row.pk, row.attempts, row.last_error)
    row.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def deliver(*, notification_id: int, now: datetime | None = None) -> Notification | None:
    """Send one row, at most once: lock it, send it if still pending, record the outcome.

    A mail server that fails (``TRANSIENT_ERRORS``) counts an attempt and sets ``next_attempt_at`` with
    exponential backoff; after ``GIVE_UP_AFTER`` the row is failed. Other errors propagate (a bug: the
    task fails the row with ``give_up``). Returns the row (still pending after a failure), or ``None``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Only the outbox row is locked (``of``): never the case, which the SMTP conversation must not hold up.
        row = Notification.objects.select_for_update(of=("self",)).filter(pk=notification_id).first()
        if row is None or row.status != NotificationStatus.PENDING:
            return row
        message = render(row)
        try:
            message.send()
        except TRANSIENT_ERRORS as error:
            _record_failure(row, error, now=now)
            return row
        row.status = NotificationStatus.SENT
        row.sent_at = timezone.now()
        row.subject = message.subject[:200]
        row.attempts += 1
        row.last_error = ""
        row.save(update_fields=["status", "sent_at", "subject", "attempts", "last_error"])
    return row


def give_up(*, notification_id: int, error: Exception) -> None:
    """A row that cannot be sent as it stands (a bug, a missing template) is failed at once, not retried."""
    Notification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.FAILED,
        attempts=F("attempts") + 1,
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )
    logger.error("Notification %s failed: %s: %s", notification_id, type(error).__name__, error)


def sweep(*, now: datetime | None = None) -> list[int]:
    """Queue again the pending rows whose attempt was due ``SWEEP_AFTER`` ago (beat, every minute).

    They are the rows whose message was lost: the broker was down at the commit, a worker died, the
    task's own retries ran out. Each row taken gets ``next_attempt_at = now``, so the next sweeps leave
    it to this new message for ``SWEEP_AFTER``. Returns the ids queued.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            Notification.objects.select_for_update(skip_locked=True)  # rows being sent right now are not due
            .filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now - SWEEP_AFTER)
            .order_by("next_attempt_at", "pk")
        )
        ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
        Notification.objects.filter(pk__in=ids).update(next_attempt_at=now)
        queue_after_commit(ids)
    return ids


def retry_now(notification_ids, *, now: datetime | None = None) -> int:
    """Staff send pending or failed rows again at once (the outbox page): each is pending, due now, and queued
    after the commit; a row already sent is left alone. Returns how many rows were put back."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = (
            Notification.objects.select_for_update()
            .filter(pk__in=list(notification_ids))
            .exclude(status=NotificationStatus.SENT)
        )
        ids = list(rows.values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids).update(status=NotificationStatus.PENDING, next_attempt_at=now)
        queue_after_commit(ids)
    return len(ids)
