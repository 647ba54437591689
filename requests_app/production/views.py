"""Outputs: the checker's queue and page, release and return, a new run, and the downloads.

Every job is loaded through ``selectors.get_job_for_checker`` or checked by
``requests_app.permissions``: a job the user may not see answers 404; a page of
another role answers 403.
"""

import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from requests_app import conditions, permissions
from requests_app.production import jobs, selectors
from requests_app.production.forms import JobNoteForm, OutputReturnForm
from requests_app.production.models import TableJob
from requests_app.states import JobState
from requests_app.workflow import TransitionError
from stats_app import outputs
from stats_app.ledger import ReleaseRefused
from stats_app.models import DISCLOSURE_SETTINGS, Dataset, DisclosurePolicy

logger = logging.getLogger(__name__)


def checker_required(view):
    """The output checker's pages: 403 for anyone else."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.user_is_output_checker(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@checker_required
@require_GET
def output_queue(request):
    page = Paginator(selectors.checker_queue(), 25).get_page(request.GET.get("page"))
    return render(request, "outputs/queue.html", {"page": page, "jobs": page.object_list})


def _page_number(request) -> int:
    """The table's page asked for; anything that is not a number is the first page."""
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def report_in_language(summary: dict) -> dict:
    """The disclosure report's method, parameters and rules named in the page's language (the engine speaks codes)."""
    methods = dict(DisclosurePolicy.choices)
    # The parameters are the dataset's settings: their names are the fields' own. The rules have codes of their own.
    names = {name: capfirst(Dataset._meta.get_field(name).verbose_name) for name in DISCLOSURE_SETTINGS}
    names |= {
        "zeros": _("Zeros"),
        "dominance": _("Dominance"),
        "secondary": _("Secondary (to protect the others)"),
    }

    def shown(value):
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        return value

    names["requested_method"] = _("Method asked for")
    parameters = summary.get("parameters") or {}
    notes = [audit_note_text(note) for note in summary.get("audit_notes") or []]
    if "requested_method" in parameters:
        notes.insert(0, _("Rounding applies to counts; amounts are always protected by suppression."))
    return {
        "method": methods.get(summary.get("method"), summary.get("method")),
        "parameters": [
            (names.get(key, key), methods.get(value, value) if key == "requested_method" else shown(value))
            for key, value in parameters.items()
            if key != "note"  # a sentence of the engine's, in English, before its reports spoke codes
        ],
        "rules": [(names.get(key, key), count) for key, count in (summary.get("suppressed_by_rule") or {}).items()],
        "notes": notes,
    }


#: The wording of each line of the audit's account (``disclosure.table.audit_note``: a code and its numbers).
AUDIT_NOTES = {
    "primary_rules_and_margins_hold": gettext_lazy(
        "Every published cell passes the primary rules; every fully published margin is consistent."
    ),
    "attacker_programs": gettext_lazy(
        "The attacker's linear programs: %(solved)s solved for %(suppressed)s suppressed cells"
        " in %(groups)s linked groups."
    ),
    "narrowest_interval": gettext_lazy("Narrowest interval of a suppressed cell: %(ratio)s times the required width."),
    "rounded_counts_checked": gettext_lazy(
        "%(counts)s published counts checked: multiples of %(base)s, none from 1 to %(threshold)s,"
        " margins equal to the sums of their published cells."
    ),
    "rounding_programs": gettext_lazy(
        "The attacker's programs over the rounding intervals: %(solved)s solved;"
        " %(narrowed)s redacted cells narrowed inside [1, %(below)s]."
    ),
    "randomly_rounded_counts_checked": gettext_lazy(
        "%(counts)s counts checked: multiples of %(base)s, each within %(within)s of the warehouse value."
    ),
    "linked_protection": gettext_lazy(
        "Protected jointly with %(tables)s linked tables: %(populations)s populations in the program,"
        " %(derived)s of them differences of nested populations."
    ),
}


def audit_note_text(note) -> str:
    """One line of the audit's account in the page's language. A table produced before the engine spoke codes
    kept its English sentence: it is shown as it is."""
    if not isinstance(note, dict):
        return str(note)
    code, numbers = note.get("note"), {key: value for key, value in note.items() if key != "note"}
    if code == "narrowest_interval":
        if numbers.get("ratio") is None:
            return _("Narrowest interval of a suppressed cell: unbounded.")
        numbers["ratio"] = number_format(numbers["ratio"], 2)
    wording = AUDIT_NOTES.get(code)
    return str(wording) % numbers if wording is not None else str(code)


def release_checklist() -> list[tuple[str, str]]:
    """The points a checker attests before release (``jobs.CHECKLIST``), worded in the page's language."""
    words = {
        "aggregates_only": _("Every value is an aggregate of several persons: no row describes one person."),
        "no_identifiers": _("No column, label or filter names, locates or identifies a person."),
        "suppression_holds": _(
            "The suppressed cells cannot be recovered from the margins, nor from the linked tables listed above."
        ),
    }
    return [(point, words[point]) for point in jobs.CHECKLIST]


def independent_checks(user, job) -> dict:
    """Where the run stands when its dataset needs two independent checks: how many are done, and whether
    ``user`` gave one. Never whose, nor what they attested: the second checker decides on their own."""
    needed = permissions.checks_needed(job)
    reviewers = permissions.reviewers_of_run(job) if job.state == JobState.READY_FOR_CHECKING else set()
    return {"needed": needed, "done": len(reviewers), "by_me": user.pk in reviewers, "independent": needed > 1}


def _visible_notes(user, job, checks: dict):
    """The notes on the table; with independent checks, a checker who has not checked this run yet does not read
    what the others wrote on it (they stay kept, and are shown once the run is checked or the table leaves)."""
    notes = job.notes.select_related("author")
    if checks["independent"] and job.state == JobState.READY_FOR_CHECKING and not checks["by_me"]:
        hidden = notes.filter(run=job.run).exclude(author=user)
        return notes.exclude(pk__in=hidden.values("pk")), hidden.count()
    return notes, 0


def _detail_page(request, job, *, return_form=None, note_form=None, status=200):
    may_check = permissions.user_can_check_job(request.user, job)
    checks = independent_checks(request.user, job)
    notes, notes_hidden = _visible_notes(request.user, job, checks)
    return render(
        request,
        "outputs/detail.html",
        {
            "job": job,
            "preview": selectors.preview(
                job,
                page=_page_number(request),
                suppressed_only=request.GET.get("suppressed") == "1",
                reasons=selectors.suppression_reasons(job),
            ),
            "pivot": selectors.pivot(
                job,
                rows=request.GET.get("rows", ""),
                columns=request.GET.get("columns", ""),
                fixed={key.removeprefix("at_"): value for key, value in request.GET.items() if key.startswith("at_")},
            ),
            "summary": job.summary,
            "may_check": may_check,
            "may_attest": permissions.user_can_review_job(request.user, job)
            or permissions.user_can_release_job(request.user, job),
            "releases_now": permissions.user_can_release_job(request.user, job),
            "checks": checks,
            "notes_hidden": notes_hidden,
            # Every visitor here is a checker: one who may not check a waiting output worked on it.
            "worked_on_it": not may_check and job.state == JobState.READY_FOR_CHECKING,
            "return_form": return_form or (OutputReturnForm() if may_check else None),
            "file_names": outputs.FILE_NAMES,
            "owner_conditions": conditions.for_dataset(job.request, job.table.dataset),
            "checklist": release_checklist(),
            "report": report_in_language(job.summary or {}),
            "notes": notes,
            "note_form": note_form or JobNoteForm(),
        },
        status=status,
    )


@checker_required
@require_GET
def output_detail(request, pk: int):
    return _detail_page(request, selectors.get_job_for_checker(request.user, pk))


@checker_required
@require_POST
def output_release(request, pk: int):
    job = selectors.get_job_for_checker(request.user, pk)
    try:
        checked = jobs.output_release(job=job, actor=request.user, attested=set(request.POST.getlist("attest")))
    except (TransitionError, ReleaseRefused) as error:
        messages.error(request, str(error))
        return redirect("outputs:detail", pk=job.pk)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("outputs:detail", pk=job.pk)
    if checked.state != JobState.RELEASED:
        messages.success(
            request, _("Your check is recorded. Another output checker must check this table before it is released.")
        )
        return redirect("outputs:queue")
    messages.success(request, _("The output is released: the requester can download it now."))
    return redirect("outputs:queue")


@checker_required
@require_POST
def output_return(request, pk: int):
    job = selectors.get_job_for_checker(request.user, pk)
    permissions.check_user_can_check_job(request.user, job)
    form = OutputReturnForm(request.POST)
    if form.is_valid():
        try:
            jobs.output_return(job=job, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The output is returned to the officer with your reason."))
            return redirect("outputs:queue")
    return _detail_page(request, job, return_form=form, status=400)


@checker_required
@require_POST
def job_note_add(request, pk: int):
    job = selectors.get_job_for_checker(request.user, pk)
    form = JobNoteForm(request.POST)
    if form.is_valid():
        try:
            jobs.job_note_add(job=job, actor=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Your note is kept with the table."))
            return redirect(f"{reverse('outputs:detail', kwargs={'pk': job.pk})}#notes-title")
    return _detail_page(request, job, note_form=form, status=400)


@login_required
@require_POST
def job_rerun(request, pk: int):
    """The officer runs a failed or returned job again (after adjusting its table, if need be)."""
    job = TableJob.objects.filter(pk=pk).select_related("request", "table").first()
    if job is None or not permissions.user_can_view_request(request.user, job.request):
        raise Http404
    jobs.job_rerun(job=job, actor=request.user)
    messages.success(request, _("The table is queued to be produced again."))
    return redirect(f"{reverse('workspace:case', kwargs={'pk': job.request_id})}#jobs-title")


@login_required
@require_GET
@never_cache
def output_text(request, pk: int):
    """A released table as plain text (an accessible format), for whoever may download its files; logged
    as a download of the CSV it renders."""
    job = TableJob.objects.filter(pk=pk).select_related("request", "table__dataset", "table__measure").first()
    if job is None or not permissions.user_can_download_output(request.user, job):
        raise Http404
    body = selectors.plain_text(job, title=f"{job.table.measure.name} — {job.table.dataset.name}")
    if body is None:
        raise Http404
    jobs.output_download_record(job=job, user=request.user, file_name=outputs.CSV_NAME)
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{job.request.reference}-{job.pk}-{selectors.TEXT_NAME}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
@never_cache
def output_download(request, pk: int, file_name: str):
    """One produced file, if the user may have it; each download is logged before it is sent."""
    job = TableJob.objects.filter(pk=pk).select_related("request", "table").first()
    if (
        job is None
        or file_name not in outputs.FILE_NAMES
        or not permissions.user_can_download_output(request.user, job)
    ):
        raise Http404
    path = jobs.output_folder(job) / file_name
    if not path.is_file():
        logger.error("Output %s of job %s is missing from storage", file_name, job.pk)
        raise Http404
    jobs.output_download_record(job=job, user=request.user, file_name=file_name)
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.request.reference}-{job.pk}-{file_name}",
        content_type=outputs.CONTENT_TYPES[file_name],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
