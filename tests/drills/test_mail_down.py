"""Drill: the mail server refuses for a while, under a real worker and a real beat.

``tests/notifications/test_outbox.py`` shows the rules one step at a time, in the
test process. Here the whole chain runs as in production — cases filed and
committed, messages on Redis, a prefork worker, the task's own retries with
backoff, beat sweeping the outbox — with the outbox's clock in seconds
(``tests/drills/drill_app.py``): while the SMTP server answers 451 every attempt
fails and is counted; once it accepts again every e-mail arrives exactly once.
"""

import time
from collections import Counter

import pytest

from portal.roles import Role
from requests_app import notifications
from requests_app.models import Notification, NotificationStatus, Status
from tests import factories
from tests.drills.workers import drill_worker
from tests.worker import wait_for

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

CASES = 4
#: Seconds the mail server refuses: the task's retries (1, 2, 4 s) run out, the sweep takes over.
OUTAGE_SECONDS = 10


def test_the_mail_server_down_for_a_while_delays_every_e_mail_and_loses_or_doubles_none(
    drill_redis, mail_server, tmp_path
):
    factories.make_user(role=Role.ACCESS_LEAD)  # told of each new case: two e-mails per filing
    mail_server.refusing = True
    with drill_worker(
        broker_url=drill_redis.url(0), log=tmp_path / "worker.log", beat=True, extra_env={"EMAIL_URL": mail_server.url}
    ):
        cases = [factories.make_request(status=Status.RECEIVED) for _ in range(CASES)]
        rows = Notification.objects.filter(request__in=cases)
        assert rows.count() == 2 * CASES

        wait_for(lambda: mail_server.refused >= 2 * rows.count(), timeout=30, message="the worker to try twice each")
        time.sleep(max(0, OUTAGE_SECONDS - 5))
        refused = mail_server.refused
        assert mail_server.messages == []
        assert all(row.status == NotificationStatus.PENDING and row.attempts >= 2 for row in rows.all())
        assert all("451" in row.last_error for row in rows.all())
        mail_server.refusing = False
        back = time.monotonic()

        wait_for(lambda: rows.filter(status=NotificationStatus.SENT).count() == rows.count(), timeout=60)
        recovered_in = time.monotonic() - back
        # Long enough for every retry still queued and several sweeps to run: nothing may go out again.
        time.sleep(6)

    by_message_id = Counter(message["Message-ID"] for message in mail_server.messages)
    assert sorted(by_message_id) == sorted(notifications.message_id(row) for row in rows.all())
    assert set(by_message_id.values()) == {1}, "an e-mail was delivered twice"
    assert all(row.attempts > 1 and row.last_error == "" and row.sent_at for row in rows.all())
    print(
        f"\nmail down {OUTAGE_SECONDS} s: {refused} attempts refused, {len(by_message_id)} e-mails delivered once each "
        f"{recovered_in:.1f} s after the server came back; attempts per e-mail: "
        f"{sorted(Counter(row.attempts for row in rows.all()).items())}"
    )
