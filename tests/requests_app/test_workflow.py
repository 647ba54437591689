from django.core.management import call_command

from requests_app.models import Status
from requests_app.workflow import OPEN_STATES, TRANSITIONS, mermaid_diagram


def test_every_transition_targets_a_known_state():
    states = set(Status)
    for spec in TRANSITIONS.values():
        assert spec.target is None or spec.target in states  # None: the action keeps the status
        assert spec.sources <= states
        assert spec.audit_event


def test_withdrawal_is_possible_only_before_a_decision():
    assert Status.APPROVED not in OPEN_STATES
    assert Status.REFUSED not in OPEN_STATES
    assert TRANSITIONS["withdraw"].sources == OPEN_STATES


def test_diagram_is_generated_from_the_table(capsys):
    call_command("workflow_diagram")
    printed = capsys.readouterr().out

    assert printed.strip() == mermaid_diagram()
    assert "draft --> received: submit" in printed
    for state in OPEN_STATES:
        assert f"{state} --> withdrawn: withdraw" in printed


def test_actions_that_keep_the_status_show_as_loops(capsys):
    diagram = mermaid_diagram()

    assert "under_review --> under_review: reassign" in diagram
    assert "received --> under_review: assign" in diagram
    assert "under_review --> awaiting_requester: ask_clarification" in diagram
    assert "awaiting_requester --> under_review: answer_clarification" in diagram


def test_the_readme_shows_the_current_diagram():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")

    assert mermaid_diagram() in readme, "run `python manage.py workflow_diagram` and paste it into README.md"
