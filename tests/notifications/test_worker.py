"""End to end: a transition commits, a real Celery worker on Redis sends its e-mail to a real SMTP server."""

import pytest

from requests_app import notifications
from requests_app.models import Notification, NotificationStatus, Status
from tests import factories
from tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_a_submission_is_acknowledged_by_e_mail_through_the_worker(mail_server, tmp_path, settings):
    extra_env = {"EMAIL_URL": mail_server.url, "PORTAL_BASE_URL": "https://portail.agence.example"}
    with running_worker(settings.PRIVATE_FILES_ROOT, log=tmp_path / "worker.log", extra_env=extra_env):
        requester = factories.make_user(language="en")
        case = factories.make_request(requester=requester, status=Status.RECEIVED)

        delivered = wait_for(lambda: mail_server.to(requester.email), message="the acknowledgement e-mail")
        row = wait_for(
            lambda: Notification.objects.filter(request=case, status=NotificationStatus.SENT).first(),
            message="the outbox row marked sent",
        )

    assert len(delivered) == 1
    message = delivered[0]
    assert case.reference in message["Subject"]
    assert message["Message-ID"] == notifications.message_id(row)
    assert f"https://portail.agence.example/requests/{case.pk}/" in mail_server.text(message)
    assert '<html lang="en">' in mail_server.html(message)
    assert row.recipient_id == requester.pk and row.attempts == 1
