"""Step 4: documents are checked by name and content, stored outside the web root, served only to those allowed."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app.models import Attachment
from tests import factories
from tests.requests_app.pages import (
    client_for,
    complete_draft,
    field_error,
    new_draft,
    summary_links,
    text,
    url,
)


def upload(client, case, uploaded, *, kind="protocol", action="upload"):
    return client.post(url("attachments", case), {"kind": kind, "file": uploaded, "action": action})


def ooxml(name: str, main_part: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(main_part, "<document/>")
    return SimpleUploadedFile(name, buffer.getvalue())


def assert_refused_on_file(response, case, *, kind: str = "protocol") -> str:
    assert response.status_code == 200
    assert summary_links(response) == ["id_file"]
    assert f'<option value="{kind}" selected>' in text(response), "the kind chosen was lost"
    assert not Attachment.objects.filter(request=case).exists()
    return field_error(response, "id_file")


# --- Accepted files ---------------------------------------------------------------------


def test_pdf_upload_is_listed_and_stored_outside_the_web_root(requester, requester_client, case, settings):
    response = upload(requester_client, case, factories.pdf_file("My protocol.pdf"))
    assert response.status_code == 302
    assert response.url == url("attachments", case)
    attachment = case.attachments.get()
    assert (attachment.original_name, attachment.kind, attachment.content_type) == (
        "My protocol.pdf",
        "protocol",
        "application/pdf",
    )
    assert attachment.uploaded_by == requester
    stored = Path(attachment.file.path)
    assert stored.is_file()
    assert stored.is_relative_to(Path(settings.PRIVATE_FILES_ROOT))
    assert "My protocol" not in stored.name
    page = text(requester_client.get(url("attachments", case)))
    assert "My protocol.pdf" in page
    assert url("attachment_delete", case, attachment_pk=attachment.pk) in page


@pytest.mark.parametrize(
    "uploaded",
    [
        ooxml("approval.docx", "word/document.xml"),
        ooxml("budget.xlsx", "xl/workbook.xml"),
        SimpleUploadedFile("counts.csv", "région;n\nMontréal;12\n".encode()),
        SimpleUploadedFile("notes.txt", b"Plain notes"),
    ],
    ids=["docx", "xlsx", "csv", "txt"],
)
def test_office_and_text_uploads_are_accepted(requester_client, case, uploaded):
    response = upload(requester_client, case, uploaded, kind="other")
    assert response.status_code == 302
    assert case.attachments.get().original_name == uploaded.name


def test_upload_with_save_and_continue_goes_to_the_declarations(requester_client, case):
    response = upload(requester_client, case, factories.pdf_file(), action="continue")
    assert response.url == url("declarations", case)
    assert case.attachments.count() == 1


def test_save_and_continue_without_a_file_moves_on(requester_client, case):
    response = requester_client.post(url("attachments", case), {"kind": "", "action": "continue"})
    assert response.url == url("declarations", case)
    assert not case.attachments.exists()


# --- Refused files ---------------------------------------------------------------------


def test_executable_renamed_pdf_is_refused(requester_client, case):
    response = upload(requester_client, case, SimpleUploadedFile("protocol.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200))
    message = assert_refused_on_file(response, case)
    assert message.startswith("The content of this file is not a PDF document.")


def test_docx_that_is_not_a_zip_is_refused(requester_client, case):
    response = upload(requester_client, case, SimpleUploadedFile("approval.docx", b"Just some text, not a package"))
    assert "not a DOCX document" in assert_refused_on_file(response, case)


def test_spreadsheet_renamed_docx_is_refused(requester_client, case):
    response = upload(requester_client, case, ooxml("approval.docx", "xl/workbook.xml"))
    assert "not a DOCX document" in assert_refused_on_file(response, case)


def test_png_is_refused(requester_client, case):
    response = upload(requester_client, case, SimpleUploadedFile("chart.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64))
    assert assert_refused_on_file(response, case).startswith("This type of file is not accepted.")


def test_oversize_file_is_refused(requester_client, case, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = upload(requester_client, case, factories.pdf_file(size=2048), kind="ethics_approval")
    message = assert_refused_on_file(response, case, kind="ethics_approval")
    assert message.startswith("This file is 2.0\xa0KB; the limit is 1.0\xa0KB.")


def test_empty_file_is_refused(requester_client, case):
    response = upload(requester_client, case, SimpleUploadedFile("empty.pdf", b""))
    assert "empty" in assert_refused_on_file(response, case)


def test_attach_without_a_file_is_refused(requester_client, case):
    response = requester_client.post(url("attachments", case), {"kind": "protocol", "action": "upload"})
    assert assert_refused_on_file(response, case) == "File: choose the file to attach."


def test_file_without_kind_is_refused(requester_client, case):
    response = upload(requester_client, case, factories.pdf_file(), kind="")
    assert response.status_code == 200
    assert field_error(response, "id_kind") == "Kind of document: say what this file is."
    assert not case.attachments.exists()


def test_unknown_kind_is_refused(requester_client, case):
    response = upload(requester_client, case, factories.pdf_file(), kind="passport")
    assert response.status_code == 200
    assert field_error(response, "id_kind").startswith("Kind of document:")
    assert not case.attachments.exists()


def test_refused_upload_leaves_no_file_on_disk(requester_client, case, settings):
    upload(requester_client, case, SimpleUploadedFile("protocol.pdf", b"MZ" + b"\x00" * 100))
    root = Path(settings.PRIVATE_FILES_ROOT)
    assert not root.exists() or not any(path.is_file() for path in root.rglob("*"))


# --- Download ---------------------------------------------------------------------------


def test_download_returns_the_bytes_with_safe_headers(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    attachment = case.attachments.get()
    response = requester_client.get(url("attachment_download", case, attachment_pk=attachment.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == factories.pdf_file().read()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="protocol.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_download_keeps_an_accented_original_name(requester_client, case):
    upload(requester_client, case, factories.pdf_file("Protocole d'étude.pdf"))
    attachment = case.attachments.get()
    response = requester_client.get(url("attachment_download", case, attachment_pk=attachment.pk))
    assert response.status_code == 200
    assert "filename*=utf-8''Protocole%20d%27%C3%A9tude.pdf" in response["Content-Disposition"]


def test_download_of_a_submitted_request_still_works(requester, requester_client, dataset):
    case = factories.make_request(requester=requester, dataset=dataset)
    attachment = case.attachments.get()
    response = requester_client.get(url("attachment_download", case, attachment_pk=attachment.pk))
    assert response.status_code == 200


def test_download_of_another_requesters_attachment_is_404(requester, other_requester, dataset):
    theirs = complete_draft(other_requester, dataset)
    mine = complete_draft(requester, dataset)
    attachment = theirs.attachments.get()
    client = client_for(requester)
    assert client.get(url("attachment_download", theirs, attachment_pk=attachment.pk)).status_code == 404
    # Their attachment id under my own case is not found either.
    assert client.get(url("attachment_download", mine, attachment_pk=attachment.pk)).status_code == 404


def test_download_requires_login(requester, dataset, client):
    case = complete_draft(requester, dataset)
    attachment = case.attachments.get()
    response = client.get(url("attachment_download", case, attachment_pk=attachment.pk))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_download_of_a_file_missing_from_storage_is_404(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)
    attachment = case.attachments.get()
    Path(attachment.file.path).unlink()
    response = requester_client.get(url("attachment_download", case, attachment_pk=attachment.pk))
    assert response.status_code == 404


# --- Removal ----------------------------------------------------------------------------


def test_attachment_remove_deletes_the_row_and_the_file(requester, dataset, django_capture_on_commit_callbacks):
    case = complete_draft(requester, dataset)
    attachment = case.attachments.get()
    path = Path(attachment.file.path)
    client = client_for(requester)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("attachment_delete", case, attachment_pk=attachment.pk))
    assert response.status_code == 302
    assert response.url == url("attachments", case)
    assert not case.attachments.exists()
    assert not path.exists()


def test_attachment_of_another_request_cannot_be_removed(requester, requester_client, other_requester, dataset):
    mine = new_draft(requester_client)
    theirs = complete_draft(other_requester, dataset)
    attachment = theirs.attachments.get()
    for target in (mine, theirs):
        response = requester_client.post(url("attachment_delete", target, attachment_pk=attachment.pk))
        assert response.status_code == 404
    assert theirs.attachments.count() == 1


def test_review_suggests_the_ethics_letter_without_requiring_it(requester, requester_client, dataset):
    case = complete_draft(requester, dataset)  # ethics "obtained", only a protocol attached
    page = text(requester_client.get(url("review", case)))
    assert 'id="ethics-letter-hint"' in page
    assert "Submit the request" in page
    upload(requester_client, case, factories.pdf_file("approval.pdf"), kind="ethics_approval")
    assert 'id="ethics-letter-hint"' not in text(requester_client.get(url("review", case)))
