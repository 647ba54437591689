"""Table jobs: the one place that changes a job's state (DESIGN §4, "The job").

queued → running (with a stage) → ready_for_checking → released, or → failed /
returned, from which the officer queues a new run. Every change is kept in the
job's history. The case follows through ``requests_app.workflow``: producing
when the jobs are created, output checking when the first output is ready,
released when the checker releases one, closed when every job is released.

The worker side (``job_start``, ``job_set_stage``, ``job_finish``, ``job_fail``)
takes ids and checks the row's state under a lock, so a message delivered twice
or a retry after a crash never does the work twice.
"""

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import notifications, permissions, workflow
from requests_app.models import DataRequest
from requests_app.production.models import OutputDownload, TableJob
from requests_app.services.history import save_with_history
from requests_app.states import APPROVED_STATES, JOB_CLAIMABLE_STATES, JobState, Status
from stats_app import ledger, outputs, pipeline
from stats_app.catalogue import validate_specification
from stats_app.models import JobStage

#: A sign-off with one of these outcomes starts production.
PRODUCING_OUTCOMES = APPROVED_STATES


def _queue(job: TableJob) -> None:
    """Send the job to a worker once the transaction that queued it has committed."""
    from requests_app.production.tasks import run_table_job

    run_table_job.delay_on_commit(job_id=job.pk, run=job.run)


def specification_as_run(table) -> dict:
    return {
        "dataset": table.dataset.code,
        "measure": table.measure.code,
        "dimensions": list(table.dimensions),
        "filters": dict(table.filters or {}),
    }


def production_start(*, case: DataRequest, actor, now: datetime | None = None) -> list[TableJob]:
    """After an approval is signed off: one job per table, queued, and the case moves to producing."""
    now = now or timezone.now()
    tables = list(case.specifications.select_related("dataset", "measure"))
    if not tables:
        return []
    with transaction.atomic():
        workflow.transition(case=case, name="start_production", actor=actor, reason="", now=now)
        jobs = []
        for table in tables:
            job = TableJob(request=case, table=table, specification=specification_as_run(table), queued_at=now)
            save_with_history(job, actor=actor, reason="job.queued")
            _queue(job)
            jobs.append(job)
    return jobs


# --- The worker's side -----------------------------------------------------------


def job_start(*, job_id: int, run: int, now: datetime | None = None) -> TableJob | None:
    """Claim the job for this run; ``None`` when there is nothing to do (finished, failed, or a later run queued)."""
    now = now or timezone.now()
    with transaction.atomic():
        job = TableJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.run != run or job.state not in JOB_CLAIMABLE_STATES:
            return None
        # RUNNING here means a worker died mid-job and the message came back: run it again, from scratch.
        job.state = JobState.RUNNING
        job.stage = JobStage.COMPUTING
        job.attempts += 1
        job.started_at = now
        job.error = ""
        save_with_history(job, actor=None, reason=f"job.started: attempt {job.attempts}")
    return job


def job_set_stage(*, job_id: int, run: int, stage: str) -> None:
    """Progress for the pages; a plain update, no history (the stages of one attempt are not case data)."""
    TableJob.objects.filter(pk=job_id, run=run, state=JobState.RUNNING).update(stage=stage)


def job_finish(
    *, job_id: int, run: int, output_path: str, files: dict, summary: dict, now: datetime | None = None
) -> TableJob | None:
    """The files are in place: the job is ready for checking, and so is the case if it was producing."""
    now = now or timezone.now()
    with transaction.atomic():
        job = TableJob.objects.select_for_update().filter(pk=job_id, run=run, state=JobState.RUNNING).first()
        if job is None:
            return None
        job.state = JobState.READY_FOR_CHECKING
        job.stage = ""
        job.output_path = output_path
        job.files = files
        job.summary = summary
        job.finished_at = now
        save_with_history(job, actor=None, reason="job.ready_for_checking")
        case = DataRequest.objects.get(pk=job.request_id)
        if case.status == Status.PRODUCING:
            workflow.transition(case=case, name="outputs_ready", actor=None, reason="", now=now)
        else:
            # A table produced again after a return or a failure: the case is already past production,
            # but the checkers must still hear that this run awaits them.
            notifications.record("output_ready", case=case, occurrence=f"job-{job.pk}-run-{job.run}")
    return job


def job_fail(*, job_id: int, run: int, error: str, now: datetime | None = None) -> TableJob | None:
    """The job cannot be produced as it stands: staff see why and may run it again."""
    now = now or timezone.now()
    with transaction.atomic():
        job = TableJob.objects.select_for_update().filter(pk=job_id, run=run).first()
        if job is None or job.state not in JOB_CLAIMABLE_STATES:
            return None
        job.state = JobState.FAILED
        job.stage = ""
        job.error = error[:4000]
        job.finished_at = now
        save_with_history(job, actor=None, reason="job.failed")
        ledger.drop_hold(holder_of(job))
    return job


@contextmanager
def _exclusive(job_id: int):
    """Hold a PostgreSQL session lock on the job while it runs; yields False if another worker holds it.

    A message delivered twice then runs once. The lock dies with the worker's
    connection, so a killed worker never blocks the retry. (SQLite, the
    embedded mode, has a single worker.)
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext('table_job'), %s)", [job_id])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext('table_job'), %s)", [job_id])


def holder_of(job: TableJob) -> str:
    """How the linkage names a job's produced table until it is released (``stats_app.ledger.hold``)."""
    return f"job-{job.pk}"


def output_folder(job: TableJob) -> Path:
    return Path(settings.PRIVATE_FILES_ROOT) / job.output_path


def job_run(*, job_id: int, run: int) -> TableJob | None:
    """Run one job's pipeline (the task's body): claim it, build the files, record the outcome.

    A specification the catalogue no longer allows, or a table that fails the
    disclosure audit, fails the job with the reason; the warehouse's transient
    errors propagate so that the task retries.
    """
    with _exclusive(job_id) as acquired:
        if not acquired:
            return None
        job = job_start(job_id=job_id, run=run)
        if job is None:
            return None
        try:
            specification = validate_specification(**job.specification)
        except ValidationError as error:
            messages = "; ".join(message for messages in error.message_dict.values() for message in messages)
            return job_fail(job_id=job_id, run=run, error=_("The catalogue refuses this table: %s") % messages)
        relative = f"outputs/{job.request_id}/{job.pk}/run-{job.run}"
        try:
            result = pipeline.build_table(
                specification,
                Path(settings.PRIVATE_FILES_ROOT) / relative,
                language=job.request.requester.language or settings.LANGUAGE_CODE,
                on_stage=lambda stage: job_set_stage(job_id=job_id, run=run, stage=stage),
                hold_as=holder_of(job),
            )
        except pipeline.TableRefused as error:
            return job_fail(job_id=job_id, run=run, error=str(error))
        return job_finish(job_id=job_id, run=run, output_path=relative, files=result.files, summary=result.summary)


# --- Staff ------------------------------------------------------------------------


def job_rerun(*, job: TableJob, actor, now: datetime | None = None) -> TableJob:
    """Run a failed job again, or a returned one (after the officer adjusted its table): a new run, new files."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = TableJob.objects.select_for_update().select_related("request", "table").get(pk=job.pk)
        permissions.check_user_can_rerun_job(actor, locked)
        locked.table.refresh_from_db()
        locked.specification = specification_as_run(locked.table)
        locked.state = JobState.QUEUED
        locked.stage = ""
        locked.run += 1
        locked.error = ""
        locked.output_path = ""
        locked.files = {}
        locked.summary = {}
        locked.queued_at = now
        locked.started_at = locked.finished_at = None
        locked.checked_by = locked.checked_at = None
        locked.return_reason = ""
        save_with_history(locked, actor=actor, reason=f"job.queued: run {locked.run}")
        ledger.drop_hold(holder_of(locked))
        _queue(locked)
    return locked


def _check(job: TableJob, *, actor, outcome: JobState, now: datetime) -> TableJob:
    """Lock the job, make sure ``actor`` may check it (four eyes), record the check's outcome."""
    locked = TableJob.objects.select_for_update().select_related("request", "table").get(pk=job.pk)
    permissions.check_user_can_check_job(actor, locked)
    locked.state = outcome
    locked.checked_by = actor
    locked.checked_at = now
    return locked


def decision_reference(case: DataRequest) -> str:
    """The signed decision a release rests on, as the ledger and ``table.json`` cite it."""
    decision = case.decisions.filter(signed_off_at__isnull=False).order_by("-signed_off_at").first()
    return f"{case.reference}/D{decision.pk}" if decision else ""


def output_release(*, job: TableJob, actor, now: datetime | None = None) -> TableJob:
    """The checker releases the files to the requester; the last release closes the case.

    The table enters the release ledger first, once its linkage is checked again
    against the tables released since it was made: ``ledger.ReleaseRefused``
    when they changed what it can be combined with (nothing is released then).
    Its ``table.json`` then gains the release's provenance.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _check(job, actor=actor, outcome=JobState.RELEASED, now=now)
        locked.released_at = now
        case = locked.request
        references = {"request_reference": case.reference, "decision_reference": decision_reference(case)}
        entry = ledger.record_release(
            holder=holder_of(locked),
            checked_by=actor,
            released_at=now,
            source_reference=f"job-{locked.pk}-run-{locked.run}",
            **references,
        )
        provenance = pipeline.release_metadata(checked_by=actor, released_at=now, **references)
        document = outputs.with_release(output_folder(locked), provenance | {"ledger_entry": entry.pk})
        locked.files = {**locked.files, outputs.JSON_NAME: document.info}
        save_with_history(locked, actor=actor, reason="output.released")
        case = workflow.transition(case=case, name="release_output", actor=actor, reason=str(locked.table), now=now)
        if not case.table_jobs.exclude(state=JobState.RELEASED).exists():
            workflow.transition(case=case, name="close", actor=actor, reason="", now=now)
        # Last, so that nothing after it can roll the release back once table.json says it happened.
        document.write()
    return locked


def output_return(*, job: TableJob, actor, reason: str, now: datetime | None = None) -> TableJob:
    """The checker sends the output back to the officer, saying why; nothing is released."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the output is returned; the officer needs it to fix the table.")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = _check(job, actor=actor, outcome=JobState.RETURNED, now=now)
        locked.return_reason = reason
        save_with_history(locked, actor=actor, reason=f"output.returned: {reason}")
        ledger.drop_hold(holder_of(locked))
    return locked


def output_download_record(*, job: TableJob, user, file_name: str) -> OutputDownload:
    """Log one download (who, when, which file, which checksum) before the file is sent."""
    return OutputDownload.objects.create(job=job, user=user, file_name=file_name, sha256=job.files[file_name]["sha256"])
