"""The admin: behind allauth and MFA, staff only, cases read only."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from portal.models import User
from portal.roles import Role
from requests_app.models import DataRequest, Status
from stats_app.models import Dimension
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@pytest.fixture
def superuser_client():
    admin_user = factories.make_user(role=Role.ACCESS_LEAD, is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    return client


def staff_client(role: Role, **fields) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(factories.make_user(role=role, **fields))
    return client


def test_admin_login_for_anonymous_redirects_to_allauth_login():
    response = Client().get(reverse("admin:login"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_admin_index_for_anonymous_ends_at_allauth_login():
    response = Client().get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert response.status_code == 200


def test_admin_refuses_requester():
    client = Client()
    client.force_login(factories.make_user())

    response = client.get(reverse("admin:index"), follow=True)

    assert response.status_code == 403


def test_admin_refuses_staff_role_without_is_staff():
    response = staff_client(Role.PRIVACY_OFFICER).get(reverse("admin:index"), follow=True)

    assert response.status_code == 403


def test_admin_catalogue_and_request_pages_load_for_superuser(superuser_client):
    dataset = factories.make_catalogue()
    case = factories.make_request(dataset=dataset)
    dimension = dataset.dimensions.first()
    urls = [reverse("admin:index")]
    for model in ("custodian", "dataset", "measure", "dimension", "category"):
        urls += [reverse(f"admin:stats_app_{model}_changelist"), reverse(f"admin:stats_app_{model}_add")]
    urls += [
        reverse("admin:stats_app_dataset_change", args=[dataset.pk]),
        reverse("admin:stats_app_dataset_history", args=[dataset.pk]),
        reverse("admin:stats_app_dimension_change", args=[dimension.pk]),
        reverse("admin:stats_app_custodian_change", args=[dataset.custodian_id]),
        reverse("admin:requests_app_datarequest_changelist"),
        reverse("admin:requests_app_datarequest_change", args=[case.pk]),
        reverse("admin:requests_app_datarequest_history", args=[case.pk]),
        reverse("admin:requests_app_tablespecification_changelist"),
        reverse("admin:requests_app_tablespecification_change", args=[case.specifications.get().pk]),
        reverse("admin:requests_app_attachment_changelist"),
        reverse("admin:requests_app_attachment_change", args=[case.attachments.get().pk]),
        reverse("admin:portal_user_changelist") + "?q=example.org",
        reverse("admin:portal_user_add"),
        reverse("admin:portal_user_change", args=[case.requester_id]),
    ]

    for url in urls:
        assert superuser_client.get(url).status_code == 200, url


def test_datarequest_change_page_shows_status_but_never_as_a_field(superuser_client):
    case = factories.make_request()
    url = reverse("admin:requests_app_datarequest_change", args=[case.pk])

    html = superuser_client.get(url).content.decode()

    assert case.reference in html
    assert 'name="status"' not in html
    assert "<select" not in html.split('id="content-main"', 1)[1]
    response = superuser_client.post(url, {"status": Status.APPROVED, "title": "Changed"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    assert case.title != "Changed"


def test_datarequest_cannot_be_added_deleted_or_reverted_in_admin(superuser_client):
    case = factories.make_request()
    first_version = case.history.earliest()

    assert superuser_client.get(reverse("admin:requests_app_datarequest_add")).status_code == 403
    assert superuser_client.post(reverse("admin:requests_app_datarequest_delete", args=[case.pk])).status_code == 403
    revert_url = reverse("admin:requests_app_datarequest_simple_history", args=[case.pk, first_version.history_id])
    assert superuser_client.post(revert_url).status_code == 403
    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    assert DataRequest.objects.filter(pk=case.pk).exists()


def test_access_lead_with_is_staff_edits_catalogue_and_reads_cases():
    client = staff_client(Role.ACCESS_LEAD, is_staff=True)
    case = factories.make_request()

    assert client.get(reverse("admin:stats_app_dataset_changelist")).status_code == 200
    assert client.get(reverse("admin:stats_app_dataset_add")).status_code == 200
    assert client.get(reverse("admin:requests_app_datarequest_change", args=[case.pk])).status_code == 200
    assert client.get(reverse("admin:portal_user_add")).status_code == 403


def test_dimension_added_in_admin_is_kept_in_history():
    lead = factories.make_user(role=Role.ACCESS_LEAD, is_staff=True)
    client = Client()
    client.force_login(lead)

    response = client.post(
        reverse("admin:stats_app_dimension_add"),
        {
            "code": "t_admin_year",
            "label_fr": "Année",
            "label_en": "Year",
            "categories-TOTAL_FORMS": "1",
            "categories-INITIAL_FORMS": "0",
            "categories-0-code": "2024",
            "categories-0-label_fr": "2024",
            "categories-0-label_en": "2024",
            "categories-0-order": "0",
        },
    )

    assert response.status_code == 302
    dimension = Dimension.objects.get(code="t_admin_year")
    assert dimension.categories.count() == 1
    assert dimension.history.get().history_user == lead


def test_identifying_dimension_is_refused_in_admin(superuser_client):
    response = superuser_client.post(
        reverse("admin:stats_app_dimension_add"),
        {
            "code": "postal_code",
            "label_fr": "Code postal",
            "label_en": "Postal code",
            "categories-TOTAL_FORMS": "0",
            "categories-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert not Dimension.objects.filter(code="postal_code").exists()


def test_view_only_staff_cannot_revert_catalogue_history():
    dimension = Dimension.objects.create(code="t_revert", label_fr="Avant", label_en="Before")
    first_version = dimension.history.get()
    dimension.label_en = "After"
    dimension.save()
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, is_staff=True)
    client = Client()
    client.force_login(officer)
    url = reverse("admin:stats_app_dimension_simple_history", args=[dimension.pk, first_version.history_id])

    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 403
    dimension.refresh_from_db()
    assert dimension.label_en == "After"


def test_user_admin_creates_account_with_lowercased_email(superuser_client):
    response = superuser_client.post(
        reverse("admin:portal_user_add"),
        {
            "email": "New.Officer@Agency.example",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )

    assert response.status_code == 302
    assert User.objects.filter(email="new.officer@agency.example").exists()


def test_staff_with_change_user_permission_cannot_make_superusers():
    lead = factories.make_user(role=Role.ACCESS_LEAD, is_staff=True)
    lead.user_permissions.add(Permission.objects.get(codename="change_user", content_type__app_label="portal"))
    target = factories.make_user()
    client = Client()
    client.force_login(lead)

    html = client.get(reverse("admin:portal_user_change", args=[target.pk])).content.decode()

    assert 'name="is_superuser"' not in html
    assert 'name="is_staff"' in html
