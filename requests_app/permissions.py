"""Who may do what to a case: the one place that answers it.

Each rule has two faces: ``user_can_x`` returns a bool (templates, workflow
predicates) and ``check_user_can_x`` raises. Object rules are backed by
django-guardian's direct foreign-key tables; a case the user may not see
answers 404 (``Http404``), never a 403 that would confirm it exists.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from portal.roles import Role
from requests_app.models import Amendment, Consultation, DataRequest
from requests_app.states import (
    JOB_RERUNNABLE_STATES,
    JOB_WITH_FILES_STATES,
    MESSAGE_CLOSED_STATES,
    OPEN_STATES,
    REVIEW_STATES,
    JobState,
    Status,
)

ASSIGN = "requests_app.assign_datarequest"
SIGN_OFF = "requests_app.sign_off_datarequest"
VIEW = "requests_app.view_datarequest"
CHANGE = "requests_app.change_datarequest"
DELETE = "requests_app.delete_datarequest"
CHECK_OUTPUTS = "requests_app.check_tablejob"
CHANGE_REVIEW = "requests_app.change_reviewrequest"

#: What a requester holds on their own case.
REQUESTER_PERMISSIONS = ("view_datarequest", "change_datarequest", "delete_datarequest")
#: What the assigned officer holds on the case, for as long as it is theirs.
OFFICER_PERMISSIONS = ("view_datarequest", "change_datarequest")
#: The roles a case can be assigned to.
ASSIGNABLE_ROLES = (Role.PRIVACY_OFFICER, Role.ACCESS_LEAD)


def _has(user, perm: str, case: DataRequest) -> bool:
    """An object permission on this case, or a role permission on every *filed* case.

    A draft is the requester's private work until it is submitted: roles that
    read every case (lead, auditor) see it only once it is filed.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.has_perm(perm, case) or (case.status != Status.DRAFT and user.has_perm(perm))


def check(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def grant_requester_permissions(*, user, case: DataRequest) -> None:
    for codename in REQUESTER_PERMISSIONS:
        assign_perm(codename, user, case)


def grant_officer_permissions(*, officer, case: DataRequest, previous=None) -> None:
    """Assignment: the new officer gets the case; the previous one loses it."""
    if previous is not None and previous != officer:
        for codename in OFFICER_PERMISSIONS:
            remove_perm(codename, previous, case)
    for codename in OFFICER_PERMISSIONS:
        assign_perm(codename, officer, case)


def user_can_be_assigned(user) -> bool:
    return user.is_active and any(user.has_role(role) for role in ASSIGNABLE_ROLES)


def user_is_access_lead(user) -> bool:
    """Assigns cases, sees the workload and signs off: the model-wide "assign" permission."""
    return user.is_authenticated and user.is_active and user.has_perm(ASSIGN)


def check_user_is_access_lead(user) -> None:
    check(user_is_access_lead(user))


def user_can_assign(user, case: DataRequest) -> bool:
    """The access lead assigns and reassigns filed cases."""
    return case.status != Status.DRAFT and user.is_active and user.has_perm(ASSIGN)


def user_works_case(user, case: DataRequest) -> bool:
    """The assigned officer, or a lead (who may do everything an officer may, on every case)."""
    if case.status == Status.DRAFT or not (user.is_authenticated and user.is_active):
        return False
    if user.has_perm(CHANGE) and user.has_perm(ASSIGN):
        return True
    return case.assigned_to_id == user.pk and user.has_perm(CHANGE, case)


WITHHOLD = "requests_app.add_publicationwithholding"
DECIDE_WITHHOLDING = "requests_app.decide_publicationwithholding"


def user_can_withhold(user) -> bool:
    """Officers and leads may keep a released table out of the public register."""
    return user.is_authenticated and user.has_perm(WITHHOLD)


def user_can_decide_withholding(user, withholding) -> bool:
    """A lead other than the one who withheld it, while it awaits a decision."""
    return (
        user.is_authenticated
        and user.has_perm(DECIDE_WITHHOLDING)
        and withholding.outcome == withholding.Outcome.PENDING
        and withholding.proposed_by_id != user.pk
    )


def user_can_decide_accommodation(user, case: DataRequest) -> bool:
    """The officer working the case (or a lead) decides an accommodation asked for, once, while the case is
    open."""
    return (
        bool(case.accommodation)
        and not case.accommodation_outcome
        and case.status in OPEN_STATES
        and (user_works_case(user, case))
    )


def user_can_sign_off(user, case: DataRequest) -> bool:
    """Four eyes: a lead signs off (or sends back) a decision someone else proposed."""
    if not (user.is_authenticated and user.is_active and user.has_perm(SIGN_OFF)):
        return False
    pending = case.decisions.filter(signed_off_at__isnull=True, returned_at__isnull=True)
    return pending.exclude(proposed_by=user).exists()


def is_system(actor, case: DataRequest) -> bool:
    """Moves no person fires: the job worker reporting progress. ``actor`` is ``None`` only there."""
    return actor is None


def user_can_start_production(user, case: DataRequest) -> bool:
    """Production starts when a lead signs off an approval."""
    return user.is_authenticated and user.is_active and user.has_perm(SIGN_OFF)


# --- Outputs -------------------------------------------------------------------


def user_is_output_checker(user, case: DataRequest | None = None) -> bool:
    """The output checker's role: check and release produced tables (a model-wide permission)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(CHECK_OUTPUTS))


def _people_behind_table(job) -> set[int]:
    """Who specified or adjusted the table, and who works the case: none of them may check its output."""
    people = set(job.table.history.exclude(history_user=None).values_list("history_user_id", flat=True))
    people.update(filter(None, (job.request.requester_id, job.request.assigned_to_id)))
    return people


def user_can_check_job(user, job) -> bool:
    """Four eyes on outputs: a checker who neither specified, adjusted nor worked the table."""
    return (
        job.state == JobState.READY_FOR_CHECKING
        and user_is_output_checker(user)
        and user.pk not in _people_behind_table(job)
    )


def check_user_can_check_job(user, job) -> None:
    check(user_can_check_job(user, job))


def checks_needed(job) -> int:
    """How many checkers, each on their own, must check the job's run before it is released (its dataset's)."""
    return job.table.dataset.independent_checks


def reviewers_of_run(job) -> set[int]:
    """The checkers who already checked the job's current run (``JobReview``): a new run starts with none."""
    return set(job.reviews.filter(run=job.run).values_list("checker_id", flat=True))


def _number_of_my_check(user, job) -> int | None:
    """Which check of the run ``user``'s would be (1 for the first), or ``None`` when they may not give one."""
    if not user_can_check_job(user, job):
        return None
    reviewers = reviewers_of_run(job)
    return None if user.pk in reviewers else len(reviewers) + 1


def user_can_review_job(user, job) -> bool:
    """A check that does not release: the first of two independent ones, by a checker who has not checked this run."""
    number = _number_of_my_check(user, job)
    return number is not None and number < checks_needed(job)


def user_can_release_job(user, job) -> bool:
    """The check that releases: the only one, or the last of the independent ones, each by another checker."""
    number = _number_of_my_check(user, job)
    return number is not None and number >= checks_needed(job)


def user_can_adjust_table(user, case: DataRequest, specification) -> bool:
    """The officer adjusts a table during the review, or later, when its output failed or was returned, by
    proposing an amendment (one at a time: not while another waits for a lead)."""
    if not user_works_case(user, case):
        return False
    if case.status in REVIEW_STATES:
        return True
    return specification.jobs.filter(state__in=JOB_RERUNNABLE_STATES).exists() and not _amendment_pending(
        specification.pk
    )


def _amendment_pending(specification_id: int) -> bool:
    return Amendment.objects.filter(
        specification_id=specification_id, signed_off_at__isnull=True, returned_at__isnull=True
    ).exists()


def user_can_sign_off_amendment(user, amendment) -> bool:
    """Four eyes, as on decisions: a lead signs off (or sends back) an amendment someone else proposed."""
    return (
        user.is_authenticated
        and user.is_active
        and user.has_perm(SIGN_OFF)
        and amendment.is_pending
        and amendment.proposed_by_id != user.pk
    )


def user_can_rerun_job(user, job) -> bool:
    """The officer on the case (or a lead) runs a failed job again, or a returned one after adjusting it.

    Not while an amendment of its table waits for a lead: its signature runs the table again.
    """
    return (
        job.state in JOB_RERUNNABLE_STATES
        and user_works_case(user, job.request)
        and not _amendment_pending(job.table_id)
    )


def check_user_can_rerun_job(user, job) -> None:
    check(user_can_rerun_job(user, job))


def user_can_download_output(user, job) -> bool:
    """The requester, once released; staff who may read the case, or the checker, once the files exist."""
    if job.state == JobState.RELEASED and user_is_requester_of(user, job.request):
        return True
    if job.state not in JOB_WITH_FILES_STATES or job.request.requester_id == user.pk:
        return False
    return user_is_output_checker(user) or user_can_view_request(user, job.request)


#: What a custodian's representative holds on a consultation addressed to their organisation.
CONSULTATION_PERMISSIONS = ("view_consultation", "change_consultation")


CUSTODIAN_GROUP_PREFIX = "custodian:"


def custodian_group(custodian) -> Group:
    """The group of a custodian's representatives: consultations are granted to it, not to each person."""
    group, _ = Group.objects.get_or_create(name=f"{CUSTODIAN_GROUP_PREFIX}{custodian.code}")
    return group


def sync_custodian_group(user) -> None:
    """Keep ``user`` in the group of the custodian they represent (``User.custodian``), and in no other.

    So a representative named later sees the consultations already open, and
    one who moves to another organisation stops seeing the former's.
    """
    wanted = custodian_group(user.custodian) if user.custodian_id else None
    stale = user.groups.filter(name__startswith=CUSTODIAN_GROUP_PREFIX)
    if wanted is not None:
        stale = stale.exclude(pk=wanted.pk)
    user.groups.remove(*stale)
    if wanted is not None:
        user.groups.add(wanted)


def grant_custodian_permissions(*, consultation) -> None:
    """The consulted custodian's representatives may see and answer this consultation, and nothing else."""
    group = custodian_group(consultation.custodian)
    for codename in CONSULTATION_PERMISSIONS:
        assign_perm(codename, group, consultation)


def user_can_answer_consultation(user, consultation) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and not consultation.is_answered
        and user.has_role(Role.DATA_CUSTODIAN)
        and user.has_perm("requests_app.change_consultation", consultation)
    )


def consultations_visible_to(user):
    """The consultations ``user`` may read: their organisation's (object permissions), or all for reading roles."""
    return get_objects_for_user(
        user, "requests_app.view_consultation", klass=Consultation, accept_global_perms=True, with_superuser=True
    )


def get_consultation_for(user, pk):
    consultation = consultations_visible_to(user).filter(pk=pk).select_related("request", "custodian").first()
    if consultation is None:
        raise Http404
    return consultation


def user_can_view_request(user, case: DataRequest) -> bool:
    return _has(user, VIEW, case)


def check_user_can_view_request(user, case: DataRequest) -> None:
    if not user_can_view_request(user, case):
        raise Http404


def user_is_requester_of(user, case: DataRequest) -> bool:
    """The requester, holding rights on their own case."""
    return user_can_view_request(user, case) and case.requester_id == user.pk


#: What a staff account is told when it tries to file a request (pages and API).
STAFF_CANNOT_FILE = gettext_lazy(
    "Staff accounts cannot file requests. To ask for data yourself, sign up with a separate requester account."
)


def user_can_file_requests(user) -> bool:
    """Requests are filed by requesters: a staff account (any agency or custodian role) never files one.

    Staff who need data as a person sign up with a requester account of their own, so that no one
    reviews, signs or checks their own request and the auditor stays read-only.
    """
    return user.is_authenticated and user.is_active and not user.is_agency_staff


def user_can_edit_draft(user, case: DataRequest) -> bool:
    return (
        case.status == Status.DRAFT
        and case.requester_id == user.pk
        and user_can_file_requests(user)
        and user.has_perm(CHANGE, case)
    )


def check_user_can_edit_draft(user, case: DataRequest) -> None:
    check_user_can_view_request(user, case)
    check(user_can_edit_draft(user, case))


def user_can_delete_draft(user, case: DataRequest) -> bool:
    return case.status == Status.DRAFT and case.requester_id == user.pk and user.has_perm(DELETE, case)


def user_can_withdraw(user, case: DataRequest) -> bool:
    return case.status in OPEN_STATES and user_is_requester_of(user, case)


def user_can_write_message(user, case: DataRequest, *, internal: bool = False) -> bool:
    """The requester writes to the agency; the officer on the case (or a lead) writes to them or leaves notes."""
    if case.status in MESSAGE_CLOSED_STATES:
        return False
    if case.requester_id == user.pk:
        return not internal and user_is_requester_of(user, case)
    return user_works_case(user, case)


def user_can_write_to_agency(user, case: DataRequest) -> bool:
    """The requester writes to the agency about their own filed request, while it is open to messages."""
    return user_is_requester_of(user, case) and user_can_write_message(user, case)


def requests_visible_to(user):
    """Every case ``user`` may view, filtered in SQL: guardian's direct FK table, or a role permission."""
    own = get_objects_for_user(user, VIEW, klass=DataRequest, accept_global_perms=False, with_superuser=False)
    if user.is_active and user.has_perm(VIEW):
        return DataRequest.objects.filter(Q(pk__in=own.values("pk")) | ~Q(status=Status.DRAFT))
    return own


def get_request_for(user, pk) -> DataRequest:
    """The case ``pk`` if ``user`` may see it; ``Http404`` otherwise, whether it exists or not."""
    case = requests_visible_to(user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


# --- Review by the Commission d'accès à l'information (Access Act ss. 135, 137) --------------


def user_can_record_review(user, case: DataRequest) -> bool:
    """The requester of the case, its officer or a lead, once the case was refused, even in part, or deemed refused.

    Whether a review is already open, and the grounds, are the service's to say (with a message); this is who.
    """
    return user_is_requester_of(user, case) or user_can_update_review(user, case)


def check_user_can_record_review(user, case: DataRequest) -> None:
    check_user_can_view_request(user, case)
    check(user_can_record_review(user, case))


def user_can_update_review(user, case: DataRequest) -> bool:
    """Staff only: the officer who works the case, or a lead, holding the role's permission on review requests."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user_works_case(user, case) and user.has_perm(CHANGE_REVIEW)


def check_user_can_update_review(user, case: DataRequest) -> None:
    check_user_can_view_request(user, case)
    check(user_can_update_review(user, case))
