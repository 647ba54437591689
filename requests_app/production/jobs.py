"""Table jobs: production of a case's tables, from approval to release (DESIGN §4, "The job").

queued → running (with a stage) → ready_for_checking → released, or → failed /
returned, from which the officer queues a new run: ``production.workflow``'s
``JOB_TRANSITIONS``, fired by ``job_transition``, which keeps every change in
the job's history. The case follows through ``requests_app.workflow``: producing
when the jobs are created, output checking when the first output is ready,
released when the checker releases one, closed when every job is released.

The worker side (``job_start``, ``job_set_stage``, ``job_finish``, ``job_fail``)
takes ids and checks the row's state under a lock, so a message delivered twice
or a retry after a crash never does the work twice. The statistics themselves
are ``stats_app.pipeline.build_table``'s: the engine knows nothing of cases.
"""

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.trail import EventType
from requests_app import clock, conditions, notifications, permissions, workflow
from requests_app.history import save_with_history
from requests_app.models import DataRequest
from requests_app.production.models import JobNote, JobReview, OutputDownload, TableJob
from requests_app.production.workflow import JobTransitionError, job_transition
from requests_app.states import JobState, Status
from stats_app import ledger, outputs, pipeline
from stats_app.catalogue import validate_specification
from stats_app.models import JobStage

#: A sign-off with one of these outcomes starts production: the states production starts from.
PRODUCING_OUTCOMES = workflow.TRANSITIONS["start_production"].sources

#: What the checker attests before every release (after OpenSAFELY's airlock); the page words each point.
CHECKLIST = ("aggregates_only", "no_identifiers", "suppression_holds")
#: Attested besides, when the data's owner set conditions in words.
OWNER_CONDITIONS = "owner_conditions"

#: ``production.tasks.run_table_job``, queued by name: this module does not import its caller.
RUN_TABLE_JOB = "stats_app.tasks.run_table_job"


def _queue(job: TableJob) -> None:
    """Send the job to a worker once the transaction that queued it has committed."""
    task = current_app.signature(RUN_TABLE_JOB, kwargs={"job_id": job.pk, "run": job.run})
    transaction.on_commit(task.apply_async)


def specification_as_run(table) -> dict:
    """The table as the worker runs it: the approved specification, less what its data's owner excluded."""
    specification = {
        "dataset": table.dataset.code,
        "measure": table.measure.code,
        "dimensions": list(table.dimensions),
        "filters": dict(table.filters or {}),
    }
    return conditions.restrict(specification, conditions.for_dataset(table.request, table.dataset), table.dataset)


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
            save_with_history(
                job,
                actor=actor,
                event=EventType.JOB_QUEUED,
                case_id=case.pk,
                payload={"transition": "queue", "from": "", "to": job.state, "run": job.run},
                at=now,
            )
            _queue(job)
            jobs.append(job)
    return jobs


# --- The worker's side -----------------------------------------------------------


def job_start(*, job_id: int, run: int, now: datetime | None = None) -> TableJob | None:
    """Claim the job for this run; ``None`` when there is nothing to do (finished, failed, or a later run queued)."""

    def claim(job: TableJob, now: datetime) -> None:
        # RUNNING before means a worker died mid-job and the message came back: run it again, from scratch.
        job.stage = JobStage.COMPUTING
        job.attempts += 1
        job.started_at = now
        job.error = ""

    try:
        return job_transition(
            job_id=job_id,
            name="start",
            actor=None,
            run=run,
            now=now,
            apply=claim,
            reason=lambda job: f"attempt {job.attempts}",
        )
    except (TableJob.DoesNotExist, JobTransitionError):
        return None


def job_set_stage(*, job_id: int, run: int, stage: str) -> None:
    """Progress for the pages; a plain update, no history (the stages of one attempt are not case data)."""
    TableJob.objects.filter(pk=job_id, run=run, state=JobState.RUNNING).update(stage=stage)


def job_finish(
    *, job_id: int, run: int, output_path: str, files: dict, summary: dict, now: datetime | None = None
) -> TableJob | None:
    """The files are in place: the job is ready for checking, and so is the case if it was producing."""
    now = now or timezone.now()

    def produced(job: TableJob, now: datetime) -> None:
        job.stage = ""
        job.output_path = output_path
        job.files = files
        job.summary = summary
        job.finished_at = now

    with transaction.atomic():
        try:
            job = job_transition(job_id=job_id, name="finish", actor=None, run=run, now=now, apply=produced)
        except (TableJob.DoesNotExist, JobTransitionError):
            return None
        case = DataRequest.objects.get(pk=job.request_id)
        if case.status == Status.PRODUCING:
            workflow.transition(case=case, name="outputs_ready", actor=None, reason="", now=now)
        elif job.run > 1:
            # A table produced again after a return or a failure: the case is already past production,
            # but the checkers must still hear that this run awaits them. The other tables of the first
            # production are the same event as the first one ready (one e-mail, not one per table).
            notifications.record("output_ready", case=case, occurrence=f"job-{job.pk}-run-{job.run}")
    return job


def job_fail(*, job_id: int, run: int, error: str, now: datetime | None = None) -> TableJob | None:
    """The job cannot be produced as it stands: staff see why and may run it again."""

    def failed(job: TableJob, now: datetime) -> None:
        job.stage = ""
        job.error = error[:4000]
        job.finished_at = now

    with transaction.atomic():
        try:
            job = job_transition(job_id=job_id, name="fail", actor=None, run=run, now=now, apply=failed)
        except (TableJob.DoesNotExist, JobTransitionError):
            return None
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
        owner = conditions.for_dataset(job.request, specification.dataset)
        try:
            result = pipeline.build_table(
                specification,
                Path(settings.PRIVATE_FILES_ROOT) / relative,
                minimum_count=owner.minimum_count,
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

    def queued_again(locked: TableJob, now: datetime) -> None:
        locked.table.refresh_from_db()
        locked.specification = specification_as_run(locked.table)
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

    with transaction.atomic():
        locked = job_transition(
            job_id=job.pk, name="rerun", actor=actor, now=now, apply=queued_again, reason=lambda job: f"run {job.run}"
        )
        ledger.drop_hold(holder_of(locked))
        _queue(locked)
    return locked


def decision_reference(case: DataRequest) -> str:
    """The signed decision a release rests on, as the ledger and ``table.json`` cite it."""
    decision = case.decisions.filter(signed_off_at__isnull=False).order_by("-signed_off_at").first()
    return f"{case.reference}/D{decision.pk}" if decision else ""


def _attestation_problems(locked: TableJob, attested: set[str], now: datetime) -> list[str]:
    """What stops this check: a point of the checklist not ticked, or an owner's condition the table breaks."""
    owner = conditions.for_dataset(locked.request, locked.table.dataset)
    problems = []
    if any(point not in attested for point in CHECKLIST):
        problems.append(_("Tick every point of the checklist, then release."))
    problems += conditions.release_obstacles(
        specification=locked.specification,
        threshold_run=(locked.summary.get("parameters") or {}).get("threshold"),
        conditions=owner,
        today=clock.local_date(now),
        attested=OWNER_CONDITIONS in attested,
    )
    return problems


def _review_record(locked: TableJob, *, actor, attested: set[str], now: datetime) -> JobReview:
    """The checker's own check of this run, kept with its history (its audit event is the job's move)."""
    review = JobReview(job=locked, run=locked.run, checker=actor, reviewed_at=now, attested=sorted(attested))
    save_with_history(review, actor=actor)
    return review


def _review_facts(reviews: list[JobReview]):
    """The audit event's account of the check: which review, what it attested, how many of how many are done."""

    def facts(locked: TableJob) -> dict:
        review = reviews[0]
        return {
            "review": review.pk,
            "attested": review.attested,
            "checks_done": locked.reviews.filter(run=locked.run).count(),
            "checks_needed": permissions.checks_needed(locked),
        }

    return facts


def output_release(*, job: TableJob, actor, attested, now: datetime | None = None) -> TableJob:
    """The checker checks the output: the files are released to the requester; the last release closes the case.

    ``attested`` holds the points of ``CHECKLIST`` the checker ticked, and
    ``OWNER_CONDITIONS`` when they checked the owner's conditions in words; every one
    is needed. The data owner's conditions are checked again too
    (``conditions.release_obstacles``): excluded categories absent, the owner's
    minimum count applied, its date passed. ``ValidationError`` otherwise.

    Each check is kept (``JobReview``). When the dataset needs two independent checks
    (``Dataset.independent_checks``), the first check of a run releases nothing (the
    job's ``review`` move); the second, by another checker, releases. Which one a check
    is, is decided under the job's lock: two checkers at once are a first check and a
    release, never two first checks.

    The table enters the release ledger first, once its linkage is checked again
    against the tables released since it was made: ``ledger.ReleaseRefused``
    when they changed what it can be combined with (nothing is released then).
    Its ``table.json`` then gains the release's provenance.
    """
    now = now or timezone.now()
    attested = set(attested)
    documents, reviews = [], []

    def reviewed(locked: TableJob, now: datetime) -> None:
        problems = _attestation_problems(locked, attested, now)
        if problems:
            raise ValidationError(problems)
        reviews.append(_review_record(locked, actor=actor, attested=attested, now=now))

    def released(locked: TableJob, now: datetime) -> None:
        reviewed(locked, now)
        owner = conditions.for_dataset(locked.request, locked.table.dataset)
        locked.conditions_attested = bool(owner.free_text)
        locked.checked_by = actor
        locked.checked_at = locked.released_at = now
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
        documents.append(document)

    with transaction.atomic():
        current = (
            TableJob.objects.select_for_update(of=("self",)).select_related("request", "table__dataset").get(pk=job.pk)
        )
        if permissions.user_can_review_job(actor, current):
            # No e-mail: the checkers heard once that this run awaits them, and the queue shows one check done.
            return job_transition(
                job_id=job.pk, name="review", actor=actor, now=now, apply=reviewed, facts=_review_facts(reviews)
            )
        locked = job_transition(
            job_id=job.pk, name="release", actor=actor, now=now, apply=released, facts=_review_facts(reviews)
        )
        released_table = {"table": locked.table_id}
        case = workflow.transition(
            case=locked.request, name="release_output", actor=actor, reason="", now=now, facts=released_table
        )
        if not case.table_jobs.exclude(state=JobState.RELEASED).exists():
            workflow.transition(case=case, name="close", actor=actor, reason="", now=now)
        # Last, so that nothing after it can roll the release back once table.json says it happened.
        documents[0].write()
    return locked


def output_return(*, job: TableJob, actor, reason: str, now: datetime | None = None) -> TableJob:
    """The checker sends the output back to the officer, saying why; nothing is released."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the output is returned; the officer needs it to fix the table.")})

    def returned(locked: TableJob, now: datetime) -> None:
        locked.checked_by = actor
        locked.checked_at = now
        locked.return_reason = reason

    with transaction.atomic():
        locked = job_transition(job_id=job.pk, name="return", actor=actor, reason=reason, now=now, apply=returned)
        ledger.drop_hold(holder_of(locked))
        occurrence = f"job-{locked.pk}-run-{locked.run}-returned"
        notifications.record("output_returned", case=locked.request, actor=actor, occurrence=occurrence)
    return locked


def job_note_add(*, job: TableJob, actor, body: str, now: datetime | None = None) -> JobNote:
    """An output checker writes a note on a table, for the other checkers (never shown to the requester)."""
    if not permissions.user_is_output_checker(actor):
        raise PermissionDenied
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    note = JobNote(job=job, author=actor, run=job.run, body=body, created_at=now or timezone.now())
    save_with_history(
        note,
        actor=actor,
        event=EventType.JOB_NOTE_ADDED,
        case_id=job.request_id,
        payload={"job": job.pk, "run": job.run},
    )
    return note


def output_download_record(*, job: TableJob, user, file_name: str) -> OutputDownload:
    """Log one download (who, when, which file, which checksum) before the file is sent."""
    return OutputDownload.objects.create(job=job, user=user, file_name=file_name, sha256=job.files[file_name]["sha256"])
