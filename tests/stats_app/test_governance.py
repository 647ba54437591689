"""A dataset's disclosure settings change under four eyes (issue: governed disclosure settings).

One lead proposes, another approves, and only then does the dataset change, with
history and audit events. Nobody lowers a threshold below the agency's floor, and
nobody edits the settings directly in the admin.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from portal import trail
from portal.models import AuditEvent
from portal.roles import Role
from stats_app import governance
from stats_app.models import Dataset, DisclosureSettingsChange
from tests import factories
from tests.requests_app.pages import client_for

pytestmark = pytest.mark.django_db

Outcome = DisclosureSettingsChange.Outcome


@pytest.fixture(autouse=True)
def english():
    """The messages below are quoted in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def leads():
    return [factories.make_user(role=Role.ACCESS_LEAD, is_staff=True) for _ in range(2)]


def settings_with(dataset: Dataset, **changes) -> dict:
    return {**governance.current_settings(dataset), **changes}


def propose(dataset, lead, reason="Regional tables need more protection.", **changes):
    return governance.propose(dataset=dataset, actor=lead, values=settings_with(dataset, **changes), reason=reason)


def test_a_proposal_changes_nothing_until_a_second_lead_approves_it(dataset, leads):
    proposer, approver = leads
    change = propose(dataset, proposer, threshold=10)
    dataset.refresh_from_db()
    assert dataset.threshold == 5 and change.outcome == Outcome.PENDING

    governance.decide(change=change, actor=approver, approve=True)
    dataset.refresh_from_db()
    change.refresh_from_db()
    assert dataset.threshold == 10
    assert (change.outcome, change.decided_by) == (Outcome.APPROVED, approver)
    # The change is in the dataset's history, and both steps are in the audit trail.
    assert [h.threshold for h in dataset.history.order_by("history_date")][-2:] == [5, 10]
    events = AuditEvent.objects.filter(target_type="stats_app.disclosuresettingschange").order_by("sequence")
    assert [e.event_type for e in events] == [
        trail.EventType.SETTINGS_CHANGE_PROPOSED,
        trail.EventType.SETTINGS_CHANGE_APPROVED,
    ]
    assert events.last().payload == {"dataset": dataset.code, "changes": {"threshold": [5, 10]}}


def test_the_proposer_cannot_approve_their_own_proposal(dataset, leads):
    change = propose(dataset, leads[0], threshold=10)
    with pytest.raises(ValidationError, match="another lead"):
        governance.decide(change=change, actor=leads[0], approve=True)
    # Nor can anything else write it: the database holds the four-eyes rule.
    change.outcome, change.decided_by, change.decided_at = Outcome.APPROVED, leads[0], timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        change.save()
    dataset.refresh_from_db()
    assert dataset.threshold == 5


def test_only_leads_propose_and_decide(dataset, leads):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, is_staff=True)
    with pytest.raises(PermissionDenied):
        propose(dataset, officer, threshold=10)
    change = propose(dataset, leads[0], threshold=10)
    with pytest.raises(PermissionDenied):
        governance.decide(change=change, actor=officer, approve=True)
    assert not governance.may_decide(officer, change) and governance.may_decide(leads[1], change)


def test_a_threshold_below_the_agencys_floor_is_refused_naming_the_field(dataset, leads, settings):
    with pytest.raises(ValidationError) as refused:
        propose(dataset, leads[0], threshold=2)
    assert "minimum cell count is 5" in refused.value.message_dict["threshold"][0]
    with pytest.raises(ValidationError) as refused:
        propose(dataset, leads[0], rounding_base=2)
    assert "rounding_base" in refused.value.message_dict
    settings.DISCLOSURE_MIN_THRESHOLD = 8
    with pytest.raises(ValidationError) as refused:
        propose(dataset, leads[0], threshold=7)
    assert "minimum cell count is 8" in refused.value.message_dict["threshold"][0]
    assert not DisclosureSettingsChange.objects.exists()


def test_a_floor_raised_after_the_proposal_refuses_its_approval(dataset, leads, settings):
    change = propose(dataset, leads[0], threshold=6)
    settings.DISCLOSURE_MIN_THRESHOLD = 7
    with pytest.raises(ValidationError, match="minimum cell count is 7"):
        governance.decide(change=change, actor=leads[1], approve=True)
    dataset.refresh_from_db()
    assert dataset.threshold == 5


def test_a_protection_level_narrower_than_the_threshold_is_refused(dataset, leads):
    with pytest.raises(ValidationError) as refused:
        propose(dataset, leads[0], protection_level=3)
    assert "protection_level" in refused.value.message_dict


def test_one_open_proposal_per_dataset(dataset, leads):
    propose(dataset, leads[0], threshold=10)
    with pytest.raises(ValidationError, match="already awaits a decision"):
        propose(dataset, leads[1], threshold=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        DisclosureSettingsChange.objects.create(
            dataset=dataset,
            current={},
            proposed={},
            reason="x",
            proposed_by=leads[1],
            proposed_at=timezone.now(),
        )


def test_a_proposal_the_dataset_moved_away_from_is_refused_naming_the_setting(dataset, leads):
    change = propose(dataset, leads[0], threshold=10)
    Dataset.objects.filter(pk=dataset.pk).update(publish_zeros=False)
    with translation.override("en"), pytest.raises(ValidationError, match="zeros are publishable changed since"):
        governance.decide(change=change, actor=leads[1], approve=True)
    dataset.refresh_from_db()
    assert dataset.threshold == 5


def test_a_rejection_needs_a_reason_and_leaves_the_settings(dataset, leads):
    change = propose(dataset, leads[0], threshold=10)
    with pytest.raises(ValidationError) as refused:
        governance.decide(change=change, actor=leads[1], approve=False, rejection_reason="  ")
    assert "rejection_reason" in refused.value.message_dict
    governance.decide(change=change, actor=leads[1], approve=False, rejection_reason="Ten hides too much.")
    change.refresh_from_db()
    dataset.refresh_from_db()
    assert (change.outcome, dataset.threshold) == (Outcome.REJECTED, 5)
    with pytest.raises(ValidationError, match="already decided"):
        governance.decide(change=change, actor=leads[1], approve=True)


def test_a_proposal_that_changes_nothing_or_gives_no_reason_is_refused(dataset, leads):
    with pytest.raises(ValidationError) as refused:
        propose(dataset, leads[0])
    assert "already" in refused.value.message_dict["threshold"][0]
    with pytest.raises(ValidationError) as refused:
        propose(dataset, leads[0], reason=" ", threshold=10)
    assert "reason" in refused.value.message_dict


# --- The admin ------------------------------------------------------------------------------------------------


def test_the_dataset_page_shows_the_settings_read_only_and_a_post_cannot_change_them(dataset, leads):
    client = client_for(leads[0])
    page = client.get(reverse("admin:stats_app_dataset_change", args=[dataset.pk])).content.decode()
    assert 'name="threshold"' not in page
    assert "Propose a change to the disclosure settings" in page
    form = {
        "code": dataset.code,
        "name_fr": dataset.name_fr,
        "name_en": "Renamed",
        "custodian": dataset.custodian_id,
        "is_active": "on",
        "dimensions": [d.pk for d in dataset.dimensions.all()],
        "threshold": "2",
        "measures-TOTAL_FORMS": "0",
        "measures-INITIAL_FORMS": "0",
    }
    client.post(reverse("admin:stats_app_dataset_change", args=[dataset.pk]), form)
    dataset.refresh_from_db()
    assert dataset.threshold == 5


def test_a_new_dataset_starts_at_or_above_the_floors(leads, dataset):
    client = client_for(leads[0])
    form = {
        "code": "t_new",
        "name_fr": "Nouveau",
        "name_en": "New",
        "custodian": dataset.custodian_id,
        "disclosure_policy": "suppression",
        "threshold": "3",
        "dominance_n": "2",
        "dominance_k": "85",
        "p_percent": "10",
        "rounding_base": "5",
        "measures-TOTAL_FORMS": "0",
        "measures-INITIAL_FORMS": "0",
    }
    page = client.post(reverse("admin:stats_app_dataset_add"), form)
    assert page.status_code == 200 and "minimum cell count is 5" in page.content.decode()
    assert not Dataset.objects.filter(code="t_new").exists()


def test_a_lead_proposes_in_the_admin_and_another_approves(dataset, leads):
    proposer, approver = (client_for(lead) for lead in leads)
    propose_url = reverse("admin:stats_app_dataset_propose_settings", args=[dataset.pk])
    form = {**{k: v for k, v in governance.current_settings(dataset).items() if v is not None}, "publish_zeros": "on"}

    # A threshold under the floor: the page names the field and keeps what was typed.
    page = proposer.post(propose_url, {**form, "threshold": "3", "reason": "More detail for researchers."})
    text = page.content.decode()
    assert page.status_code == 200 and "minimum cell count is 5" in text
    assert "More detail for researchers." in text and 'value="3"' in text

    answer = proposer.post(propose_url, {**form, "threshold": "8", "reason": "Small regions."})
    change = DisclosureSettingsChange.objects.get()
    assert answer.status_code == 302
    change_url = reverse("admin:stats_app_disclosuresettingschange_change", args=[change.pk])
    assert 'id="settings-decision-form"' not in proposer.get(change_url).content.decode()

    decide_url = reverse("admin:stats_app_disclosuresettingschange_decide", args=[change.pk])
    page = approver.post(decide_url, {"decision": "reject", "rejection_reason": ""})
    assert "Say why the change is rejected" in page.content.decode()
    approver.post(decide_url, {"decision": "approve"})
    dataset.refresh_from_db()
    assert dataset.threshold == 8


def test_an_officer_cannot_reach_the_proposal_page(dataset):
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, is_staff=True)
    answer = client_for(officer).get(reverse("admin:stats_app_dataset_propose_settings", args=[dataset.pk]))
    assert answer.status_code == 403
