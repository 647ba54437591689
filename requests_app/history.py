"""The one way a row of case data is saved: with who made the change and why, for simple-history,
and, when the change is an event of its own, its link in the audit trail (``portal.trail``).

Not a service (it opens no transaction and checks nothing): the services and
the two ``transition`` functions call it inside theirs.
"""

from portal import trail


def save_with_history(
    obj,
    *,
    actor,
    reason: str = "",
    event: trail.EventType | str | None = None,
    case_id=None,
    payload=None,
    at=None,
    **kwargs,
):
    """Save ``obj``; ``reason`` is plain text a person wrote (or nothing).

    With ``event``, the audit trail records it in the same transaction, naming the history row just written
    (``payload["history"]``), and the event is returned; ``at`` is its time (now when not given).
    """
    obj._history_user = actor
    obj._change_reason = reason
    obj.save(**kwargs)
    if event is None:
        return None
    history_id = obj.history.order_by("-history_id").values_list("history_id", flat=True).first()
    details = {**(payload or {}), "history": history_id}
    return trail.record(event, actor=actor, target=obj, case_id=case_id, payload=details, at=at)


def delete_with_history(obj, *, actor, reason: str = "") -> None:
    obj._history_user = actor
    obj._change_reason = reason
    obj.delete()
