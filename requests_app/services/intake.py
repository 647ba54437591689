"""The requester's side: drafts, tables, documents, submission and withdrawal."""

from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import trail
from requests_app import clock, permissions, workflow
from requests_app.attachments import check_uploaded_file
from requests_app.forms import step_errors
from requests_app.history import delete_with_history, save_with_history
from requests_app.models import (
    Attachment,
    DataRequest,
    ReferenceSequence,
    TableSpecification,
)
from stats_app.catalogue import validate_specification

STEP_FIELDS = {
    "profile": [
        "contact_name",
        "organisation",
        "position",
        "phone",
        "requester_category",
        "accommodation",
        "accommodation_details",
    ],
    "project": [
        "title",
        "purpose",
        "public_interest",
        "intended_publication",
        "use_starts_on",
        "use_ends_on",
        "legal_basis",
        "legal_basis_details",
        "ethics_approval",
        "ethics_reference",
    ],
    "declarations": ["declares_no_reidentification", "declares_source_citation"],
}


# --- Drafts -------------------------------------------------------------------


@transaction.atomic
def request_create_draft(*, requester, language: str | None = None) -> DataRequest:
    """Open a draft for ``requester``, prefilled from their account; they alone may see it.

    Raises ``PermissionDenied`` for a staff account (``permissions.user_can_file_requests``).
    """
    permissions.check(permissions.user_can_file_requests(requester))
    case = DataRequest(
        requester=requester,
        language=language or requester.language,
        contact_name=requester.get_full_name(),
    )
    save_with_history(case, actor=requester)
    permissions.grant_requester_permissions(user=requester, case=case)
    return case


def profile_defaults(requester) -> dict:
    """What a new request's first step starts from: the profile of the requester's latest request, or their name."""
    latest = requester.data_requests.order_by("-created_at", "-pk").first() if requester.pk else None
    if latest is None:
        return {"contact_name": requester.get_full_name()}
    return {name: getattr(latest, name) for name in STEP_FIELDS["profile"]}


@transaction.atomic
def request_start(*, requester, profile: dict) -> DataRequest:
    """A new request's first save: the draft is created then, with its profile (nothing before it)."""
    case = request_create_draft(requester=requester)
    return request_update_draft(case=case, actor=requester, step="profile", values=profile)


@transaction.atomic
def request_from_publication(*, requester, specification: dict, dataset, measure) -> DataRequest:
    """ "Request this same table" from the public register: a new draft, from the requester's latest profile,
    holding the published table's specification (dataset, measure, dimensions, filters), to adjust or send."""
    case = request_start(requester=requester, profile=profile_defaults(requester))
    specification_save(
        case=case,
        actor=requester,
        dataset=dataset,
        measure=measure,
        dimensions=list(specification.get("dimensions", [])),
        filters=specification.get("filters") or None,
    )
    return case


@transaction.atomic
def request_update_draft(*, case: DataRequest, actor, step: str, values: dict) -> DataRequest:
    """Save one step of the intake form. Only that step's fields are written."""
    permissions.check_user_can_edit_draft(actor, case)
    changed = []
    for name in STEP_FIELDS[step]:
        if name in values and getattr(case, name) != values[name]:
            setattr(case, name, values[name])
            changed.append(name)
    if changed:
        save_with_history(case, actor=actor)
    return case


@transaction.atomic
def request_delete_draft(*, case: DataRequest, actor) -> None:
    permissions.check_user_can_view_request(actor, case)
    permissions.check(permissions.user_can_delete_draft(actor, case))
    for attachment in case.attachments.all():
        transaction.on_commit(lambda name=attachment.file.name, storage=attachment.file.storage: storage.delete(name))
    delete_with_history(case, actor=actor)


# --- Table specifications -----------------------------------------------------


@transaction.atomic
def specification_save(
    *,
    case: DataRequest,
    actor,
    dataset,
    measure,
    dimensions: list[str],
    filters: dict | None = None,
    specification: TableSpecification | None = None,
) -> TableSpecification:
    """Add a table to a draft, or change one, after checking it against the catalogue."""
    permissions.check_user_can_edit_draft(actor, case)
    resolved = validate_specification(dataset=dataset, measure=measure, dimensions=dimensions, filters=filters)
    if specification is None:
        specification = TableSpecification(request=case)
    elif specification.request_id != case.pk:
        raise ValidationError(_("This table belongs to another request."))
    specification.dataset = resolved.dataset
    specification.measure = resolved.measure
    specification.dimensions = resolved.dimension_codes
    specification.filters = {code: list(values) for code, values in resolved.filters.items()}
    save_with_history(specification, actor=actor)
    return specification


@transaction.atomic
def specification_delete(*, case: DataRequest, actor, specification: TableSpecification) -> None:
    permissions.check_user_can_edit_draft(actor, case)
    if specification.request_id != case.pk:
        raise ValidationError(_("This table belongs to another request."))
    delete_with_history(specification, actor=actor)


# --- Attachments ----------------------------------------------------------------


@transaction.atomic
def attachment_add(*, case: DataRequest, actor, kind: str, uploaded) -> Attachment:
    """Store a checked document with the draft, outside the web root."""
    permissions.check_user_can_edit_draft(actor, case)
    return attachment_store(case=case, actor=actor, kind=kind, uploaded=uploaded)


@contextmanager
def files_removed_on_failure():
    """Collect the attachments stored inside the block; if the block fails, their files leave the disk too.

    The database rolls their rows back; the files are not in the database, so this
    removes them (``attachment_store`` does the same for a failure of its own save).
    """
    stored: list[Attachment] = []
    try:
        yield stored
    except BaseException:
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise


def attachment_store(
    *, case: DataRequest, actor, kind: str, uploaded, clarification=None, message=None, field: str = "file"
) -> Attachment:
    """Check ``uploaded`` as at intake and store it with the case, outside the web root, with its history.

    The caller has checked who may add it. A document sent after filing comes with
    the answer to a ``clarification`` or with a ``message``, and is an event of the
    trail. ``field`` names the form field its errors belong to. If saving it fails,
    the file on disk goes too; a caller whose own transaction may fail later stores
    inside ``files_removed_on_failure``.
    """
    try:
        checked = check_uploaded_file(uploaded)
    except ValidationError as error:
        if field == "file":
            raise
        raise ValidationError({field: error.messages}) from error  # named after the caller's form field
    attachment = Attachment(
        request=case,
        kind=kind,
        original_name=uploaded.name[:255],
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
        clarification=clarification,
        message=message,
    )
    attachment.file.save(uploaded.name, uploaded, save=False)
    name, storage = attachment.file.name, attachment.file.storage
    after_filing = clarification is not None or message is not None
    try:
        save_with_history(
            attachment,
            actor=actor,
            **(
                {
                    "event": trail.EventType.DOCUMENT_ADDED,
                    "case_id": case.pk,
                    "payload": {
                        "kind": kind,
                        "sha256": checked.sha256,
                        "with": "clarification" if clarification is not None else "message",
                    },
                }
                if after_filing
                else {}
            ),
        )
    except BaseException:
        storage.delete(name)  # no orphan file on disk
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, case: DataRequest, actor, attachment: Attachment) -> None:
    permissions.check_user_can_edit_draft(actor, case)
    if attachment.request_id != case.pk:
        raise ValidationError(_("This document belongs to another request."))
    name, storage = attachment.file.name, attachment.file.storage
    delete_with_history(attachment, actor=actor)
    transaction.on_commit(lambda: storage.delete(name))


# --- Submission and withdrawal ------------------------------------------------


def submission_problems(case: DataRequest) -> dict[str, list[str]]:
    """What still keeps a draft from being submitted, by intake step."""
    return step_errors(case)


def next_reference(*, year: int) -> str:
    """The next reference of ``year`` (``DA-2026-00001``); call inside a transaction.

    The year's row is locked, so concurrent submissions queue here and each
    gets its own number; the unique constraint on ``reference`` backs it up.
    """
    ReferenceSequence.objects.bulk_create([ReferenceSequence(year=year)], ignore_conflicts=True)
    sequence = ReferenceSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"DA-{year}-{sequence.last_number:05d}"


def render_acknowledgement(case: DataRequest) -> str:
    """The written notice of receipt (Access Act s. 46), in the requester's language."""
    with translation.override(case.language):
        return render_to_string("requests_app/acknowledgement.txt", acknowledgement_context(case)).strip()


def acknowledgement_context(case) -> dict:
    """What the acknowledgement's template reads: the case (reference, receipt, due date) and the Act's delays."""
    return {
        "case": case,
        "delay_days": settings.STATUTORY_DELAY_DAYS,
        "extension_days": settings.EXTENSION_DAYS,
        "review_days": settings.REVIEW_REQUEST_DAYS,
    }


def request_submit(*, case: DataRequest, actor, now: datetime | None = None) -> DataRequest:
    """File the request: give it a reference, start the statutory clock, keep the acknowledgement."""
    problems = submission_problems(case)
    if problems:
        raise ValidationError(_("The request is not complete yet. Correct the steps marked below, then submit again."))

    def stamp(locked: DataRequest, at: datetime) -> None:
        locked.reference = next_reference(year=timezone.localtime(at).year)
        locked.received_at = at
        locked.due_at = clock.due_at(received_at=at)
        locked.acknowledgement = render_acknowledgement(locked)

    # The audit event says it all; a free-text reason here would freeze one language in the history.
    return workflow.transition(case=case, name="submit", actor=actor, reason="", now=now, apply=stamp)


def request_withdraw(*, case: DataRequest, actor, reason: str, now: datetime | None = None) -> DataRequest:
    """The requester withdraws a request that is not decided yet; the reason is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you withdraw the request.")})

    def record(locked: DataRequest, at: datetime) -> None:
        locked.withdrawn_at = at
        locked.withdrawal_reason = reason

    return workflow.transition(case=case, name="withdraw", actor=actor, reason=reason, now=now, apply=record)
