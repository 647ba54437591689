"""Every role × every case-related URL × an object that is not theirs: 404 or 403, never data.

The URLs are read from the URL configuration, so a page added later is in the
matrix without anyone remembering to add it here.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from portal.roles import Role
from requests_app import services
from requests_app.models import Status
from stats_app.models import Custodian, Dataset
from tests import factories

#: URL namespaces whose pages take a case (or a consultation) id.
CASE_NAMESPACES = ("requests_app", "workspace")
CONSULTATION_NAMESPACE = "consultations"


def object_urls(namespace: str) -> list[tuple[str, list[str]]]:
    """(name, keyword arguments) of every pattern in ``namespace`` that takes ``pk``."""
    found = []

    def walk(patterns, current):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or current)
            elif isinstance(pattern, URLPattern) and current == namespace and pattern.name:
                keywords = re.findall(r"<int:(\w+)>", str(pattern.pattern))
                if "pk" in keywords:
                    found.append((pattern.name, keywords))

    walk(get_resolver().url_patterns, None)
    return found


@pytest.fixture
def world(db):
    """Requester A's case on the Ministry's data, assigned to officer A, with a consultation of the Ministry."""
    officer = factories.make_user(role=Role.PRIVACY_OFFICER)
    ministry = Custodian.objects.get(code="msss")
    factories.make_user(role=Role.DATA_CUSTODIAN, custodian=ministry)
    case = factories.make_request(
        dataset=Dataset.objects.get(code="hospital_stays"), status=Status.UNDER_REVIEW, officer=officer
    )
    consultation = services.consultation_open(
        case=case,
        actor=officer,
        custodian=ministry,
        question="Do you agree?",
        due_on=timezone.localdate() + timedelta(days=10),
    )
    draft = factories.make_request(
        requester=case.requester, dataset=Dataset.objects.get(code="medical_services"), status=Status.DRAFT
    )
    return {"case": case, "draft": draft, "consultation": consultation}


def outsiders() -> dict[str, object]:
    """One user per role, none of whom has any right on the world's case or consultation."""
    other_custodian = Custodian.objects.create(code="ciusss_test", name_fr="CIUSSS", name_en="CIUSSS")
    return {
        "another requester": factories.make_user(role=Role.REQUESTER),
        "an officer it is not assigned to": factories.make_user(role=Role.PRIVACY_OFFICER),
        "another custodian": factories.make_user(role=Role.DATA_CUSTODIAN, custodian=other_custodian),
        "the Ministry's custodian, on the case": factories.make_user(
            role=Role.DATA_CUSTODIAN, custodian=Custodian.objects.get(code="msss")
        ),
        "an output checker": factories.make_user(role=Role.OUTPUT_CHECKER),
    }


def kwargs_for(keywords: list[str], case, target_pk: int) -> dict:
    values = {
        "pk": target_pk,
        "attachment_pk": case.attachments.first().pk,
        "specification_pk": case.specifications.first().pk,
        # The world's case has no amendment: whoever may not reach the case is refused before any is looked up.
        "amendment_pk": 1,
        # Nor any review by the Commission.
        "review_pk": 1,
    }
    return {keyword: values[keyword] for keyword in keywords}


def assert_refused(response, secrets: list[str], label: str) -> None:
    assert response.status_code in (403, 404, 405), f"{label}: answered {response.status_code}"
    body = response.content.decode(errors="replace")
    for secret in secrets:
        assert secret not in body, f"{label}: the page shows {secret!r}"


def test_no_role_reaches_a_case_that_is_not_theirs(world):
    case, draft = world["case"], world["draft"]
    secrets = [case.reference, case.title, case.requester.email]
    urls = [(namespace, name, keywords) for namespace in CASE_NAMESPACES for name, keywords in object_urls(namespace)]
    assert len(urls) >= 20  # the matrix really covers the portal's case pages

    for role, user in outsiders().items():
        client = Client()
        client.force_login(user)
        for namespace, name, keywords in urls:
            for target in (case, draft):
                url = reverse(f"{namespace}:{name}", kwargs=kwargs_for(keywords, case, target.pk))
                for method in ("get", "post"):
                    response = getattr(client, method)(url)
                    assert_refused(response, secrets, f"{role} {method.upper()} {url}")


def test_no_one_but_the_consulted_custodian_reaches_a_consultation(world):
    consultation = world["consultation"]
    secrets = [consultation.question, world["case"].title]
    urls = object_urls(CONSULTATION_NAMESPACE)
    assert urls

    people = outsiders()
    del people["the Ministry's custodian, on the case"]  # they are the consulted organisation
    for role, user in people.items():
        client = Client()
        client.force_login(user)
        for name, _keywords in urls:
            url = reverse(f"{CONSULTATION_NAMESPACE}:{name}", kwargs={"pk": consultation.pk})
            for method in ("get", "post"):
                assert_refused(getattr(client, method)(url), secrets, f"{role} {method.upper()} {url}")


def test_an_anonymous_visitor_is_sent_to_sign_in(world):
    case = world["case"]
    client = Client()
    for namespace in CASE_NAMESPACES:
        for name, keywords in object_urls(namespace):
            url = reverse(f"{namespace}:{name}", kwargs=kwargs_for(keywords, case, case.pk))
            response = client.get(url)
            assert response.status_code in (302, 405), url
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("account_login")), url
