"""allauth adaptations: new accounts are requesters, in the language they signed up in."""

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group
from django.utils.translation import get_language

from portal.roles import Role


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        language = (get_language() or "fr")[:2]
        user.language = language if language in ("fr", "en") else "fr"
        if commit:
            user.save()
            user.groups.add(Group.objects.get(name=Role.REQUESTER))
        return user
