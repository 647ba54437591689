"""The data custodian's pages: the consultations addressed to their organisation, and the answer.

A consultation shows the custodian what they need to decide and nothing about
the requester as a person: the project, the requester's category and
organisation, the tables asked for and the question; never the requester's
name, e-mail, telephone or position (DESIGN §1, §2). The list starts from
``permissions.consultations_visible_to`` (filtered in SQL); a consultation is
loaded through ``permissions.get_consultation_for``, so one that is not the
user's answers 404. The answer is one call to ``services.consultation_answer``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.decorators import check_staff, staff_only
from requests_app import clock, permissions, selectors, services
from requests_app.custodian_forms import ConsultationAnswerForm


@staff_only
@require_GET
def consultation_list(request):
    consultations = (
        permissions.consultations_visible_to(request.user)
        .select_related("request", "custodian")
        # Open ones first (no answer date), soonest due first; then answered ones, latest first.
        .order_by(F("answered_at").desc(nulls_first=True), "due_on", "pk")
    )
    return render(
        request,
        "consultations/list.html",
        {"consultations": consultations, "today": clock.local_date(timezone.now())},
    )


@login_required
@require_http_methods(["GET", "POST"])
def consultation_detail(request, pk: int):
    # Loaded first: a consultation that is not the user's is a 404 for everyone, requesters included.
    consultation = permissions.get_consultation_for(request.user, pk)
    check_staff(request.user)
    can_answer = permissions.user_can_answer_consultation(request.user, consultation)
    if request.method == "POST":
        if not can_answer:
            return _refused(request, consultation)
        form = ConsultationAnswerForm(request.POST, consultation=consultation)
        if form.is_valid():
            try:
                services.consultation_answer(consultation=consultation, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_domain_error(error)
            except PermissionDenied:
                # Someone else of the organisation answered between the page and the post.
                return _refused(request, consultation)
            else:
                messages.success(request, _("Your answer is recorded. The agency is informed."))
                return redirect("consultations:detail", pk=consultation.pk)
    else:
        form = ConsultationAnswerForm(consultation=consultation)
    return _detail_page(request, consultation, form=form, can_answer=can_answer)


def _refused(request, consultation):
    consultation.refresh_from_db()
    if consultation.is_answered:
        messages.error(request, _("This consultation has already been answered. The answer cannot be changed."))
    else:
        messages.error(request, _("Only a representative of the consulted organisation can answer."))
    return redirect("consultations:detail", pk=consultation.pk)


def _detail_page(request, consultation, *, form, can_answer: bool):
    case = consultation.request
    # The custodian is asked about its own data: the tables on other owners' datasets are not its business.
    specifications = [
        row
        for row in selectors.specification_rows(case)
        if row.specification.dataset.custodian_id == consultation.custodian_id
    ]
    return render(
        request,
        "consultations/detail.html",
        {
            "consultation": consultation,
            "case": case,
            "specifications": specifications,
            "form": form,
            "can_answer": can_answer,
            "today": clock.local_date(timezone.now()),
        },
    )
