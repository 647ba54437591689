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
"""

import hashlib
import logging
import re
import smtplib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import KombuError

from portal.models import User
from portal.roles import Role
from requests_app import clock, permissions
from requests_app.models import (
    Clarification,
    Consultation,
    DataRequest,
    Decision,
    Notification,
    NotificationStatus,
)
from requests_app.states import CLOCK_PAUSED_STATES, CLOCK_RUNNING_STATES

logger = logging.getLogger(__name__)

# --- Audiences: who receives a notice, and which page their e-mail links to ---------------


def _with_role(role: Role):
    return User.objects.filter(is_active=True, groups__name=role.value).distinct()


def _requester(case: DataRequest, about) -> list[User]:
    return [case.requester]


def _officer(case: DataRequest, about) -> Iterable[User]:
    """The officer on the case; the access leads while nobody is assigned (they assign it)."""
    return [case.assigned_to] if case.assigned_to_id else _with_role(Role.ACCESS_LEAD)


def _leads(case: DataRequest, about) -> Iterable[User]:
    return _with_role(Role.ACCESS_LEAD)


def _custodian_representatives(case: DataRequest, consultation: Consultation) -> Iterable[User]:
    """The representatives of the consulted organisation, and nobody else's."""
    return _with_role(Role.DATA_CUSTODIAN).filter(custodian_id=consultation.custodian_id)


def _checkers(case: DataRequest, about) -> list[User]:
    """Output checkers who may check one of the case's outputs (four eyes: ``permissions.user_can_check_job``)."""
    jobs = list(case.table_jobs.select_related("request", "table"))
    checkers = _with_role(Role.OUTPUT_CHECKER)
    return [user for user in checkers if any(permissions.user_can_check_job(user, job) for job in jobs)]


def _request_page(case: DataRequest, about) -> str:
    return reverse("requests_app:detail", kwargs={"pk": case.pk})


def _workspace_page(case: DataRequest, about) -> str:
    return reverse("workspace:case", kwargs={"pk": case.pk})


def _consultation_page(case: DataRequest, consultation: Consultation) -> str:
    return reverse("consultations:detail", kwargs={"pk": consultation.pk})


def _outputs_page(case: DataRequest, about) -> str:
    return reverse("outputs:queue")


@dataclass(frozen=True)
class Audience:
    """Who receives a notice (``members``), the page the e-mail links to, and the roles the profile page
    offers its optional notices to."""

    roles: frozenset[Role]
    members: Callable[[DataRequest, object], Iterable[User]]
    page: Callable[[DataRequest, object], str]


REQUESTER = Audience(frozenset({Role.REQUESTER}), _requester, _request_page)
OFFICER = Audience(frozenset({Role.PRIVACY_OFFICER, Role.ACCESS_LEAD}), _officer, _workspace_page)
LEADS = Audience(frozenset({Role.ACCESS_LEAD}), _leads, _workspace_page)
CUSTODIAN = Audience(frozenset({Role.DATA_CUSTODIAN}), _custodian_representatives, _consultation_page)
CHECKERS = Audience(frozenset({Role.OUTPUT_CHECKER}), _checkers, _outputs_page)


# --- The table: events, their notices, who receives each --------------------------------


def _acknowledgement(row: Notification) -> str:
    return row.request.acknowledgement


def _extension_notice(row: Notification) -> str:
    return row.request.extension_notice


def _decision_letter(row: Notification) -> str:
    return Decision.objects.get(pk=row.context["decision_id"]).letter


@dataclass(frozen=True)
class Notice:
    """One message of an event to one audience.

    ``name`` names its templates (``templates/emails/<name>.subject.txt``, ``.txt``, ``.html``) and is what a
    person switches off in their profile, unless the notice is ``essential``. ``document`` returns the legal
    text the e-mail carries in full (the notice of receipt, of extension, the decision letter).
    """

    name: str
    audience: Audience
    label: str
    essential: bool = False
    document: Callable[[Notification], str] | None = None


def _newest_consultation(case: DataRequest) -> Consultation:
    """Inside the transaction that opened it, the case's newest consultation is the one just opened."""
    return case.consultations.order_by("-pk").first()


def _signed_decision(case: DataRequest) -> Decision:
    return case.decisions.filter(signed_off_at__isnull=False).order_by("-signed_off_at", "-pk").first()


@dataclass(frozen=True)
class Event:
    """What happened to a case and the notices it sends. ``about`` finds, on the case, the record the event
    concerns (a consultation, a decision) when the caller does not pass it."""

    notices: tuple[Notice, ...]
    about: Callable[[DataRequest], object] | None = None


EVENTS: dict[str, Event] = {
    "request_received": Event(
        (
            Notice(
                "acknowledgement",
                REQUESTER,
                _("Notice of receipt of my request"),
                essential=True,
                document=_acknowledgement,
            ),
            Notice("new_case", LEADS, _("A new request is filed")),
        )
    ),
    "request_assigned": Event((Notice("case_assigned", OFFICER, _("A request is assigned to me")),)),
    "clarification_asked": Event(
        (Notice("clarification_asked", REQUESTER, _("The agency asks me a question"), essential=True),)
    ),
    "clarification_answered": Event(
        (Notice("clarification_answered", OFFICER, _("The requester answers my question")),)
    ),
    "delay_extended": Event(
        (
            Notice(
                "delay_extended",
                REQUESTER,
                _("Notice of extension of the delay"),
                essential=True,
                document=_extension_notice,
            ),
        )
    ),
    "consultation_opened": Event(
        (Notice("consultation_opened", CUSTODIAN, _("My organisation is consulted about its data")),),
        about=_newest_consultation,
    ),
    "consultation_answered": Event(
        (Notice("consultation_answered", OFFICER, _("A data custodian answers a consultation")),)
    ),
    "decision_proposed": Event((Notice("decision_proposed", LEADS, _("A decision awaits sign-off")),)),
    "decision_returned": Event((Notice("decision_returned", OFFICER, _("A proposed decision is sent back")),)),
    "decision_sent": Event(
        (
            Notice(
                "decision_sent",
                REQUESTER,
                _("The decision on my request, with its letter"),
                essential=True,
                document=_decision_letter,
            ),
        ),
        about=_signed_decision,
    ),
    "output_ready": Event((Notice("output_ready", CHECKERS, _("Outputs are ready for checking")),)),
    "output_released": Event(
        (Notice("output_released", REQUESTER, _("Statistics are released to me"), essential=True),)
    ),
    "request_withdrawn": Event((Notice("request_withdrawn", OFFICER, _("A requester withdraws a request")),)),
    "due_reminder": Event((Notice("due_reminder", OFFICER, _("Reminder: a request is due soon")),)),
    "overdue": Event((Notice("overdue_alert", LEADS, _("Alert: a request is overdue")),)),
    "clarification_reminder": Event(
        (Notice("clarification_reminder", REQUESTER, _("Reminder: a question of the agency awaits my answer")),)
    ),
}

#: Every notice by name (names are unique across events).
NOTICES: dict[str, Notice] = {notice.name: notice for event in EVENTS.values() for notice in event.notices}


def notices_for(user: User) -> tuple[list[Notice], list[Notice]]:
    """The notices ``user``'s roles may receive: (optional ones, which they may switch off; essential ones)."""
    roles = {role for role in Role if user.has_role(role)}
    mine = [notice for notice in NOTICES.values() if notice.audience.roles & roles]
    return [n for n in mine if not n.essential], [n for n in mine if n.essential]


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
    _queue_after_commit([row.pk for row in created])
    return created


#: Publishing never makes a request wait on a broker that is down: one connection attempt, a short
#: timeout, no publish retries (kombu's defaults retry for seconds, per message). The sweep is the retry.
PUBLISH_CONNECTION_OPTIONS = {"connect_timeout": 2, "transport_options": {"max_retries": 0}}
#: ``requests_app.tasks.send_notification``, queued by name.
SEND_NOTIFICATION = "requests_app.tasks.send_notification"


def _queue_after_commit(notification_ids: list[int]) -> None:
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
        _queue_after_commit(ids)
    return ids


# --- Reminders: the daily scan (Celery beat) ------------------------------------------


def _reminder_threshold(days_left: int) -> int | None:
    """The most urgent reminder due for ``days_left`` (``DUE_REMINDER_DAYS``, e.g. 5 then 1), or ``None``.

    Keyed on the threshold, each reminder goes out once, even when a scan was missed: at 4 days left the
    5-day reminder still goes, at 1 the 1-day one.
    """
    thresholds = [days for days in settings.DUE_REMINDER_DAYS if 0 <= days_left <= days]
    return min(thresholds) if thresholds else None


def deadline_scan(*, now: datetime | None = None) -> list[Notification]:
    """Remind the officer before the due date, alert the leads to an overdue case, remind a requester
    whose clarification has waited ``CLARIFICATION_REMINDER_DAYS``. Safe to run again: each reminder's
    key names its case, its kind and the due date (or question) it is about."""
    now = now or timezone.now()
    today = clock.local_date(now)
    horizon = now + timedelta(days=max(settings.DUE_REMINDER_DAYS, default=0) + 1)
    running = DataRequest.objects.filter(status__in=CLOCK_RUNNING_STATES, due_at__lt=horizon)
    waiting = Clarification.objects.filter(
        answered_at__isnull=True,
        request__status__in=CLOCK_PAUSED_STATES,
        asked_at__lte=now - timedelta(days=settings.CLARIFICATION_REMINDER_DAYS - 1),
    ).select_related("request")
    created = []
    with transaction.atomic():
        for case in running.select_related("assigned_to"):
            due_on = clock.local_date(case.due_at)
            if clock.is_overdue(case, now=now):
                created += record("overdue", case=case, occurrence=f"due-{due_on}")
            elif (threshold := _reminder_threshold((due_on - today).days)) is not None:
                created += record(
                    "due_reminder",
                    case=case,
                    occurrence=f"due-{due_on}-{threshold}d",
                    facts={"days_left": (due_on - today).days},
                )
        for clarification in waiting:
            if (today - clock.local_date(clarification.asked_at)).days >= settings.CLARIFICATION_REMINDER_DAYS:
                created += record(
                    "clarification_reminder",
                    case=clarification.request,
                    about=clarification,
                    occurrence=f"clarification-{clarification.pk}",
                )
    return created
