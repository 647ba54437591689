"""The table job's transition table and ``job_transition``, the one function that writes ``TableJob.state``."""

import pytest
from django.core.exceptions import PermissionDenied

from portal.models import AuditEvent
from portal.roles import Role
from requests_app.models import Status
from requests_app.production import jobs
from requests_app.production.workflow import JOB_TRANSITIONS, JobTransitionError, job_transition
from requests_app.states import (
    JOB_CLAIMABLE_STATES,
    JOB_RERUNNABLE_STATES,
    JOB_WITH_FILES_STATES,
    JobState,
)
from requests_app.workflow import TRANSITIONS, TransitionError
from stats_app.models import Dataset
from tests import factories


def test_every_job_state_is_reached_and_left_as_the_sets_say():
    targets = {spec.target for spec in JOB_TRANSITIONS.values()}
    sources = set().union(*(spec.sources for spec in JOB_TRANSITIONS.values()))
    # Queued is also where a job starts; released is the only state no move leaves.
    assert targets | {JobState.QUEUED} == set(JobState)
    assert set(JobState) - sources == {JobState.RELEASED}
    assert JOB_TRANSITIONS["start"].sources == JOB_TRANSITIONS["fail"].sources == JOB_CLAIMABLE_STATES
    assert JOB_TRANSITIONS["rerun"].sources == JOB_RERUNNABLE_STATES
    for name in ("review", "release", "return"):
        assert JOB_TRANSITIONS[name].sources <= JOB_WITH_FILES_STATES


def test_production_starts_from_the_states_the_case_s_table_says():
    assert jobs.PRODUCING_OUTCOMES is TRANSITIONS["start_production"].sources


def test_a_refused_job_move_is_a_transition_error():
    assert issubclass(JobTransitionError, TransitionError)


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.usefixtures("warehouse")
def test_a_move_from_the_wrong_state_or_for_an_old_run_changes_nothing():
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = factories.make_request(
        status=Status.OUTPUT_CHECKING, officer=officer, dataset=Dataset.objects.get(code="medical_services")
    )
    job = case.table_jobs.get()
    versions = job.history.count()

    checker = factories.make_user(role=Role.OUTPUT_CHECKER)

    with pytest.raises(JobTransitionError):
        job_transition(job_id=job.pk, name="finish", actor=None, run=job.run)  # not running
    with pytest.raises(JobTransitionError):
        job_transition(job_id=job.pk, name="release", actor=checker, run=job.run + 1)  # a later run was queued
    with pytest.raises(PermissionDenied):
        job_transition(job_id=job.pk, name="release", actor=officer)  # four eyes: the officer worked the case
    with pytest.raises(PermissionDenied):
        job_transition(job_id=job.pk, name="rerun", actor=officer)  # ready for checking: nothing to run again

    job.refresh_from_db()
    assert job.state == JobState.READY_FOR_CHECKING
    assert job.history.count() == versions


@pytest.mark.django_db(databases=["default", "warehouse"])
@pytest.mark.usefixtures("warehouse")
def test_a_move_records_its_audit_event_with_the_actor():
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    case = factories.make_request(status=Status.OUTPUT_CHECKING, dataset=Dataset.objects.get(code="medical_services"))
    job = case.table_jobs.get()

    jobs.output_return(job=job, actor=checker, reason="Too many suppressed cells.")

    latest = job.history.order_by("-history_id").first()
    assert latest.state == JobState.RETURNED
    assert latest.history_user == checker
    assert latest.history_change_reason == "Too many suppressed cells."  # the checker's words, no event code
    returned = AuditEvent.objects.get(
        target_type="requests_app.tablejob", target_id=str(job.pk), event_type="output.returned"
    )
    assert (returned.actor_id, returned.case_id) == (checker.pk, case.pk)
    assert returned.payload == {
        "transition": "return",
        "from": JobState.READY_FOR_CHECKING,
        "to": JobState.RETURNED,
        "run": job.run,
        "history": latest.history_id,
        "note": "Too many suppressed cells.",
    }
