"""Drill: Redis — the broker and the cache — stopped while requesters submit.

Every submission commits and its acknowledgement page is shown; its e-mails
wait in the outbox (``Notification`` rows, pending). Redis comes back on the
same port; the worker that kept running reconnects, beat sweeps the outbox
(``sweep_outbox``), and every e-mail arrives exactly once.
"""

import time
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from portal.roles import Role
from requests_app import notifications
from requests_app.models import DataRequest, Notification, NotificationStatus, Status
from tests import factories
from tests.drills.workers import drill_worker
from tests.worker import wait_for

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

REQUESTERS = 6


def test_redis_down_while_requesters_submit_loses_no_submission_and_no_e_mail(
    drill_redis, mail_server, settings, tmp_path
):
    # In production one Redis is the broker and the cache (rate limits): both go down together.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": drill_redis.url(1)}
    }
    factories.make_user(role=Role.ACCESS_LEAD)
    drafts = [factories.make_request(status=Status.DRAFT) for _ in range(REQUESTERS)]
    log = tmp_path / "worker.log"
    with drill_worker(broker_url=drill_redis.url(0), log=log, beat=True, extra_env={"EMAIL_URL": mail_server.url}):
        drill_redis.stop()
        assert not drill_redis.is_up()

        timings = []
        for draft in drafts:
            client = Client()
            client.force_login(draft.requester)
            started = time.monotonic()
            response = client.post(reverse("requests_app:submit", kwargs={"pk": draft.pk}), follow=True)
            timings.append(time.monotonic() - started)
            case = DataRequest.objects.get(pk=draft.pk)
            assert response.status_code == 200
            assert response.redirect_chain[-1][0] == reverse("requests_app:acknowledgement", kwargs={"pk": case.pk})
            assert case.reference and case.reference in response.content.decode()

        cases = DataRequest.objects.filter(pk__in=[draft.pk for draft in drafts])
        assert all(case.status == Status.RECEIVED and case.received_at and case.due_at for case in cases)
        rows = Notification.objects.filter(request__in=cases)
        assert rows.count() == 2 * REQUESTERS  # the acknowledgement to the requester, the new case to the lead
        assert all(row.status == NotificationStatus.PENDING and row.attempts == 0 for row in rows.all())
        time.sleep(3)  # the worker and beat live through the outage
        assert mail_server.messages == []

        drill_redis.start()
        back = time.monotonic()
        wait_for(lambda: rows.filter(status=NotificationStatus.SENT).count() == rows.count(), timeout=90)
        recovered_in = time.monotonic() - back
        time.sleep(5)  # several more sweeps: nothing may go out again

    by_message_id = Counter(message["Message-ID"] for message in mail_server.messages)
    assert sorted(by_message_id) == sorted(notifications.message_id(row) for row in rows.all())
    assert set(by_message_id.values()) == {1}, "an e-mail was delivered twice"
    assert all(row.attempts == 1 for row in rows.all())
    print(
        f"\nredis down: {REQUESTERS} submissions acknowledged (slowest {max(timings):.2f} s), "
        f"{len(by_message_id)} e-mails delivered once each {recovered_in:.1f} s after Redis came back"
    )
