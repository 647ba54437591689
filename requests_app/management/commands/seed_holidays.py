"""Add the Québec holidays of a range of years to the calendar (I-16 s. 61(23)). Safe to run again."""

from django.core.management.base import BaseCommand, CommandError

from requests_app import holiday_data, services


class Command(BaseCommand):
    help = (
        "Add the missing holidays of a range of years (the holidays library's Québec calendar and the "
        "Interpretation Act's list); days already there, or deleted by staff, are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=int, default=holiday_data.FIRST_YEAR)
        parser.add_argument("--until", dest="last", type=int, default=holiday_data.LAST_YEAR)

    def handle(self, *args, first: int, last: int, **options):
        if first > last:
            raise CommandError("--from must not be after --until.")
        added = services.holidays_seed(years=range(first, last + 1))
        self.stdout.write(f"Holidays {first}–{last}: {len(added)} added.")
