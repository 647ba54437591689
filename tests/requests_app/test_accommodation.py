"""Reasonable accommodation (Access Act s. 47, 1.1°): a requester with a disability may ask for one, in plain
words; the officer sees it first, decides it with a reason, and the decision letter states it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal import trail
from portal.models import AuditEvent
from portal.roles import Role
from requests_app import services
from requests_app.models import Accommodation, AccommodationOutcome, DataRequest, Status
from tests import factories
from tests.requests_app.pages import assert_kept, client_for, field_error, profile_post, text, url

pytestmark = pytest.mark.django_db


def test_the_requester_asks_for_an_accommodation_on_the_first_step_and_it_is_kept():
    requester = factories.make_user()
    client = client_for(requester)
    response = client.post(
        url("create"),
        profile_post(accommodation=Accommodation.FORMAT, accommodation_details="Large print, please."),
    )
    assert response.status_code == 302
    case = DataRequest.objects.get(requester=requester)
    assert (case.accommodation, case.accommodation_details) == (Accommodation.FORMAT, "Large print, please.")
    # The next request starts from the same profile, accommodation included.
    assert services.profile_defaults(requester)["accommodation"] == Accommodation.FORMAT


def test_something_else_needs_words_and_the_form_keeps_what_was_typed():
    requester = factories.make_user()
    case = factories.make_request(requester=requester, status=Status.DRAFT)
    response = client_for(requester).post(
        url("profile", case), profile_post(accommodation=Accommodation.OTHER, contact_name="Gilles Tremblay")
    )
    assert response.status_code == 200
    assert "Say which accommodation would help you." in field_error(response, "id_accommodation_details")
    assert_kept(response, "Gilles Tremblay")


def test_no_accommodation_is_the_default_and_nothing_is_shown_to_staff():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)
    assert case.accommodation == ""
    assert 'id="accommodation"' not in text(client_for(officer).get(reverse("workspace:case", kwargs={"pk": case.pk})))


@pytest.fixture
def asked():
    requester = factories.make_user()
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(requester=requester, status=Status.DRAFT)
    services.request_update_draft(
        case=case,
        actor=requester,
        step="profile",
        values={
            **factories.PROFILE,
            "accommodation": Accommodation.ASSISTANCE,
            "accommodation_details": "I read with a screen reader; please call me.",
        },
    )
    case = services.request_submit(case=case, actor=requester)
    lead = factories.make_user(role=Role.ACCESS_LEAD)
    case = services.case_assign(case=case, actor=lead, officer=officer)
    return case, officer


def test_the_officer_sees_it_at_the_top_of_the_case_and_decides_it_with_a_reason(asked):
    case, officer = asked
    client = client_for(officer)
    page = text(client.get(reverse("workspace:case", kwargs={"pk": case.pk})))
    assert page.index('id="accommodation"') < page.index('id="clock-title"'), "shown before the clock"
    assert "please call me" in page

    refused = client.post(reverse("workspace:accommodation", kwargs={"pk": case.pk}), {"outcome": "granted"})
    assert refused.status_code == 200
    assert "Reason: say what the agency will do, or why it cannot." in field_error(refused, "id_reason")
    case.refresh_from_db()
    assert case.accommodation_outcome == ""

    done = client.post(
        reverse("workspace:accommodation", kwargs={"pk": case.pk}),
        {"outcome": AccommodationOutcome.GRANTED, "reason": "The officer will call you at each step."},
    )
    assert done.status_code == 302
    case.refresh_from_db()
    assert (case.accommodation_outcome, case.accommodation_reason) == (
        AccommodationOutcome.GRANTED,
        "The officer will call you at each step.",
    )
    assert AuditEvent.objects.filter(case_id=case.pk, event_type=trail.EventType.ACCOMMODATION_DECIDED).exists()
    assert case.history.filter(accommodation_outcome=AccommodationOutcome.GRANTED).exists()


def test_the_decision_letter_states_the_accommodation(asked):
    case, officer = asked
    services.accommodation_decide(
        case=case, actor=officer, outcome=AccommodationOutcome.GRANTED, reason="The officer will call you."
    )
    DataRequest.objects.filter(pk=case.pk).update(language="en")
    case.refresh_from_db()
    letter = services.render_decision_letter(case, outcome="refused", reasons="Nominative data.", provisions=[])
    assert "Accommodation (Access Act, s. 47): Help to make or follow the request" in letter
    assert "Granted. The officer will call you." in letter


def test_only_the_officer_working_the_case_decides_once():
    requester = factories.make_user()
    case = factories.make_request(requester=requester, status=Status.UNDER_REVIEW)
    DataRequest.objects.filter(pk=case.pk).update(accommodation=Accommodation.FORMAT)
    case.refresh_from_db()
    stranger = factories.make_user(role=Role.PRIVACY_OFFICER)
    with pytest.raises(PermissionDenied):
        services.accommodation_decide(case=case, actor=stranger, outcome="granted", reason="Yes.")
    with pytest.raises(PermissionDenied):
        services.accommodation_decide(case=case, actor=requester, outcome="granted", reason="Yes.")
    officer = case.assigned_to
    with pytest.raises(ValidationError) as missing:
        services.accommodation_decide(case=case, actor=officer, outcome="granted", reason=" ")
    assert "reason" in missing.value.message_dict
    services.accommodation_decide(case=case, actor=officer, outcome="partly", reason="Plain text only.")
    case.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.accommodation_decide(case=case, actor=officer, outcome="granted", reason="Again.")
