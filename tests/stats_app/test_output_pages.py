"""The outputs' pages: the checker's queue and check, the officer's retry, the requester's downloads."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from portal.roles import Role
from requests_app.models import Status
from requests_app.production import jobs
from requests_app.production.models import OutputDownload
from requests_app.states import JobState
from tests import factories
from tests.requests_app.pages import client_for, text

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]


def outputs_url(name: str, job=None, **kwargs) -> str:
    if job is not None:
        kwargs["pk"] = job.pk
    return reverse(f"outputs:{name}", kwargs=kwargs or None)


@pytest.fixture
def checker():
    return factories.make_user(role=Role.OUTPUT_CHECKER)


@pytest.fixture
def officer():
    return factories.make_user(role=Role.PRIVACY_OFFICER)


@pytest.fixture
def ready_job(officer):
    case = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    return case.table_jobs.get()


def test_the_checker_sees_the_outputs_waiting_and_other_roles_are_refused(ready_job, checker, officer):
    response = client_for(checker).get(outputs_url("queue"))

    assert response.status_code == 200
    assert ready_job.request.reference in text(response)
    assert client_for(officer).get(outputs_url("queue")).status_code == 403
    assert client_for(ready_job.request.requester).get(outputs_url("queue")).status_code == 403


def test_the_check_page_shows_the_summary_the_report_and_the_table(ready_job, checker):
    page = text(client_for(checker).get(outputs_url("detail", ready_job)))

    assert 'id="summary-cells">{}<'.format(ready_job.summary["cells"]) in page
    assert 'id="summary-suppressed">{}<'.format(ready_job.summary["suppressed"]) in page
    assert 'id="output-table"' in page
    assert 'id="release-form"' in page and 'id="return-form"' in page


def test_release_makes_the_files_downloadable_by_the_requester_and_each_download_is_logged(ready_job, checker):
    requester = ready_job.request.requester
    requester_client = client_for(requester)
    download = outputs_url("download", ready_job, file_name="table.csv")
    assert requester_client.get(download).status_code == 404

    response = client_for(checker).post(
        outputs_url("release", ready_job), {"attest": list(jobs.CHECKLIST)}, follow=True
    )

    assert "The output is released" in text(response)
    page = text(requester_client.get(reverse("requests_app:detail", kwargs={"pk": ready_job.request_id})))
    assert download in page
    response = requester_client.get(download)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    header = next(csv.reader(io.StringIO(body)))
    dimensions = ready_job.specification["dimensions"]
    assert header == [*dimensions, *(f"{code}_label" for code in dimensions), "value", "flag"]
    logged = OutputDownload.objects.get(job=ready_job, user=requester)
    assert logged.file_name == "table.csv" and logged.sha256 == ready_job.files["table.csv"]["sha256"]


def test_no_one_else_downloads_a_released_output(ready_job, checker):
    jobs.output_release(attested=jobs.CHECKLIST, job=ready_job, actor=checker)
    download = outputs_url("download", ready_job, file_name="table.csv")

    for stranger in (factories.make_user(), factories.make_user(role=Role.DATA_CUSTODIAN)):
        assert client_for(stranger).get(download).status_code == 404
    assert (
        client_for(ready_job.request.requester).get(outputs_url("download", ready_job, file_name="x.csv")).status_code
        == 404
    )


def test_a_return_without_reason_says_so_and_changes_nothing(ready_job, checker):
    response = client_for(checker).post(outputs_url("return", ready_job), {"reason": ""})

    assert response.status_code == 400
    assert "Say why the output is returned" in text(response)
    ready_job.refresh_from_db()
    assert ready_job.state == JobState.READY_FOR_CHECKING


def test_the_officer_cannot_check_their_own_case_and_is_told_why(ready_job, officer):
    officer.groups.add(factories.Group.objects.get(name=Role.OUTPUT_CHECKER))
    client = client_for(officer)

    page = text(client.get(outputs_url("detail", ready_job)))

    assert 'id="not-yours-to-check"' in page and 'id="release-form"' not in page
    assert client.post(outputs_url("release", ready_job)).status_code == 403


def test_the_officer_sees_a_returned_output_with_the_reason_and_runs_it_again(ready_job, checker, officer):
    jobs.output_return(job=ready_job, actor=checker, reason="Region 10 is almost all suppressed.")
    client = client_for(officer)

    page = text(client.get(reverse("workspace:case", kwargs={"pk": ready_job.request_id})))
    assert "Region 10 is almost all suppressed." in page
    assert outputs_url("rerun", ready_job) in page

    client.post(outputs_url("rerun", ready_job))
    ready_job.refresh_from_db()
    assert ready_job.state == JobState.QUEUED and ready_job.run == 2


def test_the_requester_sees_progress_without_details(officer):
    case = factories.make_request(status=Status.PRODUCING, officer=officer)

    page = text(client_for(case.requester).get(reverse("requests_app:detail", kwargs={"pk": case.pk})))

    assert "Being produced" in page
    # Neither the job's internals nor staff actions.
    assert "attempt(s)" not in page and "Queued" not in page and reverse("outputs:queue") not in page


# --- The checker's bench --------------------------------------------------------------------------------


def test_a_release_needs_every_point_of_the_checklist(ready_job, checker):
    client = client_for(checker)
    page = text(client.get(outputs_url("detail", ready_job)))
    for point in jobs.CHECKLIST:
        assert f'id="attest-{point}"' in page
    response = client.post(outputs_url("release", ready_job), {"attest": list(jobs.CHECKLIST[:-1])}, follow=True)
    assert "Tick every point of the checklist" in text(response)
    ready_job.refresh_from_db()
    assert ready_job.state == JobState.READY_FOR_CHECKING


def test_the_whole_table_is_paged_labelled_and_its_suppressed_rows_highlighted(ready_job, checker, monkeypatch):
    from requests_app.production import selectors

    client = client_for(checker)
    rows = ready_job.summary["cells"]
    monkeypatch.setattr(selectors, "PREVIEW_ROWS", 10)
    first = text(client.get(outputs_url("detail", ready_job)))
    pages = -(-rows // 10)
    assert f"Page 1 of {pages}" in first and 'rel="next"' in first
    last = text(client.get(outputs_url("detail", ready_job) + f"?page={pages}"))
    table = last[last.index('id="output-table"') :]
    shown = table[: table.index("</table>")].count("<tr") - 1  # the header row
    assert shown == rows - 10 * (pages - 1), "every row is reachable, page by page"
    assert text(client.get(outputs_url("detail", ready_job) + "?page=oops")).count("Page 1 of") == 1

    suppressed = text(client.get(outputs_url("detail", ready_job) + "?suppressed=1"))
    highlighted = suppressed.count('<tr class="suppressed">')
    assert highlighted == min(ready_job.summary["suppressed"], 10)
    assert f"{ready_job.summary['suppressed']} suppressed row" in suppressed
    # Labels, not codes: the demo's regions read by name.
    assert "Bas-Saint-Laurent" in first or "Montréal" in first or "Total" in first


def test_the_queue_puts_the_request_due_soonest_first(officer, checker):
    later = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    sooner = factories.make_request(status=Status.OUTPUT_CHECKING, officer=officer)
    type(sooner).objects.filter(pk=sooner.pk).update(due_at=later.due_at - timedelta(days=5))
    page = text(client_for(checker).get(outputs_url("queue")))
    assert page.index(sooner.reference) < page.index(later.reference)


def test_checkers_keep_notes_on_a_table_that_the_requester_never_sees(ready_job, checker):
    client = client_for(checker)
    refused = client.post(outputs_url("note", ready_job), {"body": "  "})
    assert refused.status_code == 400 and "Note: write the note." in text(refused)
    client.post(outputs_url("note", ready_job), {"body": "Region 10 looks thin; checked against 2023."})
    page = text(client.get(outputs_url("detail", ready_job)))
    assert "Region 10 looks thin; checked against 2023." in page
    note = ready_job.notes.get()
    assert (note.author, note.run) == (checker, ready_job.run)
    requester = client_for(ready_job.request.requester)
    mine = text(requester.get(reverse("requests_app:detail", kwargs={"pk": ready_job.request_id})))
    assert "Region 10 looks thin" not in mine
    assert requester.post(outputs_url("note", ready_job), {"body": "Mine."}).status_code == 403


def test_the_disclosure_report_speaks_the_pages_language(ready_job, checker):
    page = text(client_for(checker).get(outputs_url("detail", ready_job)))
    assert "Minimum cell count: 5" in page
    assert 'id="report-method">Cell suppression' in page


def test_the_audits_account_speaks_the_pages_language(ready_job, checker):
    """The engine writes codes and numbers; the checker reads its account in French or in English."""
    english = html.unescape(text(client_for(checker).get(outputs_url("detail", ready_job))))
    assert "The attacker's linear programs:" in english
    type(checker).objects.filter(pk=checker.pk).update(language="fr")
    french_client = Client()
    french_client.force_login(checker)
    french = html.unescape(text(french_client.get(outputs_url("detail", ready_job))))
    assert "Programmes linéaires de l'attaquant" in french
    assert "linear programs" not in french


def reasons_on(page: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for reason in re.findall(r'<span class="suppression-reason">([^<]+)</span>', page):
        found[reason] = found.get(reason, 0) + 1
    return found


def test_the_checker_is_told_which_suppressions_are_primary_and_which_secondary(ready_job, checker):
    """Every suppressed value says why, and the reasons add up to the engine's own count by rule."""
    page = client_for(checker).get(outputs_url("detail", ready_job), {"suppressed": "1"}).content.decode()
    by_rule = ready_job.summary["suppressed_by_rule"]
    assert sum(by_rule.values()) == ready_job.summary["suppressed"] > 0
    expected = {
        "Primary: fewer than the minimum count": by_rule.get("threshold", 0),
        "Primary: a zero, and the dataset does not publish zeros": by_rule.get("zeros", 0),
        "Secondary: hidden so that other cells cannot be recovered": by_rule.get("secondary", 0),
    }
    assert reasons_on(html.unescape(page)) == {reason: count for reason, count in expected.items() if count}


def test_the_reasons_stay_with_staff(ready_job, checker):
    jobs.output_release(attested=jobs.CHECKLIST, job=ready_job, actor=checker)
    # Released: the checker still reads them, from the ledger ...
    page = client_for(checker).get(outputs_url("detail", ready_job), {"suppressed": "1"}).content.decode()
    assert "Primary: fewer than the minimum count" in html.unescape(page)
    # ... the requester reads only which values are suppressed, on the page and in the plain-text rendering.
    requester = client_for(ready_job.request.requester)
    case_page = requester.get(reverse("requests_app:detail", kwargs={"pk": ready_job.request_id})).content.decode()
    assert "suppression-reason" not in case_page and "Primary:" not in case_page
    plain = requester.get(outputs_url("text", ready_job))
    assert plain.status_code == 200 and "Primary" not in plain.content.decode()


def csv_cells(job) -> dict[tuple, str]:
    """key -> the published value ("x" where suppressed), from the table's CSV."""
    rows = list(csv.reader((jobs.output_folder(job) / "table.csv").open(encoding="utf-8")))
    dimensions = len(job.specification["dimensions"])
    return {tuple(row[:dimensions]): ("x" if row[-1] == "x" else row[-2]) for row in rows[1:]}


def grid_of(page: str) -> list[list[str]]:
    table = page[page.index('id="pivot-table"') :]
    table = table[: table.index("</table>")]
    body = table[table.index("<tbody>") :]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def test_the_grid_view_shows_the_table_rows_by_columns_with_the_others_fixed(ready_job, checker):
    """The checker's pivot: one dimension down, one across; every cell is the CSV's, suppressed ones marked."""
    first, second = ready_job.specification["dimensions"][:2]
    cells = csv_cells(ready_job)
    client = client_for(checker)

    response = client.get(outputs_url("detail", ready_job), {"rows": second, "columns": first})
    page = html.unescape(response.content.decode())

    grid = grid_of(page)
    down = [key[1] for key in cells if key[0] == "Total"]
    across = [key[0] for key in cells if key[1] == "Total"]
    assert len(grid) == len(down)
    for row, code in zip(grid, sorted(down, key=lambda c: c == "Total"), strict=True):
        expected = [cells[(column, code)] for column in sorted(across, key=lambda c: c == "Total")]
        assert [("x" if value == "suppressed" else value.replace(",", "")) for value in row[1:]] == expected


def test_the_grid_view_survives_anything_typed_in_its_address(ready_job, checker):
    client = client_for(checker)
    for query in ({"rows": "nothing"}, {"rows": "x", "columns": "x"}, {"at_region": "99999"}, {"rows": "<script>"}):
        response = client.get(outputs_url("detail", ready_job), query)
        assert response.status_code == 200
        assert 'id="pivot-table"' in response.content.decode()
        assert "<script>" not in response.content.decode().split('id="pivot-title"')[1]
