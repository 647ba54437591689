"""`make run` loads the demo: one account per role, cases in every state, fifteen months of past requests."""

from io import StringIO

import pytest
from django.core.management import call_command

from portal.models import AuditEvent, User
from portal.roles import Role
from requests_app.models import DataRequest, Notification, NotificationStatus, Status

# The demo's approved cases produce their tables from the warehouse.
pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]


def test_seed_demo_creates_an_account_per_role_and_cases_in_many_states(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)

    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role
    statuses = set(DataRequest.objects.values_list("status", flat=True))
    assert statuses >= {
        Status.DRAFT,
        Status.RECEIVED,
        Status.UNDER_REVIEW,
        Status.AWAITING_REQUESTER,
        Status.DECISION_PROPOSED,
        Status.PRODUCING,
        Status.OUTPUT_CHECKING,
        Status.CLOSED,
        Status.REFUSED,
        Status.WITHDRAWN,
    }
    assert "Demo-portail-2026" in out.getvalue()
    # Fifteen months of earlier requests, so the transparency page has figures to show.
    filed = DataRequest.objects.exclude(received_at=None)
    assert len(set(filed.values_list("requester_category", flat=True))) >= 5
    assert len(filed.dates("received_at", "month")) >= 10
    assert filed.exclude(extended_at=None).exists()
    assert filed.filter(status=Status.WITHDRAWN).count() >= 2
    assert filed.filter(status=Status.REFUSED).count() >= 5
    # Their e-mails are history; the demo's own cases still send theirs when `make run` starts.
    archived = Notification.objects.filter(request__requester__email__endswith="@archives.demo.example")
    assert archived.exists() and not archived.exclude(status=NotificationStatus.SENT).exists()
    assert Notification.objects.filter(status=NotificationStatus.PENDING).exists()


def test_seed_demo_can_run_again_without_duplicating(db):
    call_command("seed_demo", stdout=StringIO())
    counts = (User.objects.count(), DataRequest.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert (User.objects.count(), DataRequest.objects.count()) == counts


def test_the_demos_audit_trail_holds_every_move_and_verifies(db):
    call_command("seed_demo", stdout=StringIO())
    filed = DataRequest.objects.exclude(received_at=None)
    submitted = AuditEvent.objects.filter(event_type="request.submitted")
    assert set(submitted.values_list("case_id", flat=True)) == set(filed.values_list("pk", flat=True))
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert f"holds: {AuditEvent.objects.count()} events" in out.getvalue()
