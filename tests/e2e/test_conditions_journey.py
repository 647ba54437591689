"""A data owner's conditional yes binds what is released, in real Chromium with the real worker.

The ministry answers "yes, on condition: no figure for Nunavik, and cite us" on its
consultation page; the decision letter states both; the worker makes the table
without Nunavik; the checker cannot release before attesting the condition in
words, then releases, and the released file has no Nunavik.
"""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from portal.roles import Role
from requests_app import services
from requests_app.models import ConsultationAnswer, Decision, Status
from requests_app.states import JobState
from stats_app.models import Category, Custodian, Dataset
from tests import factories
from tests.e2e.journeys import Person
from tests.worker import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, databases=["default", "warehouse"]),
    pytest.mark.usefixtures("reference_data", "warehouse"),
]

NUNAVIK = "17"
CITE = "Citer le Ministère comme source des données."


def test_a_conditional_yes_excludes_its_category_from_the_released_table(browser, live_server, journey_worker):
    ministry = Custodian.objects.get(code="msss")
    representative = factories.make_user(role=Role.DATA_CUSTODIAN, custodian=ministry, language="fr")
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, language="fr")
    checker = factories.make_user(role=Role.OUTPUT_CHECKER, language="fr", first_name="Sofia")
    case = factories.make_request(
        dataset=Dataset.objects.get(code="hospital_stays"), status=Status.UNDER_REVIEW, officer=officer
    )
    case.specifications.update(dimensions=["region", "sex"])
    consultation = services.consultation_open(
        case=case,
        actor=officer,
        custodian=ministry,
        question="Acceptez-vous ces statistiques sur les séjours hospitaliers?",
        due_on=timezone.localdate() + timedelta(days=10),
    )
    nunavik = Category.objects.get(dimension__code="region", code=NUNAVIK)

    owner = Person(browser, live_server.url, language="fr", name="conditions-custodian")
    owner.sign_in_staff(representative)
    owner.go(f"/consultations/{consultation.pk}/")
    owner.page.check(f"[name=answer][value={ConsultationAnswer.YES_WITH_CONDITIONS}]")
    owner.page.check(f"[name=excluded_categories][value='{nunavik.pk}']")
    owner.page.fill("[name=conditions]", CITE)
    owner.snap("conditional-yes")
    owner.submit(f"form[action$='/consultations/{consultation.pk}/']")
    assert "Nunavik" in owner.text() and CITE in owner.text()
    consultation.refresh_from_db()
    assert list(consultation.excluded_categories.all()) == [nunavik]

    for criterion in services.criteria_for(case):
        services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome="met")
    services.decision_propose(case=case, actor=officer, outcome="approved", reasons="", provisions=[])
    services.decision_sign_off(case=case, actor=factories.make_user(role=Role.ACCESS_LEAD))
    letter = Decision.objects.get(request=case).letter
    assert "Nunavik" in letter and CITE in letter
    job = wait_for(
        lambda: case.table_jobs.filter(state=JobState.READY_FOR_CHECKING).first(),
        timeout=120,
        message="the table to be made",
    )

    bench = Person(browser, live_server.url, language="fr", name="conditions-checker")
    bench.sign_in_staff(checker)
    bench.go(f"/outputs/{job.pk}/")
    conditions = bench.page.locator("#owner-conditions").inner_text()
    assert "Nunavik" in conditions and CITE in conditions
    for point in ("aggregates_only", "no_identifiers", "suppression_holds"):
        bench.page.check(f"#attest-{point}")
    bench.submit("#release-form")
    assert "Attestez que les conditions du détenteur sont respectées" in bench.page.inner_text("body")
    job.refresh_from_db()
    assert job.state == JobState.READY_FOR_CHECKING
    bench.release()
    bench.snap("released-with-conditions")
    job.refresh_from_db()
    assert job.state == JobState.RELEASED and job.conditions_attested

    released = Path(settings.PRIVATE_FILES_ROOT) / job.output_path / "table.csv"
    rows = list(csv.DictReader(io.StringIO(released.read_text(encoding="utf-8-sig"))))
    regions = {row["region"] for row in rows}
    assert NUNAVIK not in regions and "01" in regions
