"""The access log: who read which protected page or file, when, from where.

Change history (django-simple-history) records writes; this records *reads*.
One table says which pages hold protected data and which URL argument names
the object; one middleware writes an ``AccessLog`` row for each successful
(200) GET of them, after the view has checked the permission and before the
answer leaves. A page that answers 404 or 403 (not the reader's) logs nothing;
a row that cannot be written fails the request, so nothing protected is
served unlogged.
"""

from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction

from portal.models import AccessLog
from portal.trail import EventType, record


@dataclass(frozen=True)
class Audited:
    #: ``app_label.model`` of the object the page shows.
    object_type: str
    #: The URL argument that holds its id; ``None`` for a page about many objects.
    id_argument: str | None = "pk"
    #: The event the read adds to the audit trail.
    event: EventType = EventType.ACCESS_READ


#: URL name -> what it shows. The one list of the pages whose reads are logged.
AUDITED_VIEWS = {
    # The requester's own pages of a filed request.
    "requests_app:detail": Audited("requests_app.datarequest"),
    "requests_app:acknowledgement": Audited("requests_app.datarequest"),
    "requests_app:attachment_download": Audited("requests_app.attachment", "attachment_pk", EventType.ACCESS_DOWNLOAD),
    # Staff: the case page and the queue's CSV export.
    "workspace:case": Audited("requests_app.datarequest"),
    "workspace:export": Audited("requests_app.datarequest", None),
    # Data custodians: a consultation on their data.
    "consultations:detail": Audited("requests_app.consultation"),
    # Outputs: the checker's page and every file downloaded.
    "outputs:detail": Audited("requests_app.tablejob"),
    "outputs:download": Audited("requests_app.tablejob", event=EventType.ACCESS_DOWNLOAD),
    "outputs:text": Audited("requests_app.tablejob", event=EventType.ACCESS_DOWNLOAD),
    # The API's twins of the requester's case page and of the downloads (requests_app/api/).
    "api:request-detail": Audited("requests_app.datarequest"),
    "api:output-file": Audited("requests_app.tablejob", "job_pk", EventType.ACCESS_DOWNLOAD),
    # The admin's pages of a case and of its documents.
    "admin:requests_app_datarequest_change": Audited("requests_app.datarequest", "object_id"),
    "admin:requests_app_datarequest_history": Audited("requests_app.datarequest", "object_id"),
    "admin:requests_app_attachment_change": Audited("requests_app.attachment", "object_id"),
    "admin:requests_app_message_change": Audited("requests_app.message", "object_id"),
}

USER_AGENT_LENGTH = AccessLog._meta.get_field("user_agent").max_length
PATH_LENGTH = AccessLog._meta.get_field("path").max_length


def record_access(request, audited: Audited) -> AccessLog:
    """Write the access log row of this request, and its link in the audit trail."""
    kwargs = request.resolver_match.kwargs
    try:
        # allauth's reading of the client's address (``TRUSTED_PROXY_COUNT``), as its rate limits use it.
        client_ip = get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):  # no address, or fewer proxies than trusted
        client_ip = None
    user = request.user if request.user.is_authenticated else None
    with transaction.atomic():
        entry = AccessLog.objects.create(
            user=user,
            view_name=request.resolver_match.view_name,
            object_type=audited.object_type,
            object_id=str(kwargs.get(audited.id_argument, "")) if audited.id_argument else "",
            path=request.get_full_path()[:PATH_LENGTH],
            client_ip=client_ip,
            user_agent=request.headers.get("user-agent", "")[:USER_AGENT_LENGTH],
        )
        is_case = audited.object_type == "requests_app.datarequest" and entry.object_id.isdigit()
        record(
            audited.event,
            actor=user,
            target=(entry.object_type, entry.object_id),
            case_id=int(entry.object_id) if is_case else None,
            payload={"access_log": entry.pk, "view": entry.view_name, "path": entry.path},
            at=entry.at,
        )
    return entry


class AccessLogMiddleware:
    """Log each successful GET of a page of ``AUDITED_VIEWS``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "GET" and response.status_code == 200:
            match = getattr(request, "resolver_match", None)
            audited = AUDITED_VIEWS.get(match.view_name) if match else None
            if audited is not None:
                record_access(request, audited)
        return response
