"""The requester's intake through the HTTP views: draft, steps, review, submission.

The helpers at the top are shared by the other ``test_intake_*`` modules and
``test_request_pages``.
"""

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from portal.models import AuditEvent
from requests_app import clock, forms
from requests_app.models import DataRequest, Status, TableSpecification
from tests import factories
from tests.requests_app.pages import (
    assert_kept,
    complete_draft,
    new_draft,
    profile_post,
    project_post,
    text,
    url,
)

# --- The happy path ----------------------------------------------------------------------


def test_intake_through_every_step_submits_with_acknowledgement(requester, requester_client, dataset):
    client = requester_client
    case = new_draft(client)
    assert case.status == Status.DRAFT
    assert case.requester == requester

    response = client.post(url("profile", case), profile_post())
    assert response.status_code == 302
    assert response.url == url("project", case)

    response = client.post(url("project", case), project_post())
    assert response.url == url("data", case)

    response = client.get(url("data", case))
    assert response.status_code == 200
    response = client.get(url("specification_new", case), {"dataset": dataset.code})
    assert response.status_code == 200
    dims = factories.dimension_codes(dataset)
    response = client.post(
        url("specification_new", case),
        {"dataset": dataset.code, "measure": "persons", "dimensions": dims[:2]},
    )
    assert response.url == url("data", case)
    response = client.post(url("data", case), {"action": "continue"})
    assert response.url == url("attachments", case)

    response = client.post(
        url("attachments", case), {"kind": "protocol", "file": factories.pdf_file(), "action": "continue"}
    )
    assert response.url == url("declarations", case)

    response = client.post(
        url("declarations", case),
        {"declares_no_reidentification": "on", "declares_source_citation": "on", "action": "continue"},
    )
    assert response.url == url("review", case)

    response = client.get(url("review", case))
    assert response.status_code == 200
    assert forms.step_errors(DataRequest.objects.get(pk=case.pk)) == {}
    assert "Submit the request" in text(response)
    assert_kept(response, factories.PROJECT["title"])
    assert "protocol.pdf" in text(response)

    response = client.post(url("submit", case))
    assert response.status_code == 302
    assert response.url == url("acknowledgement", case)

    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    year = timezone.localtime(case.received_at).year
    assert case.reference == f"DA-{year}-00001"
    assert case.received_at is not None
    # 20 days, or the next working day when the 20th is a Sunday or a holiday (I-16 s. 52): received today,
    # whatever today is, so the expectation goes through the rule (tests/requests_app/test_calendar.py).
    assert case.due_at == clock.due_at(received_at=case.received_at)
    assert case.due_at >= case.received_at + timedelta(days=20)
    assert case.acknowledgement
    assert case.reference in case.acknowledgement

    response = client.get(response.url)
    page = text(response)
    assert case.reference in page
    with translation.override("en"):
        assert date_format(timezone.localtime(case.due_at), "DATE_FORMAT") in page
    assert "by up to 10 days" in unescape(page)
    assert "deemed to have refused access" in unescape(page)
    assert "Commission d'accès à l'information" in unescape(page)
    assert escape(case.acknowledgement.splitlines()[0]) in page


def test_intake_history_rows_record_the_requester_and_a_reason(requester, requester_client, dataset):
    case = new_draft(requester_client)
    requester_client.post(url("profile", case), profile_post())
    requester_client.post(url("project", case), project_post())
    requester_client.post(
        url("specification_new", case), {"dataset": dataset.code, "measure": "persons", "dimensions": []}
    )
    requester_client.post(
        url("attachments", case), {"kind": "protocol", "file": factories.pdf_file(), "action": "save"}
    )

    records = list(DataRequest.history.filter(id=case.pk))
    assert len(records) == 3  # created, profile saved, project saved
    assert {record.history_user_id for record in records} == {requester.pk}
    # A reason is words a person wrote: the portal's own saves give none, in no language; what changed is the
    # record's (created, then the fields of each step), read in the reader's language.
    assert [record.history_type for record in sorted(records, key=lambda r: r.history_id)] == ["+", "~", "~"]
    assert not any(record.history_change_reason for record in records)
    spec_record = TableSpecification.history.get(request_id=case.pk)
    assert spec_record.history_user_id == requester.pk
    assert not spec_record.history_change_reason
    attachment_record = case.attachments.get().history.get()
    assert attachment_record.history_user_id == requester.pk
    assert not attachment_record.history_change_reason


def test_submission_history_row_records_the_requester(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    requester_client.post(url("submit", case))
    record = DataRequest.history.filter(id=case.pk).latest("history_date")
    assert record.status == Status.RECEIVED
    assert record.history_user_id == requester.pk
    submitted = AuditEvent.objects.get(case_id=case.pk, event_type="request.submitted")
    assert (submitted.actor_id, submitted.payload["history"]) == (requester.pk, record.history_id)


# --- Drafts and the step indicator -----------------------------------------------------------


def test_opening_a_new_request_creates_no_draft(requester_client):
    response = requester_client.get(url("create"))
    assert response.status_code == 200
    assert not DataRequest.objects.exists()


def test_step_pages_show_the_step_indicator(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    for step in ("profile", "project", "data", "attachments", "declarations", "review"):
        response = requester_client.get(url(step, case))
        assert response.status_code == 200, step
        page = text(response)
        assert '<ol class="steps">' in page
        current = re.findall(r'<li class="step-current" aria-current="step">', page)
        assert len(current) == 1, step
        assert page.count("step-done") >= 4, step


def test_step_indicator_marks_only_complete_steps_done(requester_client):
    case = new_draft(requester_client)
    requester_client.post(url("profile", case), profile_post())
    page = text(requester_client.get(url("project", case)))
    done = re.findall(r'<li class="step-done">\s*<a href="([^"]+)"', page)
    assert url("profile", case) in done
    assert url("data", case) not in done
    assert url("declarations", case) not in done


def test_step_pages_have_save_and_continue_save_draft_and_back(requester_client):
    case = new_draft(requester_client)
    for step in ("profile", "project", "data", "attachments", "declarations"):
        page = text(requester_client.get(url(step, case)))
        assert 'value="continue"' in page and "Save and continue" in page, step
        assert 'value="save"' in page and "Save draft" in page, step
        assert ">Back</a>" in page, step


def test_save_draft_stays_on_the_step_and_keeps_partial_values(requester_client):
    case = new_draft(requester_client)
    response = requester_client.post(url("project", case), {"title": "Half done", "action": "save"})
    assert response.status_code == 302
    assert response.url == url("project", case)
    case.refresh_from_db()
    assert case.title == "Half done"
    assert case.purpose == ""
    response = requester_client.get(url("project", case))
    assert_kept(response, "Half done")


def test_review_lists_the_problems_with_links_to_their_steps(requester_client):
    case = new_draft(requester_client)
    response = requester_client.get(url("review", case))
    page = text(response)
    assert "Before you can submit" in page
    assert f'href="{url("project", case)}"' in page
    assert f'href="{url("data", case)}"' in page
    assert f'href="{url("declarations", case)}"' in page
    assert "Enter the title of the project." in page
    assert "Add at least one table" in page
    assert "Submit the request" not in page


def test_submit_of_an_incomplete_draft_is_refused(requester_client):
    case = new_draft(requester_client)
    response = requester_client.post(url("submit", case), follow=True)
    assert response.redirect_chain[-1][0] == url("review", case)
    assert "The request is not complete yet" in text(response)
    case.refresh_from_db()
    assert case.status == Status.DRAFT
    assert case.reference is None


def test_submit_by_get_is_not_allowed(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    assert requester_client.get(url("submit", case)).status_code == 405
    case.refresh_from_db()
    assert case.status == Status.DRAFT


def test_submitted_request_step_pages_redirect_to_the_detail(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    title = case.title
    for step in ("profile", "project", "data", "attachments", "declarations", "review"):
        response = requester_client.get(url(step, case))
        assert response.status_code == 302, step
        assert response.url == url("detail", case), step
    response = requester_client.post(url("project", case), project_post(title="Changed after submission"), follow=True)
    assert response.redirect_chain[-1][0] == url("detail", case)
    assert "it can no longer be changed" in text(response)
    case.refresh_from_db()
    assert case.title == title


def test_submitted_request_tables_and_documents_cannot_change(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    spec = case.specifications.get()
    attachment = case.attachments.get()
    responses = [
        requester_client.post(url("specification_delete", case, specification_pk=spec.pk)),
        requester_client.post(url("specification_edit", case, specification_pk=spec.pk), {"measure": "services"}),
        requester_client.post(url("attachment_delete", case, attachment_pk=attachment.pk)),
        requester_client.post(url("attachments", case), {"kind": "other", "file": factories.pdf_file("x.pdf")}),
        requester_client.post(url("submit", case)),
    ]
    assert all(response.status_code == 302 and response.url == url("detail", case) for response in responses)
    spec.refresh_from_db()
    assert spec.measure.code == "persons"
    assert case.attachments.count() == 1


def test_acknowledgement_of_a_draft_redirects_to_the_review(requester_client):
    case = new_draft(requester_client)
    response = requester_client.get(url("acknowledgement", case))
    assert response.status_code == 302
    assert response.url == url("review", case)


def test_html_in_a_text_field_is_shown_as_text(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    script = "<script>alert('x')</script><b>bold</b>"
    requester_client.post(url("project", case), project_post(title=script[:200], purpose=script))
    for page_url in (url("review", case), url("detail", case), url("list")):
        page = text(requester_client.get(page_url))
        assert "<script>alert" not in page, page_url
        assert "<b>bold</b>" not in page, page_url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page, page_url


def test_step_errors_of_a_new_draft_name_each_missing_step(requester):
    from requests_app import services

    case = services.request_create_draft(requester=requester)
    problems = forms.step_errors(case)
    assert set(problems) == {"profile", "project", "data", "declarations"}
    assert "Choose the requester category that describes you." in problems["profile"]
    assert "Enter the title of the project." in problems["project"]
    assert problems["data"] == ["Add at least one table: choose a dataset, a measure and the dimensions."]
    assert len(problems["declarations"]) == 2


def test_step_errors_of_a_complete_draft_are_empty(requester, dataset):
    case = complete_draft(requester, dataset)
    assert forms.step_errors(case) == {}


def test_step_errors_flag_a_table_whose_dataset_left_the_catalogue(requester, dataset):
    case = complete_draft(requester, dataset)
    dataset.is_active = False
    dataset.save()
    problems = forms.step_errors(case)
    assert list(problems) == ["data"]
    assert problems["data"][0].startswith("Table 1:")
    assert "dataset" in problems["data"][0]


# --- Markup: every page well formed, every input labelled ------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _MarkupChecker(HTMLParser):
    """Collects unbalanced tags, duplicate ids and inputs that no label names."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.inputs: list[tuple[str, bool]] = []  # (id, inside a label)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            if attributes["id"] in self.ids:
                self.problems.append(f"duplicate id {attributes['id']}")
            self.ids.add(attributes["id"])
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"])
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit"):
            self.inputs.append((attributes.get("id", ""), "label" in self.stack))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '-'}>")
            return
        self.stack.pop()

    def check(self, page: str) -> list[str]:
        self.feed(page)
        self.close()
        unlabelled = [i for i, wrapped in self.inputs if not wrapped and i not in self.label_for]
        return self.problems + [f"unclosed {tag}" for tag in self.stack] + [f"no label for {i}" for i in unlabelled]


def test_intake_pages_are_well_formed_and_every_input_is_labelled(requester, requester_client, dataset):
    draft = complete_draft(requester, dataset)
    spec = draft.specifications.get()
    empty = new_draft(requester_client)
    submitted = factories.make_request(requester=requester, dataset=dataset)
    pages = [
        requester_client.get(url("list")),
        requester_client.get(url("detail", draft)),
        requester_client.get(url("detail", submitted)),
        requester_client.get(url("acknowledgement", submitted)),
        requester_client.get(url("withdraw", submitted)),
        requester_client.post(url("withdraw", submitted), {"reason": ""}),
        requester_client.get(url("delete", draft)),
        requester_client.get(url("specification_new", draft), {"dataset": dataset.code}),
        requester_client.get(url("specification_edit", draft, specification_pk=spec.pk)),
        requester_client.post(url("specification_new", draft), {"dataset": dataset.code}),
        requester_client.get(url("specification_new", draft), {"dataset": "nope"}),
        requester_client.post(url("data", empty), {"action": "continue"}),
        requester_client.post(url("attachments", empty), {"action": "upload"}),
        requester_client.post(url("profile", empty), {"action": "continue"}),
        requester_client.post(url("project", empty), {"action": "continue"}),
        requester_client.post(url("declarations", empty), {"action": "continue"}),
        requester_client.get(url("review", empty)),
    ]
    pages += [requester_client.get(url(step, draft)) for step in forms.STEP_KEYS]
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert _MarkupChecker().check(text(response)) == [], response.request["PATH_INFO"]
