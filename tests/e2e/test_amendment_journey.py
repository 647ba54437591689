"""A returned table's new scope needs a second signature, in real Chromium, with the real worker and SMTP.

The checker returns the table; the officer proposes fewer dimensions, and the table keeps its approved
scope; a second lead signs the amendment; the requester receives the amendment letter by e-mail and
reads it on their page; the worker produces the table again, with the scope signed.
"""

import pytest

from portal.roles import Role
from requests_app.models import Amendment, Status
from requests_app.production import jobs
from requests_app.production.models import TableJob
from requests_app.states import JobState
from tests import factories
from tests.e2e.journeys import Person
from tests.worker import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, databases=["default", "warehouse"]),
    pytest.mark.usefixtures("reference_data", "warehouse"),
]

REASON = "Une seule dimension, comme le demande la vérification des résultats."


def test_a_returned_table_changes_scope_only_once_a_second_lead_signs_and_the_requester_gets_the_letter(
    browser, live_server, mail_server, journey_worker
):
    requester_user = factories.make_user(language="fr")
    officer = factories.make_user(role=Role.PRIVACY_OFFICER, language="fr", first_name="Marc", last_name="Roy")
    lead = factories.make_user(role=Role.ACCESS_LEAD, language="fr", first_name="Louise", last_name="Gagnon")
    case = factories.make_request(requester=requester_user, status=Status.OUTPUT_CHECKING, officer=officer)
    job = case.table_jobs.get()
    approved = list(job.table.dimensions)
    jobs.output_return(job=job, actor=factories.make_user(role=Role.OUTPUT_CHECKER), reason="Trop de cellules.")

    officer_window = Person(browser, live_server.url, language="fr", name="amendment-officer")
    officer_window.sign_in_staff(officer)
    officer_window.go(f"/workspace/cases/{case.pk}/")
    adjust = f"#adjust-{job.table_id}"
    officer_window.page.locator(f"{adjust} summary").click()
    officer_window.page.uncheck(f"{adjust} [name$=dimensions][value={approved[1]}]")
    officer_window.page.fill(f"{adjust} [name$=reason]", REASON)
    officer_window.submit(f"{adjust} form")
    officer_window.snap("amendment-proposed")
    assert "La modification est proposée" in officer_window.text()
    job.table.refresh_from_db()
    assert job.table.dimensions == approved, "the table keeps its approved scope until a lead signs"
    amendment = Amendment.objects.get(request=case)
    # The officer cannot sign their own proposal: the page offers them no button.
    assert officer_window.page.locator(f"#amendment-{amendment.pk} form").count() == 0

    lead_window = Person(browser, live_server.url, language="fr", name="amendment-lead")
    lead_window.sign_in_staff(lead)
    lead_window.go(f"/workspace/cases/{case.pk}/")
    assert REASON in lead_window.page.locator(f"#amendment-{amendment.pk} .amendment-letter").inner_text()
    lead_window.snap("amendment-to-sign")
    lead_window.submit(f"#amendment-{amendment.pk} form[action$='/sign-off/']")
    assert "La modification est signée" in lead_window.text()

    rerun = wait_for(
        lambda: TableJob.objects.filter(pk=job.pk, state=JobState.READY_FOR_CHECKING, run=2).first(),
        message="the table produced again by the worker",
    )
    assert rerun.specification["dimensions"] == approved[:1]

    letters = wait_for(
        lambda: [m for m in mail_server.to(requester_user.email) if REASON in mail_server.text(m)],
        message="the amendment letter by e-mail",
    )
    assert len(letters) == 1
    assert "modification de la décision" in letters[0]["Subject"]
    assert case.reference in mail_server.text(letters[0])

    requester = Person(browser, live_server.url, language="fr", name="amendment-requester")
    requester.sign_in(requester_user.email)
    requester.go(f"/requests/{case.pk}/")
    requester.snap("amendment-letter")
    assert REASON in requester.page.locator(".amendment-letter").inner_text()
    assert "Décision modifiée" in requester.page.locator(".timeline").inner_text()
    assert "Gagnon" not in requester.text() and "Roy" not in requester.text()
