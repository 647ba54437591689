"""Table jobs: approval creates them, a worker runs them once, a second person checks, the requester gets the files."""

import csv
import hashlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, transaction
from django.utils import translation

from portal.roles import Role
from requests_app import services
from requests_app.models import Notification, Status
from requests_app.production import jobs
from requests_app.production.models import TableJob
from requests_app.production.tasks import run_table_job
from requests_app.states import JobState
from stats_app.disclosure import TOTAL
from stats_app.models import Dataset
from tests import factories

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def produced_case(**fields):
    return factories.make_request(
        status=Status.PRODUCING, dataset=Dataset.objects.get(code="medical_services"), **fields
    )


def test_an_approval_creates_one_queued_job_per_table_and_starts_production():
    case = produced_case(tables=2)

    assert case.status == Status.PRODUCING
    assert [job.state for job in case.table_jobs.all()] == [JobState.QUEUED, JobState.QUEUED]
    assert set(case.table_jobs.values_list("table", flat=True)) == set(case.specifications.values_list("pk", flat=True))
    assert case.history.filter(status=Status.APPROVED).exists()


def test_a_table_is_never_produced_twice():
    case = produced_case()
    job = case.table_jobs.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        TableJob.objects.create(request=case, table=job.table, queued_at=job.queued_at)


def test_a_run_writes_checked_files_and_the_case_waits_for_the_checker():
    case = produced_case()
    job = case.table_jobs.get()

    jobs.job_run(job_id=job.pk, run=job.run)

    job.refresh_from_db()
    case.refresh_from_db()
    assert job.state == JobState.READY_FOR_CHECKING
    assert case.status == Status.OUTPUT_CHECKING
    folder = jobs.output_folder(job)
    assert sorted(path.name for path in folder.iterdir()) == ["legend.csv", "table.csv", "table.json", "table.xlsx"]
    for name, info in job.files.items():
        assert sha256(folder / name) == info["sha256"]
    assert job.summary["cells"] == len(list(csv.reader(io.StringIO((folder / "table.csv").read_text())))) - 1


def test_the_csv_holds_every_category_combination_and_every_margin():
    case = produced_case()
    job = case.table_jobs.get()
    jobs.job_run(job_id=job.pk, run=job.run)
    job.refresh_from_db()

    rows = list(csv.DictReader((jobs.output_folder(job) / "table.csv").open(encoding="utf-8")))

    dimensions = job.specification["dimensions"]
    assert list(rows[0]) == [*dimensions, *(f"{code}_label" for code in dimensions), "value", "flag"]
    sizes = [
        Dataset.objects.get(code="medical_services").dimensions.get(code=code).categories.count() for code in dimensions
    ]
    expected = 1
    for size in sizes:
        expected *= size + 1
    assert len(rows) == expected
    assert any(all(row[code] == TOTAL for code in dimensions) for row in rows)
    for row in rows:
        assert (row["value"] == "") == (row["flag"] == "x")


def test_a_finished_job_run_again_changes_nothing():
    case = produced_case()
    job = case.table_jobs.get()
    jobs.job_run(job_id=job.pk, run=job.run)
    job.refresh_from_db()
    before = {path.name: (sha256(path), path.stat().st_mtime_ns) for path in jobs.output_folder(job).iterdir()}

    assert jobs.job_run(job_id=job.pk, run=job.run) is None

    job.refresh_from_db()
    assert job.attempts == 1
    after = {path.name: (sha256(path), path.stat().st_mtime_ns) for path in jobs.output_folder(job).iterdir()}
    assert after == before


def test_a_job_whose_worker_died_runs_again_from_scratch_and_writes_its_files_once(settings):
    case = produced_case()
    job = case.table_jobs.get()
    # The first worker claimed the job, then died before finishing, in the middle of writing its files.
    jobs.job_start(job_id=job.pk, run=job.run)
    half_written = Path(settings.PRIVATE_FILES_ROOT) / f"outputs/{case.pk}/{job.pk}/.run-1.0123456789abcdef.tmp"
    half_written.mkdir(parents=True)
    (half_written / "table.csv").write_text("region,val")

    jobs.job_run(job_id=job.pk, run=job.run)

    job.refresh_from_db()
    assert job.state == JobState.READY_FOR_CHECKING
    assert job.attempts == 2
    parent = jobs.output_folder(job).parent
    assert [path.name for path in parent.iterdir()] == ["run-1"]


def test_a_message_for_an_old_run_does_nothing():
    case = produced_case()
    job = case.table_jobs.get()

    assert jobs.job_run(job_id=job.pk, run=job.run + 1) is None

    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.attempts == 0


def test_a_table_the_catalogue_no_longer_offers_fails_with_the_reason():
    case = produced_case()
    job = case.table_jobs.get()
    Dataset.objects.filter(code="medical_services").update(is_active=False)

    with translation.override("en"):
        jobs.job_run(job_id=job.pk, run=job.run)

    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error.startswith("The catalogue refuses this table: This dataset is not in the catalogue.")
    assert not job.output_path


def test_the_last_release_closes_the_case():
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    case = factories.make_request(status=Status.OUTPUT_CHECKING, tables=2)
    first, second = case.table_jobs.order_by("pk")

    jobs.output_release(attested=jobs.CHECKLIST, job=first, actor=checker)
    case.refresh_from_db()
    assert case.status == Status.RELEASED

    jobs.output_release(attested=jobs.CHECKLIST, job=second, actor=checker)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    first.refresh_from_db()
    assert first.checked_by == checker and first.released_at is not None


def test_no_one_checks_a_table_they_specified_adjusted_or_worked_on():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    officer.groups.add(factories.Group.objects.get(name=Role.OUTPUT_CHECKER))
    case = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    job = case.table_jobs.get()

    with pytest.raises(PermissionDenied):
        jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=officer)
    with pytest.raises(PermissionDenied):
        jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=factories.make_user(role=Role.ACCESS_LEAD))
    job.refresh_from_db()
    assert job.state == JobState.READY_FOR_CHECKING


def test_a_returned_output_needs_a_reason_then_an_amendment_signed_by_a_lead_runs_it_again():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    case = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    job = case.table_jobs.get()

    with pytest.raises(ValidationError) as error:
        jobs.output_return(job=job, actor=checker, reason="  ")
    assert "reason" in error.value.message_dict

    jobs.output_return(job=job, actor=checker, reason="Too many cells suppressed: use fewer regions.")
    amendment = services.specification_adjust(
        case=case,
        actor=officer,
        specification=job.table,
        dimensions=["region"],
        filters={},
        reason="Fewer dimensions, as the output checker asked.",
    )
    # The decision is signed: the change waits for a lead's signature, which runs the table again.
    services.amendment_sign_off(case=case, actor=factories.make_user(role=Role.ACCESS_LEAD), amendment=amendment)
    rerun = TableJob.objects.get(pk=job.pk)

    assert rerun.state == JobState.QUEUED and rerun.run == 2
    assert rerun.specification["dimensions"] == ["region"]
    jobs.job_run(job_id=rerun.pk, run=rerun.run)
    rerun.refresh_from_db()
    assert rerun.state == JobState.READY_FOR_CHECKING
    assert rerun.output_path.endswith("run-2")
    # The checker hears of the new run, as of the first one.
    told = Notification.objects.filter(request=case, notice="output_ready", recipient=checker)
    assert told.count() == 2
    # The officer adjusted the table: still not theirs to check, but the checker may.
    with pytest.raises(PermissionDenied):
        jobs.output_release(attested=jobs.CHECKLIST, job=rerun, actor=officer)
    jobs.output_release(attested=jobs.CHECKLIST, job=rerun, actor=checker)


def test_only_the_officer_on_the_case_runs_a_job_again():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    job = case.table_jobs.get()
    jobs.output_return(job=job, actor=factories.make_user(role=Role.OUTPUT_CHECKER), reason="Check the filters.")

    with pytest.raises(PermissionDenied):
        jobs.job_rerun(job=job, actor=factories.make_user(role=Role.PRIVACY_OFFICER))
    with pytest.raises(PermissionDenied):
        jobs.job_rerun(job=job, actor=case.requester)


@pytest.fixture
def unreachable_warehouse():
    """The warehouse's server stops answering: connections fail with OperationalError, a transient error."""
    connection = connections["warehouse"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = 1  # nothing listens there
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True, databases=["default", "warehouse"])
@pytest.mark.usefixtures("reference_data", "unreachable_warehouse")
def test_an_unreachable_warehouse_is_retried_up_to_the_limit_then_the_job_fails_with_the_error():
    case = produced_case()
    job = case.table_jobs.get()

    result = run_table_job.apply(kwargs={"job_id": job.pk, "run": job.run})

    assert result.successful()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.attempts == run_table_job.max_retries + 1
    assert job.error.startswith(f"Gave up after {run_table_job.max_retries + 1} attempts")


def test_a_bug_is_not_retried_the_job_fails_at_once_with_its_error():
    case = produced_case()
    job = case.table_jobs.get()
    TableJob.objects.filter(pk=job.pk).update(specification={"dataset": "medical_services"})  # a corrupted row

    result = run_table_job.apply(kwargs={"job_id": job.pk, "run": job.run})

    assert result.failed()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 1
    assert job.error.startswith("TypeError")
