"""The whole life of an approved request, in real Chromium, with a real Celery worker, Redis, PostgreSQL and SMTP.

A requester signs up and confirms their address through the link the mail
server received, files a request with a table and an attachment; the lead
assigns it, the officer reviews and proposes approval, the lead signs off; the
worker computes and protects the table; the checker releases it; the requester
downloads the CSV, which holds aggregates only.
"""

import csv
import io

import pytest

from portal.roles import Role
from requests_app.models import DataRequest, Status
from requests_app.production.models import TableJob
from requests_app.states import JobState
from stats_app.models import IDENTIFYING_CODES
from tests import factories
from tests.e2e.journeys import Person, link_in
from tests.smtp_sink import SmtpSink
from tests.worker import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, databases=["default", "warehouse"]),
    pytest.mark.usefixtures("reference_data", "warehouse"),
]

PASSWORD = "Une-phrase-de-passe-2026"
SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sign_up_and_confirm(requester: Person, email: str, mail_server) -> None:
    requester.go("/accounts/signup/")
    requester.snap("sign-up")
    requester.page.fill("input[name=email]", email)
    requester.page.fill("input[name=password1]", PASSWORD)
    requester.page.fill("input[name=password2]", PASSWORD)
    requester.submit("form:has(input[name=password2])")

    message = wait_for(lambda: mail_server.to(email), message="the confirmation e-mail")[0]
    requester.page.goto(link_in(mail_server.text(message), "/accounts/confirm-email/"))
    requester.snap("confirm-email")
    requester.submit("main form")
    if "/accounts/login" in requester.page.url:
        requester.sign_in(email, PASSWORD)


def file_request(requester: Person, tmp_path) -> DataRequest:
    page = requester.page
    requester.go("/requests/")
    page.click("#new-request")

    requester.snap("step-profile")
    page.fill("[name=contact_name]", "Camille Tremblay")
    page.fill("[name=organisation]", "Université Laval")
    page.fill("[name=position]", "Chercheuse")
    requester.choose("requester_category", "researcher")
    requester.submit("main form", "button[value=continue]")

    requester.snap("step-project")
    page.fill("[name=title]", "Consultations médicales par région")
    page.fill("[name=purpose]", "Mesurer le recours aux médecins selon la région et le sexe.")
    page.fill("[name=public_interest]", "Planifier l'offre de soins de première ligne.")
    page.fill("[name=intended_publication]", "Rapport public de recherche.")
    page.fill("[name=use_starts_on]", "2027-01-01")
    page.fill("[name=use_ends_on]", "2028-01-01")
    requester.choose("legal_basis")
    requester.choose("ethics_approval", "obtained")
    page.fill("[name=ethics_reference]", "CER-2026-041")
    requester.submit("main form", "button[value=continue]")

    requester.snap("step-data")
    requester.choose("dataset", "medical_services")
    requester.submit("form:has([name=dataset])")
    requester.snap("table-specification")
    page.check("[name=measure][value=persons]")
    page.check("[name=dimensions][value=region]")
    page.check("[name=dimensions][value=sex]")
    requester.submit("main form.card")
    requester.submit("main form:has(button[value=continue])", "button[value=continue]")

    requester.snap("step-attachments")
    protocol = tmp_path / "protocole.pdf"
    protocol.write_bytes(SMALL_PDF)
    requester.choose("kind")
    page.set_input_files("[name=file]", str(protocol))
    requester.submit("main form[enctype]", "button[value=upload]")
    assert "protocole.pdf" in requester.text()
    requester.submit("main form[enctype]", "button[value=continue]")

    requester.snap("step-declarations")
    page.check("[name=declares_no_reidentification]")
    page.check("[name=declares_source_citation]")
    requester.submit("main form", "button[value=continue]")

    requester.snap("review")
    requester.submit("form[action$='/submit/']")
    requester.snap("acknowledgement")
    return DataRequest.objects.get(title="Consultations médicales par région")


def test_a_request_is_filed_approved_produced_checked_released_and_downloaded(
    browser, live_server, mail_server, journey_worker, tmp_path
):
    lead = factories.make_user(role=Role.ACCESS_LEAD, first_name="Louise", last_name="Gagnon")
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, first_name="Marc", last_name="Roy")
    checker = factories.make_user(role=Role.OUTPUT_CHECKER, first_name="Sofia", last_name="Nguyen")
    requester = Person(browser, live_server.url, language="fr", name="requester")
    email = "camille.tremblay@ulaval.example"

    sign_up_and_confirm(requester, email, mail_server)
    case = file_request(requester, tmp_path)
    assert case.status == Status.RECEIVED
    assert case.reference in requester.text()
    assert requester.date(case.due_at) in requester.text()

    lead_window = Person(browser, live_server.url, language="fr", name="lead")
    lead_window.sign_in_staff(lead)
    lead_window.go(f"/workspace/cases/{case.pk}/")
    lead_window.snap("case-received")
    lead_window.page.select_option("#assign-form [name=officer]", str(officer.pk))
    lead_window.submit("#assign-form")
    case.refresh_from_db()
    assert (case.status, case.assigned_to) == (Status.UNDER_REVIEW, officer)

    officer_window = Person(browser, live_server.url, language="fr", name="officer")
    officer_window.sign_in_staff(officer)
    officer_window.go(f"/workspace/cases/{case.pk}/")
    for radio in officer_window.page.locator("#checklist-form input[type=radio][value=met]").all():
        radio.check()
    officer_window.submit("#checklist-form")
    officer_window.page.check("#propose-form [name$=outcome][value=approved]")
    officer_window.page.fill("#propose-form [name$=reasons]", "Statistiques agrégées, intérêt public démontré.")
    officer_window.snap("case-review")
    officer_window.submit("#propose-form")
    case.refresh_from_db()
    assert case.status == Status.DECISION_PROPOSED, officer_window.text()

    lead_window.go(f"/workspace/cases/{case.pk}/")
    lead_window.snap("case-sign-off")
    lead_window.submit("#sign-off-form")

    job = wait_for(
        lambda: TableJob.objects.filter(request=case, state__in=[JobState.READY_FOR_CHECKING, JobState.FAILED]).first(),
        timeout=120,
        message="the worker to produce the table",
    )
    assert job.state == JobState.READY_FOR_CHECKING, job.error

    checker_window = Person(browser, live_server.url, language="fr", name="checker")
    checker_window.sign_in_staff(checker)
    checker_window.go("/outputs/")
    assert case.reference in checker_window.text()
    checker_window.go(f"/outputs/{job.pk}/")
    checker_window.snap("output-check")
    checker_window.release()
    case.refresh_from_db()
    assert case.status == Status.CLOSED

    requester.go(f"/requests/{case.pk}/")
    requester.snap("request-released")
    with requester.page.expect_download() as download:
        requester.page.locator("a[href$='/files/table.csv']").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert header == ["region", "sex", "region_label", "sex_label", "value", "flag"]
    assert not set(header) & IDENTIFYING_CODES
    assert body, "the table has rows"
    counts = [int(row[4]) for row in body if row[4]]
    assert counts and all(count == 0 or count >= 5 for count in counts)
    assert all(row[5] == "x" for row in body if not row[4])
    assert email not in download.value.path().read_text(encoding="utf-8")

    for window in (requester, lead_window, officer_window, checker_window):
        window.close()

    # Everyone was told, by a link to the page they may see, once per event.
    case_page = f"/requests/{case.pk}/"
    wait_for(lambda: len(linking(mail_server.to(email), case_page)) >= 3, message="the requester's three e-mails")
    wait_for(lambda: linking(mail_server.to(checker.email), "/outputs/"), message="the checker's e-mail")
    wait_for(lambda: linking(mail_server.to(officer.email), f"/workspace/cases/{case.pk}/"), message="the officer's")
    wait_for(lambda: len(linking(mail_server.to(lead.email), f"/workspace/cases/{case.pk}/")) >= 2, message="lead's")
    message_ids = [message["Message-ID"] for message in mail_server.messages]
    assert len(message_ids) == len(set(message_ids)), "no e-mail is sent twice"
    for message in mail_server.to(email):
        assert not list(message.iter_attachments()), "e-mails link to the outputs, they never carry them"


def linking(messages, path: str) -> list:
    return [message for message in messages if path in SmtpSink.text(message)]
