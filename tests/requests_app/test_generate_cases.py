"""``generate_cases``: the benchmark's synthetic cases are the rows the services would have written."""

import itertools
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from portal import trail
from portal.models import AuditEvent, User
from portal.roles import Role
from requests_app import clock, selectors
from requests_app.models import (
    Clarification,
    DataRequest,
    Decision,
    ReferenceSequence,
    Status,
    TableSpecification,
)
from requests_app.permissions import requests_visible_to
from requests_app.production.models import TableJob
from requests_app.services import intake, review
from requests_app.workflow import OPEN_STATES, TRANSITIONS
from tests import factories
from tests.requests_app.pages import client_for

CASES = 300


@pytest.fixture(scope="module")
def _generated_once(django_db_setup, django_db_blocker):
    """The cases are generated once for the module (about 17 s), inside a transaction rolled back after it:
    each test runs in a savepoint of its own on top of them."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("generate_cases", cases=CASES, officers=5, seed=7, stdout=open("/dev/null", "w"))  # noqa: SIM115
        yield
        transaction.set_rollback(True)


@pytest.fixture
def generated(_generated_once, db):
    return DataRequest.objects.all()


def test_generate_cases_makes_a_realistic_mix_of_states(generated):
    statuses = Counter(generated.values_list("status", flat=True))
    assert sum(statuses.values()) == CASES
    decided = statuses[Status.CLOSED] + statuses[Status.REFUSED] + statuses[Status.RELEASED]
    assert decided > CASES * 0.6
    assert 0 < sum(statuses[state] for state in OPEN_STATES) < CASES * 0.2
    assert statuses[Status.DRAFT] > 0 and statuses[Status.WITHDRAWN] > 0


def test_generated_rows_hold_the_models_constraints(generated):
    for model in (DataRequest, Clarification, Decision, TableJob):
        for row in model.objects.all():
            row.validate_constraints()


def test_generated_references_are_sequential_per_year_and_the_next_submission_follows(generated):
    references = list(generated.exclude(status=Status.DRAFT).values_list("reference", flat=True))
    assert all(re.fullmatch(r"DA-\d{4}-\d{5}", reference) for reference in references)
    assert len(set(references)) == len(references)
    per_year = Counter(reference[3:7] for reference in references)
    for year, count in per_year.items():
        assert ReferenceSequence.objects.get(year=int(year)).last_number == count
    assert not generated.filter(status=Status.DRAFT, reference__isnull=False).exists()

    case = factories.make_request(status=Status.RECEIVED)
    year = timezone.localtime(case.received_at).year
    assert case.reference == f"DA-{year}-{per_year.get(str(year), 0) + 1:05d}"


def test_generated_clocks_are_the_clock_modules(generated):
    for case in generated.exclude(status=Status.DRAFT):
        assert case.due_at == clock.explain(case).due_at, case.reference
        assert case.received_at >= case.created_at
    # A question waiting for the requester is exactly the cases awaiting them.
    open_questions = set(Clarification.objects.filter(answered_at__isnull=True).values_list("request_id", flat=True))
    assert open_questions == set(generated.filter(status=Status.AWAITING_REQUESTER).values_list("pk", flat=True))


def test_generated_letters_are_the_ones_the_services_write(generated):
    """Acknowledgements and decision letters read as ``request_submit`` and ``decision_propose`` would have
    written them for the same case: same template, same context, every table listed."""
    decisions = Decision.objects.select_related("request").prefetch_related("provisions").order_by("pk")[:60]
    assert decisions
    for decision in decisions:
        case = decision.request
        assert decision.letter == review.render_decision_letter(
            case, outcome=decision.outcome, reasons=decision.reasons, provisions=decision.provisions.all()
        ), case.reference
        with translation.override(case.language):
            tables = selectors.specification_rows(case)
        assert tables
        for number, table in enumerate(tables, start=1):
            assert f"{number}. {table.dataset} — {table.measure}" in decision.letter
    for case in generated.exclude(status=Status.DRAFT)[:60]:
        case.due_at = clock.due_at(received_at=case.received_at)  # the acknowledgement gives the due date at filing
        assert case.acknowledgement == intake.render_acknowledgement(case), case.reference


def test_generated_checklists_hold_only_the_criteria_that_apply(generated):
    for case in generated.exclude(status=Status.DRAFT).prefetch_related("assessments")[:150]:
        applicable = set(review.criteria_for(case))
        assert {finding.criterion for finding in case.assessments.all()} <= applicable, case.reference
        if case.status in (Status.PRODUCING, Status.OUTPUT_CHECKING, Status.RELEASED):
            assert {finding.criterion for finding in case.assessments.all()} == applicable, case.reference


def test_generated_histories_move_only_along_the_workflows_transitions(generated):
    allowed = {(source, spec.target or source) for spec in TRANSITIONS.values() for source in spec.sources}
    for case in generated.exclude(status=Status.DRAFT)[:150]:
        statuses = [entry.status for entry in selectors.status_timeline(case)]
        assert statuses[0] == Status.DRAFT, case.reference
        for move in itertools.pairwise(statuses):
            assert move in allowed, (case.reference, move)


def test_generated_decisions_match_the_states(generated):
    signed = set(Decision.objects.filter(signed_off_at__isnull=False).values_list("request_id", flat=True))
    decided = {Status.REFUSED, Status.PRODUCING, Status.OUTPUT_CHECKING, Status.RELEASED, Status.CLOSED}
    assert signed == set(generated.filter(status__in=decided).values_list("pk", flat=True))
    pending = set(Decision.objects.filter(signed_off_at__isnull=True).values_list("request_id", flat=True))
    assert pending == set(generated.filter(status=Status.DECISION_PROPOSED).values_list("pk", flat=True))
    assert not Decision.objects.filter(outcome="refused", provisions__isnull=True).exists()
    produced = set(TableJob.objects.values_list("request_id", flat=True))
    assert produced == set(
        generated.filter(status__in=decided - {Status.REFUSED}).values_list("pk", flat=True)
    )  # fmt: skip


def test_an_assigned_officer_sees_exactly_their_cases(generated):
    officer = User.objects.get(email="bench-officer-00001@bench.example")
    theirs = set(generated.filter(assigned_to=officer).values_list("pk", flat=True))
    assert theirs
    assert set(selectors.workspace_cases(officer).values_list("pk", flat=True)) == theirs

    mine = generated.filter(assigned_to=officer, status__in=OPEN_STATES).count()
    response = client_for(officer).get(reverse("workspace:queue"), {"queue": "all"})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == len(theirs)
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts["mine"] == mine


def test_a_generated_requester_sees_exactly_their_own_cases(generated):
    requester = User.objects.get(email="bench-requester-00001@bench.example")
    assert requester.has_role(Role.REQUESTER)
    own = set(generated.filter(requester=requester).values_list("pk", flat=True))
    assert own and set(requests_visible_to(requester).values_list("pk", flat=True)) == own


def test_generated_cases_have_their_history(generated):
    history = DataRequest.history.model.objects
    assert history.count() >= 8 * generated.exclude(status=Status.DRAFT).count()
    assert TableSpecification.history.count() == TableSpecification.objects.count()
    for case in generated.exclude(status=Status.DRAFT)[:50]:
        first = case.history.order_by("history_date", "history_id").first()
        assert first.history_type == "+" and first.history_user_id == case.requester_id
        assert selectors.status_timeline(case)[-1].status == case.status


def test_generate_cases_refuses_a_database_with_real_cases_unless_forced(db):
    factories.make_request(status=Status.RECEIVED)
    with pytest.raises(CommandError, match="did not create"):
        call_command("generate_cases", cases=10, officers=2, seed=1)
    call_command("generate_cases", cases=10, officers=2, seed=1, force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert DataRequest.objects.count() == 10


def test_generated_cases_have_the_audit_trail_their_moves_write_and_it_verifies(generated):
    history_status = dict(DataRequest.history.values_list("history_id", "status"))
    for case in generated.exclude(status=Status.DRAFT)[:150]:
        statuses = [record.status for record in case.history.order_by("history_date", "history_id")]
        changes = [status for status, _ in itertools.groupby(statuses)]
        timeline = [status for status, _ in itertools.groupby(e.status for e in selectors.status_timeline(case))]
        assert timeline == changes, case.reference  # an extension's notice keeps the status it was given in
    for move in AuditEvent.objects.values_list("payload", flat=True):
        assert history_status[move["history"]] == move["to"]
    assert trail.check_chain(AuditEvent.objects.order_by("sequence")).intact
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert f"holds: {AuditEvent.objects.count()} events" in out.getvalue()
