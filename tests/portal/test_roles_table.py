"""The roles' permissions are one table in code: the migrations leave the groups exactly as it says."""

from io import StringIO

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from portal.roles import ROLE_PERMISSIONS, Role, apply_roles


def held(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_after_the_migrations_every_role_holds_exactly_its_row_of_the_table(db):
    for role in Role:
        assert held(role) == set(ROLE_PERMISSIONS[role]), role
    assert apply_roles() == {}


def test_sync_roles_removes_what_a_group_was_given_by_hand_and_says_so(db):
    extra = Permission.objects.get(content_type__app_label="requests_app", codename="delete_datarequest")
    Group.objects.get(name=Role.AUDITOR).permissions.add(extra)
    out = StringIO()
    call_command("sync_roles", stdout=out)
    assert "auditor: - requests_app.delete_datarequest" in out.getvalue()
    assert held(Role.AUDITOR) == set(ROLE_PERMISSIONS[Role.AUDITOR])
    out = StringIO()
    call_command("sync_roles", stdout=out)
    assert "already holds exactly" in out.getvalue()


def test_only_the_auditor_verifies_the_trail_and_no_role_but_the_lead_changes_a_case(db):
    for role, names in ROLE_PERMISSIONS.items():
        assert ("portal.verify_auditevent" in names) == (role == Role.AUDITOR)
        assert ("requests_app.change_datarequest" in names) == (role == Role.ACCESS_LEAD)
