"""The OpenAPI schema: the committed file is the code's, and the API keeps to it (schemathesis, over WSGI).

Schemathesis generates requests from ``openapi.yaml`` with hypothesis and sends them to the Django
application in-process, with a requester's write token: no answer may be a server error, and every
answer must be one the schema declares (status, content type, body).
"""

import io
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal import tokens
from portal.wsgi import application
from requests_app.models import Status
from tests import factories

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "requests_app" / "api" / "openapi.yaml"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_path(str(SCHEMA_PATH))
schema.app = application


@pytest.mark.django_db
def test_committed_schema_is_the_generated_one():
    """Regenerate with ``make api-schema`` when this fails."""
    generated = io.StringIO()
    call_command("spectacular", "--lang", "en", "--validate", stdout=generated)
    assert generated.getvalue() == SCHEMA_PATH.read_text(encoding="utf-8"), "openapi.yaml is stale: make api-schema"


@pytest.fixture
def in_process():
    """The WSGI handler closes the database connection after each request: Django's test client stops it
    from doing so (the test's transaction lives on that connection), and so does this."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, settings, in_process):
    """A requester with a write token, a draft of theirs and a catalogue; no rate limit to trip over."""
    settings.POST_RATE_LIMITS = {}
    requester = factories.make_user()
    dataset = factories.make_catalogue()
    draft = factories.make_request(requester=requester, status=Status.DRAFT, dataset=dataset)
    filed = factories.make_request(requester=requester, status=Status.AWAITING_REQUESTER, dataset=dataset)
    _token, secret = tokens.api_token_create(user=requester, name="schemathesis", scope="write")
    return {"secret": secret, "draft": draft, "filed": filed, "dataset": dataset}


PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _call(case, world):
    # Generated ids mostly name nothing (404, as documented); half the calls aim at the requester's own cases.
    if "id" in (case.path_parameters or {}):
        case.path_parameters["id"] = world["draft" if case.method in ("PATCH", "DELETE") else "filed"].pk
    if "code" in (case.path_parameters or {}):
        case.path_parameters["code"] = world["dataset"].code
    response = case.call(headers={"Authorization": f"Bearer {world['secret']}"})
    case.validate_response(response, checks=CHECKS)


@schema.include(method="GET").exclude(path_regex="files").parametrize()
@PROPERTY_SETTINGS
def test_read_endpoints_keep_to_the_schema(case, world):
    _call(case, world)


@schema.include(path="/api/v1/requests/", method="POST").parametrize()
@PROPERTY_SETTINGS
def test_draft_creation_keeps_to_the_schema(case, world):
    _call(case, world)


@schema.include(path="/api/v1/requests/{id}/", method="PATCH").parametrize()
@PROPERTY_SETTINGS
def test_draft_update_keeps_to_the_schema(case, world):
    _call(case, world)


@schema.include(path_regex="tables/$", method="POST").parametrize()
@PROPERTY_SETTINGS
def test_table_creation_keeps_to_the_schema(case, world):
    _call(case, world)


@schema.include(method="POST").exclude(path="/api/v1/requests/").parametrize()
@PROPERTY_SETTINGS
def test_other_writes_keep_to_the_schema(case, world):
    """Submission, documents, messages, the answer to a question, withdrawal: refused or done, never a 5xx."""
    _call(case, world)


@schema.include(method="DELETE").parametrize()
@PROPERTY_SETTINGS
def test_deletions_keep_to_the_schema(case, world):
    _call(case, world)
