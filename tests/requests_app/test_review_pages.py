"""The review on the staff case page (checklist, consultations, decision, messages, adjustments) and what
the requester sees of it: the signed-off decision, the messages, the adjustments, a deemed refusal."""

import re
from datetime import timedelta
from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.roles import Role
from requests_app import services
from requests_app.models import (
    Assessment,
    Consultation,
    CriterionAssessment,
    Decision,
    DecisionOutcome,
    LegalProvision,
    Message,
    Status,
)
from stats_app.models import Custodian, Dataset
from tests import factories
from tests.requests_app.pages import client_for, field_error, text

NOTE = "Check the ethics letter before anything else."
REPLY = "Here is more context about the regions."


def case_url(case, name: str = "case", **kwargs) -> str:
    return reverse(f"workspace:{name}", kwargs={"pk": case.pk, **kwargs})


def detail_url(case) -> str:
    return reverse("requests_app:detail", kwargs={"pk": case.pk})


@pytest.fixture
def lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD, first_name="Léa", last_name="Lead")


@pytest.fixture
def other_lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD, first_name="Marc", last_name="Second")


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER, first_name="Olivier", last_name="Officer")


@pytest.fixture
def auditor(db):
    return factories.make_user(role=Role.AUDITOR)


@pytest.fixture
def reviewed(requester, dataset, officer):
    """Under review by ``officer``: the agency's own data, so no owner needs consulting."""
    return factories.make_request(requester=requester, dataset=dataset, status=Status.UNDER_REVIEW, officer=officer)


def checklist_post(case, outcome=Assessment.MET, **overrides) -> dict:
    data = {f"checklist-outcome_{criterion.pk}": outcome for criterion in services.criteria_for(case)}
    return {**data, **overrides}


def assess_all(case, actor, outcome=Assessment.MET):
    for criterion in services.criteria_for(case):
        services.criterion_assess(case=case, actor=actor, criterion=criterion, outcome=outcome)


def propose_approval(case, actor):
    assess_all(case, actor)
    return services.decision_propose(
        case=case, actor=actor, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[]
    )


def has_form(page: str, form_id: str) -> bool:
    return f'id="{form_id}"' in page


# --- Who may act -------------------------------------------------------------------------------


def test_review_forms_are_shown_to_the_assigned_officer(reviewed, officer):
    page = text(client_for(officer).get(case_url(reviewed)))

    for form_id in ("checklist-form", "consultation-form", "propose-form", "message-form"):
        assert has_form(page, form_id), form_id
    assert (
        f'action="{case_url(reviewed, "specification_adjust", specification_pk=reviewed.specifications.get().pk)}"'
        in page
    )


def test_review_forms_are_hidden_from_an_auditor(reviewed, auditor):
    response = client_for(auditor).get(case_url(reviewed))

    assert response.status_code == 200
    page = text(response)
    for form_id in ("checklist-form", "consultation-form", "propose-form", "message-form", "sign-off-form"):
        assert not has_form(page, form_id), form_id
    assert "Adjust table 1" not in page


def test_review_posts_are_refused_to_an_auditor(reviewed, auditor):
    client = client_for(auditor)
    specification = reviewed.specifications.get()

    for name, data in (
        ("checklist", checklist_post(reviewed)),
        ("consultation_open", {"consultation-question": "?"}),
        ("decision_propose", {"decision-outcome": "refused"}),
        ("decision_sign_off", {"sign-off-decision": 1}),
        ("decision_return", {"return-decision": 1, "return-reason": "No"}),
        ("message", {"message-body": "Hello"}),
    ):
        assert client.post(case_url(reviewed, name), data).status_code == 403, name
    url = case_url(reviewed, "specification_adjust", specification_pk=specification.pk)
    assert client.post(url, {"adjust-reason": "x"}).status_code == 403
    assert not CriterionAssessment.objects.filter(request=reviewed).exists()
    assert not Message.objects.filter(request=reviewed).exists()


def test_review_posts_are_404_for_an_officer_not_assigned(reviewed):
    client = client_for(factories.make_user(role=Role.PRIVACY_OFFICER))

    assert client.get(case_url(reviewed)).status_code == 404
    for name in ("checklist", "consultation_open", "decision_propose", "decision_sign_off", "message"):
        assert client.post(case_url(reviewed, name), {}).status_code == 404, name


def test_review_pages_are_refused_to_requesters(reviewed, requester, other_requester):
    assert client_for(other_requester).get(case_url(reviewed)).status_code == 404
    assert client_for(other_requester).post(case_url(reviewed, "message"), {"message-body": "Hi"}).status_code == 404
    # The requester of the case knows it exists: the workspace refuses them outright.
    assert client_for(requester).post(case_url(reviewed, "checklist"), checklist_post(reviewed)).status_code == 403


# --- The checklist ---------------------------------------------------------------------------


def test_checklist_shows_each_criterion_with_its_provision_and_mandatory_mark(reviewed, officer):
    page = text(client_for(officer).get(case_url(reviewed)))

    for criterion in services.criteria_for(reviewed):
        row = re.search(rf'<tr data-criterion="{criterion.code}">(.*?)</tr>', page, re.S).group(1)
        assert escape(criterion.text_en) in row
        if criterion.provision:
            assert escape(str(criterion.provision)) in row
        assert ("mandatory" in row) == criterion.mandatory


def test_checklist_is_saved_in_one_post_by_the_officer(reviewed, officer):
    criteria = services.criteria_for(reviewed)
    first = criteria[0]
    data = checklist_post(reviewed, **{f"checklist-note_{first.pk}": "Seen in the protocol."})

    response = client_for(officer).post(case_url(reviewed, "checklist"), data, follow=True)

    assert f"{len(criteria)} findings are saved." in text(response)
    findings = CriterionAssessment.objects.filter(request=reviewed)
    assert findings.count() == len(criteria)
    assert {finding.outcome for finding in findings} == {Assessment.MET}
    assert findings.get(criterion=first).note == "Seen in the protocol."
    assert "Seen in the protocol." in text(response)


def test_checklist_saves_only_the_rows_that_changed(reviewed, officer):
    assess_all(reviewed, officer)
    first = services.criteria_for(reviewed)[0]

    response = client_for(officer).post(
        case_url(reviewed, "checklist"),
        checklist_post(reviewed, **{f"checklist-outcome_{first.pk}": Assessment.NOT_MET}),
        follow=True,
    )

    assert "1 finding is saved." in text(response)
    assert CriterionAssessment.objects.get(request=reviewed, criterion=first).outcome == Assessment.NOT_MET
    assert sum(finding.history.count() for finding in CriterionAssessment.objects.filter(request=reviewed)) == (
        len(services.criteria_for(reviewed)) + 1
    )


def test_checklist_note_without_a_finding_shows_the_error_on_its_row_and_saves_nothing(reviewed, officer):
    first, second = services.criteria_for(reviewed)[:2]
    data = {f"checklist-outcome_{first.pk}": Assessment.MET, f"checklist-note_{second.pk}": "Unclear."}

    response = client_for(officer).post(case_url(reviewed, "checklist"), data)

    assert response.status_code == 200
    assert "choose met, not met or not applicable" in field_error(response, f"id_checklist-outcome_{second.pk}")
    assert "Unclear." in text(response)
    assert not CriterionAssessment.objects.filter(request=reviewed).exists()


def test_checklist_is_read_only_once_a_decision_is_proposed(reviewed, officer):
    propose_approval(reviewed, officer)
    client = client_for(officer)

    assert not has_form(text(client.get(case_url(reviewed))), "checklist-form")
    response = client.post(case_url(reviewed, "checklist"), checklist_post(reviewed, outcome=Assessment.NOT_MET))
    assert response.status_code == 200
    assert "only while the request is under review" in text(response)
    assert not CriterionAssessment.objects.filter(request=reviewed, outcome=Assessment.NOT_MET).exists()


# --- The decision and its sign-off -----------------------------------------------------------------


def test_approval_obstacles_are_listed_on_the_page(reviewed, officer):
    page = text(client_for(officer).get(case_url(reviewed)))

    obstacles = re.search(r'<div id="approval-obstacles">(.*?)</div>', page, re.S).group(1)
    assert "Mandatory criterion not assessed yet" in obstacles  # nothing is assessed yet


def test_proposing_approval_with_unmet_criteria_shows_the_obstacles(reviewed, officer):
    response = client_for(officer).post(case_url(reviewed, "decision_propose"), {"decision-outcome": "approved"})

    assert response.status_code == 200
    error = re.search(r'<div class="field-error" id="id_decision-outcome-error">(.*?)</div>', text(response), re.S)
    assert error and "Mandatory criterion not assessed yet" in error.group(1)
    reviewed.refresh_from_db()
    assert reviewed.status == Status.UNDER_REVIEW
    assert not Decision.objects.filter(request=reviewed).exists()


def test_refusal_without_a_provision_shows_the_error_on_provisions(reviewed, officer):
    response = client_for(officer).post(
        case_url(reviewed, "decision_propose"), {"decision-outcome": "refused", "decision-reasons": "Nominative."}
    )

    assert response.status_code == 200
    assert "must cite at least one legal provision" in field_error(response, "id_decision-provisions")
    assert "Nominative." in text(response)


def test_officer_proposes_a_refusal_with_provisions_and_sees_the_letter_for_review(reviewed, officer):
    provision = LegalProvision.objects.get(code="r221_research")
    client = client_for(officer)

    response = client.post(
        case_url(reviewed, "decision_propose"),
        {"decision-outcome": "refused", "decision-reasons": "Nominative data.", "decision-provisions": [provision.pk]},
        follow=True,
    )

    page = text(response)
    assert "The decision is proposed." in page
    decision = Decision.objects.get(request=reviewed)
    assert list(decision.provisions.all()) == [provision]
    pending = re.search(r'<div id="pending-decision">(.*?)</div>\s*\n\s*\n', page, re.S).group(1)
    assert "Nominative data." in pending
    assert escape(str(provision)) in pending
    assert "Olivier Officer" in pending
    assert escape(decision.letter.splitlines()[0]) in pending
    assert not has_form(page, "sign-off-form")


def test_proposer_sees_no_sign_off_button_and_their_post_is_refused(reviewed, lead):
    decision = propose_approval(reviewed, lead)
    client = client_for(lead)

    page = text(client.get(case_url(reviewed)))
    assert "waiting for a second person's sign-off" in page
    assert not has_form(page, "sign-off-form")
    assert not has_form(page, "return-form")

    assert client.post(case_url(reviewed, "decision_sign_off"), {"sign-off-decision": decision.pk}).status_code == 403
    response = client.post(
        case_url(reviewed, "decision_return"), {"return-decision": decision.pk, "return-reason": "x"}
    )
    assert response.status_code == 403
    reviewed.refresh_from_db()
    assert reviewed.status == Status.DECISION_PROPOSED


def test_an_officer_cannot_sign_off(reviewed, officer, lead):
    decision = propose_approval(reviewed, lead)

    response = client_for(officer).post(case_url(reviewed, "decision_sign_off"), {"sign-off-decision": decision.pk})

    assert response.status_code == 403


def test_another_lead_signs_off_and_the_requester_then_reads_the_letter(reviewed, officer, other_lead, requester):
    decision = propose_approval(reviewed, officer)
    requester_client = client_for(requester)
    before = text(requester_client.get(detail_url(reviewed)))
    assert "Decision letter" not in before
    assert escape(decision.letter.splitlines()[0]) not in before

    client = client_for(other_lead)
    assert has_form(text(client.get(case_url(reviewed))), "sign-off-form")
    response = client.post(case_url(reviewed, "decision_sign_off"), {"sign-off-decision": decision.pk}, follow=True)

    assert "The decision is signed off" in text(response)
    reviewed.refresh_from_db()
    # An approval starts producing its tables at once.
    assert reviewed.status == Status.PRODUCING
    decision.refresh_from_db()
    assert decision.signed_off_by == other_lead

    page = text(requester_client.get(detail_url(reviewed)))
    letter = re.search(r'id="decision">(.*?)</section>', page, re.S)
    assert letter
    assert "Approved" in letter.group(1)
    assert escape(decision.letter.splitlines()[0]) in letter.group(1)
    for staff_name in ("Olivier", "Officer", "Marc", "Second"):
        assert staff_name not in page


def test_a_stale_sign_off_is_refused_with_a_message(reviewed, officer, lead, other_lead):
    first = propose_approval(reviewed, officer)
    services.decision_return(case=reviewed, actor=lead, reason="Coarser age groups.")
    services.decision_propose(case=reviewed, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[])

    response = client_for(other_lead).post(
        case_url(reviewed, "decision_sign_off"), {"sign-off-decision": first.pk}, follow=True
    )

    assert "The proposed decision changed since the page was loaded." in text(response)
    reviewed.refresh_from_db()
    assert reviewed.status == Status.DECISION_PROPOSED


def test_sending_back_needs_a_reason(reviewed, officer, lead):
    decision = propose_approval(reviewed, officer)

    response = client_for(lead).post(
        case_url(reviewed, "decision_return"), {"return-decision": decision.pk, "return-reason": "  "}
    )

    assert response.status_code == 200
    assert "Why it is sent back" in field_error(response, "id_return-reason")
    reviewed.refresh_from_db()
    assert reviewed.status == Status.DECISION_PROPOSED


def test_a_decision_sent_back_is_listed_with_who_and_why_and_hidden_from_the_requester(
    reviewed, officer, lead, requester
):
    decision = propose_approval(reviewed, officer)
    client = client_for(lead)

    response = client.post(
        case_url(reviewed, "decision_return"),
        {"return-decision": decision.pk, "return-reason": "Coarser age groups, please."},
        follow=True,
    )

    page = text(response)
    assert "The decision is sent back to the officer." in page
    reviewed.refresh_from_db()
    assert reviewed.status == Status.UNDER_REVIEW
    past = re.search(r'<li class="past-decision">(.*?)</li>', page, re.S).group(1)
    assert "sent back by Léa Lead" in past
    assert "Coarser age groups, please." in past
    assert has_form(page, "propose-form")

    requester_page = text(client_for(requester).get(detail_url(reviewed)))
    assert "Coarser age groups" not in requester_page
    assert "Decision letter" not in requester_page


def test_the_requesters_timeline_does_not_reveal_a_proposed_outcome(reviewed, officer, requester):
    services.decision_propose(
        case=reviewed,
        actor=officer,
        outcome=DecisionOutcome.REFUSED,
        reasons="Nominative data.",
        provisions=[LegalProvision.objects.get(code="r221_research")],
    )

    page = text(client_for(requester).get(detail_url(reviewed)))

    assert "Decision proposed" in page  # the status is theirs to know
    assert "refused" not in page.lower().split('id="timeline-title"')[1]
    assert "Nominative data." not in page


# --- Consultations ---------------------------------------------------------------------------


def test_officer_consults_the_datas_owner_from_the_page(requester, officer):
    case = factories.make_request(
        requester=requester,
        dataset=Dataset.objects.get(code="hospital_stays"),
        status=Status.UNDER_REVIEW,
        officer=officer,
    )
    ministry = Custodian.objects.get(code="msss")
    client = client_for(officer)
    form = client.get(case_url(case)).context["consultation_form"]
    assert ministry in form.fields["custodian"].queryset
    assert not form.fields["custodian"].queryset.filter(is_agency=True).exists()

    due = timezone.localdate() + timedelta(days=10)
    response = client.post(
        case_url(case, "consultation_open"),
        {
            "consultation-custodian": ministry.pk,
            "consultation-question": "Do you agree to these statistics?",
            "consultation-due_on": due.isoformat(),
        },
        follow=True,
    )

    page = text(response)
    consultation = Consultation.objects.get(request=case)
    assert (consultation.custodian, consultation.due_on, consultation.asked_by) == (ministry, due, officer)
    assert "Do you agree to these statistics?" in page
    assert "Not answered yet." in page
    assert "has not answered the consultation yet" in page  # now an obstacle to approval


def test_consultation_due_in_the_past_shows_the_error_on_the_date(requester, officer):
    case = factories.make_request(
        requester=requester,
        dataset=Dataset.objects.get(code="hospital_stays"),
        status=Status.UNDER_REVIEW,
        officer=officer,
    )
    response = client_for(officer).post(
        case_url(case, "consultation_open"),
        {
            "consultation-custodian": Custodian.objects.get(code="msss").pk,
            "consultation-question": "Do you agree?",
            "consultation-due_on": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 200
    assert "Give a date after today" in field_error(response, "id_consultation-due_on")
    assert not Consultation.objects.filter(request=case).exists()


# --- Messages and internal notes -------------------------------------------------------------


def test_internal_notes_never_reach_the_requester_while_messages_do(reviewed, officer, requester):
    client = client_for(officer)
    client.post(case_url(reviewed, "message"), {"message-body": NOTE, "message-internal": "on"})
    client.post(case_url(reviewed, "message"), {"message-body": "Which age groups do you need?"})

    staff_page = text(client.get(case_url(reviewed)))
    assert NOTE in staff_page
    note = re.search(r'<li class="internal-note">(.*?)</li>', staff_page, re.S).group(1)
    assert "Internal note — never shown to the requester" in note and NOTE in note

    requester_page = text(client_for(requester).get(detail_url(reviewed)))
    assert NOTE not in requester_page
    assert "Which age groups do you need?" in requester_page
    assert "The agency" in requester_page
    assert "Olivier" not in requester_page


def test_the_requester_writes_to_the_agency(reviewed, officer, requester):
    client = client_for(requester)

    response = client.post(reverse("requests_app:message", kwargs={"pk": reviewed.pk}), {"body": REPLY}, follow=True)

    page = text(response)
    assert "Your message is sent to the agency." in page
    message = Message.objects.get(request=reviewed)
    assert (message.author, message.is_internal) == (requester, False)
    assert re.search(r"<strong>You</strong>", page)
    assert REPLY in text(client_for(officer).get(case_url(reviewed)))


def test_an_empty_message_shows_the_error_on_the_field(reviewed, requester):
    response = client_for(requester).post(reverse("requests_app:message", kwargs={"pk": reviewed.pk}), {"body": " "})

    assert response.status_code == 200
    assert "write your message" in field_error(response, "id_body")


def test_a_withdrawn_request_takes_no_more_messages(requester, dataset):
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.WITHDRAWN)
    client = client_for(requester)

    assert not has_form(text(client.get(detail_url(case))), "message-form")
    response = client.post(reverse("requests_app:message", kwargs={"pk": case.pk}), {"body": REPLY}, follow=True)
    assert "You can no longer write about this request." in text(response)
    assert not Message.objects.filter(request=case).exists()


def test_another_requester_cannot_write_on_the_case(reviewed, other_requester):
    url = reverse("requests_app:message", kwargs={"pk": reviewed.pk})
    assert client_for(other_requester).post(url, {"body": REPLY}).status_code == 404


# --- Table adjustments ------------------------------------------------------------------------


def test_adjustment_records_the_reason_and_the_requester_sees_it(reviewed, officer, requester):
    specification = reviewed.specifications.get()
    kept = specification.dimensions[0]
    reason = "One dimension is enough for this purpose."

    response = client_for(officer).post(
        case_url(reviewed, "specification_adjust", specification_pk=specification.pk),
        {f"adjust-{specification.pk}-dimensions": [kept], f"adjust-{specification.pk}-reason": reason},
        follow=True,
    )

    page = text(response)
    assert "The table is adjusted." in page
    specification.refresh_from_db()
    assert specification.dimensions == [kept]
    assert specification.history.latest("history_date").history_change_reason == reason
    adjustment = re.search(r'<li class="adjustment">(.*?)</li>', page, re.S).group(1)
    assert reason in adjustment and "Olivier Officer" in adjustment

    requester_page = text(client_for(requester).get(detail_url(reviewed)))
    adjustment = re.search(r'<li class="adjustment">(.*?)</li>', requester_page, re.S).group(1)
    assert reason in adjustment
    assert "Olivier" not in requester_page


def test_adjustment_without_a_reason_shows_the_error_and_changes_nothing(reviewed, officer):
    specification = reviewed.specifications.get()
    before = list(specification.dimensions)

    response = client_for(officer).post(
        case_url(reviewed, "specification_adjust", specification_pk=specification.pk),
        {f"adjust-{specification.pk}-dimensions": before[:1]},
    )

    assert response.status_code == 200
    assert "Why the table is adjusted" in field_error(response, f"id_adjust-{specification.pk}-reason")
    specification.refresh_from_db()
    assert specification.dimensions == before


# --- The statutory delay, from the requester's side ---------------------------------------------


def test_overdue_notice_appears_for_an_overdue_case(requester, dataset, officer):
    case = factories.make_request(
        requester=requester,
        dataset=dataset,
        status=Status.UNDER_REVIEW,
        officer=officer,
        now=timezone.now() - timedelta(days=35),
    )

    page = text(client_for(requester).get(detail_url(case)))

    notice = re.search(r'id="deemed-refusal">(.*?)</div>', page, re.S)
    assert notice
    assert "s. 52" in notice.group(1)
    assert "Commission d'accès à l'information" in notice.group(1)


def test_no_overdue_notice_while_the_delay_runs(reviewed, requester):
    assert 'id="deemed-refusal"' not in text(client_for(requester).get(detail_url(reviewed)))


# --- Cost of the page ---------------------------------------------------------------------------


def test_case_page_queries_do_not_grow_with_findings_messages_and_decisions(
    reviewed, officer, lead, django_assert_max_num_queries
):
    client = client_for(officer)
    client.get(case_url(reviewed))
    with CaptureQueriesContext(connection) as empty:
        client.get(case_url(reviewed))

    assess_all(reviewed, officer)
    for number in range(5):
        services.message_post(case=reviewed, actor=officer, body=f"Note {number}", internal=bool(number % 2))
    decision = propose_approval(reviewed, officer)
    services.decision_return(case=reviewed, actor=lead, reason="Again.")
    assert decision.pk

    with django_assert_max_num_queries(len(empty.captured_queries) + 6):
        client.get(case_url(reviewed))
