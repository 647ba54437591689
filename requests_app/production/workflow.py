"""The life of a table job, as data: shaped like the case's ``requests_app.workflow``.

``JOB_TRANSITIONS`` lists every allowed move of a job: from which states, to
which state, who may fire it, and the audit event it writes to the trail.
``job_transition`` is the one function that writes ``TableJob.state``: it locks
the job's row, checks the run, the state and the actor, applies the caller's
changes and saves them with the history and the audit event.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app import permissions
from requests_app.history import save_with_history
from requests_app.production.models import TableJob
from requests_app.states import JOB_CLAIMABLE_STATES, JOB_RERUNNABLE_STATES, JobState
from requests_app.workflow import TransitionError


class JobTransitionError(TransitionError):
    """The move is not allowed from the job's current state, or the job has been queued again since."""


@dataclass(frozen=True)
class JobTransition:
    name: str
    sources: frozenset[JobState]
    target: JobState
    may_fire: Callable[..., bool]
    audit_event: str
    label: str = ""


def _system(actor, job: TableJob) -> bool:
    """Moves no person fires: the worker claiming, finishing or failing a job."""
    return permissions.is_system(actor, job.request)


JOB_TRANSITIONS: dict[str, JobTransition] = {
    t.name: t
    for t in (
        # RUNNING among the sources: a worker died mid-job and the message came back.
        JobTransition("start", JOB_CLAIMABLE_STATES, JobState.RUNNING, _system, "job.started", _("Running")),
        JobTransition(
            "finish",
            frozenset({JobState.RUNNING}),
            JobState.READY_FOR_CHECKING,
            _system,
            "job.ready_for_checking",
            _("Ready for checking"),
        ),
        JobTransition("fail", JOB_CLAIMABLE_STATES, JobState.FAILED, _system, "job.failed", _("Failed")),
        JobTransition(
            "rerun",
            JOB_RERUNNABLE_STATES,
            JobState.QUEUED,
            permissions.user_can_rerun_job,
            "job.queued",
            _("Run again"),
        ),
        # The first of two independent checks: recorded, the table stays with the checkers.
        JobTransition(
            "review",
            frozenset({JobState.READY_FOR_CHECKING}),
            JobState.READY_FOR_CHECKING,
            permissions.user_can_review_job,
            "output.reviewed",
            _("Record my check"),
        ),
        JobTransition(
            "release",
            frozenset({JobState.READY_FOR_CHECKING}),
            JobState.RELEASED,
            permissions.user_can_release_job,
            "output.released",
            _("Release"),
        ),
        JobTransition(
            "return",
            frozenset({JobState.READY_FOR_CHECKING}),
            JobState.RETURNED,
            permissions.user_can_check_job,
            "output.returned",
            _("Return to the officer"),
        ),
    )
}


def job_transition(
    *,
    job_id: int,
    name: str,
    actor,
    reason: str | Callable[[TableJob], str] = "",
    run: int | None = None,
    now: datetime | None = None,
    apply: Callable[[TableJob, datetime], None] | None = None,
    facts: Callable[[TableJob], dict] | None = None,
) -> TableJob:
    """Fire transition ``name`` on job ``job_id`` as ``actor``; return the updated job.

    ``run`` is the run the caller acts on (a worker's message): when the job was
    queued again since, the move is refused. ``apply`` makes the caller's own
    changes on the locked row before it is saved; ``reason``, text or a function
    of the changed job, is the history's plain reason and the event's note; ``facts``, a function of the
    changed job, adds plain data (ids, counts) to the event's payload.
    Raises ``TableJob.DoesNotExist``, ``PermissionDenied`` or ``JobTransitionError``; changes nothing then.
    """
    spec = JOB_TRANSITIONS[name]
    now = now or timezone.now()
    with transaction.atomic():
        job = TableJob.objects.select_for_update(of=("self",)).select_related("request", "table").get(pk=job_id)
        # The actor first: a person's rule already names the states they may act in (a rerun of a job that
        # is not failed or returned is refused as it always was, 403); the worker's moves are checked next.
        permissions.check(spec.may_fire(actor, job))
        if run is not None and job.run != run:
            raise JobTransitionError(_("This table was queued again since (run %(run)d).") % {"run": job.run})
        if job.state not in spec.sources:
            raise JobTransitionError(
                _("“%(action)s” is not possible while the table is “%(state)s”.")
                % {"action": spec.label or spec.name, "state": job.get_state_display()}
            )
        before = job.state
        if apply is not None:
            apply(job, now)
        job.state = spec.target
        text = reason(job) if callable(reason) else reason
        payload = {"transition": spec.name, "from": before, "to": job.state, "run": job.run}
        if text:
            payload["note"] = text
        if facts is not None:
            payload |= facts(job)
        # Plain text, or nothing, in the history: the move is the audit event's.
        save_with_history(
            job, actor=actor, reason=text, event=spec.audit_event, case_id=job.request_id, payload=payload, at=now
        )
    return job
