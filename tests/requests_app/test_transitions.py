"""Every transition of the workflow table: refused from every other state, and for every other role."""

import pytest
from django.core.exceptions import PermissionDenied

from portal.roles import Role
from requests_app import workflow
from requests_app.models import DataRequest, Status
from stats_app.models import Custodian
from tests import factories

# Cases from output checking on run their jobs on the warehouse.
pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]

#: The states the builder reaches through the services (``approved`` below: the table's own move).
REACHABLE = [
    Status.DRAFT,
    Status.RECEIVED,
    Status.UNDER_REVIEW,
    Status.AWAITING_REQUESTER,
    Status.DECISION_PROPOSED,
    Status.APPROVED,
    Status.REFUSED,
    Status.PRODUCING,
    Status.OUTPUT_CHECKING,
    Status.RELEASED,
    Status.CLOSED,
    Status.WITHDRAWN,
]


def reach(state, **fields):
    """A case in ``state``. The services leave ``approved`` at once for ``producing``; the workflow's own
    sign-off move, without the production the service adds, stops there."""
    if state != Status.APPROVED:
        return factories.make_request(status=state, **fields)
    case = factories.make_request(status=Status.DECISION_PROPOSED, **fields)
    lead = factories.make_user(role=Role.ACCESS_LEAD)
    return workflow.transition(case=case, name="sign_off_approved", actor=lead, reason="")


#: Who may fire each transition, by the part they play in the case.
ALLOWED = {
    "submit": {"requester"},
    "withdraw": {"requester"},
    "answer_clarification": {"requester"},
    "assign": {"lead"},
    "reassign": {"lead"},
    "ask_clarification": {"officer", "lead"},
    "extend": {"officer", "lead"},
    "consult_custodian": {"officer", "lead"},
    "propose_decision": {"officer", "lead"},
    "return_decision": {"lead"},
    "sign_off_approved": {"lead"},
    "sign_off_partially_approved": {"lead"},
    "sign_off_refused": {"lead"},
    "start_production": {"lead"},
    # Only the system (a worker reporting that the files are ready) moves a case to output checking.
    "outputs_ready": set(),
    "release_output": {"output checker"},
    "close": {"output checker"},
}


def test_the_table_and_this_test_name_the_same_transitions():
    assert set(ALLOWED) == set(workflow.TRANSITIONS)


@pytest.mark.parametrize(
    ("name", "state"),
    [(name, state) for name, spec in workflow.TRANSITIONS.items() for state in REACHABLE if state not in spec.sources],
)
def test_a_transition_is_refused_from_every_other_state(name, state):
    case = reach(state)
    superuser = factories.make_user(role=Role.ACCESS_LEAD, is_superuser=True)

    with pytest.raises(workflow.TransitionError):
        workflow.transition(case=case, name=name, actor=superuser, reason="test")
    assert DataRequest.objects.get(pk=case.pk).status == state


def people(case, officer) -> dict[str, object]:
    return {
        "requester": case.requester,
        "another requester": factories.make_user(),
        "officer": officer,
        "another officer": factories.make_user(role=Role.PRIVACY_OFFICER),
        "lead": factories.make_user(role=Role.ACCESS_LEAD),
        "custodian": factories.make_user(role=Role.DATA_CUSTODIAN, custodian=Custodian.objects.get(code="msss")),
        "output checker": factories.make_user(role=Role.OUTPUT_CHECKER),
        "auditor": factories.make_user(role=Role.AUDITOR),
    }


@pytest.mark.parametrize("name", sorted(workflow.TRANSITIONS))
def test_a_transition_is_allowed_for_its_roles_and_refused_for_every_other(name):
    spec = workflow.TRANSITIONS[name]
    # Under review when possible: the officer is assigned there.
    state = (
        Status.UNDER_REVIEW if Status.UNDER_REVIEW in spec.sources else next(s for s in REACHABLE if s in spec.sources)
    )
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    case = reach(state, officer=officer)

    for part, person in people(case, officer).items():
        if part in ALLOWED[name]:
            assert spec.may_fire(person, case), f"{part} should be allowed to {name}"
        else:
            with pytest.raises(PermissionDenied):
                workflow.transition(case=case, name=name, actor=person, reason="test")
    assert DataRequest.objects.get(pk=case.pk).status == state


def test_only_the_system_reports_outputs_ready():
    case = reach(Status.PRODUCING)

    moved = workflow.transition(case=case, name="outputs_ready", actor=None, reason="")

    assert moved.status == Status.OUTPUT_CHECKING
    assert moved.history.first().history_user is None
