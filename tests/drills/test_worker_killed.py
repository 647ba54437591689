"""Drill: the worker's pool process SIGKILLed again and again in the middle of table jobs.

Every job must end ready for checking exactly once, with one run folder whose
files match their checksums, no temporary folder left behind, and its attempts
counted. ``tests/stats_app/test_worker.py`` kills one job once; here several
jobs are queued and the worker dies several times.
"""

import hashlib
import os
import random
import signal
import time

import psycopg
import pytest
from django.db import connections

from portal.models import AuditEvent
from requests_app.models import Status
from requests_app.production import jobs
from requests_app.production.models import TableJob
from requests_app.states import JobState
from stats_app.models import Dataset, JobStage
from tests import factories
from tests.drills.workers import drill_worker
from tests.worker import pool_children, wait_for

pytestmark = [
    pytest.mark.drill,
    pytest.mark.django_db(transaction=True, databases=["default", "warehouse"]),
    pytest.mark.usefixtures("reference_data", "warehouse"),
]

JOBS = 3
#: Kills while the jobs' queries wait: more than the jobs, so that some job dies twice.
KILLS = 5
#: Jobs of the random drill: each takes a fraction of a second, so the kills need many to land on.
RANDOM_JOBS = 8


@pytest.fixture
def worker(drill_redis, tmp_path):
    with drill_worker(broker_url=drill_redis.url(0), log=tmp_path / "worker.log") as process:
        process.log = tmp_path / "worker.log"
        yield process


def lock_warehouse_table(table: str) -> psycopg.Connection:
    """Another session holds the table: a job's query waits on it, so the drill kills the worker mid-job."""
    database = connections["warehouse"].settings_dict
    lock = psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"] or "postgres",
        dbname=database["NAME"],
    )
    lock.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    return lock


def kill_pool(worker) -> None:
    children = pool_children(worker.pid)
    assert children, "the worker has no pool process"
    for child in children:
        os.kill(child, signal.SIGKILL)
    # The main process starts a new pool process.
    wait_for(lambda: pool_children(worker.pid) and set(pool_children(worker.pid)) != set(children), timeout=30)


def total_attempts(case_ids) -> int:
    return sum(TableJob.objects.filter(request_id__in=case_ids).values_list("attempts", flat=True))


def queue_jobs(count: int = JOBS) -> list:
    dataset = Dataset.objects.get(code="medical_services")
    return [factories.make_request(status=Status.PRODUCING, dataset=dataset) for _ in range(count)]


def all_ended(cases) -> list[TableJob] | None:
    found = list(TableJob.objects.filter(request__in=cases))
    return found if all(job.state in (JobState.READY_FOR_CHECKING, JobState.FAILED) for job in found) else None


def assert_each_job_ended_once(cases) -> list[TableJob]:
    finished = wait_for(lambda: all_ended(cases), timeout=120, message="every job to end")
    assert len(finished) == len(cases)
    for job in finished:
        assert job.state == JobState.READY_FOR_CHECKING, job.error
        moves = AuditEvent.objects.filter(target_type="requests_app.tablejob", target_id=str(job.pk))
        events = list(moves.values_list("event_type", flat=True))
        assert events.count("job.ready_for_checking") == 1, events
        folder = jobs.output_folder(job)
        # One run folder, no temporary folder of a killed attempt left beside it.
        assert sorted(path.name for path in folder.parent.iterdir()) == ["run-1"]
        assert sorted(path.name for path in folder.iterdir()) == sorted(job.files)
        for name, info in job.files.items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"]
    for case in cases:
        case.refresh_from_db()
        assert case.status == Status.OUTPUT_CHECKING
        moves = AuditEvent.objects.filter(case_id=case.pk, target_type="requests_app.datarequest")
        assert list(moves.values_list("event_type", flat=True)).count("outputs.ready_for_checking") == 1
    return finished


def test_a_worker_killed_mid_job_again_and_again_loses_no_job_and_writes_each_once(worker):
    """Each kill lands while a job's query waits on a locked warehouse table: certainly mid-job. The next
    delivery (the killed job's, back on the queue, or the next job's) starts while the lock is still held."""
    started = time.monotonic()
    lock = lock_warehouse_table("medical_service")
    try:
        cases = queue_jobs()
        ids = [case.pk for case in cases]
        for kill in range(KILLS):
            wait_for(
                lambda kill=kill: (
                    total_attempts(ids) == kill + 1
                    and TableJob.objects.filter(request_id__in=ids, state=JobState.RUNNING, stage=JobStage.COMPUTING)
                    .exclude(attempts=0)
                    .exists()
                ),
                timeout=60,
                message=f"a job to be computing before kill {kill + 1}",
            )
            time.sleep(random.uniform(0, 0.5))
            kill_pool(worker)
    finally:
        lock.rollback()
        lock.close()

    finished = assert_each_job_ended_once(cases)
    # Every kill cost one attempt, and each job ran from scratch once more after its last kill.
    attempts = sorted(job.attempts for job in finished)
    assert sum(attempts) == JOBS + KILLS and min(attempts) >= 2, attempts
    print(
        f"\n{JOBS} jobs, {KILLS} kills mid-job: every job ready once, attempts {attempts}, "
        f"in {time.monotonic() - started:.1f} s"
    )


@pytest.mark.slow_drill
def test_a_worker_killed_at_random_moments_loses_no_job_and_writes_each_once(drill_redis, tmp_path):
    """Kills at random moments of the jobs' life (computing, protecting, auditing, writing, finishing)."""
    cases = queue_jobs(RANDOM_JOBS)  # all queued before the worker starts, so that it is busy from then on
    ids = [case.pk for case in cases]
    with drill_worker(broker_url=drill_redis.url(0), log=tmp_path / "worker.log") as worker:
        started = time.monotonic()
        stages_hit = kill_at_random(worker, ids)
        finished = assert_each_job_ended_once(cases)
    assert RANDOM_JOBS <= sum(job.attempts for job in finished) <= RANDOM_JOBS + len(stages_hit)
    print(
        f"\n{RANDOM_JOBS} jobs, {len(stages_hit)} kills at random moments ({', '.join(stages_hit)}): every job "
        f"ready once, attempts {sorted(job.attempts for job in finished)}, in {time.monotonic() - started:.1f} s"
    )


def kill_at_random(worker, ids) -> list[str]:
    """Kill the pool process at random moments until the jobs are done; returns the stage each kill hit."""
    unfinished = TableJob.objects.filter(request_id__in=ids, state__in=(JobState.QUEUED, JobState.RUNNING))
    running = TableJob.objects.filter(request_id__in=ids, state=JobState.RUNNING)
    rng = random.Random()
    stages_hit = []
    while len(stages_hit) < 8 and unfinished.exists():
        attempts = total_attempts(ids)
        # A new attempt has started (or the last job is done): the child is busy with a job.
        wait_for(lambda attempts=attempts: total_attempts(ids) > attempts or not unfinished.exists(), every=0.01)
        time.sleep(rng.uniform(0, 0.4))  # a job here takes about 0.2 to 0.4 s
        stage = running.order_by("-started_at").values_list("stage", flat=True).first()  # the job in hand
        kill_pool(worker)
        stages_hit.append(stage or "between jobs")

    return stages_hit
