"""Two workers producing tables of one dataset at the same time: each table is protected against the other.

The protection of a dataset is serialised (``ledger.dataset_lock``), and a
produced table is held for checking within that lock: whichever worker comes
second protects its table against the first one's, even before any checker
has released it.
"""

import pytest

from portal.celery import app
from requests_app.models import Status
from requests_app.production.models import TableJob
from requests_app.states import JobState
from stats_app.models import Dataset, HeldTable
from tests import factories
from tests.worker import running_worker, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "warehouse"]),
    pytest.mark.usefixtures("reference_data", "warehouse"),
]

SPECIFICATION = {"dataset": "medical_services", "dimensions": ["region", "specialty"], "filters": {}}


def test_two_workers_at_once_protect_the_second_table_against_the_first(tmp_path, settings):
    app.control.purge()
    # Persons and services by region × specialty: the same cells in two measures, persons ≤ services.
    case = factories.make_request(
        status=Status.PRODUCING, dataset=Dataset.objects.get(code="medical_services"), tables=2
    )
    queued = list(case.table_jobs.order_by("pk"))
    for job, measure in zip(queued, ("persons", "services"), strict=True):
        TableJob.objects.filter(pk=job.pk).update(specification={**SPECIFICATION, "measure": measure})

    def produced():
        jobs = list(TableJob.objects.filter(request=case).order_by("finished_at"))
        return jobs if all(job.state in (JobState.READY_FOR_CHECKING, JobState.FAILED) for job in jobs) else None

    root = settings.PRIVATE_FILES_ROOT
    with (
        running_worker(root, log=tmp_path / "first.log", purge=False),
        running_worker(root, log=tmp_path / "second.log", purge=False),
    ):
        first, second = wait_for(produced, timeout=120, message="both tables")

    assert first.state == second.state == JobState.READY_FOR_CHECKING, (first.error, second.error)
    # The later one was protected against the earlier, which was held; never the reverse, never neither.
    assert first.summary["linked_tables"] == []
    assert [table["reference"] for table in second.summary["linked_tables"]] == [f"held-job-{first.pk}"]
    assert HeldTable.objects.filter(holder__in=[f"job-{first.pk}", f"job-{second.pk}"]).count() == 2
