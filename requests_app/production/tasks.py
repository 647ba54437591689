"""Celery tasks of production: thin, safe to repeat (STYLE §6)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from requests_app.production import jobs
from stats_app.warehouse import engines

#: Errors worth another try: the warehouse or the case database was briefly unreachable, or the embedded
#: warehouse's file was locked by a load.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, *engines.transient_errors())
#: Seconds before the first retry; doubles each time, capped.
RETRY_BASE_SECONDS = 15
RETRY_MAX_SECONDS = 600


# The name it had in stats_app: messages already queued, and workers of the previous release, keep working.
@shared_task(name="stats_app.tasks.run_table_job", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def run_table_job(self, *, job_id: int, run: int) -> None:
    """Produce one table job's files. A killed worker's message comes back and the job runs again."""
    try:
        jobs.job_run(job_id=job_id, run=run)
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= self.max_retries:
            jobs.job_fail(job_id=job_id, run=run, error=f"Gave up after {self.request.retries + 1} attempts: {error}")
            return
        countdown = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**self.request.retries)
        raise self.retry(exc=error, countdown=countdown) from error
    except Exception as error:
        # A bug or bad data is not retried: the job fails, visible to staff with its error and a retry button.
        jobs.job_fail(job_id=job_id, run=run, error=f"{type(error).__name__}: {error}")
        raise
