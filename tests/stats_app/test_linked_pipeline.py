"""Everywhere a table is made, it is protected against every table released from its dataset (Health Insurance
Act s. 67: statistics only when they cannot be connected with individuals, whatever the reader combines them with).

The attacker here holds the CSV files the portal wrote, and subtracts: the
total of a specialty over all regions minus its total over the regions of the
second table is the count of the region left out. The protection engine's own
attacker programs are tested in ``disclosure/test_linked.py``; these tests
follow the tables through the pipeline, the jobs, the checker and the commands.
"""

import csv
import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from portal.roles import Role
from requests_app.models import Status
from requests_app.production import jobs
from requests_app.production.models import TableJob
from requests_app.states import JobState
from stats_app import ledger, pipeline
from stats_app.catalogue import validate_specification
from stats_app.disclosure import TOTAL, protect
from stats_app.models import Dataset, DisclosurePolicy, HeldTable, LedgerEntry
from stats_app.warehouse import query, schema
from tests import factories

pytestmark = [pytest.mark.django_db(databases=["default", "warehouse"]), pytest.mark.usefixtures("warehouse")]

#: Services billed by region × specialty: the tables of the issue, on the dataset the agency holds itself.
SERVICES = {"dataset": "medical_services", "measure": "services", "dimensions": ["region", "specialty"]}


def regions() -> list[str]:
    return list(ledger.universe(Dataset.objects.get(code="medical_services"))["region"])


def read_csv(path) -> dict[tuple[str, ...], int | None]:
    """The published table as its reader has it: key -> value, ``None`` where suppressed."""
    rows = list(csv.reader(path.open(encoding="utf-8")))
    # The columns: the dimensions' codes, their labels (``<code>_label``), the value and its flag.
    dimensions = (len(rows[0]) - 2) // 2
    return {tuple(row[:dimensions]): (int(row[-2]) if row[-2] else None) for row in rows[1:]}


def region_with_small_cells() -> str:
    """The region with the most services counting 1 to threshold − 1 in a specialty: the one to leave out."""
    threshold = Dataset.objects.get(code="medical_services").threshold
    cells = warehouse_table(SERVICES).cells
    return max(
        regions(),
        key=lambda region: sum(
            1 for key, stats in cells.items() if key[0] == region and TOTAL not in key and 1 <= stats.value < threshold
        ),
    )


def every_region_but(left_out: str) -> dict:
    return {**SERVICES, "filters": {"region": [code for code in regions() if code != left_out]}}


def warehouse_table(spec: dict):
    specification = validate_specification(**spec)
    return query.compute_table(
        dataset=specification.dataset.code,
        measure_kind=specification.measure.kind,
        dimensions=pipeline.domains(specification),
    )


def differences_revealed(everything: dict, some_regions: dict, threshold: int) -> list[tuple[str, int]]:
    """Chapters whose left-out regions count 1 to threshold − 1, as subtracting the two tables' totals shows."""
    specialties = {key[1] for key in everything if key[1] != TOTAL}
    found = []
    for specialty in sorted(specialties):
        outer, inner = everything.get((TOTAL, specialty)), some_regions.get((TOTAL, specialty))
        if outer is not None and inner is not None and 1 <= outer - inner < threshold:
            found.append((specialty, outer - inner))
    return found


def build(tmp_path, spec: dict, out: str, *options: str) -> str:
    path = tmp_path / f"{out}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    stdout = StringIO()
    call_command("build_table", str(path), "--out", str(tmp_path / out), "--language", "en", *options, stdout=stdout)
    return stdout.getvalue()


def services_case(*specifications: dict):
    """A request on hospital stays whose approved tables are ``specifications``, with its jobs queued."""
    case = factories.make_request(
        status=Status.PRODUCING, dataset=Dataset.objects.get(code="medical_services"), tables=len(specifications)
    )
    queued = list(case.table_jobs.order_by("pk"))
    for job, spec in zip(queued, specifications, strict=True):
        # The officer's adjustment, in short: the job runs the table as the decision approved it.
        TableJob.objects.filter(pk=job.pk).update(specification={**spec, "filters": spec.get("filters", {})})
    return case, queued


def run(job: TableJob) -> TableJob:
    jobs.job_run(job_id=job.pk, run=job.run)
    job.refresh_from_db()
    return job


def test_the_second_table_of_a_request_is_protected_against_the_first_one_waiting_for_its_checker():
    """All regions × specialty, then every region but one × specialty: the totals' difference is that region."""
    everything, but_one = SERVICES, every_region_but(region_with_small_cells())
    threshold = Dataset.objects.get(code="medical_services").threshold
    # Protected one at a time, the two tables give the left-out region's small counts back.
    alone = {
        name: protect(warehouse_table(spec), pipeline.policy_for(Dataset.objects.get(code="medical_services"), seed=""))
        for name, spec in (("everything", everything), ("but_one", but_one))
    }
    assert differences_revealed(alone["everything"].published, alone["but_one"].published, threshold)

    _case, (first, second) = services_case(everything, but_one)
    first, second = run(first), run(second)

    assert first.state == second.state == JobState.READY_FOR_CHECKING
    published = {job: read_csv(jobs.output_folder(job) / "table.csv") for job in (first, second)}
    assert differences_revealed(published[first], published[second], threshold) == []
    assert [table["reference"] for table in second.summary["linked_tables"]] == [f"held-job-{first.pk}"]
    assert second.summary["linked_extra_suppressed"] > 0
    assert HeldTable.objects.filter(holder__in=[f"job-{first.pk}", f"job-{second.pk}"]).count() == 2


def test_a_release_enters_the_ledger_and_table_json_says_who_released_it_for_which_request_and_decision():
    checker = factories.make_user(role=Role.OUTPUT_CHECKER, first_name="Camille", last_name="Roy")
    case, (job,) = services_case(SERVICES)
    job = run(job)

    jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=checker)

    job.refresh_from_db()
    entry = LedgerEntry.objects.get(source_reference=f"job-{job.pk}-run-{job.run}")
    assert entry.checked_by == checker and entry.request_reference == case.reference
    assert entry.decision_reference.startswith(f"{case.reference}/D")
    assert entry.csv_sha256 == job.files["table.csv"]["sha256"]
    assert not HeldTable.objects.filter(holder=f"job-{job.pk}").exists()
    document_path = jobs.output_folder(job) / "table.json"
    document = json.loads(document_path.read_text(encoding="utf-8"))
    assert document["release"] == {
        "checked_by": "Camille Roy",
        "released_at": job.released_at.isoformat(),
        "request_reference": case.reference,
        "decision_reference": entry.decision_reference,
        "ledger_entry": entry.pk,
    }
    assert document["linked_tables"] == []
    assert hashlib.sha256(document_path.read_bytes()).hexdigest() == job.files["table.json"]["sha256"]


def test_a_table_published_meanwhile_that_it_combines_with_stops_its_release_and_the_checker_is_told(client):
    """Made alone, then a table of every region but one is recorded: released together they would leak."""
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    _case, (job,) = services_case(SERVICES)
    job = run(job)
    but_one = validate_specification(**every_region_but(region_with_small_cells()))
    dataset = but_one.dataset
    ledger.record(
        specification=but_one,
        protected=protect(warehouse_table(but_one.as_json()), pipeline.policy_for(dataset, seed="")),
        snapshot=schema.snapshot(using="warehouse"),
        released_at=timezone.now(),
        source=LedgerEntry.Source.IMPORT,
        source_reference="bulletin-2024.csv",
    )

    client.force_login(checker)
    response = client.post(f"/outputs/{job.pk}/release/", {"attest": list(jobs.CHECKLIST)}, follow=True)

    job.refresh_from_db()
    assert job.state == JobState.READY_FOR_CHECKING
    assert LedgerEntry.objects.filter(source=LedgerEntry.Source.JOB).count() == 0
    # The checker's page says why, in the checker's language (French here), and names the released table.
    page = response.content.decode()
    assert "changent ce à quoi il peut être combiné" in page
    assert "publié avant le portail" in page


def test_a_returned_table_no_longer_protects_nor_constrains_the_others():
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    _case, (job,) = services_case(SERVICES)
    job = run(job)
    assert HeldTable.objects.filter(holder=f"job-{job.pk}").exists()

    jobs.output_return(job=job, actor=checker, reason="Too many small cells.")

    assert not HeldTable.objects.filter(holder=f"job-{job.pk}").exists()


def test_build_table_release_records_the_table_and_the_same_table_asked_again_costs_nothing(tmp_path):
    printed = build(tmp_path, SERVICES, "first", "--release")

    entry = LedgerEntry.objects.get()
    assert entry.source == LedgerEntry.Source.COMMAND and "Recorded in the release ledger" in printed
    build(tmp_path, SERVICES, "again")
    assert (tmp_path / "first/table.csv").read_bytes() == (tmp_path / "again/table.csv").read_bytes()
    again = json.loads((tmp_path / "again/table.json").read_text(encoding="utf-8"))
    assert again["linked_tables"] == [f"ledger-{entry.pk}"]
    assert again["suppressed_cells"] == entry.suppressed
    assert LedgerEntry.objects.count() == 1


def test_a_table_that_cannot_be_made_safe_exits_with_the_reason_and_writes_nothing(tmp_path):
    """A specialty dropped from a released table whose specialty counts 1 to 4 in it: only its total could hide it."""
    threshold = Dataset.objects.get(code="medical_services").threshold
    table = warehouse_table(SERVICES)
    region, specialty = next(
        (key[0], key[1])
        for key, stats in sorted(table.cells.items())
        if TOTAL not in key and 1 <= stats.value < threshold and table.cells[(key[0], TOTAL)].value >= 2 * threshold
    )
    specialties = ledger.universe(Dataset.objects.get(code="medical_services"))["specialty"]
    released = {**SERVICES, "filters": {"region": [region]}}
    build(tmp_path, released, "released", "--release")

    dropped = {
        **SERVICES,
        "filters": {"region": [region], "specialty": [c for c in specialties if c != specialty]},
    }
    with pytest.raises(CommandError) as refusal:
        build(tmp_path, dropped, "dropped")

    assert "Combined with tables already released" in str(refusal.value)
    with translation.override("en"):
        assert LedgerEntry.objects.get().label in str(refusal.value)
    assert not (tmp_path / "dropped").exists()


def test_random_rounding_rounds_a_population_the_same_way_in_every_table(tmp_path):
    """Averaging many filter variants of one table recovers nothing when each population is drawn once."""
    Dataset.objects.filter(code="medical_services").update(disclosure_policy=DisclosurePolicy.RANDOM_ROUNDING)
    some = regions()[:8]
    build(tmp_path, SERVICES, "all")
    build(tmp_path, {**SERVICES, "filters": {"region": some}}, "some")

    everything, variant = read_csv(tmp_path / "all/table.csv"), read_csv(tmp_path / "some/table.csv")
    truth = warehouse_table(SERVICES).cells
    shared = [key for key in variant if TOTAL not in key]
    # Cells that are not multiples of the base: each table draws their rounding; a fresh draw would differ often.
    drawn = [key for key in shared if key in truth and truth[key].value % 5]
    assert len(drawn) >= 20
    assert [everything[key] for key in drawn] == [variant[key] for key in drawn]


def test_a_released_table_is_replayed_from_its_provenance_with_the_same_checksum(tmp_path):
    """The second table was protected against the first: replaying it uses the same linked table, not the ledger
    as it is now (which holds the second table itself)."""
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    _case, (first, second) = services_case(SERVICES, every_region_but(region_with_small_cells()))
    for job in (run(first), run(second)):
        jobs.output_release(attested=jobs.CHECKLIST, job=job, actor=checker)
    second.refresh_from_db()
    assert second.summary["linked_extra_suppressed"] > 0

    stdout = StringIO()
    call_command("rerun_release", str(second.pk), "--out", str(tmp_path / "replayed"), stdout=stdout)

    assert "The checksums match" in stdout.getvalue()
    assert "The warehouse has changed" not in stdout.getvalue()
    released = (jobs.output_folder(second) / "table.csv").read_bytes()
    assert (tmp_path / "replayed/table.csv").read_bytes() == released
    assert LedgerEntry.objects.count() == 2


def test_only_a_released_table_can_be_replayed(tmp_path):
    _case, (job,) = services_case(SERVICES)
    run(job)

    with pytest.raises(CommandError, match="has no release in the ledger"):
        call_command("rerun_release", str(job.pk), "--out", str(tmp_path / "replayed"))
    assert not (tmp_path / "replayed").exists()


def test_two_requests_by_different_requesters_the_later_one_is_protected_against_the_release(client):
    """One requester's table is released; another asks for the same cells minus one region."""
    checker = factories.make_user(role=Role.OUTPUT_CHECKER)
    threshold = Dataset.objects.get(code="medical_services").threshold
    _first_case, (first,) = services_case(SERVICES)
    jobs.output_release(attested=jobs.CHECKLIST, job=run(first), actor=checker)
    _second_case, (second,) = services_case(every_region_but(region_with_small_cells()))
    assert _first_case.requester != _second_case.requester

    second = run(second)

    published = {job: read_csv(jobs.output_folder(job) / "table.csv") for job in (first, second)}
    assert differences_revealed(published[first], published[second], threshold) == []
    entry = LedgerEntry.objects.get()
    assert [table["reference"] for table in second.summary["linked_tables"]] == [f"ledger-{entry.pk}"]
    # The checker sees what it was protected against, and what that cost; the requester never does.
    client.force_login(checker)
    page = client.get(f"/outputs/{second.pk}/").content.decode()
    assert entry.label in page and 'id="linked-extra"' in page
    jobs.output_release(attested=jobs.CHECKLIST, job=second, actor=checker)
    client.force_login(_second_case.requester)
    assert entry.label not in client.get(f"/requests/{_second_case.pk}/").content.decode()
    document = client.get(f"/outputs/{second.pk}/files/table.json")
    provenance = json.loads(b"".join(document.streaming_content))
    assert provenance["linked_tables"] == [f"ledger-{entry.pk}"]
