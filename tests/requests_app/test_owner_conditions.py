"""A data owner's conditions are obligations (Access Act s. 47; issue: the handoffs between people).

Only the owner of a dataset the request asks for is consulted. A "no" gives reasons.
A conditional yes is structured: the categories it excludes are neither shown nor
counted, its minimum count raises the threshold, its date holds the release, and its
conditions in words wait for the checker's attestation. Each is checked again at
release, and every letter states them.
"""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from portal.roles import Role
from requests_app import conditions, services
from requests_app.models import Consultation, ConsultationAnswer, Decision, Status
from requests_app.production import jobs
from requests_app.production.models import TableJob
from stats_app.models import Category, Custodian, Dataset
from tests import factories
from tests.requests_app.pages import client_for

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]

NUNAVIK = "17"


@pytest.fixture(autouse=True)
def _services_speak_english():
    """The services' messages quoted below are the English msgids: they must not depend on a test run before."""
    with translation.override("en"):
        yield


@pytest.fixture
def ministry():
    return Custodian.objects.get(code="msss")


@pytest.fixture
def officer():
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def representative(ministry):
    return factories.make_user(role=Role.DATA_CUSTODIAN, custodian=ministry)


@pytest.fixture
def case(officer):
    """Hospital stays (the ministry's data) by region × sex, under review."""
    case = factories.make_request(
        dataset=Dataset.objects.get(code="hospital_stays"), status=Status.UNDER_REVIEW, officer=officer
    )
    case.specifications.update(dimensions=["region", "sex"])
    return case


def consult(case, officer, ministry):
    return services.consultation_open(
        case=case,
        actor=officer,
        custodian=ministry,
        question="Do you agree to these statistics on hospital stays?",
        due_on=timezone.localdate() + timedelta(days=10),
    )


def region(code: str) -> Category:
    return Category.objects.get(dimension__code="region", code=code)


def approve_and_produce(case, officer) -> TableJob:
    """Every criterion met, an approval proposed and signed by a lead, the table made."""
    for criterion in services.criteria_for(case):
        services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome="met")
    services.decision_propose(case=case, actor=officer, outcome="approved", reasons="", provisions=[])
    services.decision_sign_off(case=case, actor=factories.make_user(role=Role.ACCESS_LEAD))
    job = case.table_jobs.get()
    jobs.job_run(job_id=job.pk, run=job.run)
    job.refresh_from_db()
    return job


def released_rows(job: TableJob) -> list[dict]:
    path = Path(settings.PRIVATE_FILES_ROOT) / job.output_path / "table.csv"
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


# --- Who is consulted, and what a "no" says ---------------------------------------------------------------


def test_only_the_owner_of_a_dataset_asked_for_is_consulted(case, officer, ministry):
    hospital = Custodian.objects.create(code="t_hosp", name_fr="Hôpital", name_en="Hospital")
    with pytest.raises(ValidationError) as refused:
        consult(case, officer, hospital)
    assert "owns none of the datasets" in str(refused.value.message_dict["custodian"])
    assert services.owners_to_consult(case) == [ministry]
    page = client_for(officer).get(reverse("workspace:case", kwargs={"pk": case.pk})).content.decode()
    assert 'id="owners-to-consult"' in page and ministry.name_en in page
    form = page[page.index('id="consultation-form"') :]
    form = form[: form.index("</form>")]
    assert ministry.name_en in form and hospital.name_en not in form, "the officer is offered only the owners"


def test_a_no_gives_its_reasons(case, officer, ministry, representative):
    consultation = consult(case, officer, ministry)
    with pytest.raises(ValidationError) as refused:
        services.consultation_answer(consultation=consultation, actor=representative, answer=ConsultationAnswer.NO)
    assert "reasons" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(
            answer=ConsultationAnswer.NO, answered_by=representative, answered_at=timezone.now()
        )
    services.consultation_answer(
        consultation=consultation, actor=representative, answer=ConsultationAnswer.NO, reasons="Too fine by region."
    )
    consultation.refresh_from_db()
    assert consultation.reasons == "Too fine by region."


# --- A conditional yes ----------------------------------------------------------------------------------


def conditional_yes(consultation, representative, **conditions):
    return services.consultation_answer(
        consultation=consultation,
        actor=representative,
        answer=ConsultationAnswer.YES_WITH_CONDITIONS,
        **conditions,
    )


def test_a_conditional_yes_sets_at_least_one_condition_each_within_bounds(case, officer, ministry, representative):
    consultation = consult(case, officer, ministry)
    with pytest.raises(ValidationError) as refused:
        conditional_yes(consultation, representative)
    assert "conditions" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        conditional_yes(consultation, representative, minimum_count=5)
    assert "already hides counts under 5" in refused.value.message_dict["minimum_count"][0]
    with pytest.raises(ValidationError) as refused:
        conditional_yes(consultation, representative, not_before=timezone.localdate())
    assert "not_before" in refused.value.message_dict
    drug_class = Category.objects.filter(dimension__code="drug_class").first()
    with pytest.raises(ValidationError) as refused:
        conditional_yes(consultation, representative, excluded_categories=[drug_class])
    assert "excluded_categories" in refused.value.message_dict
    consultation.refresh_from_db()
    assert not consultation.is_answered


def test_an_excluded_category_is_neither_shown_nor_counted_in_the_table(case, officer, ministry, representative):
    conditional_yes(consult(case, officer, ministry), representative, excluded_categories=[region(NUNAVIK)])
    job = approve_and_produce(case, officer)

    regions = job.specification["filters"]["region"]
    assert NUNAVIK not in regions and len(regions) == Category.objects.filter(dimension__code="region").count() - 1
    shown = {row["region"] for row in released_rows(job)}
    assert NUNAVIK not in shown and "01" in shown
    # The approved table itself keeps what was asked for; only the run is restricted.
    assert NUNAVIK not in str(case.specifications.get().filters or {})


def test_an_exclusion_narrows_an_existing_filter_and_spares_a_table_without_the_dimension(
    case, officer, ministry, representative
):
    table = case.specifications.get()
    table.filters = {"region": ["16", NUNAVIK, "18"]}
    table.save()
    conditional_yes(consult(case, officer, ministry), representative, excluded_categories=[region(NUNAVIK)])
    assert jobs.specification_as_run(table)["filters"]["region"] == ["16", "18"]
    table.dimensions, table.filters = ["sex"], {}
    assert jobs.specification_as_run(table)["filters"] == {}, "a table without regions has no Nunavik cell"


def test_the_owners_minimum_count_raises_the_threshold(case, officer, ministry, representative):
    conditional_yes(consult(case, officer, ministry), representative, minimum_count=11)
    job = approve_and_produce(case, officer)
    assert job.summary["parameters"]["threshold"] == 11
    smallest = job.summary["smallest_published_count"]
    assert smallest is None or smallest >= 11


def test_no_release_before_the_owners_date(case, officer, ministry, representative):
    conditional_yes(
        consult(case, officer, ministry), representative, not_before=timezone.localdate() + timedelta(days=3)
    )
    job = approve_and_produce(case, officer)
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    with pytest.raises(ValidationError, match="no release before"):
        jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=checker)
    jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=checker, now=timezone.now() + timedelta(days=4))
    job.refresh_from_db()
    assert job.released_at is not None


def test_conditions_in_words_wait_for_the_checkers_attestation(case, officer, ministry, representative):
    conditional_yes(consult(case, officer, ministry), representative, conditions="Cite the ministry as the source.")
    job = approve_and_produce(case, officer)
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    with pytest.raises(ValidationError, match="Attest"):
        jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=checker)
    jobs.output_release(attested=(*jobs.CHECKLIST, jobs.OWNER_CONDITIONS), job=job, actor=checker)
    job.refresh_from_db()
    assert job.conditions_attested and job.released_at is not None


def test_the_release_checks_the_exclusion_again(case, officer, ministry, representative):
    conditional_yes(consult(case, officer, ministry), representative, excluded_categories=[region(NUNAVIK)])
    job = approve_and_produce(case, officer)
    # Say the table was made from a specification that let Nunavik back in.
    TableJob.objects.filter(pk=job.pk).update(specification={**job.specification, "filters": {}})
    with pytest.raises(ValidationError, match="excluded"):
        jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=factories.make_user(role=Role.OUTPUT_CHECKER))


def test_the_decision_letter_states_every_condition(case, officer, ministry, representative):
    conditional_yes(
        consult(case, officer, ministry),
        representative,
        excluded_categories=[region(NUNAVIK)],
        minimum_count=10,
        conditions="Cite the ministry as the source.",
    )
    approve_and_produce(case, officer)
    letter = Decision.objects.get(request=case).letter
    assert "Nunavik" in letter
    assert "10" in letter and "Cite the ministry as the source." in letter
    found = conditions.for_dataset(case, Dataset.objects.get(code="hospital_stays"))
    assert found.excluded == {"region": frozenset({NUNAVIK})} and found.minimum_count == 10


def test_the_custodian_answers_with_structured_conditions_on_its_page(case, officer, ministry, representative):
    consultation = consult(case, officer, ministry)
    client = client_for(representative)
    url = reverse("consultations:detail", kwargs={"pk": consultation.pk})
    page = client.get(url).content.decode()
    assert "Nunavik" in page and 'name="excluded_categories"' in page
    # A bad minimum count: the page names the field and keeps the rest.
    answer = {
        "answer": ConsultationAnswer.YES_WITH_CONDITIONS,
        "excluded_categories": [region(NUNAVIK).pk],
        "minimum_count": "3",
        "conditions": "Cite the ministry.",
    }
    page = client.post(url, answer).content.decode()
    assert "already hides counts under 5" in page and "Cite the ministry." in page
    assert re.search(rf'<input[^>]*value="{region(NUNAVIK).pk}"[^>]*checked', page), "the box stays ticked"
    client.post(url, {**answer, "minimum_count": "10"})
    consultation.refresh_from_db()
    assert consultation.minimum_count == 10
    assert list(consultation.excluded_categories.values_list("code", flat=True)) == [NUNAVIK]
