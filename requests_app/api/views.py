"""The API's endpoints. Each loads through the pages' selectors (another person's object is a 404),
checks with ``requests_app.permissions``, validates with the pages' forms and makes the pages' service call.

Domain exceptions become DRF's usual answers in one place, ``exception_handler``: a ``ValidationError``
is a 400 naming its fields (``{"field": ["message"]}``), a ``TransitionError`` a 409 with ``detail``.
"""

import logging
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from requests_app import forms, permissions, register, selectors, services, staff_forms
from requests_app.api import serializers
from requests_app.api.permissions import StaffWithMFASession
from requests_app.production import jobs
from requests_app.production import selectors as production_selectors
from requests_app.production.models import TableJob
from requests_app.register_views import SearchForm
from requests_app.workflow import TransitionError, can_fire
from stats_app import outputs

logger = logging.getLogger(__name__)

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description='The fields at fault: {"field": ["message"]}.'),
    401: OpenApiResponse(serializers.ErrorSerializer, description="No token or session, or a refused token."),
    403: OpenApiResponse(serializers.ErrorSerializer, description="Not allowed (a read-only token, a staff account)."),
    404: OpenApiResponse(serializers.ErrorSerializer, description="Not found, or not yours."),
    409: OpenApiResponse(serializers.ErrorSerializer, description="Not possible in the request's current state."),
    429: OpenApiResponse(serializers.ErrorSerializer, description="Too many writes: try again after Retry-After."),
}


def errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in (401, 404, 429, *codes)}


def _field_errors(error: DjangoValidationError) -> dict | list:
    if hasattr(error, "error_dict"):
        return {
            (name if name != "__all__" else "non_field_errors"): messages
            for name, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    """DRF's handler, and the domain's exceptions in DRF's shapes (never a 500 for a refused input)."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_field_errors(exc))
    elif isinstance(exc, TransitionError):
        response = Response({"detail": str(exc) or _("Not possible in the request's current state.")}, status=409)
        return response
    return drf_exception_handler(exc, context)


def _fields(request):
    """The request's fields for a page's form: a JSON object or a form body, never a list or a number."""
    if not isinstance(request.data, Mapping):
        message = serializers.serializers.Serializer.default_error_messages["invalid"]
        raise exceptions.ValidationError({"non_field_errors": [message.format(datatype=type(request.data).__name__)]})
    return request.data


def _checked(form) -> dict:
    """The form's cleaned data, or a 400 with its errors under the API's field names."""
    if not form.is_valid():
        raise exceptions.ValidationError(_field_errors(DjangoValidationError(form.errors.as_data())))
    return form.cleaned_data


def _validate_draft_steps(base: dict, values: dict) -> list[tuple[str, dict]]:
    """Each intake step the values touch, checked by that step's page form (as when the page saves it).

    ``base`` holds the draft's saved values (the form sees the whole step); only the fields sent are written.
    """
    problems: dict = {}
    steps = []
    for step, form_class in forms.STEP_FORMS.items():
        sent = [name for name in form_class.base_fields if name in values]
        if not sent:
            continue
        form = form_class(data={**{name: base.get(name) for name in form_class.base_fields}, **values})
        if form.is_valid():
            steps.append((step, {name: form.cleaned_data[name] for name in sent}))
        else:
            problems.update({name: [str(message) for message in messages] for name, messages in form.errors.items()})
    if problems:
        raise exceptions.ValidationError(problems)
    return steps


def _case_data(user, case) -> dict:
    """What the requester's page of the case shows (``views._detail_page``), read through the same selectors."""
    filed = not case.is_draft
    specifications = selectors.specification_rows(case)
    decision = selectors.signed_decision(case) if filed else None
    data = {name: getattr(case, name) for name in serializers.DRAFT_FIELDS}
    data.update(
        pk=case.pk,
        reference=case.reference,
        status=case.status,
        get_status_display=case.get_status_display(),
        created_at=case.created_at,
        received_at=case.received_at,
        due_at=case.due_at,
        language=case.language,
        extension_days=case.extension_days,
        extension_notice=case.extension_notice,
        acknowledgement=case.acknowledgement,
        withdrawn_at=case.withdrawn_at,
        withdrawal_reason=case.withdrawal_reason,
        due=selectors.due_state(case, now=timezone.now()).__dict__ if filed else None,
        tables=specifications,
        # Documents of the request itself; those sent with a message or an answer are listed there.
        documents=case.attachments.filter(message=None, clarification=None),
        messages=selectors.case_messages(case, include_internal=False) if filed else [],
        clarifications=case.clarifications.prefetch_related("documents").order_by("asked_at", "pk"),
        decision=decision,
        amendments=selectors.signed_amendments(case) if filed else [],
        timeline=selectors.status_timeline(case),
        outputs=production_selectors.case_jobs(case) if filed else [],
        submission_problems=services.submission_problems(case) if case.is_draft else {},
        can_edit=permissions.user_can_edit_draft(user, case),
        can_delete=permissions.user_can_delete_draft(user, case),
        can_withdraw=permissions.user_can_withdraw(user, case),
        can_write=permissions.user_can_write_to_agency(user, case),
        can_answer=can_fire("answer_clarification", user, case),
    )
    return data


def _detail(user, case, *, code=status.HTTP_200_OK) -> Response:
    case.refresh_from_db()
    return Response(serializers.RequestDetailSerializer(_case_data(user, case)).data, status=code)


def _editable_draft(user, pk):
    """The user's own draft, still editable: 404 if not theirs, 409 once submitted (the page says so too)."""
    case = selectors.get_own_request(user, pk)
    if not permissions.user_can_edit_draft(user, case):
        if case.is_draft:
            raise exceptions.PermissionDenied(permissions.STAFF_CANNOT_FILE)
        raise TransitionError(_("This request was submitted: it can no longer be changed."))
    return case


# --- The catalogue ------------------------------------------------------------------


def offered_datasets():
    """The datasets the intake form offers (``forms.DatasetPickForm``), with their parts."""
    return (
        forms.DatasetPickForm.base_fields["dataset"]
        .queryset.select_related("custodian")
        .prefetch_related("measures", "dimensions__categories")
    )


@extend_schema(tags=["catalogue"], responses={200: serializers.DatasetSerializer(many=True), **errors()})
class DatasetList(generics.ListAPIView):
    """The datasets a request may ask for, each with its measures, dimensions and categories."""

    serializer_class = serializers.DatasetSerializer

    def get_queryset(self):
        return offered_datasets()


@extend_schema(tags=["catalogue"], responses={200: serializers.DatasetSerializer, **errors()})
class DatasetDetail(generics.RetrieveAPIView):
    serializer_class = serializers.DatasetSerializer
    lookup_field = "code"

    def get_queryset(self):
        return offered_datasets()


# --- The requester's requests -----------------------------------------------------


class RequestList(generics.ListCreateAPIView):
    """The requester's own requests, newest first; POST opens a draft (a staff account cannot)."""

    serializer_class = serializers.RequestSummarySerializer
    rate_limit_page = "requests_app:create"

    def get_queryset(self):
        return selectors.my_requests(self.request.user)

    @extend_schema(tags=["requests"], responses={200: serializers.RequestSummarySerializer(many=True), **errors()})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["requests"],
        request=serializers.DraftSerializer,
        responses={201: serializers.RequestDetailSerializer, **errors(400, 403)},
    )
    def post(self, request, *args, **kwargs):
        if not permissions.user_can_file_requests(request.user):
            raise exceptions.PermissionDenied(permissions.STAFF_CANNOT_FILE)
        incoming = serializers.DraftSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        defaults = services.profile_defaults(request.user)
        values = {**defaults, **incoming.validated_data}
        steps = dict(_validate_draft_steps(defaults, values))
        with transaction.atomic():
            case = services.request_start(requester=request.user, profile=steps.pop("profile", {}))
            for step, step_values in steps.items():
                services.request_update_draft(case=case, actor=request.user, step=step, values=step_values)
        return _detail(request.user, case, code=status.HTTP_201_CREATED)


class RequestDetail(generics.GenericAPIView):
    """One of the requester's requests, as their page shows it; PATCH edits a draft; DELETE deletes one."""

    serializer_class = serializers.RequestDetailSerializer

    @extend_schema(tags=["requests"], responses={200: serializers.RequestDetailSerializer, **errors()})
    def get(self, request, pk: int):
        return _detail(request.user, selectors.get_own_request(request.user, pk))

    @extend_schema(
        tags=["requests"],
        request=serializers.DraftSerializer,
        responses={200: serializers.RequestDetailSerializer, **errors(400, 403, 409)},
    )
    def patch(self, request, pk: int):
        case = _editable_draft(request.user, pk)
        incoming = serializers.DraftSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        base = {name: getattr(case, name) for name in serializers.DRAFT_FIELDS}
        with transaction.atomic():
            for step, values in _validate_draft_steps(base, incoming.validated_data):
                services.request_update_draft(case=case, actor=request.user, step=step, values=values)
        return _detail(request.user, case)

    @extend_schema(tags=["requests"], request=None, responses={204: None, **errors(403, 409)})
    def delete(self, request, pk: int):
        case = selectors.get_own_request(request.user, pk)
        if not permissions.user_can_delete_draft(request.user, case):
            raise TransitionError(_("Only a draft can be deleted. A submitted request can be withdrawn."))
        services.request_delete_draft(case=case, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TableList(generics.GenericAPIView):
    """Add a table to a draft: a dataset, a measure, dimensions and filters, checked against the catalogue."""

    serializer_class = serializers.TableInputSerializer

    @extend_schema(
        tags=["requests"],
        request=serializers.TableInputSerializer,
        responses={201: serializers.TableSerializer, **errors(400, 403, 409)},
    )
    def post(self, request, pk: int):
        case = _editable_draft(request.user, pk)
        incoming = serializers.TableInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        specification = services.specification_save(
            case=case,
            actor=request.user,
            dataset=values["dataset"],
            measure=values["measure"],
            dimensions=values["dimensions"],
            filters=values["filters"],
        )
        row = selectors.label_specifications([specification])[0]
        return Response(serializers.TableSerializer(row).data, status=status.HTTP_201_CREATED)


class TableDetail(APIView):
    @extend_schema(tags=["requests"], request=None, responses={204: None, **errors(403, 409)})
    def delete(self, request, pk: int, table_pk: int):
        """Remove a table from a draft."""
        case = _editable_draft(request.user, pk)
        specification = case.specifications.filter(pk=table_pk).first()
        if specification is None:
            raise Http404
        services.specification_delete(case=case, actor=request.user, specification=specification)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentList(generics.GenericAPIView):
    """Attach a document to a draft (multipart: ``kind`` and ``file``), checked as on the page."""

    serializer_class = serializers.DocumentInputSerializer
    parser_classes = [MultiPartParser, FormParser]
    rate_limit_page = "requests_app:attachments"

    @extend_schema(
        tags=["requests"],
        request={"multipart/form-data": serializers.DocumentInputSerializer},
        responses={201: serializers.DocumentSerializer, **errors(400, 403, 409)},
    )
    def post(self, request, pk: int):
        case = _editable_draft(request.user, pk)
        form = forms.AttachmentForm(_fields(request), request.FILES, file_required=True)
        cleaned = _checked(form)
        attachment = services.attachment_add(
            case=case, actor=request.user, kind=cleaned["kind"], uploaded=cleaned["file"]
        )
        return Response(serializers.DocumentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class Submit(APIView):
    rate_limit_page = "requests_app:submit"

    @extend_schema(
        tags=["requests"],
        request=None,
        responses={
            200: serializers.RequestDetailSerializer,
            400: serializers.SubmissionProblemsSerializer,
            **errors(403, 409),
        },
    )
    def post(self, request, pk: int):
        """File the draft. While something is missing: 400 with ``submission_problems``, step by step."""
        case = _editable_draft(request.user, pk)
        problems = services.submission_problems(case)
        if problems:
            return Response(
                {
                    "detail": _("The request is not complete yet. Correct the steps marked below, then submit again."),
                    "submission_problems": problems,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            case = services.request_submit(case=case, actor=request.user)
        except PermissionDenied as error:
            raise TransitionError(str(error) or _("This request can no longer be submitted.")) from error
        return _detail(request.user, case)


class MessageList(generics.GenericAPIView):
    """Write to the agency about a filed request (JSON, or multipart with a ``document``)."""

    serializer_class = serializers.MessageInputSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    rate_limit_page = "requests_app:message"

    @extend_schema(
        tags=["requests"],
        request={
            "application/json": serializers.MessageInputSerializer,
            "multipart/form-data": serializers.MessageInputSerializer,
        },
        responses={201: serializers.MessageSerializer, **errors(400, 409)},
    )
    def post(self, request, pk: int):
        case = selectors.get_own_request(request.user, pk)
        if not permissions.user_can_write_to_agency(request.user, case):
            raise TransitionError(_("You can no longer write about this request."))
        cleaned = _checked(forms.AgencyMessageForm(_fields(request), request.FILES))
        message = services.message_post(
            case=case, actor=request.user, body=cleaned["body"], internal=False, document=cleaned["document"]
        )
        return Response(serializers.MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class ClarificationAnswer(generics.GenericAPIView):
    """Answer the agency's open question (text, and a document when asked); the statutory clock starts again."""

    serializer_class = serializers.ClarificationAnswerInputSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    rate_limit_page = "requests_app:clarification_answer"

    @extend_schema(
        tags=["requests"],
        request={
            "application/json": serializers.ClarificationAnswerInputSerializer,
            "multipart/form-data": serializers.ClarificationAnswerInputSerializer,
        },
        responses={200: serializers.RequestDetailSerializer, **errors(400, 409)},
    )
    def post(self, request, pk: int):
        case = selectors.get_own_request(request.user, pk)
        if not can_fire("answer_clarification", request.user, case):
            raise TransitionError(_("The agency is not waiting for an answer on this request."))
        clarifications = list(case.clarifications.all())
        cleaned = _checked(forms.clarification_answer_form(clarifications, _fields(request), request.FILES))
        services.clarification_answer(
            case=case, actor=request.user, answer=cleaned["answer"], document=cleaned["document"]
        )
        return _detail(request.user, case)


class Withdraw(generics.GenericAPIView):
    serializer_class = serializers.WithdrawInputSerializer

    @extend_schema(
        tags=["requests"],
        request=serializers.WithdrawInputSerializer,
        responses={200: serializers.RequestDetailSerializer, **errors(400, 409)},
    )
    def post(self, request, pk: int):
        """Withdraw a request not decided yet, with a reason."""
        case = selectors.get_own_request(request.user, pk)
        if not permissions.user_can_withdraw(request.user, case):
            raise TransitionError(_("This request cannot be withdrawn in its current state."))
        cleaned = _checked(forms.WithdrawForm(_fields(request)))
        try:
            case = services.request_withdraw(case=case, actor=request.user, reason=cleaned["reason"])
        except PermissionDenied as error:
            raise TransitionError(str(error) or _("This request cannot be withdrawn in its current state.")) from error
        return _detail(request.user, case)


class OutputFile(APIView):
    @extend_schema(
        tags=["requests"],
        parameters=[OpenApiParameter("file_name", str, OpenApiParameter.PATH, enum=list(outputs.FILE_NAMES))],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **errors()},
    )
    def get(self, request, pk: int, job_pk: int, file_name: str):
        """A released table's file, as the page's download gives it (logged like it)."""
        case = selectors.get_own_request(request.user, pk)
        job = TableJob.objects.filter(pk=job_pk, request=case).select_related("request", "table").first()
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


# --- Staff: read-only queues, in a session that passed MFA --------------------------


class QueueList(APIView):
    permission_classes = [StaffWithMFASession]

    @extend_schema(tags=["workspace"], responses={200: OpenApiTypes.OBJECT, **errors(403)})
    def get(self, request):
        """Each workspace queue this person sees, with how many cases it holds."""
        names = staff_forms.queue_names_for(request.user)
        counts = selectors.queue_counts(request.user, now=timezone.now(), names=names)
        return Response({name: counts[name] for name in names})


class QueueCases(generics.ListAPIView):
    """The cases of one workspace queue, soonest due first, as the queue page lists them."""

    permission_classes = [StaffWithMFASession]
    serializer_class = serializers.QueueCaseSerializer

    def get_queryset(self):
        queue = self.kwargs["queue"]
        if queue not in staff_forms.queue_names_for(self.request.user):
            raise Http404
        # The queue page's filter form reads the query string: the same filters, search and sort.
        filters = staff_forms.QueueFilterForm(self.request.query_params).filters()
        filters.pop("queue", None)
        sort = filters.pop("sort", "due")
        return selectors.queue_cases(self.request.user, now=timezone.now(), queue=queue, filters=filters, sort=sort)

    @extend_schema(
        tags=["workspace"],
        parameters=[
            OpenApiParameter(name, OpenApiTypes.DATE if name.endswith(("_from", "_to")) else str)
            for name in staff_forms.QueueFilterForm.base_fields
            if name != "queue"
        ],
        responses={200: serializers.QueueCaseSerializer(many=True), **errors(403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OutputQueue(generics.ListAPIView):
    """The output checker's queue: outputs waiting for a check first."""

    permission_classes = [StaffWithMFASession]
    serializer_class = serializers.OutputQueueSerializer

    def get_queryset(self):
        if not permissions.user_is_output_checker(self.request.user):
            raise exceptions.PermissionDenied
        return production_selectors.checker_queue()

    @extend_schema(tags=["workspace"], responses={200: serializers.OutputQueueSerializer(many=True), **errors(403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- The public register (no sign-in) -------------------------------------------------------


def _publication_data(request, item: register.Publication) -> dict:
    """``item`` as ``PublicationSerializer`` reads it, labelled in the request's language."""
    job, row = item.job, item.row
    run = job.specification
    codes = run.get("dimensions", [])
    decision = item.decision
    entry = item.ledger
    return {
        "id": item.pk,
        "dataset": {"code": job.table.dataset.code, "label": row.dataset},
        "measure": {"code": job.table.measure.code, "label": row.measure},
        "dimensions": [{"code": code, "label": label} for code, label in zip(codes, row.dimensions, strict=True)],
        "filters": [
            {
                "dimension": {"code": code, "label": label},
                "categories": [{"code": c, "label": c_label} for c, c_label in zip(kept, labels, strict=True)],
            }
            for (code, kept), (label, labels) in zip(run.get("filters", {}).items(), row.filters, strict=True)
        ],
        "published_on": item.published_on,
        "decision": {
            "outcome": decision.outcome,
            "outcome_label": decision.get_outcome_display(),
            "decided_on": timezone.localtime(decision.signed_off_at).date(),
            "legal_basis": [str(provision) for provision in decision.provisions.all()],
        }
        if decision
        else None,
        "provenance": {
            "data_snapshot": entry.data_snapshot,
            "data_version": entry.data_version,
            "method": entry.method,
            "parameters": entry.parameters,
            "cells": entry.cells,
            "suppressed": entry.suppressed,
        }
        if entry
        else None,
        "csv_sha256": item.checksum,
        "csv": request.build_absolute_uri(reverse("register:download", kwargs={"pk": item.pk})),
        "page": request.build_absolute_uri(reverse("register:detail", kwargs={"pk": item.pk})),
    }


class _Public:
    """The register is for everyone: no sign-in, and a token or a session changes nothing."""

    permission_classes = [AllowAny]
    authentication_classes = []


@extend_schema(
    tags=["register"],
    parameters=[
        OpenApiParameter("q", str, description="Words, all of them in the table's labels."),
        OpenApiParameter("dataset", str, description="A dataset's code."),
        OpenApiParameter("dimension", str, description="A dimension the table shows (its code)."),
        OpenApiParameter("year", str, description="A year the table counts."),
        OpenApiParameter("region", str, description="A region the table counts (its code)."),
    ],
    responses={200: serializers.PublicationSerializer(many=True), **errors(400)},
)
class PublicationList(_Public, generics.GenericAPIView):
    """The public register: released tables once their publication delay has passed, newest first."""

    serializer_class = serializers.PublicationSerializer

    def get(self, request):
        form = SearchForm(request.query_params, choices=register.filter_choices())
        _checked(form)
        found = register.search(form.query())
        page = self.paginate_queryset(found)
        return self.get_paginated_response([_publication_data(request, item) for item in page])


@extend_schema(tags=["register"], responses={200: serializers.PublicationSerializer, **errors(404)})
class PublicationDetail(_Public, APIView):
    def get(self, request, pk: int):
        return Response(_publication_data(request, register.get_publication(pk)))


@extend_schema(exclude=True)
class NotFound(APIView):
    """Every address under ``/api/v1/`` that names no endpoint, whatever the method."""

    permission_classes = []
    authentication_classes = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound

    def get(self, request, *args, **kwargs):
        raise exceptions.NotFound
