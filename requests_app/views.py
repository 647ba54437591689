"""The requester's pages: their requests, the intake steps, submission and withdrawal.

Views are thin: each loads the case through ``permissions.get_request_for``
(404 for a case that is not the user's), makes one service call, and turns the
domain's exceptions into form errors or messages. No view writes a status.
"""

import logging
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from requests_app import clock, forms, permissions, register, selectors, services
from requests_app.legal_data import COMMISSION
from requests_app.models import AttachmentKind, EthicsApproval
from requests_app.production import selectors as production_selectors
from requests_app.workflow import TRANSITIONS, TransitionError, can_fire

logger = logging.getLogger(__name__)

#: Where each step's "Back" link and "Save and continue" lead.
_PREVIOUS = dict(zip(forms.STEP_KEYS[1:], forms.STEP_KEYS[:-1], strict=True))
_NEXT = dict(zip(forms.STEP_KEYS[:-1], forms.STEP_KEYS[1:], strict=True))

STAFF_CANNOT_FILE = permissions.STAFF_CANNOT_FILE


def _step_url(case, step: str) -> str:
    return reverse(f"requests_app:{step}", kwargs={"pk": case.pk})


def editable_draft(view):
    """Load the user's case and make sure it is still an editable draft.

    A submitted request's step pages answer with its detail page and a message
    (the requester followed an old link or a second tab); a case that is not
    theirs is a 404 from ``get_request_for``.
    """

    @login_required
    @wraps(view)
    def wrapper(request, pk, **kwargs):
        case = permissions.get_request_for(request.user, pk)
        if not permissions.user_can_edit_draft(request.user, case):
            if case.is_draft:
                raise PermissionDenied
            messages.info(request, _("This request was submitted: it can no longer be changed."))
            return redirect("requests_app:detail", pk=case.pk)
        return view(request, case, **kwargs)

    return wrapper


def _steps(case, current: str, problems: dict) -> list[dict]:
    """The step indicator: each step, whether complete, and which one is shown.

    Documents are optional, so that step shows as done once one is attached.
    """

    def done(key: str) -> bool:
        if key in (current, "review") or key in problems:
            return False
        return case.attachments.exists() if key == "attachments" else True

    return [
        {
            "key": key,
            "title": title,
            "number": number,
            "url": _step_url(case, key),
            "current": key == current,
            "done": done(key),
        }
        for number, (key, title) in enumerate(forms.STEPS, start=1)
    ]


def _problem_list(case, problems: dict) -> list[dict]:
    """What keeps the draft from being submitted, with the title and link of each step at fault."""
    titles = dict(forms.STEPS)
    return [
        {"step": step, "title": titles[step], "url": _step_url(case, step), "messages": step_messages}
        for step, step_messages in problems.items()
    ]


def _step_context(case, step: str, **extra) -> dict:
    previous = _PREVIOUS.get(step)
    problems = services.submission_problems(case)
    return {
        "case": case,
        "step": step,
        "step_title": dict(forms.STEPS)[step],
        "steps": _steps(case, step, problems),
        "problems": _problem_list(case, problems),
        "back_url": _step_url(case, previous) if previous else reverse("requests_app:detail", kwargs={"pk": case.pk}),
        **extra,
    }


def _after_save(request, case, step: str, *, finishing: bool):
    messages.success(request, _("Your draft is saved."))
    return redirect(_step_url(case, _NEXT[step] if finishing else step))


# --- My requests --------------------------------------------------------------------


@login_required
def request_list(request):
    context = {
        "cases": selectors.my_requests(request.user),
        "may_file": permissions.user_can_file_requests(request.user),
        "staff_cannot_file": STAFF_CANNOT_FILE,
    }
    return render(request, "requests_app/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request):
    """A new request's first step. The draft exists from its first save, not from the click on "New request";
    the form starts from the profile of the requester's latest request."""
    if not permissions.user_can_file_requests(request.user):
        messages.error(request, STAFF_CANNOT_FILE)
        return redirect("requests_app:list")
    form_class = forms.STEP_FORMS["profile"]
    if request.method == "POST":
        finishing = request.POST.get("action") == "continue"
        form = form_class(request.POST, complete=finishing)
        if form.is_valid():
            try:
                case = services.request_start(requester=request.user, profile=form.values())
            except ValidationError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("Your draft is created. It is saved at every step."))
                return redirect(_step_url(case, _NEXT["profile"] if finishing else "profile"))
    else:
        form = form_class(initial=services.profile_defaults(request.user))
    steps = [
        {"key": key, "title": title, "number": number, "url": None, "current": key == "profile", "done": False}
        for number, (key, title) in enumerate(forms.STEPS, start=1)
    ]
    context = {
        "case": None,
        "step": "profile",
        "step_title": dict(forms.STEPS)["profile"],
        "steps": steps,
        "problems": [],
        "back_url": reverse("requests_app:list"),
        "form": form,
    }
    return render(request, "requests_app/step_profile.html", context)


def _review_box(user, case, review_form=None) -> dict:
    """The right to a review by the Commission (Access Act ss. 135, 137): its lapse date, and what was recorded."""
    if case.is_draft:
        return {"review_lapses_on": None, "reviews": [], "review_form": None}
    now = timezone.now()
    lapses_on = clock.review_lapses_on(case, now=now)
    reviews = list(case.review_requests.all())
    may_record = (
        lapses_on is not None
        and permissions.user_is_requester_of(user, case)
        and not any(review.is_open for review in reviews)
    )
    return {
        "review_lapses_on": lapses_on,
        "review_lapsed": lapses_on is not None and clock.local_date(now) > lapses_on,
        "review_grounds": (clock.review_grounds(case, now=now) or ("",))[0],
        "reviews": reviews,
        "commission": COMMISSION,
        "review_form": (review_form or forms.ReviewRecordForm()) if may_record else None,
    }


def _detail_page(request, case, *, answer_form=None, message_form=None, review_form=None):
    user = request.user
    may_answer = can_fire("answer_clarification", user, case)
    may_write = permissions.user_can_write_to_agency(user, case)
    clarifications = list(case.clarifications.all())
    specifications = selectors.specification_rows(case)
    return render(
        request,
        "requests_app/detail.html",
        {
            "case": case,
            "specifications": specifications,
            # Only a signed-off decision is the agency's answer; a proposal or a returned one is internal.
            "decision": None if case.is_draft else selectors.signed_decision(case),
            "amendments": [] if case.is_draft else selectors.signed_amendments(case),
            # Internal notes are never read into the requester's page.
            "thread": [] if case.is_draft else selectors.case_messages(case, include_internal=False),
            "message_form": (message_form or forms.AgencyMessageForm()) if may_write else None,
            "adjustments": [] if case.is_draft else selectors.specification_adjustments(case, specifications),
            # Progress without details: being produced, being checked, ready to download.
            "jobs": [] if case.is_draft else production_selectors.case_jobs(case),
            "overdue": not case.is_draft and clock.is_overdue(case),
            "due": None if case.is_draft else selectors.due_state(case, now=timezone.now()),
            "review_days": settings.REVIEW_REQUEST_DAYS,
            "attachments": case.attachments.all(),
            "timeline": selectors.status_timeline(case),
            "problems": _problem_list(case, services.submission_problems(case)) if case.is_draft else [],
            "can_edit": permissions.user_can_edit_draft(user, case),
            "can_delete": permissions.user_can_delete_draft(user, case),
            "can_withdraw": permissions.user_can_withdraw(user, case),
            # The requester sees the questions and answers, never who at the agency asked.
            "open_question": next((item for item in clarifications if item.answered_at is None), None),
            "answered_questions": [item for item in clarifications if item.answered_at is not None],
            "answer_form": (answer_form or forms.clarification_answer_form(clarifications)) if may_answer else None,
            **_review_box(user, case, review_form),
        },
    )


@login_required
def request_detail(request, pk: int):
    return _detail_page(request, permissions.get_request_for(request.user, pk))


@login_required
@require_POST
def clarification_answer(request, pk: int):
    """The requester answers the open question; the statutory clock starts again."""
    case = permissions.get_request_for(request.user, pk)
    permissions.check(TRANSITIONS["answer_clarification"].may_fire(request.user, case))
    form = forms.clarification_answer_form(list(case.clarifications.all()), request.POST, request.FILES)
    if form.is_valid():
        try:
            services.clarification_answer(
                case=case,
                actor=request.user,
                answer=form.cleaned_data["answer"],
                document=form.cleaned_data["document"],
            )
        except ValidationError as error:
            form.add_domain_error(error)
        except TransitionError as error:
            messages.error(request, str(error))
            return redirect("requests_app:detail", pk=case.pk)
        else:
            messages.success(request, _("Your answer is sent to the agency. The review continues."))
            return redirect("requests_app:detail", pk=case.pk)
    return _detail_page(request, case, answer_form=form)


@login_required
@require_POST
def message_post(request, pk: int):
    """The requester writes to the agency about their filed request."""
    case = permissions.get_request_for(request.user, pk)
    if not permissions.user_can_write_to_agency(request.user, case):
        if permissions.user_is_requester_of(request.user, case):
            messages.error(request, _("You can no longer write about this request."))
            return redirect("requests_app:detail", pk=case.pk)
        raise PermissionDenied
    form = forms.AgencyMessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.message_post(
                case=case,
                actor=request.user,
                body=form.cleaned_data["body"],
                internal=False,
                document=form.cleaned_data["document"],
            )
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Your message is sent to the agency."))
            return redirect(f"{reverse('requests_app:detail', kwargs={'pk': case.pk})}#messages-title")
    return _detail_page(request, case, message_form=form)


@login_required
@require_POST
def review_record(request, pk: int):
    """The requester records that they asked the Commission to review the answer (Access Act ss. 135, 137)."""
    case = permissions.get_request_for(request.user, pk)
    permissions.check(permissions.user_is_requester_of(request.user, case))
    form = forms.ReviewRecordForm(request.POST)
    if form.is_valid():
        try:
            review = services.review_request_record(
                case=case,
                actor=request.user,
                requested_on=form.cleaned_data["requested_on"],
                cai_file_number=form.cleaned_data["cai_file_number"],
            )
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            if review.late:
                messages.warning(
                    request,
                    _(
                        "Your review request is recorded. It was made after the delay of the Act; "
                        "the Commission decides whether to hear it."
                    ),
                )
            else:
                messages.success(
                    request, _("Your review request is recorded. The agency will send the Commission the file.")
                )
            return redirect(f"{reverse('requests_app:detail', kwargs={'pk': case.pk})}#review-title")
    return _detail_page(request, case, review_form=form)


# --- Steps 1, 2 and 5: fields of the request -------------------------------------------


@editable_draft
@require_http_methods(["GET", "POST"])
def step_edit(request, case, *, step: str):
    form_class = forms.STEP_FORMS[step]
    if request.method == "POST":
        finishing = request.POST.get("action") == "continue"
        form = form_class(request.POST, complete=finishing)
        if form.is_valid():
            try:
                services.request_update_draft(case=case, actor=request.user, step=step, values=form.values())
            except ValidationError as error:
                form.add_domain_error(error)
            else:
                return _after_save(request, case, step, finishing=finishing)
    else:
        form = form_class(initial=form_class.initial_from(case))
    return render(request, f"requests_app/step_{step}.html", _step_context(case, step, form=form))


# --- Step 3: the data ----------------------------------------------------------------


def _data_context(case, *, picker=None, form=None) -> dict:
    return _step_context(
        case,
        "data",
        specifications=selectors.specification_rows(case),
        published_matches=register.matching(case.specifications.all()),
        picker=picker if picker is not None else forms.DatasetPickForm(),
        form=form if form is not None else forms.DataStepForm(case=case),
        max_dimensions=settings.SPECIFICATION_MAX_DIMENSIONS,
    )


@editable_draft
@require_http_methods(["GET", "POST"])
def data_step(request, case):
    if request.method == "POST":
        finishing = request.POST.get("action") == "continue"
        form = forms.DataStepForm(request.POST, case=case, complete=finishing)
        if form.is_valid():
            return _after_save(request, case, "data", finishing=finishing)
        return render(request, "requests_app/step_data.html", _data_context(case, form=form))
    return render(request, "requests_app/step_data.html", _data_context(case))


def _specification_page(request, case, *, dataset, form, specification=None):
    return render(
        request,
        "requests_app/specification_form.html",
        _step_context(case, "data", dataset=dataset, form=form, specification=specification),
    )


def _specification_save(request, case, form, *, specification=None):
    """The one domain call of the table pages; ``None`` when the form must be shown again."""
    if not form.is_valid():
        return None
    try:
        services.specification_save(
            case=case,
            actor=request.user,
            dataset=form.dataset,
            measure=form.cleaned_data["measure"],
            dimensions=form.cleaned_data["dimensions"],
            filters=form.cleaned_data["filters"],
            specification=specification,
        )
    except ValidationError as error:
        form.add_domain_error(error)
        return None
    messages.success(request, _("The table is saved with your draft."))
    return redirect("requests_app:data", pk=case.pk)


@editable_draft
@require_http_methods(["GET", "POST"])
def specification_new(request, case):
    # The dataset comes from the picker (GET) and then from a hidden field (POST).
    picker = forms.DatasetPickForm(request.POST if request.method == "POST" else request.GET)
    if not picker.is_valid():
        return render(request, "requests_app/step_data.html", _data_context(case, picker=picker))
    dataset = picker.cleaned_data["dataset"]
    if request.method == "POST":
        form = forms.SpecificationForm(request.POST, dataset=dataset)
        if response := _specification_save(request, case, form):
            return response
    else:
        form = forms.SpecificationForm(dataset=dataset)
    return _specification_page(request, case, dataset=dataset, form=form)


@editable_draft
@require_http_methods(["GET", "POST"])
def specification_edit(request, case, *, specification_pk: int):
    specification = get_object_or_404(case.specifications.select_related("dataset", "measure"), pk=specification_pk)
    dataset = specification.dataset
    if request.method == "POST":
        form = forms.SpecificationForm(request.POST, dataset=dataset)
        if response := _specification_save(request, case, form, specification=specification):
            return response
    else:
        form = forms.SpecificationForm(dataset=dataset, initial=forms.SpecificationForm.initial_from(specification))
    return _specification_page(request, case, dataset=dataset, form=form, specification=specification)


@editable_draft
@require_POST
def specification_delete(request, case, *, specification_pk: int):
    specification = get_object_or_404(case.specifications, pk=specification_pk)
    try:
        services.specification_delete(case=case, actor=request.user, specification=specification)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The table is removed from your draft."))
    return redirect("requests_app:data", pk=case.pk)


# --- Step 4: documents ----------------------------------------------------------------


@editable_draft
@require_http_methods(["GET", "POST"])
def attachments_step(request, case):
    if request.method == "POST":
        action = request.POST.get("action")
        form = forms.AttachmentForm(request.POST, request.FILES, file_required=action == "upload")
        if form.is_valid():
            uploaded = form.cleaned_data.get("file")
            if not uploaded:
                return _after_save(request, case, "attachments", finishing=action == "continue")
            try:
                services.attachment_add(
                    case=case, actor=request.user, kind=form.cleaned_data["kind"], uploaded=uploaded
                )
            except ValidationError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("“%(name)s” is attached to your draft.") % {"name": uploaded.name})
                if action == "continue":
                    return redirect(_step_url(case, "declarations"))
                return redirect(_step_url(case, "attachments"))
    else:
        form = forms.AttachmentForm()
    return render(
        request,
        "requests_app/step_attachments.html",
        _step_context(case, "attachments", form=form, attachments=case.attachments.all()),
    )


@editable_draft
@require_POST
def attachment_delete(request, case, *, attachment_pk: int):
    attachment = get_object_or_404(case.attachments, pk=attachment_pk)
    try:
        services.attachment_delete(case=case, actor=request.user, attachment=attachment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(name)s” is removed from your draft.") % {"name": attachment.original_name})
    return redirect("requests_app:attachments", pk=case.pk)


@login_required
@never_cache
def attachment_download(request, pk: int, attachment_pk: int):
    """A document of a case the user may see, as a download under its original name."""
    case = permissions.get_request_for(request.user, pk)
    attachment = get_object_or_404(case.attachments, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        logger.error("Attachment %s of case %s is missing from storage", attachment.pk, case.pk)
        raise Http404 from None
    logger.info("user=%s downloaded attachment=%s of case=%s", request.user.pk, attachment.pk, case.pk)
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Step 6: review and submission -------------------------------------------------------


@editable_draft
@require_GET
def review(request, case):
    return render(
        request,
        "requests_app/review.html",
        _step_context(
            case,
            "review",
            specifications=selectors.specification_rows(case),
            published_matches=register.matching(case.specifications.all()),
            attachments=case.attachments.all(),
            # Not required to submit (the reference identifies the approval), but it speeds up the review.
            suggest_ethics_letter=case.ethics_approval == EthicsApproval.OBTAINED
            and not case.attachments.filter(kind=AttachmentKind.ETHICS_APPROVAL).exists(),
        ),
    )


@editable_draft
@require_POST
def submit(request, case):
    try:
        case = services.request_submit(case=case, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("requests_app:review", pk=case.pk)
    except (TransitionError, PermissionDenied) as error:
        messages.error(request, str(error) or _("This request can no longer be submitted."))
        return redirect("requests_app:detail", pk=case.pk)
    return redirect("requests_app:acknowledgement", pk=case.pk)


@login_required
def acknowledgement(request, pk: int):
    case = permissions.get_request_for(request.user, pk)
    if case.is_draft:
        return redirect("requests_app:review", pk=case.pk)
    return render(request, "requests_app/acknowledgement.html", {"case": case})


# --- Deleting a draft, withdrawing a request ---------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def request_delete(request, pk: int):
    case = permissions.get_request_for(request.user, pk)
    if not permissions.user_can_delete_draft(request.user, case):
        if case.is_draft:
            raise PermissionDenied
        messages.info(request, _("Only a draft can be deleted. A submitted request can be withdrawn."))
        return redirect("requests_app:detail", pk=case.pk)
    if request.method == "POST":
        services.request_delete_draft(case=case, actor=request.user)
        messages.success(request, _("The draft is deleted."))
        return redirect("requests_app:list")
    return render(request, "requests_app/delete_confirm.html", {"case": case})


@login_required
@require_http_methods(["GET", "POST"])
def request_withdraw(request, pk: int):
    case = permissions.get_request_for(request.user, pk)
    if not permissions.user_can_withdraw(request.user, case):
        messages.info(request, _("This request cannot be withdrawn in its current state."))
        return redirect("requests_app:detail", pk=case.pk)
    if request.method == "POST":
        form = forms.WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.request_withdraw(case=case, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_domain_error(error)
            except (TransitionError, PermissionDenied) as error:
                messages.error(request, str(error) or _("This request cannot be withdrawn in its current state."))
                return redirect("requests_app:detail", pk=case.pk)
            else:
                messages.success(request, _("Your request is withdrawn."))
                return redirect("requests_app:detail", pk=case.pk)
    else:
        form = forms.WithdrawForm()
    return render(request, "requests_app/withdraw.html", {"case": case, "form": form})
