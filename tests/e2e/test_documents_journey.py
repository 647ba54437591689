"""A clarification answered with a document, in real Chromium with the real worker and SMTP sink.

The officer asks for the ethics approval; the requester's answer without it is
refused, naming the field and keeping the text; with it, the review resumes and
the officer downloads the document from the case.
"""

import pytest

from portal.roles import Role
from requests_app.models import Attachment, AttachmentKind, Status
from tests import factories
from tests.e2e.journeys import Person
from tests.worker import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("reference_data")]

ANSWER = "Voici l'approbation du comité d'éthique de la recherche."


def test_a_clarification_asking_for_a_document_is_answered_with_it(
    browser, live_server, mail_server, journey_worker, tmp_path
):
    requester_user = factories.make_user(language="fr", first_name="Camille", last_name="Tremblay")
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, language="fr", first_name="Marc", last_name="Roy")
    case = factories.make_request(requester=requester_user, status=Status.UNDER_REVIEW, officer=officer)

    officer_window = Person(browser, live_server.url, language="fr", name="documents-officer")
    officer_window.sign_in_staff(officer)
    officer_window.go(f"/workspace/cases/{case.pk}/")
    officer_window.page.fill("#ask-form textarea[name$=question]", "Veuillez transmettre votre approbation éthique.")
    officer_window.page.select_option("#ask-form [name$=requested_document]", AttachmentKind.ETHICS_APPROVAL)
    officer_window.submit("#ask-form")
    case.refresh_from_db()
    assert case.status == Status.AWAITING_REQUESTER
    wait_for(lambda: mail_server.to(requester_user.email), message="the e-mail with the question")

    requester = Person(browser, live_server.url, language="fr", name="documents-requester")
    requester.sign_in(requester_user.email)
    requester.go(f"/requests/{case.pk}/")
    question = requester.page.locator("#open-question")
    assert "Approbation éthique" in question.inner_text()
    question.locator("textarea").fill(ANSWER)
    requester.submit("#open-question form")
    assert "Joignez-le à votre réponse" in requester.text()
    assert requester.page.input_value("#open-question textarea") == ANSWER, "the answer typed is kept"

    letter = tmp_path / "approbation-ethique.pdf"
    letter.write_bytes(factories.pdf_file().read())
    requester.page.set_input_files("#open-question input[type=file]", str(letter))
    requester.submit("#open-question form")
    requester.snap("answered-with-document")
    case.refresh_from_db()
    assert case.status == Status.UNDER_REVIEW
    document = Attachment.objects.get(request=case, clarification__isnull=False)
    assert (document.kind, document.original_name) == (AttachmentKind.ETHICS_APPROVAL, "approbation-ethique.pdf")

    officer_window.go(f"/workspace/cases/{case.pk}/")
    with officer_window.page.expect_download() as download:
        officer_window.page.get_by_role("link", name="approbation-ethique.pdf").click()
    assert download.value.suggested_filename == "approbation-ethique.pdf"
    assert download.value.path().read_bytes() == letter.read_bytes()
