"""Demo accounts (one per role) and a few requests in several states. Safe to run again."""

from datetime import date, timedelta
from random import Random

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.models import User
from portal.roles import Role
from requests_app import services
from requests_app.models import Assessment, DecisionOutcome, LegalProvision, Notification, NotificationStatus
from requests_app.production import jobs as stats_jobs
from stats_app.models import Custodian, Dataset
from stats_app.warehouse import schema
from stats_app.warehouse.generate import generate

DEMO_PASSWORD = "Demo-portail-2026"  # noqa: S105 - printed to the person running the demo
#: Base32 TOTP secret shared by the demo staff accounts: add it to any authenticator app.
DEMO_TOTP_SECRET = "KRUGS4ZANFZSAYJAMRSW23ZAONSWG4TF"  # noqa: S105

DEMO_ACCOUNTS = [
    # email, role, first name, last name, extra fields
    ("demandeur@demo.example", Role.REQUESTER, "Camille", "Gagnon", {}),
    ("requester@demo.example", Role.REQUESTER, "Jordan", "Smith", {"language": "en"}),
    ("agente@demo.example", Role.PRIVACY_OFFICER, "Marie", "Roy", {}),
    ("responsable@demo.example", Role.ACCESS_LEAD, "Louis", "Côté", {"is_staff": True}),
    ("fiduciaire@demo.example", Role.DATA_CUSTODIAN, "Sophie", "Bouchard", {"custodian_code": "msss"}),
    ("statisticien@demo.example", Role.OUTPUT_CHECKER, "Alexandre", "Morin", {}),
    ("auditrice@demo.example", Role.AUDITOR, "Nathalie", "Fortin", {"is_staff": True}),
]

#: Earlier requesters, one per category, for the fifteen months of past requests.
PAST_REQUESTERS = {
    "journalist": ("Émilie", "Lavoie", "Le Devoir"),
    "public_body": ("Karim", "Benali", "Institut national de santé publique"),
    "private_company": ("Julie", "Pelletier", "Pharmacie Analytique inc."),
    "citizen": ("Robert", "Girard", ""),
    "researcher": ("Anne", "Leclerc", "Université McGill"),
    "elected_official": ("Chantal", "Ouellet", "Assemblée nationale"),
}
PAST_REQUESTS = 48

PROJECTS = [
    {
        "title": "Recours aux médecins de famille par région, 2019-2024",
        "purpose": "Décrire l'évolution du nombre de personnes ayant consulté un médecin de famille.",
        "dataset": "medical_services",
        "measure": "persons",
        "dimensions": ["year", "region"],
        "filters": {"year": ["2022", "2023", "2024"]},
        "state": "received",
    },
    {
        "title": "Antidépresseurs chez les jeunes adultes",
        "purpose": "Mesurer le nombre de réclamations de médicaments du système nerveux par groupe d'âge.",
        "dataset": "prescription_drugs",
        "measure": "claims",
        "dimensions": ["year", "age_group", "drug_class"],
        "filters": {"drug_class": ["N"]},
        "state": "draft",
    },
    {
        "title": "Hospitalisations pour maladies respiratoires",
        "purpose": "Comparer les séjours hospitaliers pour maladies respiratoires entre régions.",
        "dataset": "hospital_stays",
        "measure": "stays",
        "dimensions": ["year", "region", "diagnosis_chapter"],
        "filters": {"diagnosis_chapter": ["10"]},
        "state": "withdrawn",
    },
    {
        "title": "Consultations en pédiatrie par groupe d'âge",
        "purpose": "Suivre le recours aux pédiatres chez les 0 à 17 ans.",
        "dataset": "medical_services",
        "measure": "services",
        "dimensions": ["year", "age_group"],
        "filters": {"age_group": ["0-17"]},
        "state": "under_review",
    },
    {
        "title": "Coûts des médicaments cardiovasculaires",
        "purpose": "Estimer les montants payés pour les médicaments du système cardiovasculaire.",
        "dataset": "prescription_drugs",
        "measure": "amount_paid",
        "dimensions": ["year", "region"],
        "filters": {},
        "state": "awaiting_requester",
    },
    {
        "title": "Séjours hospitaliers pour tumeurs en Montérégie",
        "purpose": "Décrire les hospitalisations pour tumeurs par groupe d'âge.",
        "dataset": "hospital_stays",
        "measure": "stays",
        "dimensions": ["year", "age_group"],
        "filters": {},
        "state": "consulting",
    },
    {
        "title": "Recours aux services médicaux selon le sexe",
        "purpose": "Comparer le recours aux services médicaux des femmes et des hommes.",
        "dataset": "medical_services",
        "measure": "persons",
        "dimensions": ["year", "sex"],
        "filters": {},
        "state": "decision_proposed",
    },
    {
        "title": "Réclamations de médicaments par région",
        "purpose": "Cartographier les réclamations de médicaments par région sociosanitaire.",
        "dataset": "prescription_drugs",
        "measure": "claims",
        "dimensions": ["year", "region"],
        "filters": {"year": ["2023", "2024"]},
        "state": "approved",
    },
    {
        "title": "Montants payés par spécialité et par région",
        "purpose": "Comparer les montants payés aux médecins selon la spécialité, dans chaque région.",
        "dataset": "medical_services",
        "measure": "amount_paid",
        "dimensions": ["year", "region", "specialty"],
        "filters": {"year": ["2024"]},
        "state": "partially_approved",
    },
    {
        "title": "Personnes ayant consulté selon l'âge et le sexe, 2024",
        "purpose": "Décrire le recours aux services médicaux selon l'âge et le sexe.",
        "dataset": "medical_services",
        "measure": "persons",
        "dimensions": ["age_group", "sex", "region"],
        "filters": {"region": ["06", "09", "10", "17"]},
        "state": "output_checking",
    },
    {
        "title": "Réclamations de médicaments cardiovasculaires selon l'âge",
        "purpose": "Suivre l'évolution des réclamations de médicaments cardiovasculaires.",
        "dataset": "prescription_drugs",
        "measure": "claims",
        "dimensions": ["year", "age_group"],
        "filters": {"year": ["2023", "2024", "2025"]},
        "state": "closed",
    },
    {
        "title": "Liste des patients diabétiques de Laval",
        "purpose": "Obtenir la liste nominative des patients diabétiques pour les contacter.",
        "dataset": "medical_services",
        "measure": "persons",
        "dimensions": ["region"],
        "filters": {"region": ["13"]},
        "state": "refused",
    },
]


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) and demo requests; print the logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--warehouse-persons",
            type=int,
            default=20_000,
            help="Insured persons of the synthetic warehouse, generated when there is none (about 10 services each).",
        )

    def handle(self, *args, warehouse_persons: int, **options):
        if schema.snapshot() is None:
            self.stdout.write(f"Generating a synthetic warehouse of {warehouse_persons} insured persons…")
            generate(persons=warehouse_persons, seed=2026, stdout=self.stdout)
        # The migration seeded the calendar's first years; this adds any missing (and later years, once set).
        call_command("seed_holidays", stdout=self.stdout)
        with transaction.atomic():
            users = {
                email: self._account(email, role, first, last, dict(extra))
                for email, role, first, last, extra in DEMO_ACCOUNTS
            }
            self._requests(users)
        self._print_logins()

    def _account(self, email, role, first_name, last_name, extra) -> User:
        custodian_code = extra.pop("custodian_code", None)
        user, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first_name, "last_name": last_name, **extra}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            if custodian_code:
                user.custodian = Custodian.objects.get(code=custodian_code)
            user.save()
        user.groups.add(Group.objects.get(name=role.value))
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if (
            role != Role.REQUESTER
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)
        return user

    def _requests(self, users: dict[str, User]) -> None:
        requester = users["demandeur@demo.example"]
        if requester.data_requests.exists():
            return
        now = timezone.now()
        for age, project in enumerate(PROJECTS):
            received = None if project["state"] == "draft" else now - timedelta(days=2 * (len(PROJECTS) - age) + 1)
            case = self._file(requester, project, received=received, ethics=f"CER-2026-{40 + age:03d}")
            if received is not None:
                self._advance(case, project["state"], users, received)
        self._past_requests(users, now=now)

    def _file(self, requester: User, project: dict, *, received, ethics: str, profile: dict | None = None):
        """A complete request for ``project`` by ``requester``, submitted at ``received`` (kept a draft if None)."""
        case = services.request_create_draft(requester=requester)
        services.request_update_draft(
            case=case,
            actor=requester,
            step="profile",
            values=profile
            or {
                "contact_name": requester.get_full_name(),
                "organisation": "Université de Montréal, École de santé publique",
                "position": "Professeure agrégée",
                "requester_category": "researcher",
            },
        )
        services.request_update_draft(
            case=case,
            actor=requester,
            step="project",
            values={
                "title": project["title"],
                "purpose": project["purpose"],
                "public_interest": "Éclairer la planification des services de santé au Québec.",
                "intended_publication": "Article scientifique et rapport public.",
                "use_starts_on": date(2026, 1, 1),
                "use_ends_on": date(2027, 12, 31),
                "legal_basis": "a29_s67",
                "ethics_approval": "obtained",
                "ethics_reference": ethics,
            },
        )
        services.specification_save(
            case=case,
            actor=requester,
            dataset=Dataset.objects.get(code=project["dataset"]),
            measure=project["measure"],
            dimensions=project["dimensions"],
            filters=project["filters"],
        )
        protocol = ContentFile(b"%PDF-1.4\n% Demo protocol\n%%EOF\n", name="protocole.pdf")
        services.attachment_add(case=case, actor=requester, kind="protocol", uploaded=protocol)
        services.request_update_draft(
            case=case,
            actor=requester,
            step="declarations",
            values={"declares_no_reidentification": True, "declares_source_citation": True},
        )
        if received is None:
            return case
        return services.request_submit(case=case, actor=requester, now=received)

    def _past_requests(self, users: dict[str, User], *, now) -> None:
        """Fifteen months of earlier requests from every kind of requester, so the transparency page has figures.

        Seeded (the same every time): most are refused or withdrawn or stay
        decided, a few are extended, some are answered late.
        """
        officer, lead = users["agente@demo.example"], users["responsable@demo.example"]
        random = Random(2026)
        requesters = {
            category: self._account(
                f"{category.replace('_', '-')}@archives.demo.example", Role.REQUESTER, *names[:2], {}
            )
            for category, names in PAST_REQUESTERS.items()
        }
        past = []
        for number in range(PAST_REQUESTS):
            category = random.choice(list(PAST_REQUESTERS))
            requester = requesters[category]
            received = now - timedelta(days=random.randint(35, 450), hours=random.randint(0, 8))
            profile = {
                "contact_name": requester.get_full_name(),
                "organisation": PAST_REQUESTERS[category][2],
                "position": "",
                "requester_category": category,
            }
            dataset = random.choice(["medical_services", "prescription_drugs"])  # the agency's own data
            project = {
                **random.choice([project for project in PROJECTS if project["dataset"] == dataset]),
                "measure": {"medical_services": "persons", "prescription_drugs": "claims"}[dataset],
                "dimensions": ["region"],
                "filters": {},
            }
            case = self._file(requester, project, received=received, ethics=f"CER-A-{number:03d}", profile=profile)
            past.append(case.pk)
            case = services.case_assign(case=case, actor=lead, officer=officer, now=received + timedelta(days=1))
            if random.random() < 0.12:
                services.request_withdraw(
                    case=case, actor=requester, reason="Besoin comblé autrement.", now=received + timedelta(days=4)
                )
                continue
            if random.random() < 0.25:
                case = services.deadline_extend(
                    case=case,
                    actor=officer,
                    days=10,
                    notice="Le volume de la demande exige une consultation interne (art. 47).",
                    now=received + timedelta(days=15),
                )
            decided = received + timedelta(days=random.choice([6, 9, 12, 14, 16, 18, 19, 22, 26]))
            outcome = random.choices(
                [DecisionOutcome.APPROVED, DecisionOutcome.REFUSED, DecisionOutcome.PARTIALLY_APPROVED], [6, 3, 1]
            )[0]
            if outcome != DecisionOutcome.REFUSED:
                for criterion in services.criteria_for(case):
                    services.criterion_assess(
                        case=case, actor=officer, criterion=criterion, outcome=Assessment.MET, now=decided
                    )
            services.decision_propose(
                case=case,
                actor=officer,
                outcome=outcome,
                reasons="" if outcome == DecisionOutcome.APPROVED else "Des cellules isoleraient de petits groupes.",
                provisions=[]
                if outcome == DecisionOutcome.APPROVED
                else [LegalProvision.objects.get(code="r221_research")],
                now=decided,
            )
            case = services.decision_sign_off(case=case, actor=lead, now=decided + timedelta(hours=2))
            for job in case.table_jobs.all():  # produced and released long ago
                stats_jobs.job_run(job_id=job.pk, run=job.run)
                stats_jobs.output_release(
                    attested=stats_jobs.CHECKLIST,
                    job=job,
                    actor=users["statisticien@demo.example"],
                    now=decided + timedelta(days=3),
                )
        # Their e-mails went out long ago: the outbox says so, and the demo's worker does not send them now.
        Notification.objects.filter(request_id__in=past, status=NotificationStatus.PENDING).update(
            status=NotificationStatus.SENT, sent_at=F("created_at")
        )

    def _advance(self, case, state: str, users: dict[str, User], received) -> None:
        """Take a filed case to ``state`` through the services, a day per step."""
        requester = case.requester
        officer, lead = users["agente@demo.example"], users["responsable@demo.example"]
        day = iter(range(1, 30))

        def at():
            return received + timedelta(days=next(day))

        if state == "withdrawn":
            services.request_withdraw(
                case=case, actor=requester, reason="Les données ont été obtenues autrement.", now=at()
            )
            return
        if state == "received":
            return
        case = services.case_assign(case=case, actor=lead, officer=officer, now=at())
        if state == "awaiting_requester":
            services.clarification_ask(
                case=case,
                actor=officer,
                question="Avez-vous besoin des montants par trimestre ou par année ?",
                now=at(),
            )
            return
        if state == "consulting":
            services.consultation_open(
                case=case,
                actor=officer,
                custodian=Custodian.objects.get(code="msss"),
                question="Le Ministère consent-il à la production de ces statistiques sur les séjours hospitaliers ?",
                due_on=timezone.localdate() + timedelta(days=10),
                now=at(),
            )
            return
        if state == "under_review":
            return
        if state == "refused":
            services.decision_propose(
                case=case,
                actor=officer,
                outcome=DecisionOutcome.REFUSED,
                reasons="La demande vise des renseignements nominatifs, que le portail ne communique jamais.",
                provisions=[LegalProvision.objects.get(code="r221_research")],
                now=at(),
            )
        elif state == "partially_approved":
            for criterion in services.criteria_for(case):
                services.criterion_assess(
                    case=case, actor=officer, criterion=criterion, outcome=Assessment.MET, note="Vérifié.", now=at()
                )
            services.decision_propose(
                case=case,
                actor=officer,
                outcome=DecisionOutcome.PARTIALLY_APPROVED,
                reasons="Dans les petites régions, les montants par spécialité permettraient "
                "d'identifier des médecins : ils sont regroupés.",
                provisions=[LegalProvision.objects.get(code="a29_s67")],
                now=at(),
            )
        else:
            for criterion in services.criteria_for(case):
                services.criterion_assess(
                    case=case, actor=officer, criterion=criterion, outcome=Assessment.MET, note="Vérifié.", now=at()
                )
            services.decision_propose(
                case=case, actor=officer, outcome=DecisionOutcome.APPROVED, reasons="", provisions=[], now=at()
            )
        if state == "decision_proposed":
            return
        case = services.decision_sign_off(case=case, actor=lead, now=at())
        if state in ("output_checking", "closed"):
            # What the worker does (``make run`` starts one for the other approved cases), done here at once.
            for job in case.table_jobs.all():
                stats_jobs.job_run(job_id=job.pk, run=job.run)
        if state == "closed":
            for job in case.table_jobs.all():
                stats_jobs.output_release(
                    attested=stats_jobs.CHECKLIST, job=job, actor=users["statisticien@demo.example"], now=at()
                )

    def _print_logins(self) -> None:
        out = self.stdout
        out.write("")
        out.write(f"Demo accounts (password for all: {DEMO_PASSWORD})")
        for email, role, *_ in DEMO_ACCOUNTS:
            out.write(f"  {role.label:<16} {email}")
        out.write(f"Staff accounts use TOTP: add this secret to an authenticator app: {DEMO_TOTP_SECRET}")
        if settings.DEBUG and settings.MFA_TOTP_INSECURE_BYPASS_CODE:
            code = settings.MFA_TOTP_INSECURE_BYPASS_CODE
            out.write(f"Demo only (DEBUG on): the code {code} is also accepted instead of a TOTP code.")
