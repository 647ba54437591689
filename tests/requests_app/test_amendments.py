"""Amendments: once a decision is signed, what it approved changes only with a second person's signature.

The issue's case: a checker returned a table, and the officer alone turned the approved "region × sex" into
another table, which was produced and released; the decision letter no longer matched what left the agency.
"""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal.models import AuditEvent
from portal.roles import Role
from portal.trail import EventType
from requests_app import notifications, selectors, services
from requests_app.models import Amendment, Notification, Status
from requests_app.notifications import outbox
from requests_app.production import jobs
from requests_app.states import JobState
from tests import factories
from tests.requests_app.pages import client_for

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]

REASON = "Fewer dimensions, as the output checker asked."


@pytest.fixture
def officer():
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def lead():
    return factories.make_user(role=Role.ACCESS_LEAD)


@pytest.fixture
def returned(officer):
    """A signed approval whose only table the output checker sent back."""
    case = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    job = case.table_jobs.get()
    jobs.output_return(job=job, actor=factories.make_user(role=Role.OUTPUT_CHECKER), reason="Too many cells hidden.")
    job.refresh_from_db()
    return job


def propose(job, officer, dimensions=None, filters=None) -> Amendment:
    table = job.table
    return services.specification_adjust(
        case=job.request,
        actor=officer,
        specification=table,
        dimensions=dimensions or table.dimensions[:1],
        filters=filters or {},
        reason=REASON,
    )


def test_after_sign_off_a_table_change_is_only_proposed_and_the_table_keeps_its_approved_scope(returned, officer):
    approved = list(returned.table.dimensions)

    amendment = propose(returned, officer)

    assert isinstance(amendment, Amendment) and amendment.is_pending
    returned.table.refresh_from_db()
    assert returned.table.dimensions == approved
    assert amendment.dimensions_before == approved and amendment.dimensions == approved[:1]
    # Nothing is produced meanwhile: the officer cannot run the table again while the lead has not signed.
    with pytest.raises(PermissionDenied):
        jobs.job_rerun(job=returned, actor=officer)
    assert AuditEvent.objects.filter(case_id=returned.request_id, event_type=EventType.AMENDMENT_PROPOSED).exists()


def test_the_proposer_cannot_sign_off_their_own_amendment_nor_can_an_officer(returned, officer):
    amendment = propose(returned, officer)
    lead_who_proposed = factories.make_user(role=Role.ACCESS_LEAD)

    with pytest.raises(PermissionDenied):
        services.amendment_sign_off(case=returned.request, actor=officer, amendment=amendment)
    with pytest.raises(PermissionDenied):
        services.amendment_sign_off(
            case=returned.request, actor=factories.make_user(role=Role.PRIVACY_OFFICER), amendment=amendment
        )
    services.amendment_return(case=returned.request, actor=lead_who_proposed, amendment=amendment, reason="Redo.")
    # A lead's own proposal waits for another lead, as a decision does.
    second = propose(returned, lead_who_proposed)
    with pytest.raises(PermissionDenied):
        services.amendment_sign_off(case=returned.request, actor=lead_who_proposed, amendment=second)
    # And the database refuses it too.
    second.signed_off_by, second.signed_off_at = lead_who_proposed, second.proposed_at
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_a_second_person_signs_the_table_changes_the_requester_gets_the_letter_and_the_table_runs_again(
    returned, officer, lead
):
    amendment = propose(returned, officer)

    services.amendment_sign_off(case=returned.request, actor=lead, amendment=amendment)

    returned.table.refresh_from_db()
    returned.refresh_from_db()
    assert returned.table.dimensions == amendment.dimensions
    assert returned.state == JobState.QUEUED and returned.run == 2
    assert returned.specification["dimensions"] == amendment.dimensions
    letter = Notification.objects.get(notice="amendment_sent", recipient=returned.request.requester)
    assert letter.context["amendment_id"] == amendment.pk
    assert Notification.objects.filter(notice="amendment_signed", recipient=officer).count() == 1
    assert AuditEvent.objects.filter(case_id=returned.request_id, event_type=EventType.AMENDMENT_SIGNED_OFF).exists()


def test_a_lead_sends_an_amendment_back_with_a_reason_and_nothing_changes(returned, officer, lead):
    approved = list(returned.table.dimensions)
    amendment = propose(returned, officer)

    with pytest.raises(ValidationError) as error:
        services.amendment_return(case=returned.request, actor=lead, amendment=amendment, reason=" ")
    assert "reason" in error.value.message_dict
    services.amendment_return(case=returned.request, actor=lead, amendment=amendment, reason="Keep the regions.")

    returned.table.refresh_from_db()
    assert returned.table.dimensions == approved
    assert Notification.objects.filter(notice="amendment_returned", recipient=officer).count() == 1
    assert not Notification.objects.filter(notice="amendment_sent").exists()
    # Sent back, it can be neither signed nor sent back again.
    with pytest.raises(ValidationError):
        services.amendment_sign_off(case=returned.request, actor=lead, amendment=amendment)
    # The officer may run the approved table again, or propose another amendment.
    assert jobs.job_rerun(job=returned, actor=officer).run == 2


def test_an_amendment_that_changes_nothing_and_a_second_one_while_one_waits_are_refused(returned, officer):
    with pytest.raises(ValidationError) as error:
        propose(returned, officer, dimensions=list(returned.table.dimensions))
    assert "dimensions" in error.value.message_dict
    propose(returned, officer)
    with pytest.raises(ValidationError):
        propose(returned, officer)
    assert Amendment.objects.count() == 1


def test_during_the_review_a_table_changes_at_once_with_no_amendment(officer):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)
    table = case.specifications.first()

    changed = services.specification_adjust(
        case=case, actor=officer, specification=table, dimensions=table.dimensions[:1], filters={}, reason=REASON
    )

    assert changed.pk == table.pk and changed.dimensions == table.dimensions[:1]
    assert not Amendment.objects.exists()


def test_the_letter_lists_every_table_with_its_filters_in_labels_before_and_after(returned, officer):
    dimension = returned.table.dataset.dimensions.get(code=returned.table.dimensions[0])
    kept = list(dimension.categories.order_by("code")[:2])

    amendment = propose(
        returned, officer, dimensions=list(returned.table.dimensions), filters={dimension.code: [c.code for c in kept]}
    )

    letter = amendment.letter
    assert returned.request.reference in letter
    assert REASON in letter
    with translation.override(returned.request.language):
        # Labels in the requester's language, never codes.
        expected = _("%(dimension)s limited to: %(categories)s") % {
            "dimension": dimension.label,
            "categories": ", ".join(category.label for category in kept),
        }
    assert expected in letter


def test_the_requester_reads_a_signed_amendment_and_its_history_but_never_a_proposal(returned, officer, lead):
    case = returned.request
    amendment = propose(returned, officer)
    requester = client_for(case.requester)

    page = requester.get(reverse("requests_app:detail", kwargs={"pk": case.pk})).content.decode()
    assert "amendment-letter" not in page
    assert [entry for entry in selectors.status_timeline(case) if entry.status == "amended"] == []

    services.amendment_sign_off(case=case, actor=lead, amendment=amendment)

    page = requester.get(reverse("requests_app:detail", kwargs={"pk": case.pk})).content.decode()
    assert "amendment-letter" in page
    assert [entry.status_label for entry in selectors.status_timeline(case) if entry.status == "amended"] == [
        "Decision amended"
    ]


def test_the_amendment_letter_is_e_mailed_once_whatever_happens_after(returned, officer, lead, mailoutbox):
    amendment = propose(returned, officer)
    services.amendment_sign_off(case=returned.request, actor=lead, amendment=amendment)
    notifications.record(
        "amendment_sent", case=returned.request, about=amendment, occurrence=f"amendment-{amendment.pk}"
    )
    for row in Notification.objects.filter(notice="amendment_sent"):
        outbox.deliver(notification_id=row.pk)

    sent = [message for message in mail.outbox if amendment.letter.splitlines()[0] in message.body]
    assert len(sent) == 1
    assert sent[0].to == [returned.request.requester.email]


def test_lead_signs_an_amendment_on_the_case_page_and_the_proposer_is_refused(returned, officer, lead):
    case = returned.request
    amendment = propose(returned, officer)
    url = reverse("workspace:amendment_sign_off", kwargs={"pk": case.pk, "amendment_pk": amendment.pk})

    page = client_for(lead).get(reverse("workspace:case", kwargs={"pk": case.pk})).content.decode()
    assert "Sign off the amendment" in page
    assert client_for(officer).post(url).status_code == 403
    other_case = factories.make_request(status=Status.UNDER_REVIEW)
    elsewhere = reverse("workspace:amendment_sign_off", kwargs={"pk": other_case.pk, "amendment_pk": amendment.pk})
    assert client_for(lead).post(elsewhere).status_code == 404

    response = client_for(lead).post(url)

    assert response.status_code == 302
    amendment.refresh_from_db()
    assert amendment.signed_off_by == lead


def test_sending_back_without_a_reason_names_the_field_and_keeps_the_amendment_pending(returned, officer, lead):
    case = returned.request
    amendment = propose(returned, officer)
    url = reverse("workspace:amendment_return", kwargs={"pk": case.pk, "amendment_pk": amendment.pk})

    response = client_for(lead).post(url, {f"amendment-{amendment.pk}-reason": ""})

    assert response.status_code == 200
    assert "Why it is sent back" in response.content.decode()
    amendment.refresh_from_db()
    assert amendment.is_pending
