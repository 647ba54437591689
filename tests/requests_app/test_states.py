"""The sets of states: how they relate to each other and to the workflow's table (``requests_app.states``)."""

import ast
import inspect
from itertools import combinations

import pytest

from requests_app import states
from requests_app.states import (
    APPROVED_STATES,
    CLOCK_PAUSED_STATES,
    CLOCK_RUNNING_STATES,
    CLOSED_STATES,
    DECISION_OUTCOMES,
    JOB_CHECKER_QUEUE_STATES,
    JOB_CLAIMABLE_STATES,
    JOB_RERUNNABLE_STATES,
    JOB_WITH_FILES_STATES,
    MESSAGE_CLOSED_STATES,
    OPEN_STATES,
    PRODUCTION_STATES,
    REVIEW_STATES,
    JobState,
    Status,
)
from requests_app.workflow import TRANSITIONS

#: A case is in exactly one phase of its life.
CASE_PHASES = {
    "draft": frozenset({Status.DRAFT}),
    "open": OPEN_STATES,
    "approved": APPROVED_STATES,
    "production": PRODUCTION_STATES,
    "closed": CLOSED_STATES,
}
#: A job is in exactly one of these.
JOB_PHASES = {"claimable": JOB_CLAIMABLE_STATES, "with_files": JOB_WITH_FILES_STATES, "rerun": JOB_RERUNNABLE_STATES}


@pytest.mark.parametrize("status", list(Status))
def test_status_belongs_to_exactly_one_phase(status):
    assert len([name for name, members in CASE_PHASES.items() if status in members]) == 1


@pytest.mark.parametrize("state", list(JobState))
def test_job_state_belongs_to_exactly_one_phase(state):
    assert len([name for name, members in JOB_PHASES.items() if state in members]) == 1


def test_clock_running_and_paused_split_the_open_states():
    assert CLOCK_RUNNING_STATES | CLOCK_PAUSED_STATES == OPEN_STATES
    assert not CLOCK_RUNNING_STATES & CLOCK_PAUSED_STATES
    assert Status.AWAITING_REQUESTER in CLOCK_PAUSED_STATES


def test_review_is_open_and_spans_running_and_paused_clocks():
    assert REVIEW_STATES < OPEN_STATES
    assert REVIEW_STATES & CLOCK_RUNNING_STATES and REVIEW_STATES & CLOCK_PAUSED_STATES


def test_decision_outcomes_are_the_approvals_and_the_refusal():
    assert APPROVED_STATES | {Status.REFUSED} == DECISION_OUTCOMES
    assert not DECISION_OUTCOMES & OPEN_STATES


def test_sign_off_leads_to_exactly_the_decision_outcomes():
    targets = {spec.target for name, spec in TRANSITIONS.items() if name.startswith("sign_off_")}
    assert targets == DECISION_OUTCOMES


def test_production_starts_from_the_approved_states():
    assert TRANSITIONS["start_production"].sources == APPROVED_STATES
    assert TRANSITIONS["start_production"].target in PRODUCTION_STATES


def test_withdraw_is_possible_from_the_open_states():
    assert TRANSITIONS["withdraw"].sources == OPEN_STATES


def test_closed_states_are_the_ones_no_transition_leaves():
    left = set().union(*(spec.sources for spec in TRANSITIONS.values()))
    assert set(Status) - left == CLOSED_STATES


def test_messages_close_only_outside_the_case_s_working_life():
    assert CLOSED_STATES | {Status.DRAFT} >= MESSAGE_CLOSED_STATES
    assert not MESSAGE_CLOSED_STATES & (OPEN_STATES | APPROVED_STATES | PRODUCTION_STATES)
    # A refusal may still be discussed (and contested); a withdrawn or closed case may not.
    assert Status.REFUSED not in MESSAGE_CLOSED_STATES


def test_checker_queue_is_the_produced_jobs_and_the_returned_ones():
    assert JOB_WITH_FILES_STATES | {JobState.RETURNED} == JOB_CHECKER_QUEUE_STATES
    assert not JOB_CHECKER_QUEUE_STATES & JOB_CLAIMABLE_STATES


def test_phases_are_pairwise_disjoint():
    for phases in (CASE_PHASES, JOB_PHASES):
        for (one, first), (other, second) in combinations(phases.items(), 2):
            assert not first & second, (one, other)


def test_states_module_imports_nothing_from_the_project():
    tree = ast.parse(inspect.getsource(states))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported, "the module imports Django's choices"
    assert not {name for name in imported if name.split(".")[0] in {"portal", "requests_app", "stats_app"}}
