"""The statutory clock (Access Act s. 47): one place computes and explains the due date.

    due = received + STATUTORY_DELAY_DAYS + days paused + days of extension

Days are calendar days in the agency's time zone (America/Montreal), so a
due date keeps its wall-clock time across a change of daylight-saving time.
A pause is the time a clarification waits for the requester: counted as the
number of calendar days between the question and the answer, added back when
the requester answers. While a clarification is open the clock is stopped, so
the case cannot be overdue.

A due date that falls on a holiday moves to the next working day, at the same
local time (Interpretation Act, I-16 s. 52): a Sunday, or a day of the
``Holiday`` table (I-16 s. 61(23), kept as data the access lead edits).
Saturday is not on the Act's list, so a delay may expire on a Saturday; the
official text prevails. The deadline is moved once, at the end: the 20 days,
the pauses and the extension are counted in calendar days, then the last day,
if it is not a working day, becomes the next one that is.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from requests_app.models import Clarification, DataRequest, DecisionOutcome, Holiday
from requests_app.states import CLOCK_RUNNING_STATES


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def pause_days(asked_at: datetime, answered_at: datetime) -> int:
    """Calendar days a clarification stopped the clock (0 when answered the same day)."""
    return (local_date(answered_at) - local_date(asked_at)).days


SUNDAY = 6


@dataclass(frozen=True)
class MovedDay:
    """A day the due date was moved past (I-16 s. 52): a Sunday, or a holiday of the table."""

    day: date
    holiday: Holiday | None = None

    @property
    def is_sunday(self) -> bool:
        return self.holiday is None


def holidays(*, first: date | None = None, last: date | None = None) -> dict[date, Holiday]:
    """The holidays of the table between ``first`` and ``last`` (every one when not given), by date."""
    rows = Holiday.objects.all()
    if first is not None:
        rows = rows.filter(date__gte=first)
    if last is not None:
        rows = rows.filter(date__lte=last)
    return {holiday.date: holiday for holiday in rows}


def is_holiday(day: date, calendar: Mapping[date, Holiday]) -> bool:
    """A Sunday, or a day of ``calendar`` (I-16 s. 61(23)); Saturday is a working day."""
    return day.weekday() == SUNDAY or day in calendar


def next_working_day(day: date, calendar: Mapping[date, Holiday] | None = None) -> tuple[date, tuple[MovedDay, ...]]:
    """``day`` itself when it is a working day, else the next working day and the days moved past.

    ``calendar`` is the holiday table (``holidays()``), read here when not given.
    """
    # A fortnight is far longer than any run of holidays; a longer one (days proclaimed) reads on.
    window = 14
    if calendar is None:
        calendar = holidays(first=day, last=day + timedelta(days=window))
    moved = []
    while is_holiday(day, calendar):
        moved.append(MovedDay(day=day, holiday=calendar.get(day)))
        day += timedelta(days=1)
        if len(moved) % window == 0:
            calendar = {**calendar, **holidays(first=day, last=day + timedelta(days=window))}
    return day, tuple(moved)


SATURDAY = 5


def business_days_after(day: date, days: int, calendar: Mapping[date, Holiday] | None = None) -> date:
    """The ``days``-th business day after ``day``: Monday to Friday, not a holiday of the table.

    The regulation on the distribution of information (A-2.1, r. 2) counts its
    delays in working days ("jours ouvrables"), which leave out Saturdays as well,
    unlike the Access Act's calendar days.
    """
    if calendar is None:
        calendar = holidays(first=day, last=day + timedelta(days=2 * days + 21))
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < SATURDAY and day not in calendar:
            counted += 1
    return day


def last_day_published(today: date, days: int) -> date:
    """The latest release date whose ``days`` business days have all passed by ``today`` (a release of that
    day, or earlier, is public)."""
    calendar = holidays(first=today - timedelta(days=2 * days + 21), last=today + timedelta(days=1))
    day = today
    while business_days_after(day, days, calendar) > today:
        day -= timedelta(days=1)
    return day


def schedule(
    *,
    received_at: datetime,
    paused_days: int = 0,
    extension_days: int = 0,
    calendar: Mapping[date, Holiday] | None = None,
) -> tuple[datetime, tuple[MovedDay, ...]]:
    """The due date, and the Sundays and holidays it was moved past: the one place that computes it."""
    days = settings.STATUTORY_DELAY_DAYS + paused_days + extension_days
    # The same local time ``days`` later, as a moment in UTC: a time the spring change skips (02:30 on the day
    # clocks go forward) becomes the real moment it names (03:30), and a time the autumn change repeats (01:20)
    # is no ambiguous local time, which Python never finds equal to any moment of another zone (PEP 495).
    last = timezone.localtime(received_at) + timedelta(days=days)
    working, moved = next_working_day(last.date(), calendar)
    return (last + timedelta(days=(working - last.date()).days)).astimezone(UTC), moved


def due_at(
    *,
    received_at: datetime,
    paused_days: int = 0,
    extension_days: int = 0,
    calendar: Mapping[date, Holiday] | None = None,
) -> datetime:
    """The due date (``schedule`` without the explanation); give ``calendar`` to compute many without a query each."""
    due, _moved = schedule(
        received_at=received_at, paused_days=paused_days, extension_days=extension_days, calendar=calendar
    )
    return due


@dataclass(frozen=True)
class Pause:
    asked_at: datetime
    answered_at: datetime | None
    days: int


@dataclass(frozen=True)
class ClockExplanation:
    """Everything the case page needs to explain its due date."""

    received_at: datetime
    delay_days: int
    pauses: tuple[Pause, ...]
    extension_days: int
    extended_at: datetime | None
    due_at: datetime
    is_paused: bool
    #: The Sundays and holidays the due date was moved past, in order (I-16 s. 52).
    moved: tuple[MovedDay, ...] = ()

    @property
    def paused_days(self) -> int:
        return sum(pause.days for pause in self.pauses)

    @property
    def first_due_at(self) -> datetime:
        """The due date before any extension, moved past a Sunday or a holiday as well: the limit for asking one."""
        return due_at(received_at=self.received_at, paused_days=self.paused_days)


def explain(
    case: DataRequest, clarifications=None, *, calendar: Mapping[date, Holiday] | None = None
) -> ClockExplanation:
    """The due date of a filed case, step by step. ``clarifications`` and ``calendar`` may be given to save
    queries."""
    if clarifications is None:
        clarifications = Clarification.objects.filter(request=case).order_by("asked_at", "pk")
    pauses = tuple(
        Pause(
            asked_at=item.asked_at,
            answered_at=item.answered_at,
            days=pause_days(item.asked_at, item.answered_at) if item.answered_at else 0,
        )
        for item in clarifications
    )
    paused = sum(pause.days for pause in pauses)
    due, moved = schedule(
        received_at=case.received_at, paused_days=paused, extension_days=case.extension_days, calendar=calendar
    )
    return ClockExplanation(
        received_at=case.received_at,
        delay_days=settings.STATUTORY_DELAY_DAYS,
        pauses=pauses,
        extension_days=case.extension_days,
        extended_at=case.extended_at,
        due_at=due,
        is_paused=any(pause.answered_at is None for pause in pauses),
        moved=moved,
    )


def is_overdue(case: DataRequest, *, now: datetime | None = None) -> bool:
    """Past its due date with no decision and the clock running: a deemed refusal (Access Act s. 52)."""
    now = now or timezone.now()
    return case.status in CLOCK_RUNNING_STATES and now > case.due_at


def extension_refusal(case: DataRequest, *, days: int, now: datetime) -> str | None:
    """Why an extension of ``days`` cannot be granted now, or ``None`` when it can."""
    from django.utils.translation import gettext as _

    if case.extension_days:
        return _("The delay was already extended once; the Act allows only one extension.")
    if not 1 <= days <= settings.EXTENSION_DAYS:
        return _("An extension is from 1 to %(max)d days.") % {"max": settings.EXTENSION_DAYS}
    if now >= case.due_at:
        return _("The first delay has expired: an extension must be notified before the due date.")
    return None


def review_grounds(case: DataRequest, *, now: datetime | None = None) -> tuple[str, date] | None:
    """Why the requester may ask the Commission for a review, and the day from which the delay counts.

    ``("refused" | "partially_approved", signed-off day)`` after a signed refusal or partial refusal,
    ``("deemed", due day)`` when the case is overdue without a decision (Access Act s. 52), else ``None``.
    """
    decision = case.decisions.filter(signed_off_at__isnull=False).order_by("-signed_off_at", "-pk").first()
    if decision is not None:
        if decision.outcome in (DecisionOutcome.REFUSED, DecisionOutcome.PARTIALLY_APPROVED):
            return decision.outcome, local_date(decision.signed_off_at)
        return None
    if case.due_at is not None and is_overdue(case, now=now):
        return "deemed", local_date(case.due_at)
    return None


def review_lapses_on(case: DataRequest, *, now: datetime | None = None) -> date | None:
    """The last day to ask the Commission for a review (Access Act ss. 135, 137), or ``None`` without a refusal.

    ``settings.REVIEW_REQUEST_DAYS`` calendar days after the decision was sent (its sign-off, in local date) or,
    for a deemed refusal, after the due date; a last day that is a holiday moves to the next working day (I-16 s. 52).
    """
    grounds = review_grounds(case, now=now)
    if grounds is None:
        return None
    return next_working_day(grounds[1] + timedelta(days=settings.REVIEW_REQUEST_DAYS))[0]
