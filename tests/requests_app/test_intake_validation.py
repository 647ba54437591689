"""Steps 1, 2 and 5: every rule refuses bad input by naming the field, and nothing typed is lost."""

import pytest

from requests_app.models import DataRequest, EthicsApproval, LegalBasis, RequesterCategory
from tests import factories
from tests.requests_app.pages import (
    assert_checked,
    assert_kept,
    field_error,
    profile_post,
    project_post,
    summary_links,
    text,
    url,
)


def saved(case) -> DataRequest:
    return DataRequest.objects.get(pk=case.pk)


# --- Step 1: the requester ------------------------------------------------------------


def test_profile_without_name_on_continue_names_the_field_and_keeps_the_rest(requester_client, case):
    response = requester_client.post(url("profile", case), profile_post(contact_name=""))
    assert response.status_code == 200
    assert field_error(response, "id_contact_name") == "Enter your full name."
    assert summary_links(response) == ["id_contact_name"]
    assert_kept(response, factories.PROFILE["organisation"])
    assert_kept(response, factories.PROFILE["phone"])
    assert_checked(response, "requester_category", RequesterCategory.RESEARCHER)
    assert saved(case).organisation == ""


def test_profile_without_category_on_continue_is_refused(requester_client, case):
    response = requester_client.post(url("profile", case), profile_post(requester_category=""))
    assert response.status_code == 200
    assert "requester category" in field_error(response, "id_requester_category")
    assert_kept(response, factories.PROFILE["contact_name"])
    assert saved(case).requester_category == ""


def test_profile_unknown_category_is_refused_even_when_saving_a_draft(requester_client, case):
    response = requester_client.post(url("profile", case), profile_post(action="save", requester_category="king"))
    assert response.status_code == 200
    assert field_error(response, "id_requester_category").startswith("Requester category:")
    assert_kept(response, factories.PROFILE["contact_name"])
    assert saved(case).contact_name != factories.PROFILE["contact_name"]


def test_profile_without_organisation_is_refused_for_a_researcher(requester_client, case):
    response = requester_client.post(url("profile", case), profile_post(organisation=""))
    assert response.status_code == 200
    assert "organisation" in field_error(response, "id_organisation")
    assert_kept(response, factories.PROFILE["position"])


def test_profile_without_organisation_is_accepted_for_a_citizen(requester_client, case):
    response = requester_client.post(
        url("profile", case), profile_post(organisation="", requester_category=RequesterCategory.CITIZEN)
    )
    assert response.status_code == 302
    assert saved(case).requester_category == RequesterCategory.CITIZEN


def test_profile_too_long_name_is_refused(requester_client, case):
    response = requester_client.post(url("profile", case), profile_post(action="save", contact_name="A" * 201))
    assert response.status_code == 200
    message = field_error(response, "id_contact_name")
    assert message.startswith("Full name:")
    assert "200" in message
    assert_kept(response, "A" * 201)


def test_profile_post_without_any_key_lists_every_missing_field(requester_client, case):
    response = requester_client.post(url("profile", case), {"action": "continue"})
    assert response.status_code == 200
    assert summary_links(response) == ["id_contact_name", "id_organisation", "id_requester_category"]


def test_profile_valid_values_are_saved(requester_client, case):
    response = requester_client.post(url("profile", case), profile_post())
    assert response.url == url("project", case)
    case = saved(case)
    assert {name: getattr(case, name) for name in factories.PROFILE} == factories.PROFILE


# --- Step 2: the project ---------------------------------------------------------------


def test_project_end_before_start_is_refused_and_nothing_is_saved(requester_client, case):
    response = requester_client.post(
        url("project", case), project_post(use_starts_on="2026-06-01", use_ends_on="2026-05-31")
    )
    assert response.status_code == 200
    assert field_error(response, "id_use_ends_on").startswith("End of the period of use:")
    assert summary_links(response) == ["id_use_ends_on"]
    assert_kept(response, factories.PROJECT["purpose"])
    assert_kept(response, factories.PROJECT["title"])
    assert 'value="2026-05-31"' in text(response)
    assert 'value="2026-06-01"' in text(response)
    assert saved(case).title == ""


def test_project_end_on_the_start_day_is_refused_even_for_a_draft(requester_client, case):
    response = requester_client.post(
        url("project", case), project_post(action="save", use_starts_on="2026-06-01", use_ends_on="2026-06-01")
    )
    assert response.status_code == 200
    assert "after the start date" in field_error(response, "id_use_ends_on")
    assert saved(case).use_ends_on is None


def test_project_date_that_is_not_a_date_is_refused(requester_client, case):
    response = requester_client.post(url("project", case), project_post(use_starts_on="31/02/2026"))
    assert response.status_code == 200
    assert field_error(response, "id_use_starts_on").startswith("Start of the period of use: enter a real date")
    assert 'value="31/02/2026"' in text(response)
    assert_kept(response, factories.PROJECT["public_interest"])


def test_project_other_legal_basis_without_details_is_refused(requester_client, case):
    response = requester_client.post(
        url("project", case), project_post(legal_basis=LegalBasis.OTHER, legal_basis_details="")
    )
    assert response.status_code == 200
    assert "Legal basis: details" in field_error(response, "id_legal_basis_details")
    assert_checked(response, "legal_basis", LegalBasis.OTHER)
    assert_kept(response, factories.PROJECT["intended_publication"])
    assert saved(case).legal_basis == ""


def test_project_other_legal_basis_with_details_is_accepted(requester_client, case):
    response = requester_client.post(
        url("project", case), project_post(legal_basis=LegalBasis.OTHER, legal_basis_details="Act X, s. 12")
    )
    assert response.status_code == 302
    assert saved(case).legal_basis_details == "Act X, s. 12"


def test_project_obtained_ethics_without_reference_is_refused(requester_client, case):
    response = requester_client.post(
        url("project", case), project_post(ethics_approval=EthicsApproval.OBTAINED, ethics_reference="")
    )
    assert response.status_code == 200
    assert "Ethics approval obtained" in field_error(response, "id_ethics_reference")
    assert_checked(response, "ethics_approval", EthicsApproval.OBTAINED)
    assert_kept(response, factories.PROJECT["title"])


def test_project_pending_ethics_needs_no_reference(requester_client, case):
    response = requester_client.post(
        url("project", case), project_post(ethics_approval=EthicsApproval.PENDING, ethics_reference="")
    )
    assert response.status_code == 302


def test_project_unknown_legal_basis_is_refused(requester_client, case):
    response = requester_client.post(url("project", case), project_post(legal_basis="a99_s1"))
    assert response.status_code == 200
    assert field_error(response, "id_legal_basis").startswith("Legal basis:")
    assert_kept(response, factories.PROJECT["purpose"])


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("title", "Enter the title of the project."),
        ("purpose", "Describe the purpose of the request."),
        ("public_interest", "Explain the public interest of the project."),
        ("intended_publication", "Say where the results will be published."),
        ("use_starts_on", "Enter the date from which you will use the data."),
        ("use_ends_on", "Enter the date until which you will use the data."),
        ("legal_basis", "Choose the legal basis you claim."),
        ("ethics_approval", "Say whether an ethics approval was obtained."),
    ],
)
def test_project_missing_value_on_continue_is_named(requester_client, case, field, message):
    response = requester_client.post(url("project", case), project_post(**{field: ""}))
    assert response.status_code == 200
    assert field_error(response, f"id_{field}") == message
    assert summary_links(response) == [f"id_{field}"]
    kept = "purpose" if field != "purpose" else "title"
    assert_kept(response, factories.PROJECT[kept])


def test_project_missing_post_keys_give_errors_not_a_crash(requester_client, case):
    response = requester_client.post(url("project", case), {"action": "continue"})
    assert response.status_code == 200
    assert len(summary_links(response)) == 8


def test_project_save_draft_accepts_an_incomplete_step(requester_client, case):
    response = requester_client.post(
        url("project", case), {"action": "save", "title": "Draft title", "legal_basis": LegalBasis.OTHER}
    )
    assert response.status_code == 302
    assert response.url == url("project", case)
    case = saved(case)
    assert case.title == "Draft title"
    assert case.legal_basis == LegalBasis.OTHER


def test_project_text_longer_than_the_limit_is_refused(requester_client, case):
    response = requester_client.post(url("project", case), project_post(purpose="x" * 10_001))
    assert response.status_code == 200
    assert field_error(response, "id_purpose").startswith("Purpose of the request: use at most 10000 characters")


# --- Step 5: declarations ----------------------------------------------------------------


def test_declarations_both_unticked_on_continue_are_refused(requester_client, case):
    response = requester_client.post(url("declarations", case), {"action": "continue"})
    assert response.status_code == 200
    assert summary_links(response) == ["id_declares_no_reidentification", "id_declares_source_citation"]
    assert "identify any person" in field_error(response, "id_declares_no_reidentification")
    assert "cite the agency" in field_error(response, "id_declares_source_citation")


def test_declarations_one_unticked_is_refused_and_the_other_stays_ticked(requester_client, case):
    response = requester_client.post(
        url("declarations", case), {"action": "continue", "declares_no_reidentification": "on"}
    )
    assert response.status_code == 200
    assert summary_links(response) == ["id_declares_source_citation"]
    assert 'name="declares_no_reidentification" id="id_declares_no_reidentification" checked' in text(response)
    assert saved(case).declares_no_reidentification is False


def test_declarations_both_ticked_are_saved(requester_client, case):
    response = requester_client.post(
        url("declarations", case),
        {"action": "continue", "declares_no_reidentification": "on", "declares_source_citation": "on"},
    )
    assert response.url == url("review", case)
    case = saved(case)
    assert case.declares_no_reidentification and case.declares_source_citation


def test_error_fields_are_described_by_their_error_paragraph(requester_client, case):
    response = requester_client.post(url("project", case), project_post(title=""))
    page = text(response)
    assert 'aria-invalid="true" aria-describedby="id_title-error" id="id_title"' in page
    assert '<label for="id_title">Project title <span class="required">(required)</span></label>' in page
