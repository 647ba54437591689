from django.conf import settings

from portal.roles import Role


def portal(request):
    """What every page needs: the statutory numbers and which workspaces the user's roles open."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    roles = user.role_names if signed_in else frozenset()
    casework_roles = {Role.PRIVACY_OFFICER, Role.ACCESS_LEAD, Role.OUTPUT_CHECKER, Role.AUDITOR}
    return {
        "STATUTORY_DELAY_DAYS": settings.STATUTORY_DELAY_DAYS,
        "EXTENSION_DAYS": settings.EXTENSION_DAYS,
        "is_agency_staff": signed_in and user.is_agency_staff,
        "nav_workspace": signed_in and (user.is_superuser or bool(roles & casework_roles)),
        "nav_outputs": signed_in and (user.is_superuser or Role.OUTPUT_CHECKER in roles),
        "nav_consultations": signed_in
        and (user.is_superuser or bool(roles & {Role.DATA_CUSTODIAN, Role.ACCESS_LEAD, Role.AUDITOR})),
    }
