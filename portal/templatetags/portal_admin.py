"""What the admin's index warns about."""

from django import template

from portal.models import User
from portal.roles import Role

register = template.Library()

#: Four eyes: a decision is signed by a lead other than the one who proposed it.
MINIMUM_LEADS = 2


@register.simple_tag
def access_lead_shortage() -> int | None:
    """The number of active access leads when it is below the minimum, else ``None``."""
    leads = User.objects.filter(is_active=True, groups__name=Role.ACCESS_LEAD).distinct().count()
    return leads if leads < MINIMUM_LEADS else None
