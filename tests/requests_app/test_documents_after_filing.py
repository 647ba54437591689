"""Requesters send documents after filing: with an answer, with a message, and when the officer asks for one.

The same checks apply as at intake (type, content, size); a refused file names the
field and keeps the text typed; the officer reads the document on the case; nothing
internal becomes a file on the requester's page.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import AuditEvent
from portal.roles import Role
from portal.trail import EventType
from requests_app import services
from requests_app.models import Attachment, AttachmentKind, Status
from tests import factories
from tests.requests_app.pages import client_for, text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def case(requester, dataset, officer):
    return factories.make_request(requester=requester, dataset=dataset, status=Status.UNDER_REVIEW, officer=officer)


def ask_for_ethics(case, officer):
    return services.clarification_ask(
        case=case,
        actor=officer,
        question="Please send your ethics approval.",
        requested_document=AttachmentKind.ETHICS_APPROVAL,
    )


def test_an_answer_to_a_request_for_a_document_must_bring_it(case, officer, requester):
    clarification = ask_for_ethics(case, officer)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.clarification_answer(case=case, actor=requester, answer="Here it is.")
    assert "Ethics approval" in refused.value.message_dict["document"][0]
    case.refresh_from_db()
    assert case.status == Status.AWAITING_REQUESTER

    services.clarification_answer(
        case=case, actor=requester, answer="Here it is.", document=factories.pdf_file("ethics.pdf")
    )
    case.refresh_from_db()
    document = Attachment.objects.get(clarification=clarification)
    assert (case.status, document.kind, document.original_name) == (
        Status.UNDER_REVIEW,
        AttachmentKind.ETHICS_APPROVAL,
        "ethics.pdf",
    )
    event = AuditEvent.objects.get(event_type=EventType.DOCUMENT_ADDED)
    assert {key: event.payload[key] for key in ("kind", "sha256", "with")} == {
        "kind": "ethics_approval",
        "sha256": document.sha256,
        "with": "clarification",
    }


def test_a_document_is_checked_as_at_intake_and_a_refusal_stores_nothing(case, officer, requester):
    ask_for_ethics(case, officer)
    fake = SimpleUploadedFile("ethics.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        services.clarification_answer(case=case, actor=requester, answer="Here it is.", document=fake)
    assert "document" in refused.value.message_dict
    assert not Attachment.objects.filter(request=case, clarification__isnull=False).exists()
    case.refresh_from_db()
    assert case.status == Status.AWAITING_REQUESTER


def test_the_requester_sends_a_document_with_a_message_and_staff_cannot(case, officer, requester):
    message = services.message_post(
        case=case, actor=requester, body="Our updated protocol.", document=factories.pdf_file("protocol-v2.pdf")
    )
    assert Attachment.objects.get(message=message).original_name == "protocol-v2.pdf"
    with pytest.raises(ValidationError) as refused:
        services.message_post(
            case=case, actor=officer, body="Internal.", internal=True, document=factories.pdf_file("note.pdf")
        )
    assert "document" in refused.value.message_dict


def test_on_the_page_a_missing_document_names_the_field_and_keeps_the_answer(case, officer, requester):
    ask_for_ethics(case, officer)
    client = client_for(requester)
    page = text(client.get(url("detail", case)))
    assert "Document asked for: Ethics approval" in page and 'enctype="multipart/form-data"' in page

    refused = client.post(url("clarification_answer", case), {"answer": "Attached, as asked."})
    body = refused.content.decode()
    assert "Attach it to your answer" in body and "Attached, as asked." in body

    client.post(
        url("clarification_answer", case), {"answer": "Attached, as asked.", "document": factories.pdf_file("e.pdf")}
    )
    document = Attachment.objects.get(request=case, original_name="e.pdf")
    officer_page = client_for(officer).get(reverse("workspace:case", kwargs={"pk": case.pk})).content.decode()
    download = reverse("requests_app:attachment_download", kwargs={"pk": case.pk, "attachment_pk": document.pk})
    assert download in officer_page
    assert client_for(officer).get(download).status_code == 200


def test_the_officer_asks_for_a_document_from_the_case_page(case, officer):
    client = client_for(officer)
    client.post(
        reverse("workspace:clarification_ask", kwargs={"pk": case.pk}),
        {"question": "Please send your ethics approval.", "requested_document": "ethics_approval"},
    )
    assert case.clarifications.get().requested_document == AttachmentKind.ETHICS_APPROVAL


def test_a_document_sent_with_a_message_is_listed_with_the_request(case, requester):
    client = client_for(requester)
    client.post(url("message", case), {"body": "Here is our data plan.", "document": factories.pdf_file("plan.pdf")})
    page = text(client.get(url("detail", case)))
    assert "plan.pdf" in page
    assert timezone.now() - Attachment.objects.get(original_name="plan.pdf").uploaded_at < timedelta(minutes=1)
