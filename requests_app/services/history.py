"""The one way services save a row: with who made the change and why, for the history."""


def save_with_history(obj, *, actor, reason: str, **kwargs) -> None:
    obj._history_user = actor
    obj._change_reason = reason
    obj.save(**kwargs)


def delete_with_history(obj, *, actor, reason: str) -> None:
    obj._history_user = actor
    obj._change_reason = reason
    obj.delete()
