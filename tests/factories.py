"""Builders for tests. Cases reach their state through the services, never by writing ``status``."""

import itertools
import time
from datetime import date

import pyotp
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import User
from portal.roles import Role
from requests_app import services
from requests_app.models import DataRequest, EthicsApproval, LegalBasis, LegalProvision, RequesterCategory, Status
from requests_app.production import jobs as stats_jobs
from stats_app.models import Category, Custodian, Dataset, Dimension, Measure, MeasureKind

_sequence = itertools.count(1)

PASSWORD = "correct-horse-battery-staple"
#: A fixed TOTP secret (base32) for staff made by ``make_user(..., mfa=True)``.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, *, margin: float = 5.0) -> str:
    """The current TOTP code, from a time step with at least ``margin`` seconds left.

    allauth accepts the current step only (no tolerance): a code typed in the step's
    last second would reach the server in the next one and be refused.
    """
    totp = pyotp.TOTP(secret)
    left = totp.interval - time.time() % totp.interval
    if left < margin:
        time.sleep(left + 0.1)
    return totp.now()


def make_user(*, role: Role = Role.REQUESTER, email: str | None = None, mfa: bool = True, **fields) -> User:
    """A user with a verified e-mail, in ``role``; staff get TOTP enrolled unless ``mfa=False``."""
    email = email or f"{role.value}{next(_sequence)}@example.org"
    user = User.objects.create_user(email=email, password=PASSWORD, **fields)
    user.groups.add(Group.objects.get(name=role.value))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if role != Role.REQUESTER and mfa:
        TOTP.activate(user, TOTP_SECRET)
    return user


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def make_catalogue(custodian: Custodian | None = None) -> Dataset:
    """A small catalogue (codes prefixed ``t_``), independent of the demo catalogue: the agency's own data,
    or ``custodian``'s."""
    n = next(_sequence)
    if custodian is None:
        custodian, _ = Custodian.objects.get_or_create(
            is_agency=True, defaults={"code": "t_agency", "name_fr": "Agence (test)", "name_en": "Agency (test)"}
        )
    dataset = Dataset.objects.create(
        code=f"t_services_{n}", name_fr="Services (test)", name_en="Services (test)", custodian=custodian
    )
    for code, kind in (("persons", MeasureKind.DISTINCT_PERSONS), ("services", MeasureKind.EVENTS)):
        Measure.objects.create(dataset=dataset, code=code, name_fr=code, name_en=code, kind=kind)
    for code, categories in (
        (f"t_year_{n}", ["2022", "2023", "2024"]),
        (f"t_sex_{n}", ["F", "M"]),
        (f"t_region_{n}", ["01", "02", "06"]),
        (f"t_age_{n}", ["0-17", "18-64", "65+"]),
        (f"t_specialty_{n}", ["gp", "cardio"]),
    ):
        dimension = Dimension.objects.create(code=code, label_fr=code, label_en=code)
        for order, category in enumerate(categories):
            Category.objects.create(
                dimension=dimension, code=category, label_fr=category, label_en=category, order=order
            )
        dataset.dimensions.add(dimension)
    return dataset


def dimension_codes(dataset: Dataset) -> list[str]:
    return list(dataset.dimensions.order_by("code").values_list("code", flat=True))


PROFILE = {
    "contact_name": "Ada Tremblay",
    "organisation": "Université de Montréal",
    "position": "Professor",
    "phone": "514 555-0100",
    "requester_category": RequesterCategory.RESEARCHER,
}
PROJECT = {
    "title": "Use of physician services by region",
    "purpose": "Describe the use of physician services by region and age group.",
    "public_interest": "Inform the planning of primary care.",
    "intended_publication": "A peer-reviewed article and a public report.",
    "use_starts_on": date(2026, 1, 1),
    "use_ends_on": date(2027, 12, 31),
    "legal_basis": LegalBasis.STATISTICAL_PURPOSES,
    "legal_basis_details": "",
    "ethics_approval": EthicsApproval.OBTAINED,
    "ethics_reference": "CER-2026-042",
}


def pdf_file(name: str = "protocol.pdf", size: int = 2048) -> SimpleUploadedFile:
    body = b"%PDF-1.7\n" + b"0" * max(0, size - 9)
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def make_request(
    *,
    requester: User | None = None,
    status: Status = Status.RECEIVED,
    dataset: Dataset | None = None,
    now=None,
    officer: User | None = None,
    checker: User | None = None,
    tables: int = 1,
) -> DataRequest:
    """A complete request in ``status``, built through the services.

    Reaches ``draft``, ``received``, ``withdrawn``, then, with a lead
    assigning ``officer`` (made when not given): ``under_review``,
    ``awaiting_requester`` (a question asked), ``decision_proposed`` (an
    approval proposed after every criterion is met), ``refused`` and
    ``producing`` (signed off by the lead: an approval starts producing its
    tables at once). From ``output_checking`` on, the jobs really run on the
    warehouse (the test needs the ``warehouse`` fixture and database), with the
    demo catalogue's medical services; ``released`` has two tables and
    ``checker`` released the first; ``closed``, all of them.
    """
    requester = requester or make_user()
    if status in (Status.OUTPUT_CHECKING, Status.RELEASED, Status.CLOSED):
        dataset = dataset or Dataset.objects.get(code="medical_services")
        if status == Status.RELEASED:
            tables = max(tables, 2)
    dataset = dataset or make_catalogue()
    case = services.request_create_draft(requester=requester)
    services.request_update_draft(case=case, actor=requester, step="profile", values=PROFILE)
    services.request_update_draft(case=case, actor=requester, step="project", values=PROJECT)
    dims = dimension_codes(dataset)
    for number in range(tables):
        services.specification_save(
            case=case,
            actor=requester,
            dataset=dataset,
            measure="persons" if number % 2 == 0 else dataset.measures.exclude(code="persons").first().code,
            dimensions=dims[:2],
            filters={},
        )
    services.attachment_add(case=case, actor=requester, kind="protocol", uploaded=pdf_file())
    services.request_update_draft(
        case=case,
        actor=requester,
        step="declarations",
        values={"declares_no_reidentification": True, "declares_source_citation": True},
    )
    if status == Status.DRAFT:
        return case
    case = services.request_submit(case=case, actor=requester, now=now)
    if status == Status.RECEIVED:
        return case
    if status == Status.WITHDRAWN:
        return services.request_withdraw(case=case, actor=requester, reason="No longer needed", now=now)
    officer = officer or make_user(role=Role.PRIVACY_OFFICER)
    lead = make_user(role=Role.ACCESS_LEAD)
    case = services.case_assign(case=case, actor=lead, officer=officer, now=now)
    if status == Status.UNDER_REVIEW:
        return case
    if status == Status.AWAITING_REQUESTER:
        services.clarification_ask(case=case, actor=officer, question="Which years do you need?", now=now)
        case.refresh_from_db()
        return case
    if status not in (
        Status.DECISION_PROPOSED,
        Status.REFUSED,
        Status.PRODUCING,
        Status.OUTPUT_CHECKING,
        Status.RELEASED,
        Status.CLOSED,
    ):
        raise ValueError(f"make_request cannot reach {status}")
    if status == Status.REFUSED:
        refusal = LegalProvision.objects.get(code="r221_research")
        services.decision_propose(
            case=case, actor=officer, outcome="refused", reasons="Nominative data.", provisions=[refusal], now=now
        )
    else:
        for criterion in services.criteria_for(case):
            services.criterion_assess(case=case, actor=officer, criterion=criterion, outcome="met", now=now)
        services.decision_propose(case=case, actor=officer, outcome="approved", reasons="", provisions=[], now=now)
    if status == Status.DECISION_PROPOSED:
        case.refresh_from_db()
        return case
    case = services.decision_sign_off(case=case, actor=lead, now=now)
    if status in (Status.REFUSED, Status.PRODUCING):
        return case
    for job in case.table_jobs.all():
        stats_jobs.job_run(job_id=job.pk, run=job.run)
    if status == Status.OUTPUT_CHECKING:
        case.refresh_from_db()
        return case
    checker = checker or make_user(role=Role.OUTPUT_CHECKER)
    for job in case.table_jobs.order_by("pk")[: 1 if status == Status.RELEASED else None]:
        stats_jobs.output_release(attested=stats_jobs.CHECKLIST, job=job, actor=checker, now=now)
    case.refresh_from_db()
    return case
