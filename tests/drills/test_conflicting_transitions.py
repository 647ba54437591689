"""Drill: two people fire conflicting moves on one case at the same moment.

Each move runs in a thread of its own, with its own PostgreSQL connection. The
test holds the case's row lock while both threads start, so that both have read
the case and both wait on the lock at once; then it lets go. Exactly one move
wins, the other is refused with a ``TransitionError``, the history records the
winning move once and the losing one not at all, and the case is consistent.
(Two leads assigning at once: ``tests/requests_app/test_assignment.py``.)
"""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from portal.models import AuditEvent
from portal.roles import Role
from requests_app import services
from requests_app.models import Clarification, DataRequest, Decision, Notification, Status
from requests_app.production.models import TableJob
from requests_app.workflow import TransitionError
from tests import factories
from tests.worker import wait_for

pytestmark = [pytest.mark.drill, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees the activity of its start
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(case: DataRequest, moves: dict[str, Callable[[], object]]) -> dict[str, str]:
    """Fire ``moves`` at once on ``case``; returns each move's outcome: ``"won"`` or the refusal's class name."""
    barrier = threading.Barrier(len(moves))
    outcomes: dict[str, str] = {}

    def fire(name: str, move: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            move()
            outcomes[name] = "won"
        except TransitionError as error:
            outcomes[name] = type(error).__name__
        except Exception as error:  # noqa: BLE001 - any other failure is reported by the assertions
            outcomes[name] = f"crashed: {type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=fire, args=item) for item in moves.items()]
    with transaction.atomic():
        # The gate: while this transaction holds the row, both moves start and block on it.
        DataRequest.objects.select_for_update().get(pk=case.pk)
        for thread in threads:
            thread.start()
        wait_for(lambda: _waiting_on_locks() >= len(moves), timeout=30, message="both moves to wait on the case")
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a move hangs"
    return outcomes


def winner_of(outcomes: dict[str, str]) -> str:
    assert sorted(outcomes.values()) == ["TransitionError", "won"], outcomes
    return next(name for name, outcome in outcomes.items() if outcome == "won")


def history_events(case: DataRequest) -> list[str]:
    """The audit events recorded on the case (its own moves, not its tables'), oldest first."""
    events = AuditEvent.objects.filter(case_id=case.pk, target_type="requests_app.datarequest").order_by("sequence")
    return list(events.values_list("event_type", flat=True))


def assert_consistent(case: DataRequest) -> None:
    """The row passes every model check and constraint (the database has them too; this names the one broken)."""
    case.refresh_from_db()
    case.full_clean()
    assert case.reference and case.received_at and case.due_at


@pytest.mark.parametrize("round_", range(3))
def test_a_proposal_and_a_question_at_once_exactly_one_wins(round_):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    lead = factories.make_user(role=Role.ACCESS_LEAD)
    case = factories.make_request(status=Status.UNDER_REVIEW, officer=officer)
    for criterion in services.criteria_for(case):
        services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome="met")
    seen = DataRequest.objects.get(pk=case.pk)

    outcomes = race(
        case,
        {
            "propose": lambda: services.decision_propose(
                case=seen, actor=officer, outcome="approved", reasons="", provisions=[]
            ),
            "ask": lambda: services.clarification_ask(case=seen, actor=lead, question="Which years exactly?"),
        },
    )

    winner = winner_of(outcomes)
    case.refresh_from_db()
    events = history_events(case)
    if winner == "propose":
        assert case.status == Status.DECISION_PROPOSED
        assert Decision.objects.filter(request=case).count() == 1
        assert not Clarification.objects.filter(request=case).exists()
        assert events.count("decision.proposed") == 1 and "clarification.asked" not in events
        assert Notification.objects.filter(request=case, notice="decision_proposed").exists()
        assert not Notification.objects.filter(request=case, notice="clarification_asked").exists()
    else:
        assert case.status == Status.AWAITING_REQUESTER
        assert Clarification.objects.filter(request=case).count() == 1
        assert not Decision.objects.filter(request=case).exists()
        assert events.count("clarification.asked") == 1 and "decision.proposed" not in events
        assert Notification.objects.filter(request=case, notice="clarification_asked").count() == 1
        assert not Notification.objects.filter(request=case, notice="decision_proposed").exists()
    assert_consistent(case)


def test_a_sign_off_and_a_send_back_at_once_exactly_one_wins(drill_redis):
    case = factories.make_request(status=Status.DECISION_PROPOSED)
    signer, returner = (factories.make_user(role=Role.ACCESS_LEAD) for _ in range(2))
    seen = DataRequest.objects.get(pk=case.pk)
    proposal = Decision.objects.get(request=case)

    outcomes = race(
        case,
        {
            "sign": lambda: services.decision_sign_off(case=seen, actor=signer, decision=proposal),
            "return": lambda: services.decision_return(
                case=seen, actor=returner, reason="Check the criteria again.", decision=proposal
            ),
        },
    )

    winner = winner_of(outcomes)
    case.refresh_from_db()
    proposal.refresh_from_db()
    events = history_events(case)
    if winner == "sign":
        # An approval signed off starts production: its jobs exist once, nothing was sent back.
        assert case.status == Status.PRODUCING
        assert proposal.signed_off_by == signer and proposal.returned_at is None
        assert TableJob.objects.filter(request=case).count() == case.specifications.count()
        assert events.count("decision.signed_off") == 1 and "decision.returned" not in events
    else:
        assert case.status == Status.UNDER_REVIEW
        assert proposal.returned_by == returner and proposal.signed_off_at is None
        assert not TableJob.objects.filter(request=case).exists()
        assert events.count("decision.returned") == 1 and "decision.signed_off" not in events
    proposal.full_clean()
    assert_consistent(case)


def test_two_leads_signing_off_at_once_sign_once_and_produce_once(drill_redis):
    case = factories.make_request(status=Status.DECISION_PROPOSED, tables=2)
    leads = [factories.make_user(role=Role.ACCESS_LEAD) for _ in range(2)]
    seen = DataRequest.objects.get(pk=case.pk)
    proposal = Decision.objects.get(request=case)

    outcomes = race(
        case,
        {
            f"lead {index}": (lambda lead=lead: services.decision_sign_off(case=seen, actor=lead, decision=proposal))
            for index, lead in enumerate(leads)
        },
    )

    winner = leads[int(winner_of(outcomes).split()[-1])]
    case.refresh_from_db()
    proposal.refresh_from_db()
    assert case.status == Status.PRODUCING
    assert proposal.signed_off_by == winner
    assert TableJob.objects.filter(request=case).count() == 2
    assert history_events(case).count("decision.signed_off") == 1
    assert history_events(case).count("production.started") == 1
    assert Notification.objects.filter(request=case, notice="decision_sent").count() == 1
    assert_consistent(case)
