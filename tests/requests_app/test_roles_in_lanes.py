"""Roles stay in their lanes: requesters file requests, staff work them, and four eyes need two leads."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from portal.models import User
from portal.roles import STAFF_ROLES, Role
from requests_app import services
from requests_app.models import DataRequest, Status
from tests import factories
from tests.requests_app.pages import client_for


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_a_staff_account_cannot_open_a_draft(db, role):
    staff = factories.make_user(role=role)
    with pytest.raises(PermissionDenied):
        services.request_create_draft(requester=staff)
    assert not DataRequest.objects.exists()


def test_the_auditors_requests_page_offers_no_new_request_and_refuses_one_clearly(db):
    client = client_for(factories.make_user(role=Role.AUDITOR))
    page = client.get(reverse("requests_app:list")).content.decode()
    assert reverse("requests_app:create") not in page
    assert "Staff accounts cannot file requests" in page
    answer = client.post(reverse("requests_app:create"), follow=True)
    assert answer.status_code == 200
    assert "sign up with a separate requester account" in answer.content.decode()
    assert not DataRequest.objects.exists()


def test_a_superuser_cannot_file_either(db):
    admin = factories.make_user(is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied):
        services.request_create_draft(requester=admin)


def test_a_draft_opened_before_its_owner_became_staff_cannot_be_submitted(db, dataset):
    case = factories.make_request(status=Status.DRAFT, dataset=dataset)
    case.requester.groups.add(Group.objects.get(name=Role.PRIVACY_OFFICER))
    now_staff = User.objects.get(pk=case.requester_id)
    with pytest.raises(PermissionDenied):
        services.request_submit(case=case, actor=now_staff)


def test_a_requester_still_files(db):
    requester = factories.make_user()
    assert services.request_create_draft(requester=requester).status == Status.DRAFT


def test_the_admin_warns_while_fewer_than_two_leads_exist(db):
    client = client_for(factories.make_user(role=Role.AUDITOR, is_superuser=True, is_staff=True))
    factories.make_user(role=Role.ACCESS_LEAD)
    assert "There is 1 active access lead" in client.get(reverse("admin:index")).content.decode()
    factories.make_user(role=Role.ACCESS_LEAD)
    assert "active access lead" not in client.get(reverse("admin:index")).content.decode()


def test_a_leads_proposal_is_signed_by_another_lead(db):
    first, second = factories.make_user(role=Role.ACCESS_LEAD), factories.make_user(role=Role.ACCESS_LEAD)
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=first)
    for criterion in services.criteria_for(case):
        services.criterion_assess(case=case, actor=first, criterion=criterion, outcome="met")
    services.decision_propose(case=case, actor=first, outcome="approved", reasons="", provisions=[])
    with pytest.raises(PermissionDenied):
        services.decision_sign_off(case=case, actor=first)
    assert services.decision_sign_off(case=case, actor=second).status in (Status.APPROVED, Status.PRODUCING)
