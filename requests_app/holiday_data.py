"""The holidays the portal starts with: the ``holidays`` library's Québec calendar, completed by the
Interpretation Act's own list (I-16 s. 61(23)).

Loaded by ``requests_app/migrations/0016_holiday_data.py`` and by ``manage.py seed_holidays`` (which
``seed_demo`` runs, and which adds later years). Sundays are holidays under s. 61(23) too; the clock knows
them (``clock.is_holiday``), they are not rows. Saturday is not on the Act's list: a delay may expire on a
Saturday. These are our reading of the Act; the official text (LégisQuébec) prevails, and the access lead
corrects or adds days (a day proclaimed, s. 61(23) last item) in the admin.
"""

from datetime import date, timedelta

import holidays
from dateutil.easter import easter
from django.utils import timezone

#: The years seeded by the migration; ``seed_holidays --until`` adds more.
FIRST_YEAR, LAST_YEAR = 2020, 2035

LIBRARY = "library"
INTERPRETATION_ACT = "i16_s61_23"


def _monday(on_or_after: date) -> date:
    return on_or_after + timedelta(days=(0 - on_or_after.weekday()) % 7)


def interpretation_act_days(year: int) -> dict[date, tuple[str, str]]:
    """The dates of ``year`` that I-16 s. 61(23) names (Sundays aside), with their French and English names."""
    easter_sunday = easter(year)
    canada_day = date(year, 7, 1)
    may_25 = date(year, 5, 25)
    return {
        date(year, 1, 1): ("Jour de l'an", "New Year's Day"),
        easter_sunday - timedelta(days=2): ("Vendredi saint", "Good Friday"),
        easter_sunday + timedelta(days=1): ("Lundi de Pâques", "Easter Monday"),
        # The day fixed for the sovereign's birthday: the Monday before 25 May, in Québec the same day as the
        # Journée nationale des patriotes.
        may_25 - timedelta(days=may_25.weekday() or 7): (
            "Journée nationale des patriotes",
            "National Patriots' Day",
        ),
        date(year, 6, 24): ("Fête nationale du Québec", "National Holiday"),
        # 1 July, or 2 July when the 1st is a Sunday.
        canada_day + timedelta(days=1 if canada_day.weekday() == 6 else 0): ("Fête du Canada", "Canada Day"),
        _monday(date(year, 9, 1)): ("Fête du Travail", "Labour Day"),
        _monday(date(year, 10, 1)) + timedelta(days=7): ("Action de grâce", "Thanksgiving Day"),
        date(year, 12, 25): ("Jour de Noël", "Christmas Day"),
    }


def calendar(years) -> dict[date, tuple[str, str, str]]:
    """Every holiday of ``years``: date -> (French name, English name, source)."""
    # observed=False: the library's "observed" days (27 December 2027 for a Christmas on a Saturday, ...) are
    # days off under labour law, not holidays of I-16 s. 61(23), which moves only Canada Day (to 2 July).
    french = holidays.country_holidays("CA", subdiv="QC", years=years, language="fr", observed=False)
    english = holidays.country_holidays("CA", subdiv="QC", years=years, language="en_CA", observed=False)
    days = {day: (name, english.get(day, name), LIBRARY) for day, name in french.items()}
    for year in years:
        for day, (name_fr, name_en) in interpretation_act_days(year).items():
            days.setdefault(day, (name_fr, name_en, INTERPRETATION_ACT))
    return dict(sorted(days.items()))


def load(apps, years=range(FIRST_YEAR, LAST_YEAR + 1)) -> list[date]:
    """Add the holidays of ``years`` that are missing; return the dates added.

    A day already there is left as it is (the lead may have renamed it), and a day the lead deleted or moved
    to another date is not added again (the history shows it was in the calendar once).
    """
    Holiday = apps.get_model("requests_app", "Holiday")
    HistoricalHoliday = apps.get_model("requests_app", "HistoricalHoliday")
    days = calendar(list(years))
    present = set(Holiday.objects.filter(date__in=days).values_list("date", flat=True))
    known = set(HistoricalHoliday.objects.filter(date__in=days).values_list("date", flat=True))
    added = []
    for day, (name_fr, name_en, source) in days.items():
        if day in present or day in known:
            continue
        holiday = Holiday.objects.create(date=day, name_fr=name_fr, name_en=name_en, source=source)
        # Outside a migration, simple-history's signal has written the creation record; a migration's models
        # send none, so it is written here: each day's history starts with the day as seeded.
        if not HistoricalHoliday.objects.filter(id=holiday.pk).exists():
            HistoricalHoliday.objects.create(
                id=holiday.pk,
                date=day,
                name_fr=name_fr,
                name_en=name_en,
                source=source,
                history_date=timezone.now(),
                history_type="+",
            )
        added.append(day)
    return added
