from django.conf import settings


def portal(request):
    """What every page needs: the statutory numbers and the user's staff status."""
    user = getattr(request, "user", None)
    return {
        "STATUTORY_DELAY_DAYS": settings.STATUTORY_DELAY_DAYS,
        "EXTENSION_DAYS": settings.EXTENSION_DAYS,
        "is_agency_staff": bool(user and user.is_authenticated and user.is_agency_staff),
    }
