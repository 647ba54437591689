"""Access Act ss. 46-47: a filed request gets a reference, a receipt notice and a due date."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from portal.models import AuditEvent
from requests_app import services
from requests_app.models import DataRequest, Status
from requests_app.workflow import TransitionError
from tests import factories

MONTREAL = ZoneInfo("America/Montreal")


def test_submit_gives_reference_receipt_and_due_date(db, requester, dataset):
    # 20 days from Tuesday 3 March 2026 end on Monday 23 March, a working day (from the 2nd, they would end on a
    # Sunday and run to the Monday: tests/requests_app/test_calendar.py).
    received = datetime(2026, 3, 3, 10, 30, tzinfo=MONTREAL)
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)

    case = services.request_submit(case=case, actor=requester, now=received)

    assert case.status == Status.RECEIVED
    assert case.reference == "DA-2026-00001"
    assert case.received_at == received
    assert case.due_at == received + timedelta(days=20)


def test_due_date_counts_calendar_days_in_local_time_across_dst(db, requester, dataset):
    # Received the evening before the spring change of time (8 March 2026 in Montréal).
    received = datetime(2026, 3, 1, 20, 0, tzinfo=MONTREAL)
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)

    case = services.request_submit(case=case, actor=requester, now=received)

    due_local = case.due_at.astimezone(MONTREAL)
    assert due_local.date() == datetime(2026, 3, 21).date()
    assert (due_local.hour, due_local.minute) == (20, 0)


def test_statutory_delay_is_a_setting(db, settings, requester, dataset):
    settings.STATUTORY_DELAY_DAYS = 30
    received = datetime(2026, 5, 4, 9, 0, tzinfo=MONTREAL)
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)

    case = services.request_submit(case=case, actor=requester, now=received)

    assert case.due_at == received + timedelta(days=30)


def test_acknowledgement_states_delay_extension_deemed_refusal_and_review(db, dataset):
    requester = factories.make_user(language="en")
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.RECEIVED)

    text = DataRequest.objects.get(pk=case.pk).acknowledgement

    assert case.reference in text
    assert "20" in text and "10" in text
    assert "deemed to have refused" in text
    assert "Commission d'accès à l'information" in text


def test_acknowledgement_is_in_the_requesters_language(db, dataset):
    francophone = factories.make_user(language="fr")
    case = factories.make_request(requester=francophone, dataset=dataset, status=Status.RECEIVED)

    assert case.language == "fr"
    assert "Avis de réception" in case.acknowledgement or "accusé de réception" in case.acknowledgement.lower()
    assert "Commission d'accès à l'information" in case.acknowledgement
    assert "deemed to have refused" not in case.acknowledgement


def test_references_are_sequential_within_a_year_and_restart_each_year(db, requester, dataset):
    first = factories.make_request(
        requester=requester, dataset=dataset, now=datetime(2026, 12, 31, 12, tzinfo=MONTREAL)
    )
    second = factories.make_request(
        requester=requester, dataset=dataset, now=datetime(2026, 12, 31, 13, tzinfo=MONTREAL)
    )
    next_year = factories.make_request(
        requester=requester, dataset=dataset, now=datetime(2027, 1, 1, 9, tzinfo=MONTREAL)
    )

    assert [first.reference, second.reference, next_year.reference] == [
        "DA-2026-00001",
        "DA-2026-00002",
        "DA-2027-00001",
    ]


def test_reference_year_is_the_local_year_of_receipt(db, requester, dataset):
    # 23:30 in Montréal on 31 December is already 1 January in UTC.
    case = factories.make_request(
        requester=requester, dataset=dataset, now=datetime(2026, 12, 31, 23, 30, tzinfo=MONTREAL)
    )

    assert case.reference == "DA-2026-00001"


def test_submit_refuses_an_incomplete_draft(db, requester):
    case = services.request_create_draft(requester=requester)

    with pytest.raises(ValidationError):
        services.request_submit(case=case, actor=requester)

    case.refresh_from_db()
    assert case.status == Status.DRAFT and case.reference is None


def test_submit_twice_is_refused(db, requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.RECEIVED)

    with pytest.raises(TransitionError):
        services.request_submit(case=case, actor=requester)


def test_submit_by_someone_else_is_refused(db, requester, other_requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)

    with pytest.raises(PermissionDenied):
        services.request_submit(case=case, actor=other_requester)
    assert DataRequest.objects.get(pk=case.pk).status == Status.DRAFT


def test_withdraw_records_reason_and_time(db, requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.RECEIVED)
    at = datetime(2026, 6, 1, 9, tzinfo=MONTREAL)

    case = services.request_withdraw(case=case, actor=requester, reason="Found the figures elsewhere", now=at)

    assert case.status == Status.WITHDRAWN
    assert case.withdrawn_at == at
    assert case.withdrawal_reason == "Found the figures elsewhere"


def test_withdraw_needs_a_reason(db, requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.RECEIVED)

    with pytest.raises(ValidationError) as error:
        services.request_withdraw(case=case, actor=requester, reason="   ")
    assert "reason" in error.value.message_dict


def test_withdraw_is_not_possible_for_a_draft_or_twice(db, requester, dataset):
    draft = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)
    withdrawn = factories.make_request(requester=requester, dataset=dataset, status=Status.WITHDRAWN)

    with pytest.raises(TransitionError):
        services.request_withdraw(case=draft, actor=requester, reason="x")
    with pytest.raises(TransitionError):
        services.request_withdraw(case=withdrawn, actor=requester, reason="x")


def test_only_the_requester_may_withdraw(db, requester, other_requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.RECEIVED)

    with pytest.raises(PermissionDenied):
        services.request_withdraw(case=case, actor=other_requester, reason="Not mine")


def test_history_records_each_change_with_its_author_and_reason(db, requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.WITHDRAWN)

    rows = list(case.history.order_by("history_date", "history_id"))

    assert rows[0].history_type == "+"
    assert {row.history_user_id for row in rows} == {requester.pk}
    assert [row.status for row in rows][-2:] == [Status.RECEIVED, Status.WITHDRAWN]
    assert rows[-1].history_change_reason == "No longer needed"  # the requester's own words, nothing parsed
    moves = AuditEvent.objects.filter(case_id=case.pk).exclude(event_type__startswith="access.")
    assert [(move.event_type, move.payload["history"]) for move in moves.order_by("sequence")] == [
        ("request.submitted", rows[-2].history_id),
        ("request.withdrawn", rows[-1].history_id),
    ]
    specification = case.specifications.get()
    assert specification.history.get().history_user_id == requester.pk
    attachment = case.attachments.get()
    assert attachment.history.get().history_user_id == requester.pk


def test_status_cannot_be_forged_past_the_constraints(db, requester, dataset):
    """The database refuses a submitted case without a reference or a clock."""
    from django.db import IntegrityError, transaction

    case = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)
    with pytest.raises(IntegrityError), transaction.atomic():
        DataRequest.objects.filter(pk=case.pk).update(status=Status.RECEIVED)


def test_references_stay_unique_when_twenty_submissions_race(reference_data):
    dataset = factories.make_catalogue()
    drafts = [factories.make_request(dataset=dataset, status=Status.DRAFT) for _ in range(20)]
    barrier = threading.Barrier(len(drafts))
    errors: list[BaseException] = []

    def submit(case):
        try:
            barrier.wait(timeout=30)
            services.request_submit(case=case, actor=case.requester)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(case,)) for case in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    references = sorted(DataRequest.objects.values_list("reference", flat=True))
    year = references[0][3:7]
    assert references == [f"DA-{year}-{number:05d}" for number in range(1, 21)]


def test_roles_that_read_every_case_do_not_see_drafts(db, requester, dataset):
    from portal.roles import Role
    from requests_app.permissions import requests_visible_to, user_can_view_request

    draft = factories.make_request(requester=requester, dataset=dataset, status=Status.DRAFT)
    filed = factories.make_request(requester=requester, dataset=dataset, status=Status.RECEIVED)
    auditor = factories.make_user(role=Role.AUDITOR)

    assert list(requests_visible_to(auditor)) == [filed]
    assert not user_can_view_request(auditor, draft)
    assert user_can_view_request(auditor, filed)
    assert set(requests_visible_to(requester)) == {draft, filed}


def test_a_long_withdrawal_reason_is_kept_whole_in_the_history(db, requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.RECEIVED)
    reason = "The research team was dissolved and the project cancelled by the funding agency. " * 5

    case = services.request_withdraw(case=case, actor=requester, reason=reason)

    assert case.history.latest("history_date").history_change_reason == reason.strip()
    assert AuditEvent.objects.get(case_id=case.pk, event_type="request.withdrawn").payload["note"] == reason.strip()
