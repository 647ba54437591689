"""The data custodian's pages: their organisation's consultations only, nothing about the requester as a person."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from portal.roles import Role
from requests_app import services
from requests_app.models import Consultation, ConsultationAnswer, DataRequest, Status
from stats_app.models import Custodian, Dataset
from tests import factories
from tests.requests_app.pages import assert_checked, assert_kept, client_for, field_error, summary_links, text

QUESTION = "Do you agree to these statistics on hospital stays?"

NO_REASONS = "The ministry does not allow regional tables of this project."


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def ministry(db):
    return Custodian.objects.get(code="msss")


@pytest.fixture
def representative(ministry):
    return factories.make_user(role=Role.DATA_CUSTODIAN, custodian=ministry)


@pytest.fixture
def representative_client(representative):
    return client_for(representative)


@pytest.fixture
def identifiable_requester(db):
    return factories.make_user(
        email="zephyrine.quixote@example.net", first_name="Zéphyrine", last_name="Quixote-Bellerose"
    )


def ministry_case(officer, requester=None, now=None):
    return factories.make_request(
        requester=requester,
        dataset=Dataset.objects.get(code="hospital_stays"),
        status=Status.UNDER_REVIEW,
        officer=officer,
        now=now,
    )


def consult(case, officer, custodian, *, now=None):
    today = timezone.localdate(now) if now else timezone.localdate()
    return services.consultation_open(
        case=case,
        actor=officer,
        custodian=custodian,
        question=QUESTION,
        due_on=today + timedelta(days=10),
        now=now,
    )


@pytest.fixture
def consultation(officer, ministry, representative):
    return consult(ministry_case(officer), officer, ministry)


def list_url() -> str:
    return reverse("consultations:list")


def detail_url(consultation) -> str:
    return reverse("consultations:detail", kwargs={"pk": consultation.pk})


def answer(client, consultation, **values):
    return client.post(detail_url(consultation), values)


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Who sees what ------------------------------------------------------------------


def test_consultation_list_shows_the_custodians_own_consultations_only(
    representative_client, consultation, officer, representative
):
    hospital = Custodian.objects.create(code="t_hospital", name_fr="Hôpital (test)", name_en="Hospital (test)")
    factories.make_user(role=Role.DATA_CUSTODIAN, custodian=hospital)
    hospital_case = factories.make_request(
        dataset=factories.make_catalogue(custodian=hospital), status=Status.UNDER_REVIEW, officer=officer
    )
    elsewhere = consult(hospital_case, officer, hospital)

    response = representative_client.get(list_url())

    assert response.status_code == 200
    page = text(response)
    assert consultation.request.reference in page
    assert detail_url(consultation) in page
    assert elsewhere.request.reference not in page
    assert detail_url(elsewhere) not in page


def test_consultation_detail_of_another_organisation_is_not_found(representative_client, officer, representative):
    hospital = Custodian.objects.create(code="t_hospital", name_fr="Hôpital (test)", name_en="Hospital (test)")
    hospital_case = factories.make_request(
        dataset=factories.make_catalogue(custodian=hospital), status=Status.UNDER_REVIEW, officer=officer
    )
    elsewhere = consult(hospital_case, officer, hospital)

    assert representative_client.get(detail_url(elsewhere)).status_code == 404
    assert answer(representative_client, elsewhere, answer=ConsultationAnswer.YES).status_code == 404
    elsewhere.refresh_from_db()
    assert not elsewhere.is_answered


def test_consultation_detail_shows_what_the_custodian_needs_to_decide(representative_client, consultation):
    case = consultation.request

    response = representative_client.get(detail_url(consultation))

    assert response.status_code == 200
    for shown in (
        case.reference,
        case.title,
        case.purpose,
        case.public_interest,
        case.intended_publication,
        case.organisation,
        "Researcher",
        QUESTION,
        Dataset.objects.get(code="hospital_stays").name_en,
    ):
        assert_kept(response, shown)
    assert '<form method="post"' in text(response)


def test_consultation_pages_never_show_the_requesters_contact_details(
    identifiable_requester, officer, ministry, representative_client
):
    case = ministry_case(officer, requester=identifiable_requester)
    # Distinctive contact details on the case itself, so that any leak is visible.
    DataRequest.objects.filter(pk=case.pk).update(
        contact_name="Zéphyrine Quixote-Bellerose", phone="+1 418 555-0199", position="Chief snark hunter"
    )
    consultation = consult(case, officer, ministry)

    for url in (list_url(), detail_url(consultation)):
        page = text(representative_client.get(url))
        for secret in ("Zéphyrine", "Quixote", "zephyrine", "418 555-0199", "555-0199", "Chief snark hunter"):
            assert secret.lower() not in page.lower(), f"{secret!r} leaked on {url}"


def test_consultation_list_is_forbidden_to_a_requester(consultation):
    client = client_for(consultation.request.requester)

    assert client.get(list_url()).status_code == 403


def test_consultation_detail_is_not_found_for_a_requester(consultation):
    client = client_for(consultation.request.requester)

    assert client.get(detail_url(consultation)).status_code == 404


def test_consultation_detail_is_not_found_for_an_officer_who_is_not_the_custodian(consultation, officer):
    # Even the officer who opened it: the consultation is the custodian's page.
    for user in (officer, factories.make_user(role=Role.PRIVACY_OFFICER)):
        assert client_for(user).get(detail_url(consultation)).status_code == 404


def test_consultation_list_is_empty_for_staff_without_consultation_rights(consultation, officer):
    response = client_for(officer).get(list_url())

    assert response.status_code == 200
    assert consultation.request.reference not in text(response)
    assert "No consultation is addressed to you." in text(response)


def test_consultation_pages_send_an_anonymous_visitor_to_sign_in(consultation):
    from django.test import Client

    for url in (list_url(), detail_url(consultation)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_consultation_list_puts_open_ones_first_and_flags_the_overdue(officer, ministry, representative):
    past = timezone.now() - timedelta(days=30)
    overdue = consult(ministry_case(officer, now=past), officer, ministry, now=past)
    answered = consult(ministry_case(officer), officer, ministry)
    services.consultation_answer(
        consultation=answered, actor=representative, answer=ConsultationAnswer.NO, reasons=NO_REASONS
    )
    open_ = consult(ministry_case(officer), officer, ministry)

    page = text(client_for(representative).get(list_url()))

    positions = [page.index(c.request.reference) for c in (overdue, open_, answered)]
    assert positions == sorted(positions)
    overdue_row = page[positions[0] : positions[1]]
    assert "badge-overdue" in overdue_row
    assert "badge-overdue" not in page[positions[1] :]


# --- Answering --------------------------------------------------------------------------


def test_consultation_answer_yes_is_recorded_with_who_answered(representative_client, consultation, representative):
    response = answer(representative_client, consultation, answer=ConsultationAnswer.YES, conditions="")

    assert response.status_code == 302
    assert response.url == detail_url(consultation)
    consultation.refresh_from_db()
    assert consultation.answer == ConsultationAnswer.YES
    assert consultation.answered_by == representative
    assert consultation.answered_at is not None


def test_consultation_answer_no_is_recorded_and_shown_read_only(representative_client, consultation, representative):
    response = answer(
        representative_client, consultation, answer=ConsultationAnswer.NO, conditions="ignored", reasons=NO_REASONS
    )

    consultation.refresh_from_db()
    assert consultation.answer == ConsultationAnswer.NO
    assert consultation.conditions == ""
    assert consultation.answered_by == representative
    page = representative_client.get(response.url)
    assert "No, the custodian does not agree" in text(page)
    assert '<form method="post" action="' + detail_url(consultation) not in text(page)


def test_consultation_answer_with_conditions_keeps_them(representative_client, consultation, representative):
    conditions = "Cells under 11 suppressed; cite the Ministry as co-source."

    answer(representative_client, consultation, answer=ConsultationAnswer.YES_WITH_CONDITIONS, conditions=conditions)

    consultation.refresh_from_db()
    assert consultation.answer == ConsultationAnswer.YES_WITH_CONDITIONS
    assert consultation.conditions == conditions
    assert consultation.answered_by == representative
    assert_kept(representative_client.get(detail_url(consultation)), conditions)


def test_consultation_answer_with_conditions_requires_them(representative_client, consultation):
    response = answer(
        representative_client, consultation, answer=ConsultationAnswer.YES_WITH_CONDITIONS, conditions="  "
    )

    assert response.status_code == 200
    assert "conditions" in field_error(response, "id_conditions").lower()
    assert "id_conditions" in summary_links(response)
    assert_checked(response, "answer", ConsultationAnswer.YES_WITH_CONDITIONS)
    consultation.refresh_from_db()
    assert not consultation.is_answered


def test_consultation_answer_with_an_invalid_choice_keeps_what_was_typed(representative_client, consultation):
    typed = "We would need to <discuss> this first."

    response = answer(representative_client, consultation, answer="", conditions=typed)

    assert response.status_code == 200
    assert "yes" in field_error(response, "id_answer").lower()
    assert_kept(response, typed)
    consultation.refresh_from_db()
    assert not consultation.is_answered


def test_consultation_second_answer_is_refused_with_a_message(representative_client, officer, ministry):
    # Rights are granted to the representatives known when the consultation opens.
    colleague = factories.make_user(role=Role.DATA_CUSTODIAN, custodian=ministry)
    consultation = consult(ministry_case(officer), officer, ministry)
    services.consultation_answer(
        consultation=consultation, actor=colleague, answer=ConsultationAnswer.NO, reasons=NO_REASONS
    )

    response = answer(representative_client, consultation, answer=ConsultationAnswer.YES)

    assert response.status_code == 302
    assert response.url == detail_url(consultation)
    assert any("already been answered" in message for message in flashed(response))
    consultation.refresh_from_db()
    assert consultation.answer == ConsultationAnswer.NO
    assert consultation.answered_by == colleague


def test_consultation_detail_is_read_only_for_a_lead(consultation):
    lead = factories.make_user(role=Role.ACCESS_LEAD)
    client = client_for(lead)

    page = client.get(detail_url(consultation))
    response = client.post(detail_url(consultation), {"answer": ConsultationAnswer.YES})

    assert page.status_code == 200
    assert 'name="answer"' not in text(page)
    assert response.status_code == 302
    assert not Consultation.objects.get(pk=consultation.pk).is_answered


def test_a_citizens_organisation_field_is_never_shown_to_the_custodian(officer, ministry, representative_client):
    case = ministry_case(officer)
    DataRequest.objects.filter(pk=case.pk).update(
        requester_category="citizen", organisation="Zéphirin Quenneville-Laberge"
    )
    consultation = consult(case, officer, ministry)

    page = text(representative_client.get(reverse("consultations:detail", args=[consultation.pk])))

    assert "Zéphirin Quenneville-Laberge" not in page
