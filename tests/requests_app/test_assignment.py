"""DESIGN §2: the lead assigns; the assigned officer holds the case's rights; the previous one loses them."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from portal.models import AuditEvent
from portal.roles import Role
from requests_app import permissions, services
from requests_app.models import DataRequest, Status
from requests_app.workflow import ConcurrentChangeError, TransitionError
from tests import factories


@pytest.fixture
def lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD)


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def received(db, dataset):
    return factories.make_request(dataset=dataset)


def test_assignment_starts_the_review_and_gives_the_officer_the_case(received, lead, officer):
    case = services.case_assign(case=received, actor=lead, officer=officer)

    assert case.status == Status.UNDER_REVIEW
    assert case.assigned_to == officer
    assert permissions.user_can_view_request(officer, case)
    assert permissions.user_works_case(officer, case)
    assert list(permissions.requests_visible_to(officer)) == [case]


def test_reassignment_moves_the_rights_to_the_new_officer(received, lead, officer):
    newcomer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = services.case_assign(case=received, actor=lead, officer=officer)

    case = services.case_assign(case=case, actor=lead, officer=newcomer)

    assert case.status == Status.UNDER_REVIEW
    assert case.assigned_to == newcomer
    assert permissions.user_works_case(newcomer, case)
    assert not permissions.user_can_view_request(officer, DataRequest.objects.get(pk=case.pk))
    assert list(permissions.requests_visible_to(officer)) == []


def test_an_officer_sees_no_case_that_is_not_assigned_to_them(received, officer):
    assert not permissions.user_can_view_request(officer, received)
    assert list(permissions.requests_visible_to(officer)) == []


@pytest.mark.parametrize(
    "role", [Role.PRIVACY_OFFICER, Role.REQUESTER, Role.DATA_CUSTODIAN, Role.OUTPUT_CHECKER, Role.AUDITOR]
)
def test_only_the_lead_may_assign(received, officer, role):
    someone = factories.make_user(role=role)

    with pytest.raises(PermissionDenied):
        services.case_assign(case=received, actor=someone, officer=officer)
    assert DataRequest.objects.get(pk=received.pk).status == Status.RECEIVED


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.OUTPUT_CHECKER, Role.AUDITOR, Role.DATA_CUSTODIAN])
def test_a_case_goes_only_to_an_officer_or_a_lead(received, lead, role):
    with pytest.raises(ValidationError) as error:
        services.case_assign(case=received, actor=lead, officer=factories.make_user(role=role))
    assert "officer" in error.value.message_dict


def test_a_draft_cannot_be_assigned(db, dataset, lead, officer):
    draft = factories.make_request(dataset=dataset, status=Status.DRAFT)

    with pytest.raises((PermissionDenied, TransitionError)):
        services.case_assign(case=draft, actor=lead, officer=officer)


def test_only_the_assigned_officer_or_a_lead_may_ask_the_requester(db, dataset, officer, lead):
    case = factories.make_request(dataset=dataset, status=Status.UNDER_REVIEW, officer=officer)
    other_officer = factories.make_user(role=Role.PRIVACY_OFFICER)

    with pytest.raises(PermissionDenied):
        services.clarification_ask(case=case, actor=other_officer, question="Why?")
    with pytest.raises(PermissionDenied):
        services.clarification_ask(case=case, actor=case.requester, question="Why?")
    services.clarification_ask(case=case, actor=lead, question="Which years?")
    assert DataRequest.objects.get(pk=case.pk).status == Status.AWAITING_REQUESTER


def test_only_the_requester_answers_a_clarification(db, dataset, officer):
    case = factories.make_request(dataset=dataset, status=Status.AWAITING_REQUESTER, officer=officer)

    with pytest.raises(PermissionDenied):
        services.clarification_answer(case=case, actor=officer, answer="Myself")
    with pytest.raises(PermissionDenied):
        services.clarification_answer(case=case, actor=factories.make_user(), answer="Not mine")
    case = services.clarification_answer(case=case, actor=case.requester, answer="2022 and 2023")
    assert case.status == Status.UNDER_REVIEW
    assert case.clarifications.get().answer == "2022 and 2023"


def test_a_stale_page_cannot_overwrite_a_newer_state(received, lead, officer):
    stale = DataRequest.objects.get(pk=received.pk)
    services.request_withdraw(case=received, actor=received.requester, reason="Changed my mind")

    with pytest.raises(ConcurrentChangeError):
        services.case_assign(case=stale, actor=lead, officer=officer)
    assert DataRequest.objects.get(pk=received.pk).assigned_to is None


def test_assignment_is_recorded_in_the_history_with_the_lead(received, lead, officer):
    services.case_assign(case=received, actor=lead, officer=officer)

    last = received.history.latest("history_date")
    assert last.history_user_id == lead.pk
    assert last.assigned_to_id == officer.pk
    assigned = AuditEvent.objects.get(case_id=received.pk, event_type="request.assigned")
    assert (assigned.actor_id, assigned.payload["assigned_to"]) == (lead.pk, officer.pk)
    assert assigned.payload["history"] == last.history_id
    assert officer.email not in last.history_change_reason  # the officer is a field, not a sentence


def test_two_leads_assigning_at_once_exactly_one_wins(reference_data):
    case = factories.make_request()
    leads = [factories.make_user(role=Role.ACCESS_LEAD) for _ in range(2)]
    officers = [factories.make_user(role=Role.PRIVACY_OFFICER) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def assign(index: int) -> None:
        seen = DataRequest.objects.get(pk=case.pk)
        try:
            barrier.wait(timeout=30)
            services.case_assign(case=seen, actor=leads[index], officer=officers[index])
            outcomes[index] = "won"
        except TransitionError:
            outcomes[index] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=assign, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["refused", "won"]
    winner = next(index for index, outcome in outcomes.items() if outcome == "won")
    case.refresh_from_db()
    assert case.assigned_to == officers[winner]
    assert permissions.user_works_case(officers[winner], case)
    assert not permissions.user_can_view_request(officers[1 - winner], case)
