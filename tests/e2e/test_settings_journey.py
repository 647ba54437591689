"""A dataset's threshold changes only when a second lead approves it, in real Chromium with the real worker.

One lead proposes a higher minimum cell count in the admin; the dataset keeps its
threshold, and the proposer has no way to approve; a second lead approves; the next
table the worker makes from that dataset publishes no count under the new threshold.
"""

import pytest

from portal.roles import Role
from requests_app.models import Status
from requests_app.states import JobState
from stats_app.models import Dataset, DisclosureSettingsChange
from tests import factories
from tests.e2e.journeys import Person
from tests.worker import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, databases=["default", "warehouse"]),
    pytest.mark.usefixtures("reference_data", "warehouse"),
]


def test_a_threshold_change_proposed_by_one_lead_applies_once_another_approves_it(browser, live_server, journey_worker):
    dataset = Dataset.objects.get(code="medical_services")
    before = dataset.threshold
    proposer = factories.make_user(role=Role.ACCESS_LEAD, is_staff=True, language="fr", first_name="Louise")
    approver = factories.make_user(role=Role.ACCESS_LEAD, is_staff=True, language="fr", first_name="Paul")

    lead = Person(browser, live_server.url, language="fr", name="settings-proposer")
    lead.sign_in_staff(proposer)
    lead.go(f"/admin/stats_app/dataset/{dataset.pk}/change/")
    assert lead.page.locator("input[name=threshold]").count() == 0, "the threshold is read-only on the dataset"
    lead.page.get_by_role("link", name="Proposer une modification des paramètres de protection").click()
    lead.page.fill("#settings-proposal-form [name=threshold]", "3")
    lead.page.fill("#settings-proposal-form [name=reason]", "Les petites régions demandent plus de protection.")
    lead.submit("#settings-proposal-form", "input[type=submit]")
    assert "Le compte minimal de l'organisme est 5" in lead.text()
    assert lead.page.input_value("#settings-proposal-form [name=reason]").startswith("Les petites régions")
    lead.page.fill("#settings-proposal-form [name=threshold]", "8")
    lead.submit("#settings-proposal-form", "input[type=submit]")
    lead.snap("settings-proposed")
    assert "Un autre responsable doit l'approuver" in lead.text()
    assert lead.page.locator("#settings-decision-form").count() == 0, "the proposer cannot decide"
    dataset.refresh_from_db()
    assert dataset.threshold == before

    second = Person(browser, live_server.url, language="fr", name="settings-approver")
    second.sign_in_staff(approver)
    change = DisclosureSettingsChange.objects.get()
    second.go(f"/admin/stats_app/disclosuresettingschange/{change.pk}/change/")
    assert "Les petites régions demandent plus de protection." in second.text()
    second.page.check("#settings-decision-form [name=decision][value=approve]")
    second.submit("#settings-decision-form", "input[type=submit]")
    second.snap("settings-approved")
    assert "les paramètres du jeu de données sont modifiés" in second.text()
    dataset.refresh_from_db()
    assert dataset.threshold == 8

    # The next table of the dataset is made, by the worker, under the approved threshold.
    case = factories.make_request(status=Status.PRODUCING, dataset=dataset)
    job = wait_for(
        lambda: case.table_jobs.filter(state=JobState.READY_FOR_CHECKING).first(),
        timeout=120,
        message="the table to be made",
    )
    assert job.summary["parameters"]["threshold"] == 8
    smallest = job.summary["smallest_published_count"]
    assert smallest is None or smallest >= 8
