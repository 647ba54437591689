"""Review by the Commission d'accès à l'information (Access Act ss. 135, 137).

s. 135: a person whose request was refused, in whole or in part, may ask the
Commission to review the decision, within 30 days of it; the Commission may
relieve a requester of the delay for a reasonable motive.
s. 137: the request for review is made in writing; the Commission tells the
public body, which sends it the documents the review needs.
s. 52: a body that does not answer within the delay is deemed to have refused.
(Summaries in our own words; the official text prevails.)
"""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from portal.roles import Role
from requests_app import clock, services
from requests_app.models import Decision, DecisionOutcome, ReviewOutcome, ReviewRequest, Status
from tests import factories
from tests.requests_app.pages import assert_kept, client_for, field_error, text, url

#: The case's decision was signed off this long ago, or its due date passed this long ago (a deemed refusal).
DAYS_AGO = 5


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def refused(requester, dataset, officer):
    now = timezone.now() - timedelta(days=DAYS_AGO)
    return factories.make_request(requester=requester, dataset=dataset, status=Status.REFUSED, officer=officer, now=now)


@pytest.fixture
def deemed_refused(requester, dataset):
    """Received long enough ago that its due date passed DAYS_AGO days ago, with no decision."""
    received = timezone.now() - timedelta(days=settings.STATUTORY_DELAY_DAYS + DAYS_AGO + 3)
    case = factories.make_request(requester=requester, dataset=dataset, now=received)
    assert clock.is_overdue(case)
    return case


def expected_lapse(day: date) -> date:
    return clock.next_working_day(day + timedelta(days=settings.REVIEW_REQUEST_DAYS))[0]


def staff_url(name: str, case, **kwargs) -> str:
    return reverse(f"workspace:{name}", kwargs={"pk": case.pk, **kwargs})


# --- The right and its lapse date -----------------------------------------------------------


def test_review_lapses_30_days_after_a_refusal_is_signed_off(refused):
    """s. 135: within 30 days of the decision; the day it was sent is its sign-off, in local date."""
    decision = refused.decisions.get(signed_off_at__isnull=False)
    assert clock.review_lapses_on(refused) == expected_lapse(clock.local_date(decision.signed_off_at))


def test_review_lapses_30_days_after_the_due_date_of_a_deemed_refusal(deemed_refused):
    """s. 52 with s. 135: an unanswered request is refused on its due date, and the 30 days run from it."""
    assert clock.review_lapses_on(deemed_refused) == expected_lapse(clock.local_date(deemed_refused.due_at))


def test_a_partial_refusal_opens_the_right_to_review(requester, dataset):
    """s. 135: refused "in part" is enough."""
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.PRODUCING)
    Decision.objects.filter(request=case).update(outcome=DecisionOutcome.PARTIALLY_APPROVED)
    assert clock.review_grounds(case)[0] == DecisionOutcome.PARTIALLY_APPROVED
    assert clock.review_lapses_on(case) is not None


def test_no_right_to_review_after_an_approval_or_while_in_time(requester, dataset):
    approved = factories.make_request(requester=requester, dataset=dataset, status=Status.PRODUCING)
    received = factories.make_request(requester=requester, dataset=dataset)
    assert clock.review_lapses_on(approved) is None
    assert clock.review_lapses_on(received) is None


def test_a_lapse_date_on_a_sunday_moves_to_monday(refused, settings):
    """I-16 s. 52: a delay that expires on a holiday (Sunday included) runs to the next working day."""
    signed = clock.local_date(refused.decisions.get(signed_off_at__isnull=False).signed_off_at)
    days_to_sunday = (6 - (signed + timedelta(days=30)).weekday()) % 7
    settings.REVIEW_REQUEST_DAYS = 30 + days_to_sunday
    lapses_on = clock.review_lapses_on(refused)
    assert lapses_on.weekday() != 6
    assert lapses_on > signed + timedelta(days=settings.REVIEW_REQUEST_DAYS)


def test_requester_page_states_the_right_the_commission_and_the_lapse_date_after_a_refusal(refused, requester):
    page = text(client_for(requester).get(url("detail", refused)))
    assert 'id="cai-review"' in page
    assert "525, boulevard René-Lévesque Est, bureau 2.36, Québec (Québec) G1R 5S9" in page
    assert "2045, rue Stanley, bureau 900, Montréal (Québec) H3A 2V4" in page
    assert "1 888 528-7741" in page
    assert 'href="https://www.cai.gouv.qc.ca"' in page
    assert clock.review_lapses_on(refused).isoformat() in page
    assert url("review_record", refused) in page


def test_requester_page_states_the_right_after_a_deemed_refusal(deemed_refused, requester):
    page = text(client_for(requester).get(url("detail", deemed_refused)))
    assert 'id="review-lapses-on"' in page
    assert clock.review_lapses_on(deemed_refused).isoformat() in page
    assert "deemed refused" in page


def test_requester_page_has_no_review_box_after_an_approval(requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.PRODUCING)
    page = text(client_for(requester).get(url("detail", case)))
    assert 'id="cai-review"' not in page
    assert 'id="review-lapses-on"' not in page and 'id="commission-contact"' not in page


# --- The requester records a review --------------------------------------------------------


def test_requester_records_their_review_request(refused, requester):
    """s. 137: the requester wrote to the Commission; the portal records the day and the Commission's number."""
    client = client_for(requester)
    today = clock.local_date(timezone.now())
    response = client.post(
        url("review_record", refused), {"requested_on": today.isoformat(), "cai_file_number": "1023456"}
    )
    assert response.status_code == 302
    review = ReviewRequest.objects.get(request=refused)
    assert (review.requested_on, review.cai_file_number, review.recorded_by) == (today, "1023456", requester)
    assert review.outcome == ReviewOutcome.PENDING
    page = text(client.get(url("detail", refused)))
    assert "1023456" in page
    assert "Pending before the Commission" in page
    # One open review at a time: the form is gone.
    assert 'action="' + url("review_record", refused) + '"' not in page


def test_a_late_review_request_is_recorded_and_said_late(refused, requester):
    """s. 135: the Commission may hear a late request; the portal records it and says it was late."""
    lapses_on = clock.review_lapses_on(refused)
    now = timezone.now() + timedelta(days=60)
    review = services.review_request_record(
        case=refused, actor=requester, requested_on=lapses_on + timedelta(days=1), now=now
    )
    assert review.late
    event = AuditEvent.objects.get(event_type="review.requested")
    assert event.payload["late"] is True


def test_review_form_errors_name_the_field_and_keep_the_input(refused, requester):
    response = client_for(requester).post(
        url("review_record", refused), {"requested_on": "not a date", "cai_file_number": "CAI-77"}
    )
    assert response.status_code == 200
    assert field_error(response, "id_requested_on").startswith("Date the review was asked:")
    assert_kept(response, "CAI-77")
    assert_kept(response, "not a date")


def test_a_review_date_in_the_future_is_refused_naming_the_field(refused, requester):
    tomorrow = clock.local_date(timezone.now()) + timedelta(days=1)
    response = client_for(requester).post(url("review_record", refused), {"requested_on": tomorrow.isoformat()})
    assert response.status_code == 200
    assert "Date the review was asked: it cannot be in the future." in field_error(response, "id_requested_on")
    assert not ReviewRequest.objects.exists()


def test_no_review_can_be_recorded_after_an_approval(requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.PRODUCING)
    with pytest.raises(ValidationError) as error:
        services.review_request_record(case=case, actor=requester, requested_on=clock.local_date(timezone.now()))
    assert "requested_on" in error.value.error_dict


def test_someone_elses_case_is_404(refused, dataset):
    stranger = factories.make_user(role=Role.REQUESTER)
    client = client_for(stranger)
    assert client.get(url("detail", refused)).status_code == 404
    response = client.post(url("review_record", refused), {"requested_on": date.today().isoformat()})
    assert response.status_code == 404
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    assert client_for(officer).post(staff_url("review_record", refused), {}).status_code == 404
    assert not ReviewRequest.objects.exists()


def test_only_staff_of_the_case_update_a_review(refused, requester):
    """The requester records their request; what the agency sent and the outcome are staff's to record."""
    review = services.review_request_record(
        case=refused, actor=requester, requested_on=clock.local_date(timezone.now())
    )
    values = {
        "sent_file": True,
        "sent_decision": False,
        "sent_tables": False,
        "sent_on": clock.local_date(timezone.now()),
        "outcome": ReviewOutcome.PENDING,
        "outcome_on": None,
    }
    with pytest.raises(PermissionDenied):
        services.review_request_update(review=review, actor=requester, **values)
    # Another officer does not see the case at all: not found, not forbidden.
    with pytest.raises(Http404):
        services.review_request_update(review=review, actor=factories.make_user(role=Role.PRIVACY_OFFICER), **values)
    review.refresh_from_db()
    assert not review.sent_file


# --- Staff track what is sent and the outcome ----------------------------------------------


def test_staff_track_what_was_sent_and_the_outcome(refused, requester, officer):
    """s. 137: the agency sends the Commission the file, the decision and the tables; then the outcome."""
    today = clock.local_date(timezone.now())
    review = services.review_request_record(case=refused, actor=requester, requested_on=today)
    client = client_for(officer)
    page = text(client.get(staff_url("case", refused)))
    assert "What to send the Commission" in page
    prefix = f"review-{review.pk}"
    response = client.post(
        staff_url("review_update", refused, review_pk=review.pk),
        {
            f"{prefix}-sent_file": "on",
            f"{prefix}-sent_decision": "on",
            f"{prefix}-sent_on": today.isoformat(),
            f"{prefix}-cai_file_number": "1023456",
            f"{prefix}-outcome": ReviewOutcome.UPHELD,
            f"{prefix}-outcome_on": today.isoformat(),
            f"{prefix}-notes": "Hearing held.",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.sent_file, review.sent_decision, review.sent_tables) == (True, True, False)
    assert (review.sent_on, review.outcome, review.outcome_on) == (today, ReviewOutcome.UPHELD, today)
    assert "Decision upheld" in text(client_for(requester).get(url("detail", refused)))
    # History everywhere: one row per write, and the audit trail's events name them.
    assert review.history.count() == 2
    events = AuditEvent.objects.filter(event_type__startswith="review.", case_id=refused.pk).order_by("sequence")
    assert [event.event_type for event in events] == ["review.requested", "review.updated"]
    assert events[1].payload["history"] == review.history.order_by("-history_id").first().history_id


def test_staff_outcome_without_its_date_is_refused_naming_the_field(refused, requester, officer):
    today = clock.local_date(timezone.now())
    review = services.review_request_record(case=refused, actor=requester, requested_on=today)
    prefix = f"review-{review.pk}"
    response = client_for(officer).post(
        staff_url("review_update", refused, review_pk=review.pk),
        {f"{prefix}-outcome": ReviewOutcome.SETTLED, f"{prefix}-notes": "Agreed by phone."},
    )
    assert response.status_code == 200
    assert field_error(response, f"id_{prefix}-outcome_on").startswith("Date of the outcome:")
    assert_kept(response, "Agreed by phone.")


def test_staff_record_a_review_on_the_requesters_behalf(deemed_refused):
    lead = factories.make_user(role=Role.ACCESS_LEAD)
    today = clock.local_date(timezone.now())
    response = client_for(lead).post(
        staff_url("review_record", deemed_refused), {"requested_on": today.isoformat(), "cai_file_number": ""}
    )
    assert response.status_code == 302
    assert ReviewRequest.objects.get(request=deemed_refused).recorded_by == lead


def test_the_database_holds_one_open_review_and_a_dated_outcome(refused, requester):
    today = clock.local_date(timezone.now())
    services.review_request_record(case=refused, actor=requester, requested_on=today)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewRequest.objects.create(
            request=refused, requested_on=today, recorded_by=requester, recorded_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewRequest.objects.filter(request=refused).update(outcome=ReviewOutcome.WITHDRAWN)


def test_a_review_asked_before_the_refusal_is_refused_naming_the_field(refused, requester):
    signed = clock.local_date(refused.decisions.get(signed_off_at__isnull=False).signed_off_at)
    with pytest.raises(ValidationError) as error:
        services.review_request_record(case=refused, actor=requester, requested_on=signed - timedelta(days=1))
    assert error.value.error_dict["requested_on"][0].messages[0].startswith("Date the review was asked:")


def test_the_refusal_letter_gives_the_commissions_contact_details(refused):
    """The letter that states the right to a review (s. 135) says where to send it."""
    from requests_app.legal_data import COMMISSION

    letter = Decision.objects.filter(request=refused, signed_off_at__isnull=False).get().letter
    assert COMMISSION["telephone"] in letter
    assert COMMISSION["website"] in letter
    assert all(address in letter for _city, address in COMMISSION["offices"])
