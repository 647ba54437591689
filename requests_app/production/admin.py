"""Production in the admin: table jobs and the download log, read-only (jobs change only through their services)."""

from django.contrib import admin

from portal.admin import HistoryAdmin, ReadOnlyAdminMixin
from requests_app.production.models import JobNote, JobReview, OutputDownload, TableJob


@admin.register(TableJob)
class TableJobAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Jobs change only through ``requests_app.production.jobs``; the admin shows them and their history."""

    list_display = ("request", "table", "state", "stage", "run", "attempts", "queued_at", "finished_at", "checked_by")
    list_filter = ("state",)
    search_fields = ("request__reference",)
    list_select_related = ("request", "table__dataset", "table__measure", "checked_by")


@admin.register(OutputDownload)
class OutputDownloadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The log of downloads: who took which file, when, with which checksum. Never changed."""

    list_display = ("downloaded_at", "job", "file_name", "user", "sha256")
    search_fields = ("job__request__reference", "user__email", "sha256")
    list_select_related = ("job__request", "job__table", "user")
    date_hierarchy = "downloaded_at"


@admin.register(JobNote)
class JobNoteAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """The output checkers' notes on tables, written on the checker's page (``jobs.job_note_add``)."""

    list_display = ("created_at", "job", "run", "author")
    search_fields = ("job__request__reference", "author__email")
    list_select_related = ("job__request", "job__table", "author")


@admin.register(JobReview)
class JobReviewAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Each output checker's check of a run, with what they attested (``jobs.output_release``)."""

    list_display = ("reviewed_at", "job", "run", "checker")
    search_fields = ("job__request__reference", "checker__email")
    list_select_related = ("job__request", "job__table", "checker")
