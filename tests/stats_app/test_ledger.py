"""The release ledger: what is recorded of a released table, that it is never edited, and how it is read back."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from stats_app import ledger
from stats_app.catalogue import validate_specification
from stats_app.disclosure import Policy, protect
from stats_app.disclosure.linked import protect_linked
from stats_app.models import LedgerCell, LedgerEntry

from .disclosure.linked_attack import Microdata
from .disclosure.test_linked import hospital_stays

pytestmark = pytest.mark.django_db


def released_entry(dataset):
    region = next(code for code in ledger.universe(dataset) if code.startswith("t_region"))
    specification = validate_specification(dataset=dataset.code, measure="services", dimensions=[region])
    data = hospital_stays()
    # The test dataset's regions are 01, 02 and 06: the microdata's regions renamed onto them.
    events = [e for e in data.events if e.categories["region"] in ("01", "02", "06")]
    microdata = Microdata(
        universe={region: ("01", "02", "06")},
        events=[type(e)(e.person, {region: e.categories["region"]}) for e in events],
    )
    table = microdata.table([region], "events")
    protected = protect(table, Policy())
    entry = ledger.record(
        specification=specification,
        protected=protected,
        snapshot={"dataset_version": "v1"},
        released_at=timezone.now(),
        source=LedgerEntry.Source.COMMAND,
        source_reference="out/",
    )
    return entry, protected, microdata, region


def test_a_released_table_is_recorded_cell_by_cell_with_its_populations(dataset):
    entry, protected, _, region = released_entry(dataset)

    cells = list(entry.ledger_cells.order_by("position"))
    assert len(cells) == entry.cells == len(protected.published)
    total = cells[-1]
    assert total.key == ["Total"]
    assert total.population[region] == ["01", "02", "06"]
    assert cells[0].population[region] == ["01"]
    assert all(len(categories) > 1 for code, categories in total.population.items())
    assert [cell.published for cell in cells] == list(protected.published.values())


def test_a_later_table_is_protected_against_the_ledger(dataset):
    entry, protected, _, _ = released_entry(dataset)
    linked = ledger.linked_tables(dataset, data_version="v1", dimensions=protected.table.dimensions)

    assert [table.reference for table in linked] == [f"ledger-{entry.pk}"]
    again, linkage = protect_linked(
        protected.table, Policy(), measure="events", universe=ledger.universe(dataset), linked=linked
    )
    assert again.published == protected.published
    assert linkage.extra_suppressed == 0


@pytest.mark.parametrize(
    "statement", ["UPDATE stats_app_ledgercell SET published = 1", "DELETE FROM stats_app_ledgercell"]
)
def test_the_database_refuses_to_edit_or_delete_a_ledger_cell(dataset, statement):
    released_entry(dataset)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert LedgerCell.objects.count() > 0
