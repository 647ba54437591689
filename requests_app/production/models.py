"""Production's records: the table jobs of a case, and every download of their files (DESIGN §4, "The job").

The models lived in stats_app until the production phase moved into the case's
app: their tables keep their names (``stats_app_tablejob``...), so no row moved.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from requests_app.states import JOB_WITH_FILES_STATES, JobState
from stats_app.models import JobStage


class TableJob(models.Model):
    """The production of one approved table: computed, protected, checked by a second person, released.

    Approval creates one job per table specification (``requests_app.production.jobs``).
    The specification is copied into ``specification`` when the job is queued, so
    the files always match what was run. ``state`` changes only through
    ``jobs.job_transition``.
    """

    request = models.ForeignKey(
        "requests_app.DataRequest", on_delete=models.CASCADE, related_name="table_jobs", verbose_name=_("request")
    )
    table = models.ForeignKey(
        "requests_app.TableSpecification", on_delete=models.PROTECT, related_name="jobs", verbose_name=_("table")
    )
    state = models.CharField(_("state"), max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    stage = models.CharField(_("stage"), max_length=20, choices=JobStage.choices, blank=True)
    #: The specification as run: dataset, measure, dimensions and filters codes.
    specification = models.JSONField(_("specification as run"), default=dict)
    #: Runs started (a worker's crash and a retry each count one).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    #: Increases each time the job is queued again (retry after failure, new run after a return).
    run = models.PositiveSmallIntegerField(_("run"), default=1)
    error = models.TextField(_("error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    #: Folder of the files in private storage, relative to ``PRIVATE_FILES_ROOT``.
    output_path = models.CharField(_("output folder"), max_length=300, blank=True)
    #: file name -> {"sha256": ..., "size": ...}
    files = models.JSONField(_("files"), default=dict, blank=True)
    #: What the checker sees first: cells, suppressed, smallest published count, and the disclosure report.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    #: The checker attested, at release, that the data owners' free-text conditions are met.
    conditions_attested = models.BooleanField(_("owners' conditions attested"), default=False)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    # The tables keep the names they had in stats_app: the models moved, the rows did not.
    history = HistoricalRecords(table_name="stats_app_historicaltablejob")

    class Meta:
        db_table = "stats_app_tablejob"
        ordering = ["request", "pk"]
        verbose_name = _("table job")
        verbose_name_plural = _("table jobs")
        permissions = [("check_tablejob", _("Can check and release outputs"))]
        constraints = [
            # One job per approved table: approving twice cannot produce a table twice.
            models.UniqueConstraint(fields=["table"], name="tablejob_one_per_table"),
            models.CheckConstraint(
                condition=models.Q(checked_by__isnull=True, checked_at__isnull=True)
                | models.Q(checked_by__isnull=False, checked_at__isnull=False),
                name="tablejob_checked_by_and_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="released")
                | models.Q(released_at__isnull=False, checked_by__isnull=False, files__isnull=False),
                name="tablejob_released_was_checked",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="returned") | ~models.Q(return_reason=""),
                name="tablejob_returned_with_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["ready_for_checking", "released"]) | ~models.Q(output_path=""),
                name="tablejob_checkable_has_files",
            ),
        ]
        indexes = [models.Index(fields=["state", "queued_at"], name="tablejob_state_queued")]

    def __str__(self) -> str:
        return f"{self.request} · {self.table}"

    @property
    def is_finished(self) -> bool:
        return self.state in JOB_WITH_FILES_STATES


class OutputDownload(models.Model):
    """One download of a produced file: who, when, which file, which checksum. Never changed or deleted."""

    job = models.ForeignKey(TableJob, on_delete=models.PROTECT, related_name="downloads", verbose_name=_("job"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    downloaded_at = models.DateTimeField(_("downloaded at"), auto_now_add=True)

    class Meta:
        db_table = "stats_app_outputdownload"
        ordering = ["-downloaded_at", "-pk"]
        verbose_name = _("output download")
        verbose_name_plural = _("output downloads")

    def __str__(self) -> str:
        return f"{self.file_name} · {self.user} · {self.downloaded_at:%Y-%m-%d %H:%M}"


class JobNote(models.Model):
    """A checker's note on one table (after airlock's comments): for the checkers and staff, never the requester."""

    job = models.ForeignKey(TableJob, on_delete=models.CASCADE, related_name="notes", verbose_name=_("table job"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    #: The run the note was written on: a note on an earlier run says so on the page.
    run = models.PositiveSmallIntegerField(_("run"))
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("note on a table")
        verbose_name_plural = _("notes on tables")
        constraints = [models.CheckConstraint(condition=~models.Q(body=""), name="jobnote_has_text")]

    def __str__(self) -> str:
        return f"{self.job} · {self.created_at:%Y-%m-%d %H:%M}"


class JobReview(models.Model):
    """One output checker's check of one run of a table, with what they attested (after airlock's reviews).

    A dataset set to two independent checks (``Dataset.independent_checks``) releases
    a table only at the second review of its run, by another checker; every release
    records its checker's review too. A new run starts with no review. The database
    holds the rule that a checker reviews a run at most once.
    """

    job = models.ForeignKey(TableJob, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("table job"))
    #: The run checked: a review of an earlier run counts for nothing on the new one.
    run = models.PositiveSmallIntegerField(_("run"))
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("output checker")
    )
    reviewed_at = models.DateTimeField(_("checked at"))
    #: The points of ``jobs.CHECKLIST`` attested (and ``jobs.OWNER_CONDITIONS`` when the owner set conditions).
    attested = models.JSONField(_("points attested"), default=list)
    history = HistoricalRecords()

    class Meta:
        ordering = ["job", "run", "reviewed_at", "pk"]
        verbose_name = _("check of an output")
        verbose_name_plural = _("checks of outputs")
        constraints = [
            models.UniqueConstraint(fields=["job", "run", "checker"], name="jobreview_one_per_checker_and_run"),
        ]

    def __str__(self) -> str:
        return f"{self.job} · run {self.run} · {self.checker}"


class PublicationWithholding(models.Model):
    """A released table kept out of the public register, on one of the regulation's exceptions, under four eyes.

    The Regulation respecting the distribution of information (A-2.1, r. 2, s. 4
    par. 8) excepts documents holding personal or third-party information, or
    information that must be refused. Proposed, the table is withheld at once
    (the safe side); a second person confirms the withholding or lifts it with a
    reason, and the table is then published. The database holds the four-eyes
    rule and one open withholding per table.
    """

    class Ground(models.TextChoices):
        PERSONAL = "personal", _("Personal information (Access Act ss. 53, 54)")
        THIRD_PARTY = "third_party", _("Third-party information (Access Act ss. 23, 24)")
        MUST_REFUSE = "must_refuse", _("Information that must be refused (Access Act ss. 28 to 29.1)")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Withheld, awaiting a second person")
        CONFIRMED = "confirmed", _("Withheld")
        LIFTED = "lifted", _("Lifted: published")

    job = models.ForeignKey(
        TableJob, on_delete=models.PROTECT, related_name="withholdings", verbose_name=_("released table")
    )
    ground = models.CharField(_("exception relied on"), max_length=20, choices=Ground.choices)
    reason = models.TextField(_("reason"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("withholding from the public register")
        verbose_name_plural = _("withholdings from the public register")
        permissions = [("decide_publicationwithholding", "Can confirm or lift a withholding from the public register")]
        constraints = [
            models.UniqueConstraint(
                fields=["job"], condition=~models.Q(outcome="lifted"), name="withholding_one_standing_per_job"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (
                    ~models.Q(outcome="pending")
                    & models.Q(decided_by__isnull=False, decided_at__isnull=False)
                    & ~models.Q(decided_by=models.F("proposed_by"))
                ),
                name="withholding_decided_by_another_person",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome="lifted") | ~models.Q(decision_reason=""),
                name="withholding_lifted_with_reason",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="withholding_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.job} · {self.get_ground_display()} ({self.get_outcome_display()})"
