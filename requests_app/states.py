"""Every state of a case and of a table job, and every set of states the code asks about (DESIGN §5b).

A leaf: it imports nothing from the project, so the clock, the permissions,
the notifications, the workflow and the pages all read one definition without
importing each other. ``tests/requests_app/test_states.py`` checks how the sets
relate (the open states split into clock running and clock paused, the case's
states split into draft, open, decided, production and closed, ...).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RECEIVED = "received", _("Received")
    UNDER_REVIEW = "under_review", _("Under review")
    AWAITING_REQUESTER = "awaiting_requester", _("Awaiting the requester")
    DECISION_PROPOSED = "decision_proposed", _("Decision proposed")
    APPROVED = "approved", _("Approved")
    PARTIALLY_APPROVED = "partially_approved", _("Partially approved")
    REFUSED = "refused", _("Refused")
    PRODUCING = "producing", _("Producing the tables")
    OUTPUT_CHECKING = "output_checking", _("Checking the outputs")
    RELEASED = "released", _("Released")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    READY_FOR_CHECKING = "ready_for_checking", _("Ready for checking")
    FAILED = "failed", _("Failed")
    RETURNED = "returned", _("Returned by the output checker")
    RELEASED = "released", _("Released")


# --- The case ----------------------------------------------------------------------

#: Filed but not decided: the statutory clock applies, and the requester may still withdraw.
OPEN_STATES = frozenset({Status.RECEIVED, Status.UNDER_REVIEW, Status.AWAITING_REQUESTER, Status.DECISION_PROPOSED})
#: Open, the clock stopped: a clarification waits for the requester (the case cannot be overdue).
CLOCK_PAUSED_STATES = frozenset({Status.AWAITING_REQUESTER})
#: Open, the clock running: the case can be overdue (a deemed refusal, Access Act s. 52).
CLOCK_RUNNING_STATES = OPEN_STATES - CLOCK_PAUSED_STATES
#: The officer reviews the case: criteria, consultations, clarifications, adjusting the tables.
REVIEW_STATES = frozenset({Status.UNDER_REVIEW, Status.AWAITING_REQUESTER})
#: The statuses a signed-off decision gives the case.
DECISION_OUTCOMES = frozenset({Status.APPROVED, Status.PARTIALLY_APPROVED, Status.REFUSED})
#: Decided in favour, even in part: the tables are to be produced.
APPROVED_STATES = frozenset({Status.APPROVED, Status.PARTIALLY_APPROVED})
#: The tables are being produced, checked, released.
PRODUCTION_STATES = frozenset({Status.PRODUCING, Status.OUTPUT_CHECKING, Status.RELEASED})
#: Nothing happens to the case any more.
CLOSED_STATES = frozenset({Status.REFUSED, Status.CLOSED, Status.WITHDRAWN})
#: The requester and the officer no longer write messages about the case.
MESSAGE_CLOSED_STATES = frozenset({Status.DRAFT, Status.WITHDRAWN, Status.CLOSED})

# --- A table job -------------------------------------------------------------------

#: A worker may claim the job (RUNNING: a worker died mid-job and the message came back).
JOB_CLAIMABLE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
#: Produced: the files exist (the checker may look at them; once released, the requester may download them).
JOB_WITH_FILES_STATES = frozenset({JobState.READY_FOR_CHECKING, JobState.RELEASED})
#: The officer may queue a new run (after adjusting the table, if need be).
JOB_RERUNNABLE_STATES = frozenset({JobState.FAILED, JobState.RETURNED})
#: The output checker's queue: waiting for a check, or already checked.
JOB_CHECKER_QUEUE_STATES = frozenset({JobState.READY_FOR_CHECKING, JobState.RELEASED, JobState.RETURNED})
