"""The people of DESIGN §2, as Django groups.

A role is a group with model-level permissions (granted by the data migration
``portal/migrations/0002_roles.py``); "own" and "assigned" rules are object
permissions held in django-guardian's direct foreign-key tables.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")
    ACCESS_LEAD = "access_lead", _("Access lead")
    DATA_CUSTODIAN = "data_custodian", _("Data custodian")
    OUTPUT_CHECKER = "output_checker", _("Output checker")
    AUDITOR = "auditor", _("Auditor")


#: Every role but the requester works for the agency or a data owner and must
#: use multi-factor authentication.
STAFF_ROLES = frozenset(Role) - {Role.REQUESTER}
