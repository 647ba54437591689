"""Review against the Act: checklist, consultation of the data's owner, decision, four eyes (DESIGN §3)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation

from portal.models import AuditEvent
from portal.roles import Role
from requests_app import permissions, services
from requests_app.models import (
    Assessment,
    ConsultationAnswer,
    Decision,
    DecisionOutcome,
    LegalProvision,
    Message,
    Status,
)
from requests_app.workflow import ConcurrentChangeError, TransitionError
from stats_app.models import Custodian, Dataset, Dimension
from tests import factories

NO_REASONS = "The ministry does not allow regional tables of this project."


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def lead(db):
    return factories.make_user(role=Role.ACCESS_LEAD)


@pytest.fixture
def case(db, dataset, officer):
    return factories.make_request(dataset=dataset, status=Status.UNDER_REVIEW, officer=officer)


@pytest.fixture
def ministry_case(db, officer):
    return factories.make_request(
        dataset=Dataset.objects.get(code="hospital_stays"), status=Status.UNDER_REVIEW, officer=officer
    )


@pytest.fixture
def ministry_representative(db):
    return factories.make_user(role=Role.DATA_CUSTODIAN, custodian=Custodian.objects.get(code="msss"))


def assess_all(case, officer, outcome=Assessment.MET):
    for criterion in services.criteria_for(case):
        services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome=outcome, note="Checked.")


def provision(code="a29_s67"):
    return LegalProvision.objects.get(code=code)


def consult(case, officer):
    return services.consultation_open(
        case=case,
        actor=officer,
        custodian=Custodian.objects.get(code="msss"),
        question="Do you agree to these statistics on hospital stays?",
        due_on=timezone.localdate() + timedelta(days=10),
    )


# --- The checklist --------------------------------------------------------------


def test_criteria_follow_the_requester_category_and_the_datas_owner(case, ministry_case):
    researcher_codes = {criterion.code for criterion in services.criteria_for(case)}
    assert "ethics_for_research" in researcher_codes
    assert "custodian_agreed" not in researcher_codes
    assert "custodian_agreed" in {criterion.code for criterion in services.criteria_for(ministry_case)}


def test_ethics_criterion_does_not_apply_to_a_journalist(db, dataset, officer):
    requester = factories.make_user()
    case = factories.make_request(requester=requester, dataset=dataset)
    case.requester_category = "journalist"
    case.save()

    assert "ethics_for_research" not in {criterion.code for criterion in services.criteria_for(case)}


def test_only_the_assigned_officer_or_a_lead_fills_the_checklist(case, lead):
    criterion = services.criteria_for(case)[0]
    stranger = factories.make_user(role=Role.PRIVACY_OFFICER)

    with pytest.raises((PermissionDenied, Http404)):
        services.criterion_assess(case=case, actor=stranger, criterion=criterion, outcome=Assessment.MET)
    assessment = services.criterion_assess(case=case, actor=lead, criterion=criterion, outcome=Assessment.MET)
    assert assessment.assessed_by == lead


def test_a_finding_can_be_changed_and_the_change_is_kept(case, officer):
    criterion = services.criteria_for(case)[0]
    services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome=Assessment.NOT_MET, note="No ID")
    assessment = services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome=Assessment.MET)

    assert [row.outcome for row in assessment.history.order_by("history_date")] == ["not_met", "met"]


# --- Decisions and the four-eyes rule ----------------------------------------------


def test_approval_is_impossible_while_a_mandatory_criterion_is_unmet(case, officer):
    assess_all(case, officer)
    services.criterion_assess(
        case=case, actor=officer, criterion=services.criteria_for(case)[0], outcome=Assessment.NOT_MET
    )

    with pytest.raises(ValidationError) as error:
        services.decision_propose(case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[])
    assert "outcome" in error.value.message_dict
    case.refresh_from_db()
    assert case.status == Status.UNDER_REVIEW


def test_approval_is_impossible_while_a_criterion_is_not_assessed(case, officer):
    with pytest.raises(ValidationError):
        services.decision_propose(case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[])


def test_a_refusal_must_cite_a_provision_and_give_reasons(case, officer):
    with pytest.raises(ValidationError) as error:
        services.decision_propose(
            case=case, actor=officer, outcome=DecisionOutcome.REFUSED, reasons="No.", provisions=[]
        )
    assert "provisions" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.decision_propose(
            case=case, actor=officer, outcome=DecisionOutcome.REFUSED, reasons="", provisions=[provision()]
        )
    assert "reasons" in error.value.message_dict


def test_a_partial_approval_must_cite_a_provision(case, officer):
    assess_all(case, officer)
    with pytest.raises(ValidationError) as error:
        services.decision_propose(
            case=case, actor=officer, outcome=DecisionOutcome.PARTIALLY_APPROVED, reasons="Some cells.", provisions=[]
        )
    assert "provisions" in error.value.message_dict


def test_approval_proposed_then_signed_off_by_a_second_person(case, officer, lead):
    assess_all(case, officer)
    decision = services.decision_propose(
        case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[]
    )
    assert decision.request.status == Status.DECISION_PROPOSED

    case = services.decision_sign_off(case=case, actor=lead)

    # The approval is recorded, and production of the tables starts at once.
    assert case.status == Status.PRODUCING
    assert case.history.filter(status=Status.APPROVED).exists()
    decision.refresh_from_db()
    assert decision.signed_off_by == lead and decision.signed_off_at is not None


def test_the_proposer_cannot_sign_off_their_own_decision(case, lead):
    assess_all(case, lead)
    services.decision_propose(case=case, actor=lead, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[])

    with pytest.raises(PermissionDenied):
        services.decision_sign_off(case=case, actor=lead)
    case.refresh_from_db()
    assert case.status == Status.DECISION_PROPOSED


def test_the_database_refuses_a_self_signed_decision(case, lead):
    assess_all(case, lead)
    decision = services.decision_propose(
        case=case, actor=lead, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[]
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(signed_off_by=lead, signed_off_at=timezone.now())


@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.AUDITOR, Role.OUTPUT_CHECKER, Role.REQUESTER])
def test_only_a_lead_signs_off(case, officer, role):
    services.decision_propose(
        case=case, actor=officer, outcome=DecisionOutcome.REFUSED, reasons="Nominative data.", provisions=[provision()]
    )

    with pytest.raises(PermissionDenied):
        services.decision_sign_off(case=case, actor=factories.make_user(role=role))


def test_a_refusal_signed_off_refuses_the_case(case, officer, lead):
    services.decision_propose(
        case=case,
        actor=officer,
        outcome=DecisionOutcome.REFUSED,
        reasons="The request asks for nominative data.",
        provisions=[provision("r221_research")],
    )

    case = services.decision_sign_off(case=case, actor=lead)

    assert case.status == Status.REFUSED


def test_a_decision_sent_back_returns_the_case_to_review(case, officer, lead):
    assess_all(case, officer)
    services.decision_propose(case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[])

    with pytest.raises(ValidationError):
        services.decision_return(case=case, actor=lead, reason="")
    case = services.decision_return(case=case, actor=lead, reason="Coarser age groups, please.")

    assert case.status == Status.UNDER_REVIEW
    assert case.decisions.get().return_reason == "Coarser age groups, please."
    services.decision_propose(case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[])
    assert case.decisions.count() == 2


def test_sign_off_without_a_proposal_is_refused(case, lead):
    with pytest.raises(TransitionError):
        services.decision_sign_off(case=case, actor=lead)


def test_the_letter_is_in_the_requesters_language_and_cites_the_provisions(db, dataset, officer):
    requester = factories.make_user(language="en")
    case = factories.make_request(requester=requester, dataset=dataset, status=Status.UNDER_REVIEW, officer=officer)

    decision = services.decision_propose(
        case=case,
        actor=officer,
        outcome=DecisionOutcome.REFUSED,
        reasons="The request asks for nominative data.",
        provisions=[provision("r221_research")],
    )

    assert case.reference in decision.letter
    assert "Your request is refused." in decision.letter
    assert "The request asks for nominative data." in decision.letter
    assert "R-22.1" in decision.letter
    assert "Commission d'accès à l'information" in decision.letter and "30 days" in decision.letter


def test_the_letter_names_the_tables_with_the_catalogue_labels_of_the_requesters_language(db, officer):
    dataset = Dataset.objects.get(code="medical_services")
    case = factories.make_request(
        requester=factories.make_user(language="fr"), dataset=dataset, status=Status.UNDER_REVIEW, officer=officer
    )

    decision = services.decision_propose(
        case=case,
        actor=officer,
        outcome=DecisionOutcome.REFUSED,
        reasons="Non.",
        provisions=[provision("r221_research")],
    )

    assert "Services médicaux — Personnes distinctes" in decision.letter
    labels = [Dimension.objects.get(code=code).label_fr for code in case.specifications.get().dimensions]
    assert f"({', '.join(labels)})" in decision.letter


# --- Consultation of the data's owner ------------------------------------------------


def test_approval_of_someone_elses_data_needs_its_owners_yes(ministry_case, officer, lead, ministry_representative):
    assess_all(ministry_case, officer)
    with pytest.raises(ValidationError):
        services.decision_propose(
            case=ministry_case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[]
        )

    consultation = consult(ministry_case, officer)
    with pytest.raises(ValidationError):  # asked, not answered yet
        services.decision_propose(
            case=ministry_case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[]
        )

    services.consultation_answer(
        consultation=consultation, actor=ministry_representative, answer=ConsultationAnswer.YES
    )
    services.decision_propose(
        case=ministry_case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[]
    )
    assert services.decision_sign_off(case=ministry_case, actor=lead).status == Status.PRODUCING


def test_an_owners_no_prevents_approval(ministry_case, officer, ministry_representative):
    assess_all(ministry_case, officer)
    consultation = consult(ministry_case, officer)
    services.consultation_answer(
        consultation=consultation, actor=ministry_representative, answer=ConsultationAnswer.NO, reasons=NO_REASONS
    )

    with pytest.raises(ValidationError):
        services.decision_propose(
            case=ministry_case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[]
        )


def test_the_custodian_sees_only_its_consultations_and_never_the_case(ministry_case, officer, ministry_representative):
    consultation = consult(ministry_case, officer)
    other_custodian = Custodian.objects.create(code="ciusss", name_fr="CIUSSS", name_en="CIUSSS")
    outsider = factories.make_user(role=Role.DATA_CUSTODIAN, custodian=other_custodian)

    assert list(permissions.consultations_visible_to(ministry_representative)) == [consultation]
    assert list(permissions.consultations_visible_to(outsider)) == []
    with pytest.raises(Http404):
        permissions.get_consultation_for(outsider, consultation.pk)
    assert list(permissions.requests_visible_to(ministry_representative)) == []
    assert not permissions.user_can_view_request(ministry_representative, ministry_case)


def test_another_custodian_cannot_answer(ministry_case, officer):
    consultation = consult(ministry_case, officer)
    outsider = factories.make_user(
        role=Role.DATA_CUSTODIAN,
        custodian=Custodian.objects.create(code="ciusss", name_fr="CIUSSS", name_en="CIUSSS"),
    )

    with pytest.raises((PermissionDenied, Http404)):
        services.consultation_answer(consultation=consultation, actor=outsider, answer=ConsultationAnswer.YES)


def test_a_conditional_yes_states_its_conditions(ministry_case, officer, ministry_representative):
    consultation = consult(ministry_case, officer)

    with pytest.raises(ValidationError) as error:
        services.consultation_answer(
            consultation=consultation, actor=ministry_representative, answer=ConsultationAnswer.YES_WITH_CONDITIONS
        )
    assert "conditions" in error.value.message_dict
    answered = services.consultation_answer(
        consultation=consultation,
        actor=ministry_representative,
        answer=ConsultationAnswer.YES_WITH_CONDITIONS,
        conditions="Cite the Ministry as the data's owner.",
    )
    assert answered.agrees


def test_a_consultation_is_answered_once(ministry_case, officer, ministry_representative):
    consultation = consult(ministry_case, officer)
    services.consultation_answer(
        consultation=consultation, actor=ministry_representative, answer=ConsultationAnswer.NO, reasons=NO_REASONS
    )

    with pytest.raises(PermissionDenied):
        services.consultation_answer(
            consultation=consultation, actor=ministry_representative, answer=ConsultationAnswer.YES
        )


def test_the_agency_is_never_consulted_about_its_own_data(case, officer):
    with pytest.raises(ValidationError) as error:
        services.consultation_open(
            case=case,
            actor=officer,
            custodian=Custodian.objects.get(code="agency"),
            question="?",
            due_on=timezone.localdate() + timedelta(days=5),
        )
    assert "custodian" in error.value.message_dict


# --- Messages and adjustments ------------------------------------------------------


def test_internal_notes_are_the_officers_and_messages_go_both_ways(case, officer):
    note = services.message_post(case=case, actor=officer, body="Check the ethics letter.", internal=True)
    reply = services.message_post(case=case, actor=case.requester, body="Here is more context.")

    assert note.is_internal and not reply.is_internal
    with pytest.raises(PermissionDenied):
        services.message_post(case=case, actor=case.requester, body="Sneaky", internal=True)
    with pytest.raises((PermissionDenied, Http404)):
        services.message_post(case=case, actor=factories.make_user(role=Role.PRIVACY_OFFICER), body="Hello")
    assert Message.objects.filter(request=case).count() == 2


def test_the_officer_adjusts_a_table_and_the_change_is_kept(case, officer):
    specification = case.specifications.get()
    dimension = specification.dimensions[0]

    services.specification_adjust(
        case=case,
        actor=officer,
        specification=specification,
        dimensions=[dimension],
        filters={},
        reason="One dimension is enough for this purpose.",
    )

    specification.refresh_from_db()
    assert specification.dimensions == [dimension]
    latest = specification.history.latest("history_date")
    assert latest.history_user_id == officer.pk
    assert latest.history_change_reason == "One dimension is enough for this purpose."
    adjusted = AuditEvent.objects.get(event_type="specification.adjusted", target_id=str(specification.pk))
    assert adjusted.payload == {
        "dimensions": [dimension],
        "filters": specification.filters,
        "note": "One dimension is enough for this purpose.",
    }
    assert adjusted.actor_id == officer.pk


def test_the_requester_cannot_adjust_a_filed_table(case):
    specification = case.specifications.get()

    with pytest.raises(PermissionDenied):
        services.specification_adjust(
            case=case, actor=case.requester, specification=specification, dimensions=[], filters={}, reason="Mine"
        )


def test_a_sign_off_of_a_proposal_that_was_replaced_is_refused(case, officer, lead):
    assess_all(case, officer)
    first = services.decision_propose(
        case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[]
    )
    services.decision_return(case=case, actor=lead, reason="Check the consent.", decision=first)
    services.decision_propose(case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[])

    with pytest.raises(ConcurrentChangeError):
        services.decision_sign_off(case=case, actor=lead, decision=first)
    case.refresh_from_db()
    assert case.status == Status.DECISION_PROPOSED


def test_who_sent_a_decision_back_is_kept_on_the_decision(case, officer, lead):
    assess_all(case, officer)
    services.decision_propose(case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[])

    services.decision_return(case=case, actor=lead, reason="A long reason. " * 20)

    decision = case.decisions.get()
    assert decision.returned_by == lead
    assert decision.history.latest("history_date").history_user_id == lead.pk
    returned = AuditEvent.objects.get(case_id=case.pk, event_type="decision.returned")
    assert (returned.actor_id, returned.payload["note"]) == (lead.pk, ("A long reason. " * 20).strip())


def test_no_message_once_the_case_is_withdrawn(db, dataset):
    case = factories.make_request(dataset=dataset, status=Status.WITHDRAWN)

    with pytest.raises(PermissionDenied):
        services.message_post(case=case, actor=case.requester, body="Still there?")


def test_a_representative_named_later_sees_the_open_consultations(ministry_case, officer):
    consultation = consult(ministry_case, officer)
    newcomer = factories.make_user(role=Role.DATA_CUSTODIAN, custodian=Custodian.objects.get(code="msss"))

    assert list(permissions.consultations_visible_to(newcomer)) == [consultation]
    assert permissions.user_can_answer_consultation(newcomer, consultation)


def test_a_representative_who_changes_organisation_loses_the_formers_consultations(
    ministry_case, officer, ministry_representative
):
    consult(ministry_case, officer)
    ministry_representative.custodian = Custodian.objects.create(code="ciusss", name_fr="CIUSSS", name_en="CIUSSS")
    ministry_representative.save()

    assert list(permissions.consultations_visible_to(ministry_representative)) == []


def test_a_provision_relied_on_as_a_whole_is_cited_by_its_acts_title_not_a_blank_section(db):
    with translation.override("en"):
        assert str(provision("r221_research")) == ("Act respecting health and social services information (R-22.1)")
        assert str(provision("a29_s67")) == "A-29, s. 67"
