"""``python manage.py generate_cases --cases 100000 --officers 50 --seed N``: a synthetic case load, for benchmarks.

Writes, with PostgreSQL's ``COPY`` rather than through the services one case
at a time, the rows the services would have written for each case's life:

- the case in a realistic state (most decided long ago, a few thousand open,
  some drafts), its reference (``DA-YYYY-NNNNN``, sequential per year, the
  year's ``ReferenceSequence`` moved past the last one), its statutory clock
  (``clock.due_at``: 20 days + the days a clarification waited + the one
  extension, moved past a Sunday or holiday), its acknowledgement and decision letters from the real templates;
- its tables, clarifications, checklist findings, decisions (proposed by the
  officer, signed off by a lead), messages and table jobs, where its state
  implies them;
- guardian's direct foreign-key permissions: the requester's on their case,
  the assigned officer's on the cases assigned to them;
- the history (django-simple-history) of the case and of those parts, one
  record per service call, with the user and the change reason the services
  record: about ten per case.

Not written: e-mail outbox rows, attachments (their files), output files.

The accounts are ``@bench.example``: ``--officers`` privacy officers, three
access leads, two output checkers (staff with TOTP enrolled) and one requester
for about five cases. It **replaces every case** of the database: it refuses
when the database holds cases of accounts it did not create, unless ``--force``.
"""

import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format

from portal import trail
from portal.models import AuditEvent, User
from portal.roles import Role
from requests_app import clock, selectors
from requests_app.models import (
    Assessment,
    Clarification,
    CriterionAssessment,
    DataRequest,
    DataRequestUserObjectPermission,
    Decision,
    DecisionOutcome,
    LegalCriterion,
    LegalProvision,
    Message,
    ReferenceSequence,
    RequesterCategory,
    Status,
    TableSpecification,
)
from requests_app.permissions import OFFICER_PERMISSIONS, REQUESTER_PERMISSIONS
from requests_app.production.models import TableJob
from requests_app.services import intake, review
from requests_app.states import JobState
from requests_app.workflow import TRANSITIONS
from stats_app.models import Dataset

#: Every generated account's e-mail domain: what marks the generated data apart from real data.
DOMAIN = "bench.example"
CASES_PER_REQUESTER = 5
LEADS = 3
CHECKERS = 2
#: The state mix, from an agency that has answered for years: (status, weight).
STATE_MIX = [
    (Status.DRAFT, 2.0),
    (Status.RECEIVED, 0.6),
    (Status.UNDER_REVIEW, 1.5),
    (Status.AWAITING_REQUESTER, 0.5),
    (Status.DECISION_PROPOSED, 0.4),
    (Status.PRODUCING, 0.1),
    (Status.OUTPUT_CHECKING, 0.3),
    (Status.RELEASED, 2.6),
    (Status.CLOSED, 63.0),
    (Status.REFUSED, 18.0),
    (Status.WITHDRAWN, 11.0),
]
#: What requesters ask for: (title, purpose, dataset, measure, dimensions, filters).
PROJECTS = [
    ("Recours aux médecins de famille par région", "Décrire le recours aux médecins de famille.",
     "medical_services", "persons", ["year", "region"], {}),
    ("Consultations en pédiatrie par groupe d'âge", "Suivre le recours aux pédiatres.",
     "medical_services", "services", ["year", "age_group"], {"age_group": ["0-17"]}),
    ("Montants payés par spécialité", "Comparer les montants payés selon la spécialité.",
     "medical_services", "amount_paid", ["year", "specialty"], {}),
    ("Antidépresseurs chez les jeunes adultes", "Mesurer les réclamations de médicaments.",
     "prescription_drugs", "claims", ["year", "age_group", "drug_class"], {"drug_class": ["N"]}),
    ("Use of physician services by sex", "Compare the use of medical services by women and men.",
     "medical_services", "persons", ["year", "sex"], {}),
    ("Drug claims by region", "Map drug claims by health region.",
     "prescription_drugs", "claims", ["year", "region"], {}),
    ("Hospitalisations pour maladies respiratoires", "Comparer les séjours entre régions.",
     "hospital_stays", "stays", ["year", "region", "diagnosis_chapter"], {"diagnosis_chapter": ["10"]}),
    ("Personnes ayant consulté selon l'âge et le sexe", "Décrire le recours selon l'âge et le sexe.",
     "medical_services", "persons", ["age_group", "sex", "region"], {}),
]  # fmt: skip
ORGANISATIONS = ["Université de Montréal", "Université Laval", "Le Devoir", "INSPQ", "McGill University", ""]
CATEGORIES = [
    (RequesterCategory.RESEARCHER, 45),
    (RequesterCategory.JOURNALIST, 15),
    (RequesterCategory.PUBLIC_BODY, 15),
    (RequesterCategory.PRIVATE_COMPANY, 8),
    (RequesterCategory.CITIZEN, 12),
    (RequesterCategory.ELECTED_OFFICIAL, 2),
    (RequesterCategory.OTHER, 3),
]
#: Tables truncated before generating: the cases and everything hanging on them, their history included.
CASE_TABLES = [
    "requests_app_datarequest",
    "requests_app_referencesequence",
    "requests_app_historicaldatarequest",
    "requests_app_historicaltablespecification",
    "requests_app_historicalattachment",
    "requests_app_historicalclarification",
    "requests_app_historicalconsultation",
    "requests_app_historicalcriterionassessment",
    "requests_app_historicaldecision",
    "requests_app_historicaldecision_provisions",
    "requests_app_historicalmessage",
    "stats_app_historicaltablejob",
    # The audit trail is rebuilt for the generated cases: a new chain from its first link.
    "portal_auditevent",
    "portal_auditverification",
]
#: The history model of each model the cases write (``Model.history`` builds a manager at each access).
HISTORY = {
    model: model.history.model
    for model in (DataRequest, Clarification, Decision, Message, CriterionAssessment, TableSpecification)
}


def bench_email(kind: str, number: int) -> str:
    return f"bench-{kind}-{number:05d}@{DOMAIN}"


def real_case_count() -> int:
    """Cases of accounts the generator did not create."""
    return DataRequest.objects.exclude(requester__email__endswith=f"@{DOMAIN}").count()


class _Table:
    """How one model's rows are copied: its columns, and the value of a column a row does not give."""

    def __init__(self, model, given):
        # A key the rows do not give (history_id, a permission's id) is numbered by PostgreSQL.
        fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in given]
        self.model = model
        self.columns = [f.column for f in fields]
        self.names = [f.attname for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.json = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        self.rows: list[tuple] = []

    def add(self, values: dict) -> None:
        get, defaults = values.get, self.defaults
        if self.json:
            self.rows.append(
                tuple(
                    json.dumps(get(name, defaults[name]), ensure_ascii=False)
                    if name in self.json
                    else get(name, defaults[name])
                    for name in self.names
                )
            )
        else:
            self.rows.append(tuple([get(name, defaults[name]) for name in self.names]))


class _Move(NamedTuple):
    """A workflow move the generator wrote, for the audit trail (ordered by time, then as written)."""

    at: datetime
    history_id: int
    case: int
    actor: int | None
    event: str
    before: dict
    after: dict
    note: str
    #: What the move was about, in codes (``workflow.transition``'s ``facts``).
    facts: dict


class Rows:
    """The rows to copy, per model (history models included), as tuples in column order."""

    def __init__(self):
        self.tables: dict = {}
        self.moves: list[_Move] = []

    def add(self, model, **values) -> None:
        table = self.tables.get(model)
        if table is None:
            table = self.tables[model] = _Table(model, values)
        table.add(values)


class Command(BaseCommand):
    help = "Generate synthetic cases (with history and permissions) for benchmarks. Replaces every case."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--officers", type=int, default=50)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="Replace the cases even if some are real.")

    def handle(self, *args, cases: int, officers: int, seed: int, force: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_cases writes with PostgreSQL's COPY: point DATABASE_URL at PostgreSQL.")
        if cases < 1 or officers < 1:
            raise CommandError("--cases and --officers must be at least 1.")
        real = real_case_count()
        if real and not force:
            raise CommandError(
                f"The database holds {real} cases that generate_cases did not create; it would replace them. "
                "Use a benchmark database, or --force."
            )
        started = time.monotonic()
        generator = _Generator(cases=cases, officers=officers, seed=seed, now=timezone.now())
        with transaction.atomic():
            generator.accounts()
            self.stdout.write(f"[{time.monotonic() - started:6.1f} s] accounts")
            rows = generator.cases()
            _chain(rows)
            self.stdout.write(f"[{time.monotonic() - started:6.1f} s] {cases} cases built in memory")
            with connection.cursor() as cursor:
                # Checks still deferred in this transaction would forbid the TRUNCATE: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(CASE_TABLES)} RESTART IDENTITY CASCADE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                for model, table in rows.tables.items():
                    _copy(cursor, table)
                    self.stdout.write(
                        f"[{time.monotonic() - started:6.1f} s] {model._meta.db_table}: {len(table.rows)}"
                    )
                ReferenceSequence.objects.bulk_create(
                    [ReferenceSequence(year=year, last_number=number) for year, number in generator.sequences.items()]
                )
                for model in rows.tables:
                    _reset_sequence(cursor, model)
        # As autovacuum would leave them: statistics for the planner, and the visibility map that lets
        # counts read an index alone (VACUUM cannot run in a transaction, e.g. a test's).
        maintenance = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for model in rows.tables:
                cursor.execute(f"{maintenance} {model._meta.db_table}")
        history = sum(len(t.rows) for m, t in rows.tables.items() if hasattr(m, "instance_type"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{cases} cases, {history} history rows, in {time.monotonic() - started:.1f} s "
                f"({generator.open_cases} open)."
            )
        )


def _transition_named(event: str, before: str, after: str) -> str:
    """The workflow move that writes ``event`` and goes from ``before`` to ``after``."""
    for name, spec in TRANSITIONS.items():
        if spec.audit_event == event and before in spec.sources and (spec.target or before) == after:
            return name
    raise CommandError(f"generate_cases wrote a move the workflow does not have: {event} {before} -> {after}")


def _chain(rows: Rows) -> None:
    """The audit trail of the generated cases, as ``workflow.transition`` writes it: one event per move, chained."""
    previous_hash = trail.GENESIS
    for sequence, move in enumerate(sorted(rows.moves), start=1):
        before, after = move.before["status"], move.after["status"]
        transition = _transition_named(move.event, before, after)
        payload = {**move.facts, "transition": transition, "from": before, "to": after}
        payload["history"] = move.history_id
        if move.after["assigned_to_id"] != move.before["assigned_to_id"]:
            payload["assigned_to"] = move.after["assigned_to_id"]
        if move.note:
            payload["note"] = move.note
        link = AuditEvent(
            sequence=sequence,
            event_type=move.event,
            actor_id=move.actor,
            target_type="requests_app.datarequest",
            target_id=str(move.case),
            case_id=move.case,
            occurred_at=move.at.astimezone(UTC),
            payload=payload,
            previous_hash=previous_hash,
        )
        link.hash = previous_hash = trail.digest(link)
        fields = AuditEvent._meta.concrete_fields
        rows.add(
            AuditEvent, **{field.attname: getattr(link, field.attname) for field in fields if not field.primary_key}
        )


def _copy(cursor, table: _Table) -> None:
    statement = f"COPY {table.model._meta.db_table} ({', '.join(table.columns)}) FROM STDIN"
    with cursor.cursor.copy(statement) as copy:
        for row in table.rows:
            copy.write_row(row)


def _reset_sequence(cursor, model) -> None:
    table, pk = model._meta.db_table, model._meta.pk.column
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', '{pk}'), "  # noqa: S608 - model metadata
        f"COALESCE((SELECT MAX({pk}) FROM {table}), 0) + 1, false)"
    )


class _Generator:
    """Builds the accounts, then every case's rows, from one seeded random generator."""

    def __init__(self, *, cases: int, officers: int, seed: int, now: datetime):
        self.count = cases
        self.officer_count = officers
        self.random = random.Random(seed)
        self.now = now
        self.sequences: dict[int, int] = {}
        self.open_cases = 0
        self.letters: dict = {}
        self.acknowledgements: dict = {}
        self.applicable: dict = {}

    # --- accounts ---------------------------------------------------------------------

    def accounts(self) -> None:
        requesters = max(1, self.count // CASES_PER_REQUESTER)
        people = [("officer", Role.PRIVACY_OFFICER, n) for n in range(1, self.officer_count + 1)]
        people += [("lead", Role.ACCESS_LEAD, n) for n in range(1, LEADS + 1)]
        people += [("checker", Role.OUTPUT_CHECKER, n) for n in range(1, CHECKERS + 1)]
        people += [("requester", Role.REQUESTER, n) for n in range(1, requesters + 1)]
        password = make_password(f"bench-{self.random.random()}")  # hashed once; nobody logs in with it
        first_names = ["Camille", "Jordan", "Marie", "Louis", "Sophie", "Alex", "Nathalie", "Samuel", "Léa", "Noah"]
        last_names = ["Gagnon", "Roy", "Côté", "Bouchard", "Morin", "Fortin", "Tremblay", "Lavoie", "Smith", "Nguyen"]
        wanted = {bench_email(kind, number): (role, kind, number) for kind, role, number in people}
        existing = set(User.objects.filter(email__in=list(wanted)).values_list("email", flat=True))
        User.objects.bulk_create(
            [
                User(
                    email=email,
                    password=password,
                    first_name=first_names[number % len(first_names)],
                    last_name=f"{last_names[(number // 10) % len(last_names)]} {kind[:3].upper()}{number}",
                    language="en" if number % 5 == 0 else "fr",
                )
                for email, (role, kind, number) in wanted.items()
                if email not in existing
            ],
            batch_size=5000,
        )
        users = {user.email: user for user in User.objects.filter(email__in=list(wanted))}
        groups = {group.name: group for group in Group.objects.all()}
        memberships = [
            User.groups.through(user_id=users[email].pk, group_id=groups[role.value].pk)
            for email, (role, *_rest) in wanted.items()
            if email not in existing
        ]
        User.groups.through.objects.bulk_create(memberships, batch_size=5000, ignore_conflicts=True)
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=users[email], email=email, verified=True, primary=True)
                for email in wanted
                if email not in existing
            ],
            batch_size=5000,
            ignore_conflicts=True,
        )
        for email, (role, *_rest) in wanted.items():
            if role != Role.REQUESTER and email not in existing:
                TOTP.activate(users[email], "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        pick = lambda kind, n: [users[bench_email(kind, i)] for i in range(1, n + 1)]  # noqa: E731
        self.officers = pick("officer", self.officer_count)
        self.leads = pick("lead", LEADS)
        self.checkers = pick("checker", CHECKERS)
        self.requesters = pick("requester", requesters)

    # --- catalogue and law ---------------------------------------------------------------

    def _reference_data(self) -> None:
        self.datasets = {d.code: d for d in Dataset.objects.select_related("custodian").prefetch_related("measures")}
        self.measures = {(d.code, m.code): m for d in self.datasets.values() for m in d.measures.all()}
        self.criteria = list(LegalCriterion.objects.filter(is_active=True).prefetch_related("datasets"))
        self.provisions = {p.code: p for p in LegalProvision.objects.all()}
        # The holiday table, read once: every due date moves past Sundays and holidays (I-16 s. 52).
        self.calendar = clock.holidays()
        perms = Permission.objects.filter(content_type__app_label="requests_app", content_type__model="datarequest")
        self.permission_ids = {p.codename: p.pk for p in perms}

    def _criteria_for(self, category: str, dataset) -> list[LegalCriterion]:
        """``review.criteria_for`` for a case with one table of ``dataset``, by the same rule."""
        key = (category, dataset.pk)
        if key not in self.applicable:
            self.applicable[key] = review.applicable_criteria(
                self.criteria,
                requester_category=category,
                dataset_ids={dataset.pk},
                external=not dataset.custodian.is_agency,
            )
        return self.applicable[key]

    # --- letters, rendered from the real templates ----------------------------------------

    def _acknowledgement(self, language: str, reference: str, received: datetime, due: datetime) -> str:
        sample_received, sample_due = (
            datetime(2001, 2, 3, 4, 5, tzinfo=timezone.get_default_timezone()),
            datetime(2002, 6, 7, 8, 9, tzinfo=timezone.get_default_timezone()),
        )
        with translation.override(language):
            if language not in self.acknowledgements:
                sample = SimpleNamespace(reference="@@REF@@", received_at=sample_received, due_at=sample_due)
                text = render_to_string(
                    "requests_app/acknowledgement.txt", intake.acknowledgement_context(sample)
                ).strip()
                self.acknowledgements[language] = (
                    text,
                    date_format(sample_received, "DATETIME_FORMAT"),
                    date_format(sample_due, "DATE_FORMAT"),
                )
            text, received_text, due_text = self.acknowledgements[language]
            return (
                text.replace("@@REF@@", reference)
                .replace(received_text, date_format(timezone.localtime(received), "DATETIME_FORMAT"))
                .replace(due_text, date_format(timezone.localtime(due), "DATE_FORMAT"))
            )

    def _letter(self, row: dict, *, outcome: str, reasons: str, provisions: list, project: int, spec) -> str:
        language = row["language"]
        key = (language, outcome, reasons, tuple(p.code for p in provisions), project)
        sample = datetime(2001, 2, 3, 12, tzinfo=timezone.get_default_timezone())
        with translation.override(language):
            if key not in self.letters:
                sample_case = SimpleNamespace(
                    reference="@@REF@@", title="@@TITLE@@", contact_name="@@NAME@@", received_at=sample
                )
                context = review.decision_letter_context(
                    sample_case,
                    outcome=outcome,
                    reasons=reasons,
                    provisions=provisions,
                    tables=[
                        review.LetterTable(number=1, row=row, conditions=[])
                        for row in selectors.label_specifications([spec])
                    ],
                )
                text = render_to_string("requests_app/letters/decision.txt", context).strip()
                self.letters[key] = (text, date_format(sample, "DATE_FORMAT"))
            text, sample_text = self.letters[key]
            return (
                text.replace("@@REF@@", row["reference"])
                .replace("@@TITLE@@", row["title"])
                .replace("@@NAME@@", row["contact_name"])
                .replace(sample_text, date_format(timezone.localtime(row["received_at"]), "DATE_FORMAT"))
            )

    # --- cases -----------------------------------------------------------------------------

    def cases(self) -> Rows:
        self._reference_data()
        rows = Rows()
        statuses, weights = zip(*STATE_MIX, strict=True)
        drawn = self.random.choices(statuses, weights=weights, k=self.count)
        plans = [self._plan(pk, status) for pk, status in enumerate(drawn, start=1)]
        # References are sequential per year in the order of receipt, as submissions give them.
        filed = sorted((plan for plan in plans if plan["received_at"]), key=lambda plan: plan["received_at"])
        for plan in filed:
            year = timezone.localtime(plan["received_at"]).year
            self.sequences[year] = self.sequences.get(year, 0) + 1
            plan["reference"] = f"DA-{year}-{self.sequences[year]:05d}"
        counters = {"spec": 0, "clarification": 0, "decision": 0, "message": 0, "assessment": 0, "job": 0}
        for plan in plans:
            self._case(rows, plan, counters)
        return rows

    def _plan(self, pk: int, status: Status) -> dict:
        """When things happen to the case; the rows follow from it."""
        r = self.random
        day = timedelta(days=1)
        if status == Status.DRAFT:
            created = self.now - day * r.uniform(0, 60)
            received = None
        else:
            if status in (Status.RECEIVED, Status.UNDER_REVIEW, Status.AWAITING_REQUESTER, Status.DECISION_PROPOSED):
                age = r.triangular(0.1, 26, 4)  # open: mostly recent, a few past their due date
                self.open_cases += 1
            elif status in (Status.PRODUCING, Status.OUTPUT_CHECKING):
                age = r.uniform(20, 45)
            elif status == Status.RELEASED:
                age = r.uniform(30, 120)
            else:
                age = r.uniform(40, 5 * 365)
            received = self.now - day * age
            created = received - day * r.uniform(0.05, 10)
        return {"pk": pk, "status": status, "created_at": created, "received_at": received, "reference": None}

    def _case(self, rows: Rows, plan: dict, counters: dict) -> None:
        r = self.random
        status = plan["status"]
        requester = self.requesters[(plan["pk"] - 1) % len(self.requesters)]
        language = requester.language
        officer = r.choice(self.officers)
        lead = r.choice(self.leads)
        checker = r.choice(self.checkers)
        # Approvals need the owner's consultation for external data; keep approved cases on the agency's data.
        outcome = self._outcome(status)
        candidates = [
            i
            for i, project in enumerate(PROJECTS)
            if outcome in (None, DecisionOutcome.REFUSED) or self.datasets[project[2]].custodian.is_agency
        ]
        project_index = r.choice(candidates)
        title, purpose, dataset_code, measure_code, dimensions, filters = PROJECTS[project_index]
        dataset = self.datasets[dataset_code]
        measure = self.measures[(dataset_code, measure_code)]
        category = r.choices([c for c, _w in CATEGORIES], weights=[w for _c, w in CATEGORIES])[0]
        history_model = HISTORY[DataRequest]
        at = plan["created_at"]

        row = {
            "id": plan["pk"],
            "reference": None,
            "requester_id": requester.pk,
            "status": Status.DRAFT,
            "language": language,
            "contact_name": requester.get_full_name(),
            "organisation": "",
            "position": "",
            "phone": "",
            "requester_category": "",
            "title": "",
            "purpose": "",
            "public_interest": "",
            "intended_publication": "",
            "use_starts_on": None,
            "use_ends_on": None,
            "legal_basis": "",
            "legal_basis_details": "",
            "ethics_approval": "",
            "ethics_reference": "",
            "declares_no_reidentification": False,
            "declares_source_citation": False,
            "received_at": None,
            "due_at": None,
            "acknowledgement": "",
            "extension_days": 0,
            "extended_at": None,
            "extension_notice": "",
            "assigned_to_id": None,
            "withdrawn_at": None,
            "withdrawal_reason": "",
            "created_at": at,
            "updated_at": at,
        }

        last = {"status": row["status"], "assigned_to_id": row["assigned_to_id"]}

        def record(
            when: datetime, user, reason: str, kind: str = "~", *, move: str | None = None, facts: dict | None = None
        ) -> None:
            """One history row; ``move``, the audit event of the workflow move that wrote it, if one did."""
            row["updated_at"] = when
            rows.add(
                history_model,
                **row,
                history_date=when,
                history_user_id=getattr(user, "pk", None),
                history_change_reason=reason,
                history_type=kind,
            )
            if move is not None:
                # COPY numbers the history rows in order from 1 (the table was truncated, its identity restarted).
                history_id = len(rows.tables[history_model].rows)
                actor = getattr(user, "pk", None)
                rows.moves.append(
                    _Move(when, history_id, row["id"], actor, move, dict(last), dict(row), reason, facts or {})
                )
            last.update(status=row["status"], assigned_to_id=row["assigned_to_id"])

        def later(start: datetime, low: float, high: float) -> datetime:
            """A moment between ``low`` and ``high`` days after ``start``, never in the future."""
            return min(start + timedelta(days=r.uniform(low, high)), self.now - timedelta(minutes=1))

        # The draft, step by step (services.intake).
        record(at, requester, "", "+")  # intake's saves give no reason
        for permission in REQUESTER_PERMISSIONS:
            rows.add(
                DataRequestUserObjectPermission,
                permission_id=self.permission_ids[permission],
                user_id=requester.pk,
                content_object_id=plan["pk"],
            )
        steps = 5 if status != Status.DRAFT else r.randint(0, 5)
        end = plan["received_at"] or self.now
        tick = (end - at) / 6
        if steps >= 1:
            at += tick
            row.update(
                organisation="" if category == RequesterCategory.CITIZEN else r.choice(ORGANISATIONS[:-1]),
                position="Chercheuse" if category == RequesterCategory.RESEARCHER else "Analyste",
                phone=f"514 555-{r.randint(0, 9999):04d}",
                requester_category=category,
            )
            record(at, requester, "")
        if steps >= 2:
            at += tick
            starts = date(2026, 1, 1) + timedelta(days=r.randint(0, 300))
            row.update(
                title=title,
                purpose=purpose,
                public_interest="Éclairer la planification des services de santé.",
                intended_publication="Un rapport public.",
                use_starts_on=starts,
                use_ends_on=starts + timedelta(days=365),
                legal_basis="a29_s67",
                ethics_approval="obtained" if category == RequesterCategory.RESEARCHER else "not_required",
                ethics_reference=f"CER-2026-{r.randint(1, 999):03d}"
                if category == RequesterCategory.RESEARCHER
                else "",
            )
            record(at, requester, "")
        specification = None
        if steps >= 3:
            at += tick
            counters["spec"] += 1
            specification = {
                "id": counters["spec"],
                "request_id": plan["pk"],
                "dataset_id": dataset.pk,
                "measure_id": measure.pk,
                "dimensions": list(dimensions),
                "filters": dict(filters),
                "created_at": at,
                "updated_at": at,
            }
            rows.add(TableSpecification, **specification)
            rows.add(
                HISTORY[TableSpecification],
                **specification,
                history_date=at,
                history_user_id=requester.pk,
                history_change_reason="",
                history_type="+",
            )
        if steps >= 5:
            at += tick
            row.update(declares_no_reidentification=True, declares_source_citation=True)
            record(at, requester, "")
        if status == Status.DRAFT:
            rows.add(DataRequest, **row)
            return

        # Submission (services.request_submit): reference, clock, acknowledgement.
        received = plan["received_at"]
        row.update(
            status=Status.RECEIVED,
            reference=plan["reference"],
            received_at=received,
            due_at=clock.due_at(received_at=received, calendar=self.calendar),
        )
        row["acknowledgement"] = self._acknowledgement(language, row["reference"], received, row["due_at"])
        record(received, requester, "", move="request.submitted")
        at = received
        paused_days = 0

        if status == Status.WITHDRAWN and r.random() < 0.5:
            return self._withdraw(rows, row, record, later(at, 0.1, 10), requester)
        if status == Status.RECEIVED:
            if r.random() < 0.05:
                self._extend(row, record, later(at, 1, 15), lead)
            rows.add(DataRequest, **row)
            return

        # Assignment (services.case_assign) by a lead: the officer's permissions come with it.
        at = later(at, 0.05, 3)
        row.update(status=Status.UNDER_REVIEW, assigned_to_id=officer.pk)
        record(at, lead, "", move="request.assigned")
        for permission in OFFICER_PERMISSIONS:
            rows.add(
                DataRequestUserObjectPermission,
                permission_id=self.permission_ids[permission],
                user_id=officer.pk,
                content_object_id=plan["pk"],
            )

        # A question to the requester: open while awaiting them; answered (the clock added back) for some others.
        if status == Status.AWAITING_REQUESTER or (status != Status.UNDER_REVIEW and r.random() < 0.2):
            asked = later(at, 0.1, 4)
            counters["clarification"] += 1
            clarification = {
                "id": counters["clarification"],
                "request_id": plan["pk"],
                "question": "Quelles années vous faut-il ?",
                "asked_by_id": officer.pk,
                "asked_at": asked,
                "answer": "",
                "answered_at": None,
            }
            clarification_history = HISTORY[Clarification]
            row["status"] = Status.AWAITING_REQUESTER
            rows.add(
                clarification_history,
                **clarification,
                history_date=asked,
                history_user_id=officer.pk,
                history_change_reason="",
                history_type="+",
            )
            record(asked, officer, "", move="clarification.asked")
            at = asked
            if status != Status.AWAITING_REQUESTER:
                answered = later(asked, 0.2, 8)
                clarification.update(answer="De 2019 à 2024.", answered_at=answered)
                paused_days = clock.pause_days(asked, answered)
                row.update(
                    status=Status.UNDER_REVIEW,
                    due_at=clock.due_at(received_at=received, paused_days=paused_days, calendar=self.calendar),
                )
                rows.add(
                    clarification_history,
                    **clarification,
                    history_date=answered,
                    history_user_id=requester.pk,
                    history_change_reason="",
                    history_type="~",
                )
                record(answered, requester, "", move="clarification.answered")
                at = answered
            rows.add(Clarification, **clarification)
        if status == Status.AWAITING_REQUESTER:
            rows.add(DataRequest, **row)
            return
        if r.random() < 0.05 and at < row["due_at"] - timedelta(hours=2):
            at = min(later(at, 0.1, 5), row["due_at"] - timedelta(hours=1))
            self._extend(row, record, at, officer, paused_days)
        if r.random() < 0.25:
            counters["message"] += 1
            created = later(at, 0.1, 3)
            message = {
                "id": counters["message"],
                "request_id": plan["pk"],
                "author_id": officer.pk,
                "body": "Nous avons bien reçu votre demande ; l'analyse est en cours.",
                "is_internal": r.random() < 0.3,
                "created_at": created,
            }
            rows.add(Message, **message)
            reason = "message.internal" if message["is_internal"] else "message.posted"
            rows.add(
                HISTORY[Message],
                **message,
                history_date=created,
                history_user_id=officer.pk,
                history_change_reason=reason,
                history_type="+",
            )
        if status == Status.WITHDRAWN:
            return self._withdraw(rows, row, record, later(at, 0.1, 10), requester)

        # The checklist: every applicable criterion found met before an approval; some findings during the review.
        criteria = self._criteria_for(category, dataset)
        if outcome in (DecisionOutcome.APPROVED, DecisionOutcome.PARTIALLY_APPROVED):
            findings = criteria
        elif status == Status.UNDER_REVIEW:
            findings = criteria[: r.randint(0, len(criteria))]
        else:
            findings = []
        for criterion in findings:
            assessed = later(at, 0.01, 2)
            counters["assessment"] += 1
            assessment = {
                "id": counters["assessment"],
                "request_id": plan["pk"],
                "criterion_id": criterion.pk,
                "outcome": Assessment.MET,
                "note": "",
                "assessed_by_id": officer.pk,
                "assessed_at": assessed,
            }
            rows.add(CriterionAssessment, **assessment)
            rows.add(
                HISTORY[CriterionAssessment],
                **assessment,
                history_date=assessed,
                history_user_id=officer.pk,
                history_change_reason="criterion.assessed",
                history_type="+",
            )
        if status == Status.UNDER_REVIEW:
            rows.add(DataRequest, **row)
            return

        # The decision: proposed by the officer, signed off by a lead (services.decision_propose / _sign_off).
        proposed = later(at, 0.5, 12)
        refusal = outcome != DecisionOutcome.APPROVED
        provisions = [self.provisions["r221_research"]] if refusal else []
        reasons_text = "Les données demandées permettraient d'identifier des personnes." if refusal else ""
        spec_for_letter = TableSpecification(
            dataset=dataset, measure=measure, dimensions=list(dimensions), filters=dict(filters)
        )
        counters["decision"] += 1
        decision = {
            "id": counters["decision"],
            "request_id": plan["pk"],
            "outcome": outcome,
            "reasons": reasons_text,
            "letter": self._letter(
                row,
                outcome=outcome,
                reasons=reasons_text,
                provisions=provisions,
                project=project_index,
                spec=spec_for_letter,
            ),
            "proposed_by_id": officer.pk,
            "proposed_at": proposed,
            "signed_off_by_id": None,
            "signed_off_at": None,
            "returned_by_id": None,
            "returned_at": None,
            "return_reason": "",
        }
        decision_history = HISTORY[Decision]
        rows.add(
            decision_history,
            **decision,
            history_date=proposed,
            history_user_id=officer.pk,
            history_change_reason="decision.proposed",
            history_type="+",
        )
        for provision in provisions:
            rows.add(Decision.provisions.through, decision_id=decision["id"], legalprovision_id=provision.pk)
        row["status"] = Status.DECISION_PROPOSED
        record(proposed, officer, "", move="decision.proposed", facts={"outcome": outcome})
        if status == Status.DECISION_PROPOSED:
            rows.add(Decision, **decision)
            rows.add(DataRequest, **row)
            return
        signed = later(proposed, 0.1, 4)
        decision.update(signed_off_by_id=lead.pk, signed_off_at=signed)
        rows.add(Decision, **decision)
        rows.add(
            decision_history,
            **decision,
            history_date=signed,
            history_user_id=lead.pk,
            history_change_reason="decision.signed_off",
            history_type="~",
        )
        row["status"] = outcome
        record(signed, lead, "", move="decision.signed_off")
        if outcome == DecisionOutcome.REFUSED:
            rows.add(DataRequest, **row)
            return

        # Production (stats_app.jobs): one job per table, then the checker's release, then closure.
        row["status"] = Status.PRODUCING
        record(signed, lead, "", move="production.started")
        counters["job"] += 1
        job = {
            "id": counters["job"],
            "request_id": plan["pk"],
            "table_id": specification["id"],
            "state": JobState.QUEUED,
            "stage": "",
            "specification": {
                "dataset": dataset_code,
                "measure": measure_code,
                "dimensions": list(dimensions),
                "filters": dict(filters),
            },
            "attempts": 0,
            "run": 1,
            "error": "",
            "queued_at": signed,
            "files": {},
            "summary": {},
        }
        if status != Status.PRODUCING:
            finished = later(signed, 0.001, 0.05)
            job.update(
                state=JobState.READY_FOR_CHECKING,
                attempts=1,
                started_at=signed,
                finished_at=finished,
                output_path=f"outputs/{plan['pk']}/{job['id']}/run-1",
                files={name: {"sha256": "0" * 64, "size": 1024} for name in ("table.csv", "table.xlsx", "table.json")},
                summary={"cells": 96, "suppressed": 4, "smallest_published_count": 5},
            )
            row["status"] = Status.OUTPUT_CHECKING
            record(finished, None, "", move="outputs.ready_for_checking")
            if status in (Status.RELEASED, Status.CLOSED):
                released = later(finished, 0.1, 5)
                job.update(state=JobState.RELEASED, checked_by_id=checker.pk, checked_at=released, released_at=released)
                row["status"] = Status.RELEASED
                record(released, checker, "", move="output.released", facts={"table": job["table_id"]})
                if status == Status.CLOSED:
                    row["status"] = Status.CLOSED
                    record(released, checker, "", move="request.closed")
        rows.add(TableJob, **job)
        rows.add(DataRequest, **row)

    def _outcome(self, status: Status) -> str | None:
        if status == Status.REFUSED:
            return DecisionOutcome.REFUSED
        if status in (Status.PRODUCING, Status.OUTPUT_CHECKING, Status.RELEASED, Status.CLOSED):
            return DecisionOutcome.PARTIALLY_APPROVED if self.random.random() < 0.15 else DecisionOutcome.APPROVED
        if status == Status.DECISION_PROPOSED:
            return self.random.choice(list(DecisionOutcome.values))
        return None

    def _withdraw(self, rows: Rows, row: dict, record, at: datetime, requester) -> None:
        reason = "Je n'ai plus besoin de ces données."
        row.update(status=Status.WITHDRAWN, withdrawn_at=at, withdrawal_reason=reason)
        record(at, requester, reason, move="request.withdrawn")
        rows.add(DataRequest, **row)

    def _extend(self, row: dict, record, at: datetime, actor, paused_days: int = 0) -> None:
        """``services.deadline_extend``: once, before the first due date, with its notice."""
        if at >= row["due_at"]:
            return
        notice = "Le traitement de la demande dans le délai nuirait au déroulement normal des activités."
        days = settings.EXTENSION_DAYS
        row.update(extension_days=days, extended_at=at, extension_notice=notice)
        row["due_at"] = clock.due_at(
            received_at=row["received_at"], paused_days=paused_days, extension_days=days, calendar=self.calendar
        )
        record(at, actor, notice, move="request.extended")
