"""A real Celery worker on Redis and PostgreSQL: approval to download, and a worker killed mid-job."""

import csv
import hashlib
import io
import os
import signal

import psycopg
import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from portal.roles import Role
from requests_app.models import Status
from requests_app.production import jobs
from requests_app.production.models import TableJob
from requests_app.states import JobState
from stats_app.models import IDENTIFYING_CODES, Dataset, JobStage
from tests import factories
from tests.worker import pool_children, running_worker, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "warehouse"]),
    pytest.mark.usefixtures("reference_data", "warehouse"),
]


@pytest.fixture
def worker(tmp_path, settings):
    with running_worker(settings.PRIVATE_FILES_ROOT, log=tmp_path / "worker.log") as process:
        yield process


def medical_services() -> Dataset:
    return Dataset.objects.get(code="medical_services")


def job_in(case, *states) -> TableJob | None:
    return TableJob.objects.filter(request=case, state__in=states).first()


def test_an_approved_request_is_produced_by_the_worker_checked_released_and_downloaded(worker):
    case = factories.make_request(status=Status.PRODUCING, dataset=medical_services())

    job = wait_for(lambda: job_in(case, JobState.READY_FOR_CHECKING, JobState.FAILED), message="the job")
    assert job.state == JobState.READY_FOR_CHECKING, job.error
    case.refresh_from_db()
    assert case.status == Status.OUTPUT_CHECKING

    jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=factories.make_user(role=Role.OUTPUT_CHECKER))
    client = Client()
    client.force_login(case.requester)
    response = client.get(reverse("outputs:download", kwargs={"pk": job.pk, "file_name": "table.csv"}))

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))
    header, body = rows[0], rows[1:]
    dimensions = job.specification["dimensions"]
    assert header == [*dimensions, *(f"{code}_label" for code in dimensions), "value", "flag"]
    assert not set(header) & IDENTIFYING_CODES
    published = [int(row[-2]) for row in body if row[-2]]
    assert published and all(value == 0 or value >= 5 for value in published)
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def _lock_warehouse_table(table: str):
    """Another session holds the table: the job's query waits, so the test can kill the worker mid-job."""
    database = connections["warehouse"].settings_dict
    lock = psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"] or "postgres",
        dbname=database["NAME"],
    )
    lock.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    return lock


def test_a_worker_killed_mid_job_leaves_the_job_to_be_retried_and_the_files_are_written_once(worker, settings):
    lock = _lock_warehouse_table("medical_service")
    try:
        case = factories.make_request(status=Status.PRODUCING, dataset=medical_services())
        job = case.table_jobs.get()
        wait_for(
            lambda: TableJob.objects.filter(pk=job.pk, state=JobState.RUNNING, stage=JobStage.COMPUTING).exists(),
            message="the job to be computing",
        )
        children = pool_children(worker.pid)
        assert children, "the worker has no pool process"
        for child in children:
            os.kill(child, signal.SIGKILL)
    finally:
        lock.rollback()
        lock.close()

    job = wait_for(lambda: job_in(case, JobState.READY_FOR_CHECKING, JobState.FAILED), message="the retried job")
    assert job.state == JobState.READY_FOR_CHECKING, job.error
    assert job.attempts == 2
    folder = jobs.output_folder(job)
    assert [path.name for path in folder.parent.iterdir()] == ["run-1"]
    for name, info in job.files.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"]
