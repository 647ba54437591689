"""The outbox: each row sent once, in its recipient's language; mail and broker failures delay, never lose
nor undo anything."""

import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.roles import Role
from requests_app import notifications, services
from requests_app.models import Amendment, DataRequest, Notification, NotificationStatus, Status
from requests_app.tasks import send_notification, sweep_outbox
from tests import factories
from tests.notifications.conftest import RECEIVED, row_for, tasks_in_process
from tests.requests_app.pages import client_for

pytestmark = pytest.mark.django_db


# --- What is sent ---------------------------------------------------------------------------


def test_the_e_mail_is_in_the_recipients_language(settings):
    settings.PORTAL_BASE_URL = "https://portail.agence.example"
    french = factories.make_user(language="fr")
    english = factories.make_user(language="en")
    cases = {
        user: factories.make_request(requester=user, status=Status.RECEIVED, now=RECEIVED) for user in (french, english)
    }

    messages = {user: notifications.render(row_for(case, "acknowledgement", user)) for user, case in cases.items()}

    # The French catalogue comes at the end of the issue; the date and the page language already follow the
    # recipient (Django's own French month names).
    assert "23 mars 2026" in messages[french].body and '<html lang="fr">' in messages[french].alternatives[0][0]
    assert "23 March 2026" in messages[english].body and '<html lang="en">' in messages[english].alternatives[0][0]
    assert messages[french].extra_headers["Content-Language"] == "fr"


def test_the_e_mail_links_to_the_recipients_page_and_carries_the_notice_of_receipt(settings):
    settings.PORTAL_BASE_URL = "https://portail.agence.example"
    case = factories.make_request(status=Status.RECEIVED)

    message = notifications.render(row_for(case, "acknowledgement", case.requester))

    assert message.to == [case.requester.email]
    assert case.reference in message.subject
    link = f"https://portail.agence.example/requests/{case.pk}/"
    assert link in message.body and f'href="{link}"' in message.alternatives[0][0]
    assert case.acknowledgement in message.body
    assert message.alternatives[0][1] == "text/html"


def test_staff_e_mails_name_the_reference_never_the_requester():
    lead = factories.make_user(role=Role.ACCESS_LEAD, language="en")
    requester = factories.make_user(first_name="Zéphyrine", last_name="Quixote-Bellerose")
    case = factories.make_request(requester=requester, status=Status.RECEIVED)

    message = notifications.render(row_for(case, "new_case", lead))

    content = message.subject + message.body + message.alternatives[0][0]
    assert case.reference in content
    for detail in ("Quixote", "Ada Tremblay", "Université de Montréal", requester.email, case.title):
        assert detail not in content
    assert f"/workspace/cases/{case.pk}/" in message.body


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", sorted(notifications.NOTICES))
def test_every_notice_renders_a_subject_a_text_and_an_html_part(name, language, settings):
    settings.PORTAL_BASE_URL = "https://portail.agence.example"
    case = factories.make_request(status=Status.REFUSED)
    notice = notifications.NOTICES[name]
    path = f"/somewhere/{case.pk}/"
    # An amendment's letter, as the amendment notices carry it (the services write it on a signed approval).
    amendment = Amendment.objects.create(
        request=case,
        specification=case.specifications.first(),
        reason="Fewer dimensions.",
        letter="Amendment letter.",
        proposed_by=case.decisions.get().proposed_by,
        proposed_at=case.decisions.get().proposed_at,
    )
    row = Notification(
        event="any",
        notice=name,
        request=case,
        recipient=factories.make_user(language=language),
        language=language,
        idempotency_key=f"test:{name}:{language}",
        context={
            "reference": case.reference,
            "due_on": "2026-03-22",
            "answer_due_on": "2026-03-12",
            "asked_on": "2026-03-05",
            "days_left": 3,
            "consultation_id": 1,
            "decision_id": case.decisions.get().pk,
            "amendment_id": amendment.pk,
            "path": path,
        },
    )

    message = notifications.render(row)

    html = message.alternatives[0][0]
    assert case.reference in message.subject and "\n" not in message.subject
    for part in (message.subject, message.body, html):
        assert "{{" not in part and "{%" not in part and "&amp;" not in message.body
    assert f"https://portail.agence.example{path}" in message.body and f'<html lang="{language}">' in html
    assert ("https://portail.agence.example/accounts/profile/" in message.body) != notice.essential


# --- Sent once ------------------------------------------------------------------------------


def test_the_same_occurrence_recorded_twice_gives_one_row_per_recipient():
    case = factories.make_request(status=Status.RECEIVED)
    before = Notification.objects.count()

    first = notifications.record("request_received", case=case, occurrence="replayed")
    again = notifications.record("request_received", case=case, occurrence="replayed")

    assert len(first) == 1 and again == []
    assert Notification.objects.count() == before + 1


def test_a_row_delivered_twice_sends_one_message(mailoutbox):
    case = factories.make_request(status=Status.RECEIVED)
    row = row_for(case, "acknowledgement", case.requester)

    send_notification.apply(kwargs={"notification_id": row.pk})
    send_notification.apply(kwargs={"notification_id": row.pk})

    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.sent_at is not None and row.attempts == 1
    assert row.subject == mailoutbox[0].subject
    assert mailoutbox[0].extra_headers["Message-ID"] == notifications.message_id(row)


# --- A mail server that is down ------------------------------------------------------------------


def test_a_refusing_mail_server_leaves_the_row_pending_then_the_sweep_delivers_it_once(
    mail_server, celery_in_process, django_capture_on_commit_callbacks
):
    requester = factories.make_user()
    case = factories.make_request(requester=requester, status=Status.RECEIVED)
    row = row_for(case, "acknowledgement", requester)
    mail_server.refusing = True

    send_notification.apply(kwargs={"notification_id": row.pk})

    row.refresh_from_db()
    # The task tried again a few times (at once here, run in-process), then left the row to the sweep.
    assert row.status == NotificationStatus.PENDING
    assert row.attempts == 1 + send_notification.max_retries == mail_server.refused
    assert "451" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert notifications.sweep() == []  # not due yet
    assert mail_server.messages == []

    mail_server.refusing = False
    later = row.next_attempt_at + notifications.SWEEP_AFTER
    with django_capture_on_commit_callbacks(execute=True):
        swept = notifications.sweep(now=later)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.sweep(now=later + notifications.SWEEP_AFTER)

    assert row.pk in swept
    assert len(mail_server.to(requester.email)) == 1
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.last_error == ""


def test_a_row_still_failing_after_two_days_is_given_up_and_logged(mail_server, caplog):
    case = factories.make_request(status=Status.RECEIVED)
    row = row_for(case, "acknowledgement", case.requester)
    mail_server.refusing = True

    with caplog.at_level(logging.ERROR, logger="requests_app.notifications"):
        notifications.deliver(notification_id=row.pk, now=row.created_at + notifications.GIVE_UP_AFTER)

    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED
    assert f"Notification {row.pk}" in caplog.text
    assert notifications.sweep(now=row.created_at + notifications.GIVE_UP_AFTER * 2) == []


def test_the_backoff_doubles_up_to_an_hour():
    delays = [notifications.retry_delay(attempt).total_seconds() / 60 for attempt in range(1, 9)]

    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_row_that_cannot_be_rendered_is_failed_at_once_not_retried(mailoutbox):
    case = factories.make_request(status=Status.RECEIVED)
    row = row_for(case, "acknowledgement", case.requester)
    Notification.objects.filter(pk=row.pk).update(notice="no_such_notice")

    result = send_notification.apply(kwargs={"notification_id": row.pk})

    assert result.failed()
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED and "no_such_notice" in row.last_error
    assert mailoutbox == []


def test_the_periodic_sweep_task_queues_what_was_left(
    mailoutbox, celery_in_process, django_capture_on_commit_callbacks
):
    case = factories.make_request(status=Status.RECEIVED)
    Notification.objects.filter(request=case).update(next_attempt_at=timezone.now() - notifications.SWEEP_AFTER)

    with django_capture_on_commit_callbacks(execute=True):
        sweep_outbox.apply()

    assert [message.to for message in mailoutbox] == [[case.requester.email]]


# --- The event never waits on the mail server nor the broker -----------------------------------

transactional = pytest.mark.django_db(transaction=True)


@transactional
@pytest.mark.usefixtures("reference_data")
def test_a_transition_commits_and_returns_when_the_mail_server_is_down(mail_server, celery_in_process):
    mail_server.refusing = True
    draft = factories.make_request(status=Status.DRAFT)

    case = services.request_submit(case=draft, actor=draft.requester)

    assert DataRequest.objects.get(pk=case.pk).status == Status.RECEIVED
    row = row_for(case, "acknowledgement", draft.requester)
    assert row.status == NotificationStatus.PENDING and row.attempts > 0  # tried after the commit, and failed


@transactional
@pytest.mark.usefixtures("reference_data")
def test_a_transition_commits_and_returns_when_the_broker_is_unreachable(unreachable_broker, mailoutbox, caplog):
    factories.make_user(role=Role.ACCESS_LEAD)
    draft = factories.make_request(status=Status.DRAFT)

    with caplog.at_level(logging.WARNING, logger="requests_app.notifications"):
        case = services.request_submit(case=draft, actor=draft.requester)

    assert DataRequest.objects.get(pk=case.pk).status == Status.RECEIVED
    rows = Notification.objects.filter(request=case)
    assert rows.count() == 2 and all(row.status == NotificationStatus.PENDING for row in rows)
    assert "not queued" in caplog.text
    assert mailoutbox == []

    # Once the broker is back (here: tasks run in the process), the sweep's messages deliver them.
    with tasks_in_process():
        notifications.sweep(now=timezone.now() + notifications.SWEEP_AFTER)
    assert len(mailoutbox) == 2
    assert all(row.status == NotificationStatus.SENT for row in rows.all())


@transactional
@pytest.mark.usefixtures("reference_data")
def test_rows_queued_after_the_commit_are_delivered(mailoutbox, celery_in_process):
    draft = factories.make_request(status=Status.DRAFT)

    services.request_submit(case=draft, actor=draft.requester)

    assert [message.to for message in mailoutbox] == [[draft.requester.email]]


def test_a_lead_sends_a_failed_e_mail_again_from_the_outbox_page(db):
    case = factories.make_request(status=Status.RECEIVED)
    row = Notification.objects.filter(request=case).first()
    Notification.objects.filter(pk=row.pk).update(status=NotificationStatus.FAILED, attempts=9)
    client = client_for(factories.make_user(role=Role.ACCESS_LEAD, is_staff=True))
    page = client.get(reverse("admin:requests_app_notification_changelist") + "?status__exact=failed")
    assert page.status_code == 200 and case.reference in page.content.decode()
    answer = client.post(
        reverse("admin:requests_app_notification_changelist"),
        {"action": "send_again_now", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "1 e-mail is queued again." in answer.content.decode()
    row.refresh_from_db()
    assert row.status == NotificationStatus.PENDING and row.next_attempt_at is not None


def test_an_auditor_reads_the_outbox_but_cannot_send_again(db):
    client = client_for(factories.make_user(role=Role.AUDITOR, is_staff=True))
    page = client.get(reverse("admin:requests_app_notification_changelist"))
    assert page.status_code == 200 and "send_again_now" not in page.content.decode()
