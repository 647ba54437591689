"""The one way a row of case data is saved: with who made the change and why, for simple-history.

Not a service (it opens no transaction and checks nothing): the services and
the two ``transition`` functions call it inside theirs.
"""


def save_with_history(obj, *, actor, reason: str, **kwargs) -> None:
    obj._history_user = actor
    obj._change_reason = reason
    obj.save(**kwargs)


def delete_with_history(obj, *, actor, reason: str) -> None:
    obj._history_user = actor
    obj._change_reason = reason
    obj.delete()
