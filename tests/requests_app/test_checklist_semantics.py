"""The checklist: "not applicable" only where a criterion allows it, always with a reason; only "not met" or
no finding blocks an approval, and the refusal names the criterion."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from portal.roles import Role
from requests_app import services
from requests_app.models import Assessment, LegalCriterion, RequesterCategory, Status
from requests_app.services.review import approval_obstacles
from tests import factories
from tests.requests_app.pages import client_for


@pytest.fixture
def officer(db):
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def case(officer, dataset):
    """A researcher's request under review: the ethics criterion applies, and may be found not applicable."""
    return factories.make_request(status=Status.UNDER_REVIEW, officer=officer, dataset=dataset)


def criterion(code: str) -> LegalCriterion:
    return LegalCriterion.objects.get(code=code)


def assess_all_met(case, officer, *, except_code: str | None = None) -> None:
    for item in services.criteria_for(case):
        if item.code != except_code:
            services.criterion_assess(case=case, actor=officer, criterion=item, outcome=Assessment.MET)


def test_not_applicable_is_refused_on_a_criterion_that_does_not_allow_it(case, officer):
    with pytest.raises(ValidationError) as refused:
        services.criterion_assess(
            case=case, actor=officer, criterion=criterion("identity_verified"), outcome="not_applicable", note="x"
        )
    assert "outcome" in refused.value.error_dict


def test_not_applicable_needs_a_reason(case, officer):
    with pytest.raises(ValidationError) as refused:
        services.criterion_assess(
            case=case, actor=officer, criterion=criterion("ethics_for_research"), outcome="not_applicable"
        )
    assert "note" in refused.value.error_dict


def test_an_allowed_not_applicable_with_its_reason_does_not_block_approval(case, officer):
    assess_all_met(case, officer, except_code="ethics_for_research")
    services.criterion_assess(
        case=case,
        actor=officer,
        criterion=criterion("ethics_for_research"),
        outcome=Assessment.NOT_APPLICABLE,
        note="Only statistics already published are used; the ethics board exempted the project.",
    )
    assert approval_obstacles(case, outcome="approved") == []


def test_not_applicable_is_allowed_only_for_the_categories_the_criterion_names(case, officer):
    ethics = criterion("ethics_for_research")
    ethics.not_applicable_categories = [RequesterCategory.PUBLIC_BODY]
    ethics.save()
    with pytest.raises(ValidationError):
        services.criterion_assess(case=case, actor=officer, criterion=ethics, outcome="not_applicable", note="Exempt.")


def test_each_blocking_criterion_is_named_with_why_it_blocks(case, officer):
    assess_all_met(case, officer, except_code="aggregate_only")
    services.criterion_assess(case=case, actor=officer, criterion=criterion("small_cells"), outcome=Assessment.NOT_MET)
    with translation.override("en"):
        obstacles = [str(obstacle) for obstacle in approval_obstacles(case, outcome="approved")]
        texts = [criterion("aggregate_only").text, criterion("small_cells").text]
    assert obstacles == [
        f"Mandatory criterion not assessed yet: {texts[0]}",
        f"Mandatory criterion not met: {texts[1]}",
    ]


def test_the_checklist_offers_not_applicable_only_where_it_is_allowed(case, officer):
    page = client_for(officer).get(reverse("workspace:case", kwargs={"pk": case.pk})).content.decode()
    rows = dict(re.findall(r'<tr data-criterion="(\w+)">(.*?)</tr>', page, re.S))
    assert 'value="not_applicable"' in rows["ethics_for_research"]
    assert 'value="not_applicable"' not in rows["identity_verified"]


def test_the_checklist_page_asks_for_the_reason_of_a_not_applicable_and_keeps_what_was_typed(case, officer):
    ethics = criterion("ethics_for_research")
    answer = client_for(officer).post(
        reverse("workspace:checklist", kwargs={"pk": case.pk}),
        {f"checklist-outcome_{ethics.pk}": "not_applicable", f"checklist-note_{ethics.pk}": ""},
    )
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "Note: say why this criterion does not apply to this request." in page
    row = dict(re.findall(r'<tr data-criterion="(\w+)">(.*?)</tr>', page, re.S))["ethics_for_research"]
    assert re.search(r'value="not_applicable"[^>]*checked', row)
    assert not case.assessments.filter(criterion=ethics).exists()
