"""Who is told of each event: the right people, in their language, never the actor, as they chose."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.roles import Role
from requests_app import notifications, services
from requests_app.models import Consultation, Notification, Status
from requests_app.workflow import TRANSITIONS
from stats_app.models import Custodian, Dataset
from tests import factories
from tests.notifications.conftest import add_role, row_for, told

pytestmark = pytest.mark.django_db


def test_every_notification_of_the_workflow_is_in_the_table():
    named = {spec.notification for spec in TRANSITIONS.values() if spec.notification}

    assert named <= set(notifications.EVENTS)


def test_the_legal_notices_to_the_requester_are_the_essential_ones():
    essential = {notice.name for notice in notifications.NOTICES.values() if notice.essential}

    # The withdrawal's confirmation is no legal notice, but it confirms the requester's own act: an optional
    # notice would spare them, as it spares every actor.
    assert essential == {
        "acknowledgement",
        "clarification_asked",
        "delay_extended",
        "decision_sent",
        "amendment_sent",
        "output_released",
        "withdrawal_confirmed",
    }
    assert all(notifications.NOTICES[name].audience is notifications.REQUESTER for name in essential)


# --- Filing and assignment ------------------------------------------------------------------


def test_a_submission_acknowledges_the_requester_and_tells_every_lead_in_their_language(lead, french_lead):
    requester = factories.make_user(language="en")

    case = factories.make_request(requester=requester, status=Status.RECEIVED)

    assert told(case, "acknowledgement") == {requester.email: "en"}
    assert told(case, "new_case") == {lead.email: "en", french_lead.email: "fr"}
    assert row_for(case, "acknowledgement", requester).context["reference"] == case.reference


def test_a_lead_who_switched_new_cases_off_is_not_told_but_the_others_are(lead, french_lead):
    french_lead.muted_notifications = ["new_case"]
    french_lead.save()

    case = factories.make_request(status=Status.RECEIVED)

    assert told(case, "new_case") == {lead.email: "en"}


def test_an_essential_notice_is_sent_even_to_a_requester_who_tried_to_switch_it_off():
    requester = factories.make_user(muted_notifications=["acknowledgement", "clarification_asked"])

    case = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER)

    assert set(told(case, "acknowledgement")) == {requester.email}
    assert set(told(case, "clarification_asked")) == {requester.email}


def test_an_inactive_lead_is_not_told(lead):
    lead.is_active = False
    lead.save()

    case = factories.make_request(status=Status.RECEIVED)

    assert told(case, "new_case") == {}


def test_the_assigned_officer_is_told_and_the_lead_who_assigned_is_not(officer, lead):
    case = factories.make_request(status=Status.RECEIVED)

    services.case_assign(case=case, actor=lead, officer=officer)

    assert told(case, "case_assigned") == {officer.email: "en"}


def test_a_lead_who_takes_a_case_is_not_told_of_their_own_assignment(lead):
    case = factories.make_request(status=Status.RECEIVED)

    services.case_assign(case=case, actor=lead, officer=lead)

    assert told(case, "case_assigned") == {}


def test_a_reassignment_tells_the_new_officer(officer, lead):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)
    successor = factories.make_user(role=Role.PRIVACY_OFFICER)

    services.case_assign(case=case, actor=lead, officer=successor)

    assert set(told(case, "case_assigned")) == {officer.email, successor.email}


def test_an_optional_notice_switched_off_is_not_recorded(lead):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, muted_notifications=["case_assigned"])
    case = factories.make_request(status=Status.RECEIVED)

    services.case_assign(case=case, actor=lead, officer=officer)

    assert told(case, "case_assigned") == {}


# --- Clarifications and the delay ------------------------------------------------------------


def test_a_question_tells_the_requester_and_the_answer_tells_the_officer(officer):
    requester = factories.make_user(language="fr")
    case = factories.make_request(requester=requester, status=Status.UNDER_REVIEW, officer=officer)

    services.clarification_ask(case=case, actor=officer, question="Which years?")
    services.clarification_answer(case=case, actor=requester, answer="2022 and 2023.")

    assert told(case, "clarification_asked") == {requester.email: "fr"}
    assert told(case, "clarification_answered") == {officer.email: "en"}


def test_the_question_itself_never_leaves_in_the_e_mail(officer):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)

    services.clarification_ask(case=case, actor=officer, question="Is Ms Gagnon's diabetes study the one?")

    row = row_for(case, "clarification_asked", case.requester)
    message = notifications.render(row)
    assert "Gagnon" not in message.body and "Gagnon" not in str(row.context)


def test_an_extension_sends_its_notice_to_the_requester_not_to_the_officer(officer):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)

    services.deadline_extend(case=case, actor=officer, days=10, notice="Large volume of data to review.")

    assert set(told(case, "delay_extended")) == {case.requester.email}
    message = notifications.render(row_for(case, "delay_extended", case.requester))
    assert "Large volume of data to review." in message.body


def test_an_event_that_is_rolled_back_tells_nobody(officer):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)
    services.deadline_extend(case=case, actor=officer, days=5, notice="First and only extension.")

    with pytest.raises(ValidationError):  # the Act allows one extension
        services.deadline_extend(case=case, actor=officer, days=5, notice="A second one.")

    assert Notification.objects.filter(request=case, notice="delay_extended").count() == 1


# --- Consultations ------------------------------------------------------------------------


@pytest.fixture
def ministry():
    return Custodian.objects.get(code="msss")


def test_a_consultation_tells_the_consulted_custodians_representatives_only(officer, ministry):
    representative = factories.make_user(role=Role.DATA_CUSTODIAN, custodian=ministry, language="fr")
    other_owner = Custodian.objects.create(code="t_other", name_fr="Autre", name_en="Other", is_agency=False)
    factories.make_user(role=Role.DATA_CUSTODIAN, custodian=other_owner)
    case = factories.make_request(
        status=Status.UNDER_REVIEW, officer=officer, dataset=Dataset.objects.get(code="hospital_stays")
    )

    consultation = services.consultation_open(
        case=case,
        actor=officer,
        custodian=ministry,
        question="Do you agree?",
        due_on=timezone.localdate() + timedelta(days=10),
    )

    assert told(case, "consultation_opened") == {representative.email: "fr"}
    row = row_for(case, "consultation_opened", representative)
    assert row.context["consultation_id"] == consultation.pk
    assert row.context["path"] == f"/consultations/{consultation.pk}/"


def test_a_custodians_answer_tells_the_officer_not_the_representative(officer, ministry):
    representative = factories.make_user(role=Role.DATA_CUSTODIAN, custodian=ministry)
    case = factories.make_request(
        status=Status.UNDER_REVIEW, officer=officer, dataset=Dataset.objects.get(code="hospital_stays")
    )
    consultation = services.consultation_open(
        case=case, actor=officer, custodian=ministry, question="Agree?", due_on=timezone.localdate() + timedelta(5)
    )

    services.consultation_answer(consultation=consultation, actor=representative, answer="yes")

    assert told(case, "consultation_answered") == {officer.email: "en"}
    assert Consultation.objects.get(pk=consultation.pk).is_answered


# --- Decisions ----------------------------------------------------------------------------


def test_a_proposed_decision_tells_the_leads_but_not_the_lead_who_proposed_it(officer, lead):
    proposer = factories.make_user(role=Role.ACCESS_LEAD)
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)
    for criterion in services.criteria_for(case):
        services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome="met")

    services.decision_propose(case=case, actor=proposer, outcome="approved", reasons="", provisions=[])

    recipients = set(told(case, "decision_proposed"))
    assert lead.email in recipients
    assert proposer.email not in recipients


def test_a_decision_sent_back_tells_the_officer(officer, lead):
    case = factories.make_request(status=Status.DECISION_PROPOSED, officer=officer)

    services.decision_return(case=case, actor=lead, reason="Cite the provision.")

    assert told(case, "decision_returned") == {officer.email: "en"}


def test_a_signed_off_decision_sends_the_letter_to_the_requester_only(officer):
    requester = factories.make_user(language="en")
    case = factories.make_request(requester=requester, status=Status.REFUSED, officer=officer)

    assert told(case, "decision_sent") == {requester.email: "en"}
    letter = case.decisions.get().letter
    assert letter in notifications.render(row_for(case, "decision_sent", requester)).body


# --- Withdrawal -----------------------------------------------------------------------------


def test_a_withdrawal_tells_the_officer_on_the_case(officer):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)

    services.request_withdraw(case=case, actor=case.requester, reason="No longer needed.")

    assert told(case, "request_withdrawn") == {officer.email: "en"}


def test_a_withdrawal_before_assignment_tells_the_leads(lead):
    case = factories.make_request(status=Status.WITHDRAWN)

    assert told(case, "request_withdrawn") == {lead.email: "en"}


# --- Outputs (the jobs run on the test warehouse) ---------------------------------------------


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.usefixtures("warehouse")
def test_outputs_ready_tell_the_checkers_who_may_check_them_not_the_officer_on_the_case(checker):
    officer = add_role(factories.make_user(role=Role.PRIVACY_OFFICER), Role.OUTPUT_CHECKER)

    case = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)

    assert set(told(case, "output_ready")) == {checker.email}
    assert row_for(case, "output_ready", checker).context["path"] == "/outputs/"


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.usefixtures("warehouse")
def test_each_release_tells_the_requester_once(checker):
    from requests_app.production import jobs

    case = factories.make_request(status=Status.RELEASED, checker=checker)
    assert Notification.objects.filter(request=case, notice="output_released").count() == 1

    remaining = case.table_jobs.exclude(state="released").get()
    jobs.output_release(attested=jobs.CHECKLIST, job=remaining, actor=checker)

    rows = Notification.objects.filter(request=case, notice="output_released")
    assert rows.count() == 2
    assert {row.recipient_id for row in rows} == {case.requester_id}


def test_a_withdrawal_is_confirmed_to_the_requester_once(officer):
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)

    services.request_withdraw(case=case, actor=case.requester, reason="No longer needed.")

    assert told(case, "withdrawal_confirmed") == {case.requester.email: case.requester.language}
    body = notifications.render(row_for(case, "withdrawal_confirmed", case.requester)).body
    assert case.reference in body


def test_a_signed_decision_is_told_to_the_officer_who_proposed_it(officer):
    case = factories.make_request(status=Status.REFUSED, officer=officer)

    assert told(case, "decision_signed") == {officer.email: officer.language}
    assert Notification.objects.filter(request=case, notice="decision_signed").count() == 1


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.usefixtures("warehouse")
def test_a_table_returned_by_the_checker_is_told_to_the_officer_once(checker, officer):
    from requests_app.production import jobs

    case = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    job = case.table_jobs.get()
    jobs.output_return(job=job, actor=checker, reason="Too many suppressed cells.")

    assert told(case, "output_returned") == {officer.email: officer.language}
    row = row_for(case, "output_returned", officer)
    assert case.reference in notifications.render(row).body and "Too many" not in notifications.render(row).body


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.usefixtures("warehouse")
def test_the_tables_of_one_production_make_one_outputs_ready_email_per_checker(checker):
    case = factories.make_request(status=Status.OUTPUT_CHECKING, tables=3)

    assert case.table_jobs.filter(state="ready_for_checking").count() == 3
    assert Notification.objects.filter(request=case, notice="output_ready", recipient=checker).count() == 1
