"""A dataset's disclosure settings change under four eyes: one lead proposes, another approves.

The settings (``models.DISCLOSURE_SETTINGS``: method, threshold, zeros, dominance, p %,
protection level, rounding base) decide what every later table of the dataset may
show. So once a dataset exists they change only here:

- ``propose`` records the proposed values beside the current ones, with a reason;
- ``decide`` lets another lead approve it, which applies the values with history,
  or reject it with a reason.

Both check the agency's floors (``settings.DISCLOSURE_MIN_THRESHOLD``,
``DISCLOSURE_MIN_ROUNDING_BASE``) and run under a row lock on the dataset. A
proposal whose dataset changed since (another approved proposal) is refused,
naming the setting. The database holds the rest: one open proposal per dataset,
a decider who is not the proposer, a reason for every rejection. Every step is an
event of the audit trail, in the same transaction.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import trail
from stats_app.models import DISCLOSURE_SETTINGS, Dataset, DisclosurePolicy, DisclosureSettingsChange

PROPOSE = "stats_app.add_disclosuresettingschange"
DECIDE = "stats_app.decide_disclosuresettingschange"


def may_propose(user) -> bool:
    return user.has_perm(PROPOSE)


def may_decide(user, change: DisclosureSettingsChange) -> bool:
    """Another lead than the proposer, while the proposal is open."""
    return (
        user.has_perm(DECIDE)
        and change.outcome == DisclosureSettingsChange.Outcome.PENDING
        and change.proposed_by_id != user.pk
    )


def current_settings(dataset: Dataset) -> dict:
    return {name: getattr(dataset, name) for name in DISCLOSURE_SETTINGS}


def floor_errors(values: dict) -> dict[str, str]:
    """The settings below the agency's floors or inconsistent, by field: what to do instead."""
    errors = {}
    threshold, floor = values.get("threshold"), settings.DISCLOSURE_MIN_THRESHOLD
    if threshold is None or threshold < floor:
        errors["threshold"] = _("The agency's minimum cell count is %(floor)s. Choose %(floor)s or more.") % {
            "floor": floor
        }
    base, base_floor = values.get("rounding_base"), settings.DISCLOSURE_MIN_ROUNDING_BASE
    if base is None or base < base_floor:
        errors["rounding_base"] = _("The agency's smallest rounding base is %(floor)s. Choose %(floor)s or more.") % {
            "floor": base_floor
        }
    level = values.get("protection_level")
    if level is not None and threshold is not None and level < threshold:
        errors["protection_level"] = _(
            "The protection level may not be narrower than the minimum cell count (%(threshold)s). Leave it empty "
            "to use the threshold."
        ) % {"threshold": threshold}
    if values.get("disclosure_policy") not in DisclosurePolicy.values:
        errors["disclosure_policy"] = _("Choose one of the disclosure methods offered.")
    return errors


def _locked(dataset: Dataset) -> Dataset:
    return Dataset.objects.select_for_update().get(pk=dataset.pk)


def _changes(before: dict, after: dict) -> dict:
    """The settings that differ, as ``{field: [before, after]}`` (the audit payload)."""
    return {name: [before[name], after[name]] for name in DISCLOSURE_SETTINGS if before[name] != after[name]}


@transaction.atomic
def propose(*, dataset: Dataset, actor, values: dict, reason: str) -> DisclosureSettingsChange:
    """Record a lead's proposal to change ``dataset``'s settings to ``values`` (every governed field)."""
    if not may_propose(actor):
        raise PermissionDenied
    dataset = _locked(dataset)
    current = current_settings(dataset)
    proposed = {name: values[name] for name in DISCLOSURE_SETTINGS}
    errors = floor_errors(proposed)
    if not reason.strip():
        errors["reason"] = _("Say why the settings should change; the lead who decides will read it.")
    if not errors and proposed == current:
        errors["threshold"] = _("These are the dataset's settings already. Change at least one of them.")
    if not errors and dataset.settings_changes.filter(outcome=DisclosureSettingsChange.Outcome.PENDING).exists():
        raise ValidationError(
            _("A change to this dataset's settings already awaits a decision. It must be decided first.")
        )
    if errors:
        raise ValidationError(errors)
    change = DisclosureSettingsChange.objects.create(
        dataset=dataset,
        current=current,
        proposed=proposed,
        reason=reason.strip(),
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    trail.record(
        trail.EventType.SETTINGS_CHANGE_PROPOSED,
        actor=actor,
        target=change,
        payload={"dataset": dataset.code, "changes": _changes(current, proposed)},
    )
    return change


@transaction.atomic
def decide(
    *, change: DisclosureSettingsChange, actor, approve: bool, rejection_reason: str = ""
) -> DisclosureSettingsChange:
    """Another lead approves ``change`` (the dataset takes its values) or rejects it with a reason."""
    dataset = _locked(change.dataset)
    change = DisclosureSettingsChange.objects.select_for_update().get(pk=change.pk)
    if change.outcome != DisclosureSettingsChange.Outcome.PENDING:
        raise ValidationError(_("This proposal was already decided. Reload the page."))
    if not actor.has_perm(DECIDE):
        raise PermissionDenied
    if change.proposed_by_id == actor.pk:
        raise ValidationError(_("You proposed this change: another lead must decide it."))
    now = timezone.now()
    if not approve:
        if not rejection_reason.strip():
            raise ValidationError({"rejection_reason": _("Say why the change is rejected; the proposer will read it.")})
        change.outcome, change.rejection_reason = DisclosureSettingsChange.Outcome.REJECTED, rejection_reason.strip()
        change.decided_by, change.decided_at = actor, now
        change.save()
        trail.record(
            trail.EventType.SETTINGS_CHANGE_REJECTED, actor=actor, target=change, payload={"dataset": dataset.code}
        )
        return change
    current = current_settings(dataset)
    moved = [name for name in DISCLOSURE_SETTINGS if current[name] != change.current.get(name)]
    if moved:
        field = dataset._meta.get_field(moved[0])
        raise ValidationError(
            _(
                "The dataset's %(setting)s changed since this proposal (%(then)s, now %(now)s). Reject it; "
                "the proposer can propose again from the settings as they are."
            )
            % {"setting": field.verbose_name, "then": change.current.get(moved[0]), "now": current[moved[0]]}
        )
    errors = floor_errors(change.proposed)
    if errors:
        # The floors may have been raised since the proposal.
        raise ValidationError(next(iter(errors.values())))
    for name in DISCLOSURE_SETTINGS:
        setattr(dataset, name, change.proposed[name])
    dataset._change_reason = _("Disclosure settings changed: proposal %(pk)s, approved.") % {"pk": change.pk}
    dataset.save(update_fields=list(DISCLOSURE_SETTINGS))
    change.outcome, change.decided_by, change.decided_at = DisclosureSettingsChange.Outcome.APPROVED, actor, now
    change.save()
    trail.record(
        trail.EventType.SETTINGS_CHANGE_APPROVED,
        actor=actor,
        target=change,
        payload={"dataset": dataset.code, "changes": _changes(change.current, change.proposed)},
    )
    return change
