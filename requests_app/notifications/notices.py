"""The table of notices: each event of a case, the notices it sends, who receives each (see the package)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.models import User
from portal.roles import Role
from requests_app import permissions
from requests_app.models import (
    Amendment,
    Consultation,
    DataRequest,
    Decision,
    Notification,
)

# --- Audiences: who receives a notice, and which page their e-mail links to ---------------


def _with_role(role: Role):
    return User.objects.filter(is_active=True, groups__name=role.value).distinct()


def _requester(case: DataRequest, about) -> list[User]:
    return [case.requester]


def _officer(case: DataRequest, about) -> Iterable[User]:
    """The officer on the case; the access leads while nobody is assigned (they assign it)."""
    return [case.assigned_to] if case.assigned_to_id else _with_role(Role.ACCESS_LEAD)


def _leads(case: DataRequest, about) -> Iterable[User]:
    return _with_role(Role.ACCESS_LEAD)


def _custodian_representatives(case: DataRequest, consultation: Consultation) -> Iterable[User]:
    """The representatives of the consulted organisation, and nobody else's."""
    return _with_role(Role.DATA_CUSTODIAN).filter(custodian_id=consultation.custodian_id)


def _checkers(case: DataRequest, about) -> list[User]:
    """Output checkers who may check one of the case's outputs (four eyes: ``permissions.user_can_check_job``)."""
    jobs = list(case.table_jobs.select_related("request", "table"))
    checkers = _with_role(Role.OUTPUT_CHECKER)
    return [user for user in checkers if any(permissions.user_can_check_job(user, job) for job in jobs)]


def _request_page(case: DataRequest, about) -> str:
    return reverse("requests_app:detail", kwargs={"pk": case.pk})


def _workspace_page(case: DataRequest, about) -> str:
    return reverse("workspace:case", kwargs={"pk": case.pk})


def _consultation_page(case: DataRequest, consultation: Consultation) -> str:
    return reverse("consultations:detail", kwargs={"pk": consultation.pk})


def _outputs_page(case: DataRequest, about) -> str:
    return reverse("outputs:queue")


@dataclass(frozen=True)
class Audience:
    """Who receives a notice (``members``), the page the e-mail links to, and the roles the profile page
    offers its optional notices to."""

    roles: frozenset[Role]
    members: Callable[[DataRequest, object], Iterable[User]]
    page: Callable[[DataRequest, object], str]


REQUESTER = Audience(frozenset({Role.REQUESTER}), _requester, _request_page)
OFFICER = Audience(frozenset({Role.PRIVACY_OFFICER, Role.ACCESS_LEAD}), _officer, _workspace_page)
LEADS = Audience(frozenset({Role.ACCESS_LEAD}), _leads, _workspace_page)
CUSTODIAN = Audience(frozenset({Role.DATA_CUSTODIAN}), _custodian_representatives, _consultation_page)
CHECKERS = Audience(frozenset({Role.OUTPUT_CHECKER}), _checkers, _outputs_page)


# --- The table: events, their notices, who receives each --------------------------------


def _acknowledgement(row: Notification) -> str:
    return row.request.acknowledgement


def _extension_notice(row: Notification) -> str:
    return row.request.extension_notice


def _decision_letter(row: Notification) -> str:
    return Decision.objects.get(pk=row.context["decision_id"]).letter


def _amendment_letter(row: Notification) -> str:
    return Amendment.objects.get(pk=row.context["amendment_id"]).letter


@dataclass(frozen=True)
class Notice:
    """One message of an event to one audience.

    ``name`` names its templates (``templates/emails/<name>.subject.txt``, ``.txt``, ``.html``) and is what a
    person switches off in their profile, unless the notice is ``essential``. ``document`` returns the legal
    text the e-mail carries in full (the notice of receipt, of extension, the decision letter).
    """

    name: str
    audience: Audience
    label: str
    essential: bool = False
    document: Callable[[Notification], str] | None = None


def _newest_consultation(case: DataRequest) -> Consultation:
    """Inside the transaction that opened it, the case's newest consultation is the one just opened."""
    return case.consultations.order_by("-pk").first()


def _signed_decision(case: DataRequest) -> Decision:
    return case.decisions.filter(signed_off_at__isnull=False).order_by("-signed_off_at", "-pk").first()


@dataclass(frozen=True)
class Event:
    """What happened to a case and the notices it sends. ``about`` finds, on the case, the record the event
    concerns (a consultation, a decision) when the caller does not pass it."""

    notices: tuple[Notice, ...]
    about: Callable[[DataRequest], object] | None = None


EVENTS: dict[str, Event] = {
    "request_received": Event(
        (
            Notice(
                "acknowledgement",
                REQUESTER,
                _("Notice of receipt of my request"),
                essential=True,
                document=_acknowledgement,
            ),
            Notice("new_case", LEADS, _("A new request is filed")),
        )
    ),
    "request_assigned": Event((Notice("case_assigned", OFFICER, _("A request is assigned to me")),)),
    "clarification_asked": Event(
        (Notice("clarification_asked", REQUESTER, _("The agency asks me a question"), essential=True),)
    ),
    "clarification_answered": Event(
        (Notice("clarification_answered", OFFICER, _("The requester answers my question")),)
    ),
    "delay_extended": Event(
        (
            Notice(
                "delay_extended",
                REQUESTER,
                _("Notice of extension of the delay"),
                essential=True,
                document=_extension_notice,
            ),
        )
    ),
    "consultation_opened": Event(
        (Notice("consultation_opened", CUSTODIAN, _("My organisation is consulted about its data")),),
        about=_newest_consultation,
    ),
    "consultation_answered": Event(
        (Notice("consultation_answered", OFFICER, _("A data custodian answers a consultation")),)
    ),
    "decision_proposed": Event((Notice("decision_proposed", LEADS, _("A decision awaits sign-off")),)),
    "decision_returned": Event((Notice("decision_returned", OFFICER, _("A proposed decision is sent back")),)),
    "decision_sent": Event(
        (
            Notice(
                "decision_sent",
                REQUESTER,
                _("The decision on my request, with its letter"),
                essential=True,
                document=_decision_letter,
            ),
            Notice("decision_signed", OFFICER, _("A decision on my case is signed off")),
        ),
        about=_signed_decision,
    ),
    "amendment_proposed": Event((Notice("amendment_proposed", LEADS, _("An amendment awaits sign-off")),)),
    "amendment_returned": Event((Notice("amendment_returned", OFFICER, _("A proposed amendment is sent back")),)),
    "amendment_sent": Event(
        (
            Notice(
                "amendment_sent",
                REQUESTER,
                _("An amendment to the decision on my request, with its letter"),
                essential=True,
                document=_amendment_letter,
            ),
            Notice("amendment_signed", OFFICER, _("An amendment on my case is signed off")),
        )
    ),
    "output_ready": Event((Notice("output_ready", CHECKERS, _("Outputs are ready for checking")),)),
    "output_returned": Event((Notice("output_returned", OFFICER, _("The output checker returns a table")),)),
    "output_released": Event(
        (Notice("output_released", REQUESTER, _("Statistics are released to me"), essential=True),)
    ),
    "request_withdrawn": Event(
        (
            # The requester's own act, confirmed: what was withdrawn and when, so they know nothing more is due.
            Notice("withdrawal_confirmed", REQUESTER, _("My withdrawal of a request is confirmed"), essential=True),
            Notice("request_withdrawn", OFFICER, _("A requester withdraws a request")),
        )
    ),
    "due_reminder": Event((Notice("due_reminder", OFFICER, _("Reminder: a request is due soon")),)),
    "overdue": Event((Notice("overdue_alert", LEADS, _("Alert: a request is overdue")),)),
    "clarification_reminder": Event(
        (Notice("clarification_reminder", REQUESTER, _("Reminder: a question of the agency awaits my answer")),)
    ),
}

#: Every notice by name (names are unique across events).
NOTICES: dict[str, Notice] = {notice.name: notice for event in EVENTS.values() for notice in event.notices}


def notices_for(user: User) -> tuple[list[Notice], list[Notice]]:
    """The notices ``user``'s roles may receive: (optional ones, which they may switch off; essential ones)."""
    roles = {role for role in Role if user.has_role(role)}
    mine = [notice for notice in NOTICES.values() if notice.audience.roles & roles]
    return [n for n in mine if not n.essential], [n for n in mine if n.essential]
