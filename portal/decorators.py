"""The one staff-only guard of the portal's pages."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def check_staff(user) -> None:
    """Agency staff (every role but requester, and superusers) pass; anyone else gets 403."""
    if not user.is_agency_staff:
        raise PermissionDenied


def staff_only(view):
    """A page for signed-in agency staff: sign-in first, then 403 for anyone else.

    A page about one object loads it before calling ``check_staff``, so that an object that is not
    the reader's answers 404 whoever asks.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        check_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapper
