"""The audit trail is typed, chained and append-only: what it says happened cannot be rewritten unseen."""

import itertools
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from portal import trail
from portal.models import AuditEvent, AuditVerification
from portal.roles import Role
from requests_app import selectors, services, workflow
from requests_app.models import Status
from requests_app.workflow import TransitionError
from tests import factories
from tests.requests_app.pages import client_for

ROOT = Path(__file__).resolve().parents[2]


def _events(case) -> list[tuple[str, dict]]:
    return [(event.event_type, event.payload) for event in AuditEvent.objects.filter(case_id=case.pk)]


def test_each_move_of_a_request_is_one_typed_event_with_the_states_it_joined(db):
    case = factories.make_request(status=Status.UNDER_REVIEW)
    moves = [(kind, payload) for kind, payload in _events(case) if "transition" in payload]
    assert [kind for kind, _ in moves] == ["request.submitted", "request.assigned"]
    history = list(case.history.order_by("history_id").values_list("history_id", "status"))
    submitted = next(history_id for history_id, status in history if status == Status.RECEIVED)
    assigned = next(history_id for history_id, status in history if status == Status.UNDER_REVIEW)
    assert moves[0][1] == {"transition": "submit", "from": "draft", "to": "received", "history": submitted}
    assert moves[1][1] == {
        "transition": "assign",
        "from": "received",
        "to": "under_review",
        "history": assigned,
        "assigned_to": case.assigned_to_id,
    }
    assigned = AuditEvent.objects.get(case_id=case.pk, event_type="request.assigned")
    assert assigned.target_type == "requests_app.datarequest" and assigned.target_id == str(case.pk)
    assert assigned.actor_id is not None and assigned.actor_id != case.assigned_to_id  # the lead, not the officer


def test_a_refused_move_leaves_no_event(db):
    case = factories.make_request(status=Status.RECEIVED)
    before = AuditEvent.objects.count()
    with pytest.raises(TransitionError):
        workflow.transition(case=case, name="close", actor=None, reason="")
    assert AuditEvent.objects.count() == before


def test_every_event_links_to_the_one_before_and_the_chain_verifies(db):
    factories.make_request(status=Status.UNDER_REVIEW)
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [event.sequence for event in events] == list(range(1, len(events) + 1))
    assert events[0].previous_hash == trail.GENESIS
    for before, after in itertools.pairwise(events):
        assert after.previous_hash == before.hash
    call_command("audit_verify", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert AuditVerification.objects.get().intact


def test_postgresql_refuses_to_update_or_delete_an_event(db):
    factories.make_request(status=Status.RECEIVED)
    event = AuditEvent.objects.order_by("sequence").first()
    for statement in (
        "UPDATE portal_auditevent SET payload = '{}' WHERE id = %s",
        "DELETE FROM portal_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash


def _edit_without_the_trigger(sql: str, params) -> None:
    """What someone with the database owner's rights could do: switch the trigger off, edit, switch it on."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE portal_auditevent ENABLE TRIGGER USER")


def test_an_edited_event_is_named_by_audit_verify(db):
    factories.make_request(status=Status.UNDER_REVIEW)
    target = AuditEvent.objects.get(event_type="request.assigned")
    _edit_without_the_trigger("UPDATE portal_auditevent SET actor_id = actor_id + 1 WHERE id = %s", [target.pk])
    with pytest.raises(CommandError, match=rf"broken at event #{target.sequence}: .*changed after it was written"):
        call_command("audit_verify")
    failed = AuditVerification.objects.get()
    assert not failed.intact and failed.first_broken == target.sequence


def test_a_removed_event_breaks_the_next_link(db):
    factories.make_request(status=Status.UNDER_REVIEW)
    first = AuditEvent.objects.order_by("sequence").first()
    _edit_without_the_trigger("DELETE FROM portal_auditevent WHERE id = %s", [first.pk])
    with pytest.raises(CommandError, match=rf"broken at event #{first.sequence}: .*missing"):
        call_command("audit_verify")


def test_removing_the_newest_events_is_caught_against_the_last_verification(db):
    factories.make_request(status=Status.UNDER_REVIEW)
    call_command("audit_verify", stdout=open(os.devnull, "w"))  # noqa: SIM115
    newest = AuditEvent.objects.order_by("-sequence").first()
    _edit_without_the_trigger("DELETE FROM portal_auditevent WHERE id = %s", [newest.pk])
    with pytest.raises(CommandError, match=rf"broken at event #{newest.sequence}: .*removed"):
        call_command("audit_verify")


def test_reads_of_protected_pages_join_the_chain(db):
    case = factories.make_request(status=Status.RECEIVED)
    client = client_for(case.requester)
    assert client.get(reverse("requests_app:detail", args=[case.pk])).status_code == 200
    read = AuditEvent.objects.filter(event_type="access.read").get()
    assert (read.case_id, read.actor_id, read.payload["view"]) == (case.pk, case.requester_id, "requests_app:detail")
    assert read.previous_hash == AuditEvent.objects.get(sequence=read.sequence - 1).hash


def test_two_writers_at_once_never_fork_the_chain(transactional_db, reference_data):
    """Two transactions extend the chain at the same moment: one waits for the other."""
    user = factories.make_user()
    barrier = threading.Barrier(2)
    errors = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                trail.record(trail.EventType.ACCESS_READ, actor=user, target=("portal.user", f"{n}-{i}"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert trail.check_chain(AuditEvent.objects.order_by("sequence")).intact
    assert AuditEvent.objects.count() == 20


def test_the_auditor_sees_the_last_verification_and_can_run_one(db):
    factories.make_request(status=Status.RECEIVED)
    auditor = factories.make_user(role=Role.AUDITOR, is_staff=True)
    client = client_for(auditor)
    page = client.get(reverse("admin:portal_auditevent_changelist"))
    assert page.status_code == 200 and "has not been verified yet" in page.content.decode()
    answer = client.post(reverse("admin:portal_auditevent_verify"), follow=True)
    assert "The audit trail holds" in answer.content.decode()
    assert AuditVerification.objects.get().by == auditor
    assert "the chain held over" in client.get(reverse("admin:portal_auditevent_changelist")).content.decode()


def test_a_requester_cannot_run_a_verification(db, requester_client):
    answer = requester_client.post(reverse("admin:portal_auditevent_verify"))
    assert answer.status_code in (302, 403)
    assert not AuditVerification.objects.exists()


def test_on_sqlite_an_edited_event_is_caught_by_audit_verify(tmp_path):
    """The embedded mode has no trigger: the chain alone shows the edit."""
    database = tmp_path / "portal.sqlite3"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
        "WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
    }

    def manage(*arguments, check=True):
        return subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, check=check
        )

    manage("migrate", "--noinput", "-v0")
    code = (
        "from portal import trail\n"
        "for n in range(5):\n"
        "    trail.record(trail.EventType.ACCESS_READ, target=('portal.user', str(n)))\n"
    )
    manage("shell", "-c", code)
    assert "holds: 5 events" in manage("audit_verify").stdout
    with sqlite3.connect(database) as db:
        db.execute("UPDATE portal_auditevent SET target_id = '99' WHERE sequence = 3")
    broken = manage("audit_verify", check=False)
    assert broken.returncode != 0
    assert "broken at event #3" in broken.stderr and "changed after it was written" in broken.stderr


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.usefixtures("warehouse")
def test_a_tables_life_joins_the_chain_and_stays_out_of_the_requests_timeline():
    case = factories.make_request(status=Status.RELEASED)
    job = case.table_jobs.order_by("pk").first()
    kinds = list(
        AuditEvent.objects.filter(target_type="requests_app.tablejob", target_id=str(job.pk)).values_list(
            "event_type", flat=True
        )
    )
    assert kinds == ["job.queued", "job.started", "job.ready_for_checking", "output.released"]
    released = AuditEvent.objects.get(
        target_type="requests_app.tablejob", target_id=str(job.pk), event_type="output.released"
    )
    assert released.payload["history"] == job.history.order_by("-history_id").first().history_id
    assert [entry.status for entry in selectors.status_timeline(case)] == [
        "draft",
        "received",
        "under_review",
        "decision_proposed",
        "approved",
        "producing",
        "output_checking",
        "released",
    ]
    assert trail.check_chain(AuditEvent.objects.order_by("sequence")).intact


def test_the_services_changes_that_are_no_move_are_events_too(db):
    case = factories.make_request(status=Status.UNDER_REVIEW)
    officer = case.assigned_to
    criterion = services.criteria_for(case)[0]
    services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome="met")
    services.message_post(case=case, actor=officer, body="Internal note.", internal=True)
    assessed = AuditEvent.objects.get(case_id=case.pk, event_type="criterion.assessed")
    assert assessed.payload == {
        "criterion": criterion.code,
        "outcome": "met",
        "history": case.assessments.get().history.get().history_id,
    }
    posted = AuditEvent.objects.get(case_id=case.pk, event_type="message.posted")
    assert posted.payload["internal"] is True and posted.actor_id == officer.pk
    # The history keeps plain reasons, or none: nothing in it is a code to parse.
    assert case.assessments.get().history.get().history_change_reason == ""
