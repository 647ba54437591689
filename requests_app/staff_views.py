"""The privacy officers' workspace: queues, workload, the case page and its actions.

Every page needs a signed-in agency staff member (403 otherwise). Lists start
from ``selectors.workspace_cases`` (what the user may view, filtered in SQL);
a case is loaded through ``permissions.get_request_for``, so a case the user
may not view answers 404. Each action is one service call; the domain's
exceptions become form errors (``ValidationError``), a message
(``TransitionError``, ``ConcurrentChangeError``) or a 403 (``PermissionDenied``).
"""

import csv
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.decorators import check_staff, staff_only
from requests_app import clock, permissions, selectors, services, staff_forms
from requests_app.forms import ReviewRecordForm
from requests_app.models import Amendment, DecisionOutcome, RequesterCategory
from requests_app.production import selectors as production_selectors
from requests_app.states import REVIEW_STATES, Status
from requests_app.workflow import TRANSITIONS, TransitionError

PAGE_SIZE = 25
#: What a spreadsheet would read as the start of a formula (OWASP's CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def staff_case(view):
    """Load the case the user may view (404 otherwise, drafts included), then require staff (403)."""

    @login_required
    @wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        case = permissions.get_request_for(request.user, pk)
        if case.is_draft:
            raise Http404
        check_staff(request.user)
        return view(request, case, *args, **kwargs)

    return wrapper


# --- Queues ---------------------------------------------------------------------------


def _default_queue(user) -> str:
    """Someone who can be given cases starts with their own; everyone else with every case they may view."""
    return "mine" if permissions.user_can_be_assigned(user) else "all"


def _filtered_cases(request, now):
    """(form, queue, cases) for the query string: the one queryset the page, the CSV and bulk assignment share."""
    form = staff_forms.QueueFilterForm(request.GET)
    filters = form.filters()
    names = staff_forms.queue_names_for(request.user)
    queue = filters.pop("queue", None)
    if queue not in names:
        queue = _default_queue(request.user)
    sort = filters.pop("sort", "due")
    cases = selectors.queue_cases(request.user, now=now, queue=queue, filters=filters, sort=sort)
    return form, queue, names, cases


def _query_string(request, **changes) -> str:
    query = request.GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    return query.urlencode()


@staff_only
@require_GET
def queue(request):
    now = timezone.now()
    form, current, names, cases = _filtered_cases(request, now)
    counts = selectors.queue_counts(request.user, now=now, names=names)
    labels = staff_forms.queue_labels()
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(case, selectors.due_state(case, now=now)) for case in page.object_list]
    lead = permissions.user_is_access_lead(request.user)
    return render(
        request,
        "workspace/queue.html",
        {
            "tabs": [
                {
                    "key": name,
                    "label": labels[name],
                    "count": counts[name],
                    "current": name == current,
                    "url": f"?{urlencode({'queue': name})}",
                }
                for name in names
            ],
            "queue": current,
            "queue_label": labels[current],
            "form": form,
            "page": page,
            "rows": rows,
            "query": _query_string(request, page=None),
            "export_url": f"{reverse('workspace:export')}?{_query_string(request, page=None)}",
            "bulk_form": staff_forms.BulkAssignForm() if lead else None,
            "is_lead": lead,
            "due_soon_days": selectors.DUE_SOON_DAYS,
        },
    )


def _csv_cell(value) -> str:
    """A cell as text, defused: a spreadsheet must not run what a requester typed as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


@staff_only
@require_GET
@never_cache
def export_csv(request):
    """The current filtered view, every page of it, as CSV."""
    now = timezone.now()
    _form, current, _names, cases = _filtered_cases(request, now)
    # Labels are resolved now, in the user's language: the rows are written after the view returns.
    statuses, categories = dict(Status.choices), dict(RequesterCategory.choices)
    statuses = {key: str(label) for key, label in statuses.items()}
    categories = {key: str(label) for key, label in categories.items()}
    yes, no = _("yes"), _("no")
    header = [
        _("Reference"),
        _("Title"),
        _("Organisation"),
        _("Requester category"),
        _("Status"),
        _("Received"),
        _("Due"),
        _("Assigned officer"),
        _("Overdue"),
    ]

    def rows():
        writer = csv.writer(_Echo())
        yield "\ufeff"  # spreadsheets read the accents right with the byte-order mark
        yield writer.writerow(header)
        for case in cases.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    _csv_cell(value)
                    for value in (
                        case.reference,
                        case.title,
                        case.organisation,
                        categories.get(case.requester_category, case.requester_category),
                        statuses.get(case.status, case.status),
                        clock.local_date(case.received_at).isoformat(),
                        clock.local_date(case.due_at).isoformat(),
                        case.assigned_to.email if case.assigned_to else "",
                        yes if clock.is_overdue(case, now=now) else no,
                    )
                ]
            )

    filename = f"cases-{current}-{clock.local_date(now).isoformat()}.csv"
    return StreamingHttpResponse(
        rows(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@staff_only
@require_POST
def bulk_assign(request):
    """The lead gives the ticked cases to one officer, each through ``case_assign`` with the status the page showed."""
    if not permissions.user_is_access_lead(request.user):
        raise PermissionDenied
    # The queue's query string, re-encoded: the lead lands back on the view they acted from.
    back = f"{reverse('workspace:queue')}?{QueryDict(request.POST.get('query', '')).urlencode()}"
    ids = [value for value in request.POST.getlist("cases") if value.isdigit()]
    form = staff_forms.BulkAssignForm(request.POST, case_ids=[int(value) for value in ids])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    officer = form.cleaned_data["officer"]
    visible = selectors.workspace_cases(request.user).in_bulk(form.cleaned_data["cases"])
    for pk in form.cleaned_data["cases"]:
        case = visible.get(pk)
        if case is None:
            messages.error(request, _("Case #%(pk)s: not found.") % {"pk": pk})
            continue
        try:
            services.case_assign(
                case=case, actor=request.user, officer=officer, seen_status=request.POST.get(f"seen_status_{pk}")
            )
        except ValidationError as error:
            messages.error(request, f"{case.reference}: {' '.join(error.messages)}")
        except (TransitionError, PermissionDenied) as error:
            messages.error(request, f"{case.reference}: {error or _('you may not assign this case.')}")
        else:
            messages.success(
                request,
                _("%(reference)s is assigned to %(officer)s.") % {"reference": case.reference, "officer": officer},
            )
    return redirect(back)


@staff_only
@require_GET
def workload(request):
    if not permissions.user_is_access_lead(request.user):
        raise PermissionDenied
    now = timezone.now()
    return render(
        request,
        "workspace/workload.html",
        {"officers": selectors.officer_workload(now=now), "due_soon_days": selectors.DUE_SOON_DAYS},
    )


# --- The case -------------------------------------------------------------------------


def _action_allowed(user, case, *names: str) -> bool:
    """Whether ``user`` may fire one of the transitions ``names`` on the case as it is now."""
    return any(case.status in TRANSITIONS[name].sources and TRANSITIONS[name].may_fire(user, case) for name in names)


def _day(moment) -> str:
    return date_format(clock.local_date(moment), "DATE_FORMAT")


def moved_day_sentence(moved: clock.MovedDay) -> str:
    """Why the due date moved one day: "+1 day: 24 June is a holiday, Fête nationale du Québec (I-16 s. 52)"."""
    day = date_format(moved.day, "j F")
    if moved.is_sunday:
        return _("+1 day: %(date)s is a Sunday (I-16 s. 52)") % {"date": day}
    return _("+1 day: %(date)s is a holiday, %(name)s (I-16 s. 52)") % {"date": day, "name": moved.holiday.name}


def clock_sentence(explanation: clock.ClockExplanation) -> str:
    """The due date as its sum: "Received on X, +20 days, +4 days paused, +10 days extended on Y, +1 day: 24 June
    is a holiday (I-16 s. 52) → due Z"."""
    terms = [
        _("Received on %(date)s") % {"date": _day(explanation.received_at)},
        _("+%(days)d days") % {"days": explanation.delay_days},
    ]
    if explanation.paused_days:
        terms.append(
            ngettext("+%(days)d day paused", "+%(days)d days paused", explanation.paused_days)
            % {"days": explanation.paused_days}
        )
    if explanation.extension_days:
        terms.append(
            _("+%(days)d days extended on %(date)s")
            % {"days": explanation.extension_days, "date": _day(explanation.extended_at)}
        )
    terms += [moved_day_sentence(moved) for moved in explanation.moved]
    return _("%(terms)s → due %(date)s") % {"terms": ", ".join(terms), "date": _day(explanation.due_at)}


def _may_review(user, case) -> bool:
    """Whether ``user`` may fill the checklist and adjust the tables of the case as it is now."""
    return case.status in REVIEW_STATES and permissions.user_works_case(user, case)


def _pending(decisions):
    return next((decision for decision in decisions if decision.is_pending), None)


def _review_context(request, case, forms: dict) -> dict:
    """The review sections: checklist, consultations, decision, messages and table adjustments."""
    user = request.user
    may_review = _may_review(user, case)
    checklist = selectors.checklist_rows(case, services.criteria_for(case))
    decisions = selectors.case_decisions(case)
    pending = _pending(decisions)
    may_propose = _action_allowed(user, case, "propose_decision")
    may_sign = pending is not None and _action_allowed(user, case, f"sign_off_{pending.outcome}")
    may_return = pending is not None and _action_allowed(user, case, "return_decision")
    specifications = selectors.specification_rows(case)
    jobs = production_selectors.case_jobs(case)
    owners = services.owners_to_consult(case)
    return {
        "checklist": checklist,
        "checklist_form": forms.get("checklist_form")
        or (
            staff_forms.ChecklistForm(rows=checklist, requester_category=case.requester_category, prefix="checklist")
            if may_review
            else None
        ),
        "consultations": selectors.case_consultations(case),
        "owners_to_consult": owners,
        "consultation_form": forms.get("consultation_form")
        or (
            staff_forms.ConsultationOpenForm(prefix="consultation", owners=owners)
            if _action_allowed(user, case, "consult_custodian")
            else None
        ),
        "obstacles": services.approval_obstacles(case, outcome=DecisionOutcome.APPROVED)
        if case.status in REVIEW_STATES
        else [],
        "propose_form": forms.get("propose_form")
        or (staff_forms.DecisionProposeForm(prefix="decision") if may_propose else None),
        "pending_decision": pending,
        "pending_is_mine": pending is not None and pending.proposed_by_id == user.pk,
        "sign_off_form": forms.get("sign_off_form")
        or (staff_forms.DecisionSignOffForm(initial={"decision": pending.pk}, prefix="sign-off") if may_sign else None),
        "return_form": forms.get("return_form")
        or (staff_forms.DecisionReturnForm(initial={"decision": pending.pk}, prefix="return") if may_return else None),
        "past_decisions": [decision for decision in decisions if not decision.is_pending],
        "thread": selectors.case_messages(case, include_internal=True),
        "message_form": forms.get("message_form")
        or (staff_forms.MessageForm(prefix="message") if permissions.user_works_case(user, case) else None),
        "specifications": specifications,
        "adjust_forms": _adjust_forms(
            [row for row in specifications if permissions.user_can_adjust_table(user, case, row.specification)],
            forms.get("adjust_form"),
        ),
        "jobs": jobs,
        "rerunnable": {job.pk for job in jobs if permissions.user_can_rerun_job(user, job)},
        "adjustments": selectors.specification_adjustments(case, specifications),
        "amendments": _amendment_rows(user, case, specifications, forms.get("amendment_return_form")),
    }


def _amendment_rows(user, case, specifications, bound=None) -> list[tuple]:
    """(amendment, table number, may sign, return form) for each amendment of the case, newest first."""
    numbers = {row.specification.pk: number for number, row in enumerate(specifications, start=1)}
    rows = []
    for amendment in selectors.case_amendments(case):
        may_sign = permissions.user_can_sign_off_amendment(user, amendment)
        prefix = f"amendment-{amendment.pk}"
        form = None
        if may_sign:
            form = (
                bound
                if bound is not None and bound.prefix == prefix
                else staff_forms.AmendmentReturnForm(prefix=prefix)
            )
        rows.append((amendment, numbers.get(amendment.specification_id), may_sign, form))
    return rows


def _adjust_form(specification, data=None):
    return staff_forms.SpecificationAdjustForm(
        data,
        dataset=specification.dataset,
        initial=staff_forms.SpecificationAdjustForm.initial_from(specification),
        prefix=f"adjust-{specification.pk}",
    )


def _adjust_forms(specifications, bound=None) -> list:
    """(row, form) per table; the form being corrected replaces its table's blank one."""
    forms = []
    for row in specifications:
        if bound is not None and bound.specification.pk == row.specification.pk:
            forms.append((row, bound))
        else:
            forms.append((row, _adjust_form(row.specification)))
    return forms


def _case_page(request, case, *, status: int = 200, **forms):
    """The case page; ``forms`` replaces an action's blank form with the bound one being corrected."""
    now = timezone.now()
    user = request.user
    clarifications = list(case.clarifications.select_related("asked_by"))
    explanation = clock.explain(case, clarifications)
    can_assign = _action_allowed(user, case, "assign", "reassign")
    can_ask = _action_allowed(user, case, "ask_clarification")
    can_extend = _action_allowed(user, case, "extend")
    return render(
        request,
        "workspace/case.html",
        {
            **_review_context(request, case, forms),
            "case": case,
            "due": selectors.due_state(case, now=now),
            "overdue": clock.is_overdue(case, now=now),
            "clock": explanation,
            "clock_sentence": clock_sentence(explanation),
            "open_pause": next((pause for pause in explanation.pauses if pause.answered_at is None), None),
            "clarifications": clarifications,
            "attachments": case.attachments.all(),
            "history": selectors.case_history(case),
            "assign_form": forms.get("assign_form")
            or (staff_forms.AssignForm(initial={"seen_status": case.status}) if can_assign else None),
            "ask_form": forms.get("ask_form") or (staff_forms.ClarificationAskForm() if can_ask else None),
            "extend_form": forms.get("extend_form") or (staff_forms.ExtensionForm() if can_extend else None),
            "accommodation_form": forms.get("accommodation_form")
            or (
                staff_forms.AccommodationDecisionForm()
                if permissions.user_can_decide_accommodation(user, case)
                else None
            ),
            "extension_refusal": clock.extension_refusal(case, days=settings.EXTENSION_DAYS, now=now)
            if can_extend
            else None,
            "can_act": can_assign or can_ask or can_extend,
            **_review_track(user, case, now, forms),
        },
        status=status,
    )


def _review_form_for(review, bound=None):
    if bound is not None and bound.review_pk == review.pk:
        return bound
    initial = {
        field: getattr(review, field)
        for field in (
            "sent_file",
            "sent_decision",
            "sent_tables",
            "sent_on",
            "cai_file_number",
            "outcome",
            "outcome_on",
            "notes",
        )
    }
    form = staff_forms.ReviewUpdateForm(initial=initial, prefix=f"review-{review.pk}")
    form.review_pk = review.pk
    return form


def _review_track(user, case, now, forms: dict) -> dict:
    """The review by the Commission (Access Act ss. 135, 137): what to send it, when it was sent, the outcome."""
    lapses_on = clock.review_lapses_on(case, now=now)
    reviews = list(case.review_requests.select_related("recorded_by"))
    may_update = permissions.user_can_update_review(user, case)
    bound = forms.get("review_update_form")
    rows = [(review, _review_form_for(review, bound) if may_update else None) for review in reviews]
    may_record = may_update and lapses_on is not None and not any(review.is_open for review in reviews)
    return {
        "review_lapses_on": lapses_on,
        "review_rows": rows,
        "review_record_form": (forms.get("review_record_form") or ReviewRecordForm()) if may_record else None,
    }


@staff_case
@require_GET
def case_detail(request, case):
    return _case_page(request, case)


def _refused(request, case, error):
    """A move the case's state no longer allows, or a stale page: say so and show the case as it is."""
    messages.error(request, str(error))
    return redirect("workspace:case", pk=case.pk)


def _act(request, case, *, form, form_name: str, call, success):
    """The shape of every action: a valid form runs one service, then back to the case with ``success(result)``.

    A ``ValidationError`` re-renders the case page with the bound form and its
    errors by field; a ``TransitionError`` (state changed, stale page) becomes a message.
    """
    if form.is_valid():
        try:
            result = call(form.cleaned_data)
        except ValidationError as error:
            form.add_domain_error(error)
        except TransitionError as error:
            return _refused(request, case, error)
        else:
            messages.success(request, success(result))
            return redirect("workspace:case", pk=case.pk)
    return _case_page(request, case, **{form_name: form})


@staff_case
@require_POST
def case_assign(request, case):
    # Assign and reassign share one rule: whoever may not is refused outright; a stale page gets a message.
    permissions.check(TRANSITIONS["assign"].may_fire(request.user, case))
    return _act(
        request,
        case,
        form=staff_forms.AssignForm(request.POST),
        form_name="assign_form",
        call=lambda data: services.case_assign(
            case=case, actor=request.user, officer=data["officer"], seen_status=data["seen_status"]
        ),
        success=lambda updated: _("The case is assigned to %(officer)s.") % {"officer": updated.assigned_to},
    )


@staff_case
@require_POST
def clarification_ask(request, case):
    permissions.check(TRANSITIONS["ask_clarification"].may_fire(request.user, case))
    return _act(
        request,
        case,
        form=staff_forms.ClarificationAskForm(request.POST),
        form_name="ask_form",
        call=lambda data: services.clarification_ask(
            case=case, actor=request.user, question=data["question"], requested_document=data["requested_document"]
        ),
        success=lambda _clarification: _(
            "The question is sent to the requester. The clock is stopped until they answer."
        ),
    )


@staff_case
@require_POST
def deadline_extend(request, case):
    permissions.check(TRANSITIONS["extend"].may_fire(request.user, case))
    return _act(
        request,
        case,
        form=staff_forms.ExtensionForm(request.POST),
        form_name="extend_form",
        call=lambda data: services.deadline_extend(
            case=case, actor=request.user, days=data["days"], notice=data["notice"]
        ),
        success=lambda extended: (
            _("The delay is extended by %(days)d days. The answer is now due on %(due)s.")
            % {"days": extended.extension_days, "due": date_format(clock.local_date(extended.due_at), "DATE_FORMAT")}
        ),
    )


@staff_case
@require_POST
def accommodation_decide(request, case):
    permissions.check(permissions.user_can_decide_accommodation(request.user, case))
    return _act(
        request,
        case,
        form=staff_forms.AccommodationDecisionForm(request.POST),
        form_name="accommodation_form",
        call=lambda data: services.accommodation_decide(
            case=case, actor=request.user, outcome=data["outcome"], reason=data["reason"]
        ),
        success=lambda decided: _("The accommodation is decided; the decision letter will state it."),
    )


# --- Review against the Act -------------------------------------------------------------


class _RollBack(Exception):
    """Undo the rows of the checklist already saved when another row is refused."""


@staff_case
@require_POST
def checklist_save(request, case):
    """Save the changed rows of the checklist, each through ``criterion_assess``; all or none."""
    permissions.check(permissions.user_works_case(request.user, case))
    rows = selectors.checklist_rows(case, services.criteria_for(case))
    form = staff_forms.ChecklistForm(
        request.POST, rows=rows, requester_category=case.requester_category, prefix="checklist"
    )
    if form.is_valid():
        changed = form.changed_rows()
        try:
            with transaction.atomic():
                for criterion, outcome, note in changed:
                    try:
                        services.criterion_assess(
                            case=case, actor=request.user, criterion=criterion, outcome=outcome, note=note
                        )
                    except ValidationError as error:
                        form.add_row_error(criterion, error)
                if form.errors:
                    raise _RollBack
        except _RollBack:
            pass
        else:
            if changed:
                messages.success(
                    request,
                    ngettext("%(count)d finding is saved.", "%(count)d findings are saved.", len(changed))
                    % {"count": len(changed)},
                )
            else:
                messages.info(request, _("Nothing changed in the checklist."))
            return redirect(f"{reverse('workspace:case', kwargs={'pk': case.pk})}#checklist-title")
    return _case_page(request, case, checklist_form=form)


@staff_case
@require_POST
def consultation_open(request, case):
    permissions.check(TRANSITIONS["consult_custodian"].may_fire(request.user, case))
    return _act(
        request,
        case,
        form=staff_forms.ConsultationOpenForm(
            request.POST, prefix="consultation", owners=services.owners_to_consult(case)
        ),
        form_name="consultation_form",
        call=lambda data: services.consultation_open(
            case=case,
            actor=request.user,
            custodian=data["custodian"],
            question=data["question"],
            due_on=data["due_on"],
        ),
        success=lambda consultation: (
            _("%(owner)s is consulted. Its representatives see the question in their portal.")
            % {"owner": consultation.custodian}
        ),
    )


@staff_case
@require_POST
def decision_propose(request, case):
    permissions.check(TRANSITIONS["propose_decision"].may_fire(request.user, case))
    return _act(
        request,
        case,
        form=staff_forms.DecisionProposeForm(request.POST, prefix="decision"),
        form_name="propose_form",
        call=lambda data: services.decision_propose(
            case=case,
            actor=request.user,
            outcome=data["outcome"],
            reasons=data["reasons"],
            provisions=data["provisions"],
        ),
        success=lambda _decision: _("The decision is proposed. A second person must sign it off."),
    )


def _check_may_sign(request, case):
    """The pending decision, once ``user`` may sign it off or send it back (403 otherwise, the proposer too).

    ``None`` when no decision waits any more (another lead acted first): the
    caller says so rather than refusing a lead who could have acted a moment ago.
    """
    pending = case.decisions.filter(signed_off_at__isnull=True, returned_at__isnull=True).first()
    if pending is None and permissions.user_is_access_lead(request.user):
        return None
    permissions.check(permissions.user_can_sign_off(request.user, case))
    return pending


def _stale_decision(request, case):
    """The proposal was replaced since the page was loaded: a lead must not sign a text they have not read."""
    messages.error(request, _("The proposed decision changed since the page was loaded. Read it again."))
    return redirect("workspace:case", pk=case.pk)


@staff_case
@require_POST
def decision_sign_off(request, case):
    pending = _check_may_sign(request, case)
    if pending is None:
        return _refused(request, case, _("There is no decision waiting for sign-off."))
    form = staff_forms.DecisionSignOffForm(request.POST, prefix="sign-off")
    if not form.is_valid() or form.cleaned_data["decision"] != pending.pk:
        return _stale_decision(request, case)
    try:
        case = services.decision_sign_off(case=case, actor=request.user, decision=pending)
    except ValidationError as error:
        form.add_domain_error(error)
        return _case_page(request, case, sign_off_form=form)
    except TransitionError as error:
        return _refused(request, case, error)
    messages.success(
        request,
        _("The decision is signed off: the request is now “%(status)s”.") % {"status": case.get_status_display()},
    )
    return redirect("workspace:case", pk=case.pk)


@staff_case
@require_POST
def decision_return(request, case):
    pending = _check_may_sign(request, case)
    if pending is None:
        return _refused(request, case, _("There is no decision waiting for sign-off."))
    form = staff_forms.DecisionReturnForm(request.POST, prefix="return")
    if form.is_valid():
        if form.cleaned_data["decision"] != pending.pk:
            return _stale_decision(request, case)
        try:
            services.decision_return(
                case=case, actor=request.user, reason=form.cleaned_data["reason"], decision=pending
            )
        except ValidationError as error:
            form.add_domain_error(error)
        except TransitionError as error:
            return _refused(request, case, error)
        else:
            messages.success(request, _("The decision is sent back to the officer."))
            return redirect("workspace:case", pk=case.pk)
    return _case_page(request, case, return_form=form)


@staff_case
@require_POST
def message_post(request, case):
    permissions.check(permissions.user_works_case(request.user, case))
    form = staff_forms.MessageForm(request.POST, prefix="message")
    if form.is_valid():
        internal = form.cleaned_data["internal"]
        try:
            services.message_post(case=case, actor=request.user, body=form.cleaned_data["body"], internal=internal)
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("The internal note is saved.") if internal else _("The message is sent to the requester."),
            )
            return redirect(f"{reverse('workspace:case', kwargs={'pk': case.pk})}#messages-title")
    return _case_page(request, case, message_form=form)


@staff_case
@require_POST
def specification_adjust(request, case, specification_pk: int):
    permissions.check(permissions.user_works_case(request.user, case))
    specification = case.specifications.select_related("dataset", "measure").filter(pk=specification_pk).first()
    if specification is None:
        raise Http404
    form = _adjust_form(specification, request.POST)
    if form.is_valid():
        try:
            result = services.specification_adjust(
                case=case,
                actor=request.user,
                specification=specification,
                dimensions=form.cleaned_data["dimensions"],
                filters=form.cleaned_data["filters"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            if isinstance(result, Amendment):
                messages.success(
                    request,
                    _("The amendment is proposed. The table keeps its approved scope until a lead signs it off."),
                )
            else:
                messages.success(request, _("The table is adjusted. The requester sees the reason."))
            return redirect(f"{reverse('workspace:case', kwargs={'pk': case.pk})}#adjust-title")
    form.specification = specification
    return _case_page(request, case, adjust_form=form)


def _amendment_for(request, case, amendment_pk: int) -> Amendment:
    """The case's amendment, once ``user`` may sign it off or send it back (403 otherwise, the proposer too).

    An amendment another lead acted on first is shown as it is now, with a message, rather than refused.
    """
    amendment = get_object_or_404(Amendment, pk=amendment_pk, request=case)
    if amendment.is_pending:
        permissions.check(permissions.user_can_sign_off_amendment(request.user, amendment))
    else:
        permissions.check(permissions.user_is_access_lead(request.user))
    return amendment


def _amendment_acted(request, case):
    messages.error(request, _("This amendment was already signed off or sent back. Reload the page."))
    return redirect(f"{reverse('workspace:case', kwargs={'pk': case.pk})}#adjust-title")


@staff_case
@require_POST
def amendment_sign_off(request, case, amendment_pk: int):
    amendment = _amendment_for(request, case, amendment_pk)
    if not amendment.is_pending:
        return _amendment_acted(request, case)
    try:
        services.amendment_sign_off(case=case, actor=request.user, amendment=amendment)
    except ValidationError as error:
        return _refused(request, case, " ".join(error.messages))
    messages.success(
        request, _("The amendment is signed off: the requester receives its letter and the table is produced again.")
    )
    return redirect(f"{reverse('workspace:case', kwargs={'pk': case.pk})}#adjust-title")


@staff_case
@require_POST
def amendment_return(request, case, amendment_pk: int):
    amendment = _amendment_for(request, case, amendment_pk)
    if not amendment.is_pending:
        return _amendment_acted(request, case)
    form = staff_forms.AmendmentReturnForm(request.POST, prefix=f"amendment-{amendment.pk}")
    if form.is_valid():
        try:
            services.amendment_return(
                case=case, actor=request.user, amendment=amendment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The amendment is sent back to the officer."))
            return redirect(f"{reverse('workspace:case', kwargs={'pk': case.pk})}#adjust-title")
    return _case_page(request, case, amendment_return_form=form)


@staff_case
@require_POST
def review_record(request, case):
    """Staff record that the requester asked the Commission for a review (Access Act ss. 135, 137)."""
    permissions.check(permissions.user_can_update_review(request.user, case))
    return _act(
        request,
        case,
        form=ReviewRecordForm(request.POST),
        form_name="review_record_form",
        call=lambda data: services.review_request_record(
            case=case,
            actor=request.user,
            requested_on=data["requested_on"],
            cai_file_number=data["cai_file_number"],
        ),
        success=lambda review: (
            _("The review request is recorded (made after the delay).")
            if review.late
            else _("The review request is recorded.")
        ),
    )


@staff_case
@require_POST
def review_update(request, case, review_pk: int):
    """What was sent to the Commission, and when; the outcome of the review."""
    review = get_object_or_404(case.review_requests, pk=review_pk)
    permissions.check(permissions.user_can_update_review(request.user, case))
    form = staff_forms.ReviewUpdateForm(request.POST, prefix=f"review-{review.pk}")
    form.review_pk = review.pk
    return _act(
        request,
        case,
        form=form,
        form_name="review_update_form",
        call=lambda data: services.review_request_update(review=review, actor=request.user, **data),
        success=lambda updated: _("The review by the Commission is updated."),
    )
